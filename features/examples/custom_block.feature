@example
Feature: A custom block and a project step
  Scenario: The counting pattern wraps at 0xFF
    Given the scenario "examples/custom_block.yaml"
    When the application runs
    Then "r1" returned TRUE with 4 bytes
    And the buffer of "r1" counts up from 254
    And the buffer of "r1" holds "hex: FE FF 00 01"
