@pitfall @chapter6
Feature: Pitfall - a UNICODE_STRING compared before it was ever initialised
  Book #8's compare test initialises its first string twice and its second never, then
  asks RtlEqualUnicodeString whether they are equal.

  Scenario: The uninitialised string is unequal by its Length alone, and the bug goes unseen
    Given the scenario "pitfalls/uninitialized_unicode_string.yaml"
    When the application runs
    # book-experiments.md #8 Compare: "the second RtlInitUnicodeString targets string 1
    # again, so string 2 is uninitialized"
    Then the trace contains in order:
      | kind          | api                   | details.string | details.length | details.b      | details.result |
      | ServiceCall   | RtlInitUnicodeString  | UnicodeString1 |                |                |                |
      | ServiceCall   | RtlInitUnicodeString  | UnicodeString1 |                |                |                |
      | ServiceReturn | RtlInitUnicodeString  |                | 10             |                |                |
      | ServiceCall   | RtlEqualUnicodeString |                |                | UnicodeString2 |                |
      | ServiceReturn | RtlEqualUnicodeString |                |                |                | 0              |
    # stacks-services 4.12: different Lengths (10 and the zeroed stack's 0) are unequal at
    # once - the NULL Buffer is never read, so nothing faults; with real stack garbage the
    # result is arbitrary or a fault
    And the debug output is:
      """
      UnicodeString1 and UnicodeString2 are NOT equal
      """
    And no bug check occurred
