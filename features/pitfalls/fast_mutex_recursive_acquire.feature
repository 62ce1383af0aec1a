@pitfall @chapter8
Feature: Pitfall - acquiring a FAST_MUTEX its owner already holds
  The #22 fast-mutex thread, already holding the fast mutex, calls a helper that takes
  it again. A KMUTEX would allow that; a FAST_MUTEX does not: the owner waits on the
  mutex's event for a release only it could make. The app's ReadFile, whose dispatch
  routine takes the same mutex, then waits behind it.

  Scenario: The owner's second ExAcquireFastMutex hangs silently - no bug check
    Given the scenario "pitfalls/fast_mutex_recursive_acquire.yaml"
    When the application runs
    # book-experiments.md #22 "Pitfalls": "Fast mutexes cannot be acquired recursively;
    # doing so deadlocks. Normal KMUTEX is recursive"; sync-objects 2.6: the owner's
    # second acquire decrements Count to -1 and waits on the event forever - "a silent
    # self-deadlock (no timeout, no bug check in a free build)"
    Then the thread "MyProcessThread" is still blocked
    And no bug check occurred
    And the debug output contains in order:
      | Enter MyProcessThread |
      | Enter UpdateShared    |
    And the debug output does not contain "UpdateShared got the fast mutex"
    And the debug output does not contain "Leave MyProcessThread"
    # sync-objects 2.2: the thread waits at APC_LEVEL, the IRQL its first acquire raised
    # to, on the mutex's embedded event
    And the trace contains in order:
      | kind        | api                | irql      | thread          |
      | ServiceCall | ExAcquireFastMutex | APC_LEVEL | MyProcessThread |
      | WaitBegin   |                    | APC_LEVEL | MyProcessThread |
    # sync-objects 2.6: "every later acquirer also hangs" - the read's dispatch routine
    # waits for a mutex that is never released, so ReadFile never returns
    And the thread "main" is still blocked
    And "r1" has not completed
    And the debug output does not contain "HelloDDKRead got the fast mutex"
