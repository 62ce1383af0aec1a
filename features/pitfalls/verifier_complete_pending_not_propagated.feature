@pitfall @verifier
Feature: Pitfall - a completion routine that does not propagate the pending bit, under Driver Verifier
  The #44 (CH12-T3-CompletionPending) stack with its propagation left out: Filter
  forwards the read to Lower with a completion routine, Lower pends it for 3 s, and
  Filter's completion routine returns STATUS_SUCCESS without "if (Irp->PendingReturned)
  IoMarkIrpPending(Irp)". Verifier reports the lost pending bit when the routine
  returns; the error is non-fatal, and the originator still never sees its read finish.

  Scenario: Verifier reports 0xC9 0x228 and the synchronous ReadFile never returns
    Given the scenario "pitfalls/verifier_complete_pending_not_propagated.yaml"
    When the application runs
    # spec/verifier-rules.md R31 (★): 0xC9 0x228 (non-fatal; P3 IRP), sim hook cr-exit;
    # 0xC9 codes §6.1 "0x228 N completion routine did not propagate pending"; io-core §4.4
    Then the trace reports a rule violation containing "0xC9 0x228"
    And no bug check occurred
    And the completion routine of Filter saw PendingReturned TRUE
    And the completion routine of Filter ran at DISPATCH_LEVEL
    And the trace contains in order:
      | kind              | driver | irp_of | status         | context    | routine          |
      | IoMarkIrpPending  | Lower  | r1     |                | thread     |                  |
      | DispatchReturn    | Lower  | r1     | STATUS_PENDING | thread     |                  |
      | DispatchReturn    | Filter | r1     | STATUS_PENDING | thread     |                  |
      | IoCompleteRequest | Lower  | r1     | STATUS_SUCCESS | dpc        |                  |
      | CompletionRoutine | Filter | r1     |                | completion | FilterCompletion |
      | CompletionReturn  | Filter | r1     | STATUS_SUCCESS | completion | FilterCompletion |
      | Violation         |        |        |                | completion |                  |
    # R23 waives the lower driver's STATUS_PENDING passed back up: no 0x23D for Filter
    # io-core §4.3: Filter's (top) location is never marked, so the walk ends with
    # PendingReturned FALSE; §5.3 step 5 + §6.9: a read is IRP_DEFER_IO_COMPLETION, so the
    # final phase is left to a caller that already got STATUS_PENDING and waits;
    # §4.5 "nobody signals the waiter (hang)"; verifier-rules.md R31 "the originator can hang"
    And the thread "main" is still blocked
    And "r1" has not completed
    And the debug output is:
      """
      Lower: read pended
      Lower: timer fired
      Filter: completion, PendingReturned=TRUE
      """

  Scenario: Step by step - under the verifier an overlapped read with a lost pending bit never completes
    Given the scenario "pitfalls/verifier_complete_pending_not_propagated.yaml"
    When the app opens "\\.\Lower" for overlapped I/O as "h"
    And the app reads 0 bytes from "h" as "r1"
    # the dispatch path is sound: Lower marked the IRP and Filter passed its STATUS_PENDING up
    Then "r1" returned FALSE with error ERROR_IO_PENDING
    When 10 s pass
    # io-core §4.5 and §5.3 step 5; kernel-env §12.18 (completion routines must propagate
    # the mark themselves) and §12.17 (deferred completion never runs: "overlapped events
    # never fire")
    Then the trace reports a rule violation containing "0x228"
    And "r1" has not completed
    And no bug check occurred
