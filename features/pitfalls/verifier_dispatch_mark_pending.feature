@pitfall @verifier @verifier_dispatch
Feature: Pitfall - a dispatch routine marks the IRP pending but does not return STATUS_PENDING
  HelloDDKRead calls IoMarkIrpPending, then completes the read at once and returns the
  completion status, STATUS_SUCCESS, instead of STATUS_PENDING. Driver Verifier reports
  it as a non-fatal I/O verification error and lets the machine go on - into the
  consequence: the completion APC already finished and freed the IRP (it was marked
  pending), and ReadFile, told "not pending", finishes it a second time.

  Scenario: Driver Verifier reports 0xC9 0x23E for a read marked pending and returned as STATUS_SUCCESS
    Given the scenario "pitfalls/verifier_dispatch_mark_pending.yaml"
    When the application runs
    # spec/verifier-rules.md R22 MarkIrpPending; bug check 0xC9 parameter table §6.1:
    # 0x23E N = marked pending but did not return STATUS_PENDING (non-fatal: reported,
    # no bug check)
    Then the trace reports a rule violation containing "0xC9 0x23E"
    And the trace contains in order:
      | kind               | irp_of | status         | context |
      | IoMarkIrpPending   | r1     |                | thread  |
      | IoCompleteRequest  | r1     | STATUS_SUCCESS | thread  |
      | IopCompleteRequest | r1     | STATUS_SUCCESS | apc     |
      | DispatchReturn     | r1     | STATUS_SUCCESS | thread  |
      | Violation          | r1     |                | thread  |
      | IopCompleteRequest | r1     | STATUS_SUCCESS | thread  |
    # io-core §6.8/§6.9: "mark pending iff return STATUS_PENDING is what keeps this from
    # hanging or double-processing": the read's deferred completion runs the final phase
    # again and frees the IRP twice. stacks-services 1.28: the first IoFreeIrp cleared the
    # packet's Type, and Verifier reports the second as 0xC9 0x01 ("free an object whose
    # type is not IO_TYPE_IRP", P2 = the IRP)
    And the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 1, IRP of "r1", 0, 0

  Scenario: Completing the read without marking it pending passes the verifier's check
    Given the scenario "pitfalls/verifier_dispatch_correct.yaml"
    When the application runs
    # spec/verifier-rules.md R22: only a routine that returns STATUS_PENDING marks the IRP
    Then no bug check occurred
    And "r1" completes with STATUS_SUCCESS and 0 bytes
    And "r1" returned TRUE with 0 bytes
