@example
Feature: CancelSynchronousIo from a watchdog thread (win32-io §4.3)
  A thread blocked in synchronous I/O can only be released by another thread:
  CancelSynchronousIo cancels the request it is blocked in, without waiting.

  Scenario: The watchdog cancels main's blocked read after 2 s
    Given the scenario "examples/cancel_synchronous_io_watchdog.yaml"
    When the application runs
    # 4.3: the request is found and cancelled; the call does not wait
    Then "cancel" returned TRUE with 0 bytes
    And "cancel" returned at 2 s
    # 4.3: the driver honoured the cancel, so the blocked ReadFile fails with 995
    And "blockedRead" completes with STATUS_CANCELLED and 0 bytes at 2 s
    And "blockedRead" returned FALSE with error ERROR_OPERATION_ABORTED
    And "blockedRead" returned at 2 s
    And the application printed a line containing "ReadFile returned FALSE, GetLastError 995"
    # 4.3: main is no longer in a synchronous request: nothing to cancel
    And "cancelAgain" returned FALSE with error ERROR_NOT_FOUND
    And the debug output contains "CancelableReads: OnCancel" 1 time
    And no bug check occurred
    And no thread is blocked
