@pitfall @verifier @verifier_dispatch
Feature: Pitfall - a dispatch routine returns success without completing the IRP
  HelloDDKRead returns STATUS_SUCCESS but never completes the read, never passes it
  down and never marks it pending. Driver Verifier catches the unfinished IRP when the
  dispatch routine returns.

  Scenario: Driver Verifier bug-checks a read returned as STATUS_SUCCESS but never completed
    Given the scenario "pitfalls/verifier_dispatch_not_completed.yaml"
    When the application runs
    # spec/verifier-rules.md R01 IrpProcessingComplete; bug check 0xC9 parameter table §6.1:
    # 0x226 = returned without forwarding, completing or pending (fatal; P3 the IRP)
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 0x226, 0, IRP of "r1", 0
    And the trace contains in order:
      | kind           | irp_of | status         |
      | IoCallDriver   | r1     |                |
      | DispatchReturn | r1     | STATUS_SUCCESS |
      | BugCheck       |        |                |

  Scenario: Completing the read before returning STATUS_SUCCESS passes the verifier's check
    Given the scenario "pitfalls/verifier_dispatch_correct.yaml"
    When the application runs
    # spec/verifier-rules.md R01: on return the IRP has been completed
    Then no bug check occurred
    And "r1" completes with STATUS_SUCCESS and 0 bytes
    And "r1" returned TRUE with 0 bytes
