@pitfall @verifier
Feature: Pitfall - STATUS_PENDING without IoMarkIrpPending under Driver Verifier
  The pend_without_mark driver (#33 with its IoMarkIrpPending call removed) run with
  Driver Verifier on. Verifier notices, when the read dispatch routine returns, that
  STATUS_PENDING came back for an IRP nobody marked pending, and reports it. The error
  is non-fatal, so the machine keeps running, and the bug is still there: the timer DPC
  completes the IRP 3 s later but the synchronous ReadFile never returns.

  Scenario: Verifier reports 0xC9 0x23D for an unmarked pending read, which still hangs
    Given the scenario "pitfalls/verifier_complete_pend_without_mark.yaml"
    When the application runs
    # spec/verifier-rules.md R23 (★) MarkIrpPending2: DV 0xC9 0x23D (non-fatal; P3 IRP,
    # P4 status), sim hook disp-exit; 0xC9 codes §6.1 "0x23D N STATUS_PENDING without
    # IoMarkIrpPending"; io-core §4.2
    Then the trace reports a rule violation containing "0xC9 0x23D"
    And no bug check occurred
    And the trace contains in order:
      | kind              | irp_of | status           | context |
      | DispatchReturn    | r1     | STATUS_PENDING   | thread  |
      | Violation         |        |                  | thread  |
      | IoCompleteRequest | r1     | STATUS_CANCELLED | dpc     |
    # Verifier reports, it does not fix: io-core §4.5 and §5.3 step 5 (PendingReturned
    # FALSE, the final phase is left to a caller that is already waiting); kernel-env §12.17
    And the thread "main" is still blocked
    And "r1" has not completed
    And the debug output contains in order:
      | Enter HelloDDKRead              |
      | Leave HelloDDKRead              |
      | Cancel the current pending irp! |

  Scenario: Step by step - under the verifier the read is still blocked long after the timer fired
    Given the scenario "pitfalls/verifier_complete_pend_without_mark.yaml"
    When the application runs
    And 10 s pass
    # non-fatal (verifier-rules.md §0 DV-IO, §5): reported, execution continues
    Then the trace reports a rule violation containing "0x23D"
    And the thread "main" is still blocked
    And "r1" has not completed
