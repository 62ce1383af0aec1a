@pitfall
Feature: Pitfall - runaway recursion overflows the kernel stack
  The read dispatch routine calls a helper that calls itself with no base case. The
  thread's kernel stack (12 KB on x86) runs out, the fault cannot push its own frame,
  and the processor takes a double fault.

  Scenario: Runaway recursion - a routine that calls itself unconditionally - bug check 0x7F (8)
    Given the scenario "pitfalls/runaway_recursion.yaml"
    When the application runs
    # spec/verifier-rules.md §4 bug-check reference: 0x7F UNEXPECTED_KERNEL_MODE_TRAP,
    # P1 = trap number, 0x8 = double fault, "commonly kernel stack overflow",
    # "runaway recursion"; the other parameters are not used: 0
    Then the machine bug-checked with UNEXPECTED_KERNEL_MODE_TRAP (0x7F)
    And the bug check parameters are 8, 0, 0, 0
    And the trace contains in order:
      | kind         | major       | context | irql          |
      | IoCallDriver | IRP_MJ_READ | thread  | PASSIVE_LEVEL |
      | DbgPrint     |             | thread  |               |
      | BugCheck     |             | thread  | PASSIVE_LEVEL |
    And the debug output is:
      """
      Recursive: read
      """
    And "r1" has not completed
