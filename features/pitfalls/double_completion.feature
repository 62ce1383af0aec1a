@pitfall @chapter10
Feature: Pitfall - completing an IRP twice
  The #33 (CH10-IRPTimeout) driver extended as S000 suggests, but without KeCancelTimer:
  a pending read is completed normally (here by a write), and the 3 s timeout DPC then
  completes the same IRP again.

  Scenario: The timer DPC completes an already completed read - bug check 0x44
    Given the scenario "pitfalls/double_completion.yaml"
    When the application runs
    # book-experiments.md #33 "Pitfalls": "a normally completed IRP would be completed
    # again by the DPC, giving 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS"; §3 "Completing an IRP
    # twice"; io-core §5.1 (parameter 1 is the IRP). "Normally completed" = STATUS_SUCCESS
    Then the machine bug-checked with MULTIPLE_IRP_COMPLETE_REQUESTS (0x44)
    And the bug check parameter 1 is the IRP of "r1"
    And the trace contains in order:
      | kind               | irp_of | status         | context |
      | IoCompleteRequest  | r1     | STATUS_SUCCESS | thread  |
      | IopCompleteRequest | r1     | STATUS_SUCCESS |         |
      | DpcRoutine         |        |                | dpc     |
      | BugCheck           |        |                | dpc     |
    # book-experiments.md #33 "Driver behaviour": OnTimerDpc prints its line first
    And the debug output contains "Cancel the current pending irp!"
