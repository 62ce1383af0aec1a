@book @chapter10
Feature: CH10-IRPTimeout - a 3 s KTIMER DPC cancels a pended read (#33, §10.5)
  HelloDDKRead marks the read pending, stores it and arms a 3 s one-shot timer; the
  timer's DPC prints a line and completes the stored IRP with STATUS_CANCELLED. The
  app's synchronous ReadFile(NULL, 0) therefore returns only when the timer fires.

  Scenario: Two synchronous reads each return FALSE with error 995 after 3 s
    Given the scenario "book/ch10_irp_timeout.yaml"
    When the application runs
    # book-experiments.md #33 "Observed output": each ReadFile returns FALSE after about
    # 3 s with GetLastError 995 (STATUS_CANCELLED, §0.3); total about 6 s
    Then "r1" returned FALSE with error ERROR_OPERATION_ABORTED
    And "r2" returned FALSE with error 995
    And "r1" completes with STATUS_CANCELLED and 0 bytes at 3 s
    And "r2" completes with STATUS_CANCELLED and 0 bytes at 6 s
    # book-experiments.md #33 "Observed output" (DbgView) and §0.3 (DriverEntry)
    And the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKRead
      Leave HelloDDKRead
      Cancel the current pending irp!
      Enter HelloDDKRead
      Leave HelloDDKRead
      Cancel the current pending irp!
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLEANUP
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    # book-experiments.md #33 "Driver behaviour": IoMarkIrpPending, KeSetTimer, and
    # OnTimerDpc completes the IRP (a DPC runs at DISPATCH_LEVEL)
    And the trace contains in order:
      | kind              | irp_of | status           | context | irql           |
      | IoMarkIrpPending  | r1     |                  |         |                |
      | KeSetTimer        |        |                  |         |                |
      | DispatchReturn    | r1     | STATUS_PENDING   |         |                |
      | DpcRoutine        |        |                  | dpc     | DISPATCH_LEVEL |
      | IoCompleteRequest | r1     | STATUS_CANCELLED | dpc     | DISPATCH_LEVEL |
      | IoMarkIrpPending  | r2     |                  |         |                |
      | IoCompleteRequest | r2     | STATUS_CANCELLED | dpc     | DISPATCH_LEVEL |
    And no bug check occurred
    And no thread is blocked

  Scenario: Step by step - a synchronous read returns only when the timer DPC completes it
    Given the scenario "book/ch10_irp_timeout.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And the app reads 0 bytes from "h" as "r1"
    # book-experiments.md #33 "Test app": "if the read IRP is never completed, ReadFile
    # never returns"; the timer completes it at 3 s
    Then "r1" returned FALSE with error ERROR_OPERATION_ABORTED
    And "r1" completes with STATUS_CANCELLED and 0 bytes at 3 s
    When the app closes "h"
    Then no thread is blocked
