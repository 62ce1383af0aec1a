@book @chapter8
Feature: CH08-UserModeSync - the application's own event, semaphore, mutex and thread waits (#17, §8.4)
  No driver: RMD's consolidated test application. An auto-reset event set by a thread,
  a semaphore (2, 2) whose third wait lasts until a thread releases it 2 s later, a
  mutex acquired twice and released once before its owner thread exits, and a wait for
  all the threads.

  Scenario: Auto-reset event, semaphore count, mutex recursion and abandonment
    Given the scenario "book/ch08_user_mode_sync.yaml"
    When the application runs
    # book-experiments.md #17 "Event": the thread prints Enter, sets the event, prints
    # Leave; main's wait then returns
    Then the application printed:
      """
      Enter ThreadEvent!
      Leave ThreadEvent!
      Main Thread get Event Signal
      Main Thread get Semaphore Signal
      MutexA owns the mutex
      MutexB got the mutex
      All threads ended
      """
    And "waitEvent" returned WAIT_OBJECT_0
    # win32-io 9.1: a new unnamed object leaves the last error 0 on success
    And "hEvent" left the last error ERROR_SUCCESS
    # #17 "Semaphore": two waits take the count to 0; the third returns only when the
    # thread that slept 2 s releases one (ReleaseSemaphore's previous count: 0)
    And "waitSem2" returned at 0 s
    And "waitSem3" returned at 2 s
    And "release" returned 0
    # #17 "Mutex": MutexA's second wait succeeds at once (recursion); it releases once
    # and exits still owning one count, so MutexB's wait ends abandoned (inferred in the
    # catalog; win32-io 9.4, sync-objects 1.6 step 3) when MutexA exits at 2 s + 3 s
    And "waitA2" returned WAIT_OBJECT_0
    And "waitB" returned WAIT_ABANDONED
    And "waitB" returned at 5 s
    # MutexB owns it once: its first release succeeds, the second is ERROR_NOT_OWNER
    And "releaseB" returned TRUE with 0 bytes
    And "releaseB2" returned FALSE with error ERROR_NOT_OWNER
    # #17 "Thread wait": WaitForMultipleObjects(wait all) on the thread handles
    And "waitThreads" returned WAIT_OBJECT_0
    And "waitThreads" returned at 5 s
    And no bug check occurred
    And no thread is blocked
