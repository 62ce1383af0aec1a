@pitfall @verifier
Feature: Pitfall - waiting while holding a spin lock
  The read routine waits for an event, with a timeout, while the cancel spin lock keeps
  the CPU at DISPATCH_LEVEL.

  Scenario: Driver Verifier bug-checks a timed wait at DISPATCH_LEVEL with 0xC4 0x3B
    Given the scenario "pitfalls/verifier_wait_under_spin_lock.yaml"
    When the application runs
    # spec/verifier-rules.md R74; 0xC4 0x3B (P2 IRQL, P3 the object, P4 the timeout:
    # -10 000 000 hns, as a 64-bit value). The event's stand-in address is its id, from
    # the run's counter of dispatcher objects: the event "never" is the fifth.
    Then the machine bug-checked with DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4)
    And the bug check parameters are 0x3B, IRQL DISPATCH_LEVEL, 5, 0xFFFFFFFFFF676980

  Scenario: with machine.verifier=false a strict machine gives IRQL_NOT_LESS_OR_EQUAL
    Given the scenario "pitfalls/verifier_wait_under_spin_lock.yaml" with machine.verifier=false
    When the application runs
    # kernel-env §1.5: a nonzero wait at DISPATCH_LEVEL in a thread
    Then the machine bug-checked with IRQL_NOT_LESS_OR_EQUAL (0xA)
