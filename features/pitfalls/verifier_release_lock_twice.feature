@pitfall @verifier
Feature: Pitfall - releasing a spin lock twice
  The read routine releases the cancel spin lock a second time, at PASSIVE_LEVEL.

  Scenario: Driver Verifier reports the release off DISPATCH_LEVEL as 0xC4 0x32
    Given the scenario "pitfalls/verifier_release_lock_twice.yaml"
    When the application runs
    # spec/verifier-rules.md R70; 0xC4 subcodes §6.2: 0x32 (P2 IRQL, P3 the lock). The
    # cancel spin lock is the machine's first spin lock: its stand-in address is 1.
    Then the machine bug-checked with DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4)
    And the bug check parameters are 0x32, IRQL PASSIVE_LEVEL, 1, 0

  Scenario: with machine.verifier=false the second release is of a lock nobody holds
    Given the scenario "pitfalls/verifier_release_lock_twice.yaml" with machine.verifier=false
    When the application runs
    # spec/verifier-rules.md §4 / kernel-env §2: releasing a spin lock that is not held
    Then the machine bug-checked with SPIN_LOCK_NOT_OWNED (0x10)
    And the bug check parameters are 1, 0, 0, 0
