@pitfall
Feature: Pitfall - returning from a dispatch routine with a spin lock held
  The read dispatch routine takes the cancel spin lock, completes the read and returns
  without releasing it. Without Driver Verifier nothing checks the routine's exit, so
  the thread goes back towards user mode still at DISPATCH_LEVEL; the system-service
  exit is where the kernel notices.

  Scenario: IRQL - NtReadFile returns to user mode at DISPATCH_LEVEL - bug check 0x4A
    Given the scenario "pitfalls/irql_spinlock_held_at_return.yaml"
    When the application runs
    # spec/verifier-rules.md R87 / §4 bug-check reference: 0x4A
    # IRQL_GT_ZERO_AT_SYSTEM_SERVICE, P1 = the system-service routine, P2 = the IRQL
    # (R68 SpinLock is the rule broken, but without the verifier no 0xC4 is raised)
    Then the machine bug-checked with IRQL_GT_ZERO_AT_SYSTEM_SERVICE (0x4A)
    And the bug check parameters are routine "NtReadFile", IRQL DISPATCH_LEVEL, 0, 0
    And the trace contains in order:
      | kind              | major       | status         | irql           |
      | IrqlChange        |             |                | DISPATCH_LEVEL |
      | IoCompleteRequest | IRP_MJ_READ | STATUS_SUCCESS | DISPATCH_LEVEL |
      | DispatchReturn    | IRP_MJ_READ | STATUS_SUCCESS | DISPATCH_LEVEL |
      | BugCheck          |             |                | DISPATCH_LEVEL |

  Scenario: IRQL - on an XP-like machine the violation is reported, not bug-checked
    Given the scenario "pitfalls/irql_spinlock_held_at_return.yaml" with machine.strict=false
    When the application runs
    # spec/verifier-rules.md R87 (sim hook syscall-return); README machine.strict:
    # "strict: false ... reports the violation"
    Then no bug check occurred
    And the trace reports a rule violation containing "IRQL_GT_ZERO_AT_SYSTEM_SERVICE"
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 0 s
    And "r1" returned TRUE with 0 bytes
