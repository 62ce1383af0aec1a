@pitfall
Feature: Pitfall - PAGED_CODE() in a DPC routine
  A DPC routine declared after a sticky #pragma PAGEDCODE lives in pageable memory and
  starts with PAGED_CODE(), but a DPC always runs at DISPATCH_LEVEL. When its page is
  not resident, fetching its first instruction faults at DISPATCH_LEVEL.

  Scenario: IRQL - pageable code run at DISPATCH_LEVEL - bug check 0xD1, an execute fault
    Given the scenario "pitfalls/irql_paged_code_in_dpc.yaml"
    When the application runs
    # spec/verifier-rules.md R78 / §4 bug-check reference: 0xD1
    # DRIVER_IRQL_NOT_LESS_OR_EQUAL, P1 = the address referenced, P2 = the IRQL,
    # P3 = 0 read / 1 write / 8 execute, P4 = the instruction's address. An instruction
    # fetch references the code itself, so P1 and P4 are both ReadDpc's address
    # (kernel-env-semantics.md 1.4: 0xD1 "when the faulting code is in a driver")
    Then the machine bug-checked with DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1)
    And the bug check parameters are routine "ReadDpc", IRQL DISPATCH_LEVEL, 8, routine "ReadDpc"
    And the trace contains in order:
      | kind             | context | irql           |
      | IoMarkIrpPending | thread  | PASSIVE_LEVEL  |
      | DpcRoutine       | dpc     | DISPATCH_LEVEL |
      | BugCheck         | dpc     | DISPATCH_LEVEL |
    And the debug output does not contain "Paged: DPC completes the read"
    And "r1" has not completed
