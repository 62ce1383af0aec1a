@pitfall @verifier @verifier_dispatch
Feature: Pitfall - a dispatch routine returns at DISPATCH_LEVEL
  HelloDDKRead acquires the cancel spin lock, completes the read and returns without
  releasing it, so the CPU is still at DISPATCH_LEVEL when the dispatch routine returns.
  Driver Verifier catches it at the dispatch boundary; without it, the kernel catches
  it only when the system call returns to user mode.

  Scenario: Driver Verifier bug-checks when the read dispatch routine leaks the cancel spin lock
    Given the scenario "pitfalls/verifier_dispatch_irql.yaml"
    When the application runs
    # spec/verifier-rules.md R04 IrqlReturn; bug check 0xC9 parameter table §6.1:
    # 0x5 = IRQL changed across a dispatch routine (P2 device object, P3 before, P4 after)
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 0x5, device "\\Device\\MyDDKDevice", IRQL PASSIVE_LEVEL, IRQL DISPATCH_LEVEL
    And the trace contains in order:
      | kind              | irp_of | status         | irql           |
      | IoCallDriver      | r1     |                | PASSIVE_LEVEL  |
      | IoCompleteRequest | r1     | STATUS_SUCCESS | DISPATCH_LEVEL |
      | DispatchReturn    | r1     | STATUS_SUCCESS | DISPATCH_LEVEL |
      | BugCheck          |        |                | DISPATCH_LEVEL |

  Scenario: with machine.verifier=false the return to user mode at DISPATCH_LEVEL bug-checks 0x4A
    Given the scenario "pitfalls/verifier_dispatch_irql.yaml" with machine.verifier=false
    When the application runs
    # spec/verifier-rules.md R87 (IRQL left raised at a boundary, syscall-return);
    # §4: 0x4A IRQL_GT_ZERO_AT_SYSTEM_SERVICE, P1 the system service, P2 the IRQL
    Then the machine bug-checked with IRQL_GT_ZERO_AT_SYSTEM_SERVICE (0x4A)
    And the bug check parameters are routine "NtReadFile", IRQL DISPATCH_LEVEL, 0, 0

  Scenario: Releasing the cancel spin lock before returning passes the verifier's IRQL check
    Given the scenario "pitfalls/verifier_dispatch_correct.yaml"
    When the application runs
    # spec/verifier-rules.md R04: the dispatch routine returns at the IRQL it was entered at
    Then no bug check occurred
    And "r1" returned TRUE with 0 bytes
    And the trace contains in order:
      | kind           | irp_of | irql           |
      | IoCallDriver   | r1     | PASSIVE_LEVEL  |
      | IrqlChange     |        | DISPATCH_LEVEL |
      | IrqlChange     |        | PASSIVE_LEVEL  |
      | DispatchReturn | r1     | PASSIVE_LEVEL  |
