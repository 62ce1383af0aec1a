@book @chapter9
Feature: CH09-PendingIrpTest - reads pend in a list until IRP_MJ_CLEANUP (#24, §9.2)
  HelloDDKRead queues each read (InsertHeadList), marks it pending and returns
  STATUS_PENDING. HelloDDKCleanUp completes every queued read with STATUS_SUCCESS and
  0 bytes, newest first, then the cleanup IRP. The app issues two overlapped reads,
  sleeps 2 s and closes the handle.

  Scenario: Two overlapped reads stay pending until CloseHandle sends the cleanup
    Given the scenario "book/ch09_pending_irp_test.yaml"
    When the application runs
    # book-experiments.md #24 "Observed output": app `The operation is pending` x2,
    # printed when ReadFile returned FALSE with ERROR_IO_PENDING (§0.3 mapping)
    Then the application printed:
      """
      The operation is pending
      The operation is pending
      """
    And "r1" returned FALSE with error ERROR_IO_PENDING
    And "r2" returned FALSE with error ERROR_IO_PENDING
    # book-experiments.md #24 "Observed output": both reads complete with 0 bytes, after
    # about 2 s (at CloseHandle); "Simulator notes": success
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 2 s
    And "r2" completes with STATUS_SUCCESS and 0 bytes at 2 s
    # book-experiments.md #24 "Observed output" (DbgView) and §0.3 (DriverEntry)
    And the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKRead
      Leave HelloDDKRead
      Enter HelloDDKRead
      Leave HelloDDKRead
      Enter HelloDDKCleanUp
      Leave HelloDDKCleanUp
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    # book-experiments.md #24 "Driver behaviour" (Cleanup step 2: RemoveHeadList after
    # InsertHeadList, newest first) and "Simulator notes": CLEANUP -> both reads -> CLOSE
    And the trace contains in order:
      | kind              | irp_of | major          | status         |
      | IoMarkIrpPending  | r1     | IRP_MJ_READ    |                |
      | DispatchReturn    | r1     | IRP_MJ_READ    | STATUS_PENDING |
      | IoMarkIrpPending  | r2     | IRP_MJ_READ    |                |
      | DispatchReturn    | r2     | IRP_MJ_READ    | STATUS_PENDING |
      | IoCallDriver      |        | IRP_MJ_CLEANUP |                |
      | IoCompleteRequest | r2     | IRP_MJ_READ    | STATUS_SUCCESS |
      | IoCompleteRequest | r1     | IRP_MJ_READ    | STATUS_SUCCESS |
      | IoCompleteRequest |        | IRP_MJ_CLEANUP | STATUS_SUCCESS |
      | IoCallDriver      |        | IRP_MJ_CLOSE   |                |
    And no bug check occurred
    And no thread is blocked

  Scenario: Step by step - nothing completes the reads before the handle is closed
    Given the scenario "book/ch09_pending_irp_test.yaml"
    When the app opens "\\.\HelloDDK" for overlapped I/O as "h"
    And the app reads 10 bytes from "h" as "r1"
    And the app reads 10 bytes from "h" as "r2"
    And 2 s pass
    # book-experiments.md #24 "Driver behaviour": no cancel routine, no timer; only the
    # cleanup completes the queued reads
    Then "r1" has not completed
    And "r2" has not completed
    And the debug output does not contain "Enter HelloDDKCleanUp"
    When the app closes "h"
    Then "r2" completes with STATUS_SUCCESS and 0 bytes at 2 s
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 2 s
    And the debug output contains in order:
      | Enter HelloDDKCleanUp        |
      | Leave HelloDDKCleanUp        |
      | Enter HelloDDKDispatchRoutin |
    And no thread is blocked
