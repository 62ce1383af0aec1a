@pitfall @verifier @verifier_dispatch
Feature: Pitfall - a dispatch routine returns a status other than the one it completed with
  HelloDDKRead completes the read with STATUS_SUCCESS and then returns
  STATUS_UNSUCCESSFUL, so IoCallDriver's caller and the IRP's I/O status block disagree.
  Driver Verifier compares the two when the dispatch routine returns.

  Scenario: Driver Verifier bug-checks a read completed with STATUS_SUCCESS but returned as STATUS_UNSUCCESSFUL
    Given the scenario "pitfalls/verifier_dispatch_status_mismatch.yaml"
    When the application runs
    # spec/verifier-rules.md R02 (returned status != IoStatus.Status); bug check 0xC9
    # parameter table §6.1: 0x224 (fatal; P3 the IRP, P4 the expected status)
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 0x224, 0, IRP of "r1", status STATUS_SUCCESS
    And the trace contains in order:
      | kind              | irp_of | status              |
      | IoCompleteRequest | r1     | STATUS_SUCCESS      |
      | DispatchReturn    | r1     | STATUS_UNSUCCESSFUL |
      | BugCheck          |        |                     |

  Scenario: Returning the status the read was completed with passes the verifier's check
    Given the scenario "pitfalls/verifier_dispatch_correct.yaml"
    When the application runs
    # spec/verifier-rules.md R02: the returned status equals IoStatus.Status
    Then no bug check occurred
    And "r1" returned TRUE with 0 bytes
    And the trace contains in order:
      | kind              | irp_of | status         |
      | IoCompleteRequest | r1     | STATUS_SUCCESS |
      | DispatchReturn    | r1     | STATUS_SUCCESS |
