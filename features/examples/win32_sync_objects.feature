@example
Feature: kernel32's synchronization objects - names and error conventions (win32-io §9)
  What an application sees from CreateEvent, OpenEvent, CreateSemaphore,
  ReleaseSemaphore, WaitForMultipleObjects and GetExitCodeThread.

  Scenario: Named events, bad counts, too many posts, timeouts, closed handles, exit codes
    Given the scenario "examples/win32_sync_objects.yaml"
    When the application runs
    # 9.1: on success the last error is always set: 0 for a new object, ERROR_ALREADY_EXISTS
    # when the name existed (the existing event, its type and state unchanged)
    Then "hReady" left the last error ERROR_SUCCESS
    And "hAgain" returned TRUE with 0 bytes
    And "hAgain" left the last error ERROR_ALREADY_EXISTS
    # OpenEvent of a name nobody created: NULL, ERROR_FILE_NOT_FOUND
    And "hMissing" returned FALSE with error ERROR_FILE_NOT_FOUND
    # 9.6: STILL_ACTIVE while the thread runs, then its exit code
    And "codeRunning" returned 259
    And "codeDone" returned 0
    # 9.5: a 100 ms wait on the unset manual-reset event times out at the tick after 100 ms
    And "waitShort" returned WAIT_TIMEOUT
    And "waitShort" returned at 109.375 ms
    # the other thread opens the event by name and sets it: main's wait ends at 1 s
    And "setOpened" returned TRUE with 0 bytes
    And "waitOpener" returned WAIT_OBJECT_0
    And "waitOpener" returned at 1 s
    # 9.1: initial > maximum is NULL with ERROR_INVALID_PARAMETER; 9.3: a post past the
    # maximum is ERROR_TOO_MANY_POSTS with the count unchanged
    And "hBadSemaphore" returned FALSE with error ERROR_INVALID_PARAMETER
    And "tooMany" returned FALSE with error ERROR_TOO_MANY_POSTS
    # 9.5: a closed handle in a wait is WAIT_FAILED with ERROR_INVALID_HANDLE
    And "waitClosed" returned WAIT_FAILED
    And "waitClosed" returned FALSE with error ERROR_INVALID_HANDLE
    And no bug check occurred
    And no thread is blocked
