@book @chapter12
Feature: CH12-T3-CompletionPending - a completion routine that propagates pending (#44, §12.2)
  DriverB copies its stack location to A's, sets MyIoCompletion and calls A, which pends
  the read for 3 s. B always returns STATUS_PENDING; MyIoCompletion calls
  IoMarkIrpPending when Irp->PendingReturned and returns STATUS_SUCCESS, so completion
  continues up to the I/O manager and the app's ReadFile returns.

  Scenario: B returns STATUS_PENDING and its completion routine runs 3 s later in A's DPC
    Given the scenario "book/ch12_completion_pending.yaml"
    When the application runs
    # book-experiments.md #44 "Observed output" (code) and (reader:S001): B's dispatch
    # returns first, then A's timer completes the IRP and MyIoCompletion runs at once
    Then the debug output contains in order:
      | DriverB:Enter B HelloDDKRead                   |
      | DriverA:Enter A HelloDDKRead                   |
      | DriverA:Leave A HelloDDKRead                   |
      | STATUS_PENDING                                 |
      | DriverB:Leave B HelloDDKRead                   |
      | DriverA:complete the Driver A IRP_MJ_READ irp! |
      | Enter MyIoCompletion                           |
    # "Then the app's ReadFile returns": A completes with STATUS_SUCCESS, 0 bytes, at 3 s
    # ("The shared DriverA": OnTimerDpc, KeSetTimer 3 s)
    And "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #44 "MyIoCompletion": it sees PendingReturned (A pended) and
    # marks B's location; "Pitfalls": it is called from A's DPC at DISPATCH_LEVEL
    And the completion routine of DriverB saw PendingReturned TRUE
    And the completion routine of DriverB ran at DISPATCH_LEVEL
    And the trace of "r1" contains in order:
      | kind               | driver  | status         | context    |
      | IoCallDriver       | DriverB |                |            |
      | IoCallDriver       | DriverA |                |            |
      | IoMarkIrpPending   | DriverA |                |            |
      | DispatchReturn     | DriverA | STATUS_PENDING |            |
      | DispatchReturn     | DriverB | STATUS_PENDING |            |
      | IoCompleteRequest  | DriverA | STATUS_SUCCESS | dpc        |
      | CompletionRoutine  | DriverB |                |            |
      | IoMarkIrpPending   | DriverB |                | completion |
      | CompletionReturn   | DriverB | STATUS_SUCCESS |            |
      | IopCompleteRequest |         | STATUS_SUCCESS |            |
    And no bug check occurred
    And no thread is blocked

  Scenario: Step by step - the read is pending in A until its timer fires
    Given the scenario "book/ch12_completion_pending.yaml"
    When the app opens "\\.\HelloDDKA" for overlapped I/O as "h"
    And the app reads 0 bytes from "h" as "r1"
    # §0.3: STATUS_PENDING on an overlapped handle is FALSE with ERROR_IO_PENDING
    Then "r1" returned FALSE with error ERROR_IO_PENDING
    And "r1" has not completed
    And the debug output does not contain "Enter MyIoCompletion"
    When 3 s pass
    # book-experiments.md #44 "Observed output": 3 s later A completes, MyIoCompletion runs
    Then "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    And the debug output contains in order:
      | DriverA:complete the Driver A IRP_MJ_READ irp! |
      | Enter MyIoCompletion                           |
    When the app closes "h"
    Then no thread is blocked
