@pitfall @chapter10
Feature: Pitfall - returning STATUS_PENDING without IoMarkIrpPending
  The #33 (CH10-IRPTimeout) driver with its IoMarkIrpPending call removed. The dispatch
  routine returns STATUS_PENDING and a timer DPC completes the IRP 3 s later, but no
  stack location carries the pending mark, so the I/O manager leaves the final phase to
  a caller that is already waiting: the synchronous ReadFile never returns.

  Scenario: A synchronous ReadFile hangs when the driver pends without marking the IRP
    Given the scenario "pitfalls/pend_without_mark.yaml"
    When the application runs
    # book-experiments.md §3 "Pending without IoMarkIrpPending": "hang of the synchronous
    # caller"; #24 "Pitfalls": "completion never reaches the waiter (a hang)";
    # kernel-env §12.17: "sync callers hang"
    Then the thread "main" is still blocked
    And "r1" has not completed
    And no bug check occurred
    # book-experiments.md #33 "Driver behaviour": the DPC still runs after 3 s and
    # completes the IRP (it is the final phase that never comes)
    And the debug output contains in order:
      | Enter HelloDDKRead              |
      | Leave HelloDDKRead              |
      | Cancel the current pending irp! |
    And the trace contains in order:
      | kind              | irp_of | status           | context |
      | DispatchReturn    | r1     | STATUS_PENDING   |         |
      | IoCompleteRequest | r1     | STATUS_CANCELLED | dpc     |
    And the debug output does not contain "IRP_MJ_CLEANUP"

  Scenario: Step by step - the read is still blocked long after the timer fired
    Given the scenario "pitfalls/pend_without_mark.yaml"
    When the application runs
    And 10 s pass
    # kernel-env §12.17: "leaves the request forever incomplete"
    Then the thread "main" is still blocked
    And "r1" has not completed
