@races
Feature: Exploring a DPC against a dispatch routine on two CPUs (scenarios/races/)
  The driver counts requests in its device extension: its read routine at PASSIVE_LEVEL
  on CPU0 and its DPC at DISPATCH_LEVEL on CPU1 both do Hits += 1. Raising IRQL masks
  only the raising CPU (kernel-env 1.1, 2.1): without a spin lock the DPC's update can
  land between the read routine's load and store, and is lost. The close routine
  ASSERTs Hits == 2 (a checked build, no debugger).

  Scenario: Without a spin lock some schedule loses the DPC's update
    Given the scenario "races/dpc_counter_race.yaml"
    When the scenario is explored with 300 schedules
    # the failed ASSERT's breakpoint is unhandled in the app's thread: 0x1E
    Then some schedule ends with KMODE_EXCEPTION_NOT_HANDLED (0x1E)
    And the minimized failing schedule has at most 1 preemption
    And the minimized failing schedule preempts "t1" at "a read-modify-write"
    And the failing schedule's debug output contains "Hits = 1"

  Scenario: With the extension's spin lock no schedule loses an update
    Given the scenario "races/dpc_counter_locked.yaml"
    When the scenario is explored with 300 schedules
    # kernel-env 2.1, sync-objects 5.2: the lock holder's CPU is not interleaved
    Then no schedule fails
    And the IRP-pair coverage has "READ + WRITE" on "\Device\Counter"
