@book @chapter8
Feature: CH08-Irql - the IRQL of each driver routine (#15, §8.2)
  §8.2 has no runnable sample: the driver prints KeGetCurrentIrql where the book says
  what it is, raises and lowers it with KeRaiseIrql / KeLowerIrql, and breaks the
  DISPATCH_LEVEL rules in two ways.

  Scenario: Each kind of routine runs at the IRQL the book gives
    Given the scenario "book/ch08_irql.yaml"
    When the application runs
    # book-experiments.md #15 "Content to model": PASSIVE_LEVEL for DriverEntry and
    # dispatch routines; KeRaiseIrql(DISPATCH_LEVEL, &old) then KeLowerIrql(old);
    # DISPATCH_LEVEL for DPCs and routines holding the cancel spin lock; completion
    # routines "possibly" DISPATCH: here called inside IoCallDriver at PASSIVE_LEVEL
    # (kernel-env §1.3), so PASSIVE_LEVEL
    Then the debug output is:
      """
      DriverEntry: PASSIVE_LEVEL
      HelloDDKRead: PASSIVE_LEVEL
      after KeRaiseIrql: DISPATCH_LEVEL
      after KeLowerIrql: PASSIVE_LEVEL
      DPC: DISPATCH_LEVEL
      holding the cancel spin lock: DISPATCH_LEVEL
      completion routine: PASSIVE_LEVEL
      """
    And "r1" returned TRUE with 0 bytes
    And no bug check occurred

  Scenario: A wait with a timeout at DISPATCH_LEVEL bug-checks 0xA
    Given the scenario "book/ch08_irql_rules.yaml"
    When the application runs
    # book-experiments.md #15 "Rule": no blocking waits at DISPATCH_LEVEL, else
    # IRQL_NOT_LESS_OR_EQUAL (0xA); kernel-env §1.5 (P2 = the IRQL)
    Then the machine bug-checked with IRQL_NOT_LESS_OR_EQUAL (0xA)
    And the bug check parameters are 0, IRQL DISPATCH_LEVEL, 0, 0

  Scenario: Paged code after KeRaiseIrql bug-checks 0xD1
    Given the scenario "book/ch08_irql_rules.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And the app sends IOCTL "IOCTL_PAGED" to "h" as "paged"
    # book-experiments.md #15 "Rule": no paged code at DISPATCH_LEVEL, else
    # DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1); verifier-rules.md §4: P1 the address, P2 the
    # IRQL, P3 8 = execute, P4 the instruction: PagedHelper's
    Then the machine bug-checked with DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1)
    And the bug check parameters are routine "PagedHelper", IRQL DISPATCH_LEVEL, 8, routine "PagedHelper"
