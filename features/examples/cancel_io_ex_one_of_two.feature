@example
Feature: CancelIoEx on one of two pending reads (win32-io §4.2)
  CancelIoEx(h, lpOverlapped) cancels only the requests issued with that OVERLAPPED;
  CancelIoEx(h, NULL) all of the handle's; neither waits, and finding nothing is
  ERROR_NOT_FOUND.

  Scenario: The second read is cancelled, the first stays pending until CancelIoEx(h, NULL)
    Given the scenario "examples/cancel_io_ex_one_of_two.yaml"
    When the application runs
    # 4.2: TRUE means "cancel requested"; the driver's cancel routine completed it at once
    Then "cancelR2" returned TRUE with 0 bytes
    And "cancelR2" returned at 1 s
    And "r2" completes with STATUS_CANCELLED and 0 bytes at 1 s
    # 1.6 + 1.9: the cancelled request reads back as ERROR_OPERATION_ABORTED
    And "resultR2" returned FALSE with error ERROR_OPERATION_ABORTED
    # 4.2: nothing outstanding with that OVERLAPPED any more
    And "cancelAgain" returned FALSE with error ERROR_NOT_FOUND
    # 4.2: the other OVERLAPPED's read was not touched
    And "stillPending" returned FALSE with error ERROR_IO_INCOMPLETE
    # 4.2/4.5: CancelIoEx(h, NULL) takes the rest, without waiting
    And "cancelAll" returned TRUE with 0 bytes
    And "cancelAll" returned at 2 s
    And "r1" completes with STATUS_CANCELLED and 0 bytes at 2 s
    And "resultR1" returned FALSE with error ERROR_OPERATION_ABORTED
    And the debug output contains "CancelableReads: OnCancel" 2 times
    And no bug check occurred
    And no thread is blocked
