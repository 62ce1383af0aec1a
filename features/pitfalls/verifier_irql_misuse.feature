@pitfall @verifier
Feature: Pitfall - completing at a device IRQL, and KeRaiseIrql used to lower

  Scenario: Driver Verifier bug-checks IoCompleteRequest at a device IRQL with 0xC9 0xE
    Given the scenario "pitfalls/verifier_complete_at_device_irql.yaml"
    When the application runs
    # spec/verifier-rules.md R14; 0xC9 codes §6.1: 0xE (P2 the IRQL, P3 the IRP)
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 0xE, 5, IRP of "r1", 0

  Scenario: Driver Verifier bug-checks KeRaiseIrql to a lower IRQL with 0xC4 0x30
    Given the scenario "pitfalls/verifier_raise_to_lower_irql.yaml"
    When the application runs
    # spec/verifier-rules.md R73: 0xC4 0x30 (P2 the current IRQL, P3 the requested one)
    Then the machine bug-checked with DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4)
    And the bug check parameters are 0x30, IRQL DISPATCH_LEVEL, IRQL PASSIVE_LEVEL, 0

  Scenario: with machine.verifier=false KeRaiseIrql to a lower IRQL is 0x9
    Given the scenario "pitfalls/verifier_raise_to_lower_irql.yaml" with machine.verifier=false
    When the application runs
    # kernel-env §1.2: IRQL_NOT_GREATER_OR_EQUAL (P1 the current IRQL, P2 the requested)
    Then the machine bug-checked with IRQL_NOT_GREATER_OR_EQUAL (0x9)
    And the bug check parameters are IRQL DISPATCH_LEVEL, IRQL PASSIVE_LEVEL, 0, 0
