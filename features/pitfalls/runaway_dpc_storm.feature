@pitfall
Feature: Pitfall - a DPC that requeues itself forever
  The read dispatch routine queues the DPC Again once, and Again queues itself again
  every time it runs. The CPU's DPC queue never empties, so the CPU never drops below
  DISPATCH_LEVEL again: nothing else runs on it. A modern Windows stops this with the
  DPC watchdog; the book's XP, which has none, just freezes.

  Scenario: Runaway DPC - the DPC watchdog bug-checks a self-requeueing DPC - 0x133 (1, period)
    Given the scenario "pitfalls/runaway_dpc_storm.yaml"
    When the application runs
    # spec/verifier-rules.md R90 / §4 bug-check reference: 0x133 DPC_WATCHDOG_VIOLATION,
    # P1 = 1 cumulative time at >= DISPATCH_LEVEL, P2 = the watchdog period (0x1E00
    # ticks of 15.625 ms = 120 s); P3 (the triage block) is not modelled: 0
    Then the machine bug-checked with DPC_WATCHDOG_VIOLATION (0x133)
    And the bug check parameters are 1, 0x1E00, 0, 0
    And the trace contains in order:
      | kind             | context | irql           |
      | KeInsertQueueDpc | thread  | PASSIVE_LEVEL  |
      | DpcRoutine       | dpc     | DISPATCH_LEVEL |
      | KeInsertQueueDpc | dpc     | DISPATCH_LEVEL |
      | DpcRoutine       | dpc     | DISPATCH_LEVEL |
      | BugCheck         | dpc     | DISPATCH_LEVEL |
    And "r1" has not completed

  Scenario: Runaway DPC without a DPC watchdog (XP) - the machine freezes, no bug check
    Given the scenario "pitfalls/runaway_dpc_storm.yaml" with machine.strict=false
    When the application runs
    # spec/verifier-rules.md R90: the watchdog is what turns the endless DISPATCH_LEVEL
    # stretch into 0x133; the book's XP has no DPC watchdog, so the CPU simply never
    # leaves DISPATCH_LEVEL and the app's ReadFile never returns
    Then no bug check occurred
    And the thread "main" is still blocked
    And "r1" has not completed
    And the trace contains in order:
      | kind          | context | irql           |
      | DpcRoutine    | dpc     | DISPATCH_LEVEL |
      | MachineFrozen | dpc     | DISPATCH_LEVEL |
