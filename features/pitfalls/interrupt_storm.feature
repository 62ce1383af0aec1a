@pitfall @chapter9
Feature: Pitfall - an ISR that never silences its device
  The #28 ISR without its acknowledgement: the level-sensitive line stays asserted.

  Scenario: The line is taken again and again at one instant - bug check 0xF2
    Given the scenario "pitfalls/interrupt_storm.yaml"
    When the application runs
    # pnp-hardware §5.3: "an ISR that returns ... TRUE without clearing the device";
    # parameter 4 = 1 for a line that is not chained
    Then the machine bug-checked with HARDWARE_INTERRUPT_STORM (0xF2)
    And the bug check parameter 4 is 1
    And the trace contains in order:
      | kind      | details.claimed |
      | Interrupt |                 |
      | IsrReturn | TRUE            |
      | Interrupt |                 |
      | IsrReturn | TRUE            |
