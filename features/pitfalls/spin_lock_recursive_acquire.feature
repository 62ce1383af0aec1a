@pitfall
Feature: Pitfall - acquiring a spin lock the CPU already holds
  The CH08-SpinLock driver (book-experiments.md #16) calls a helper while holding the
  extension's spin lock, and the helper takes the same lock again. Ordinary spin locks
  are not recursive: a uniprocessor free kernel never notices, a multiprocessor free
  kernel spins forever on that CPU, a checked kernel bug-checks (kernel-env §2.2,
  §12.13; sync-objects 5.7). The model gives the checked-build outcome.

  Scenario: The second KeAcquireSpinLock on the owning CPU is bug check 0xF
    Given the scenario "pitfalls/spin_lock_recursive_acquire.yaml"
    When the application runs
    # kernel-env §2.2 / sync-objects 5.7: checked build -> 0xF SPIN_LOCK_ALREADY_OWNED;
    # P1 the lock, the rest 0 (RO:include/internal/spinlock.h KxAcquireSpinLock). The
    # extension's lock is the machine's second spin lock (the cancel spin lock is the
    # first): its stand-in address is 2.
    Then the machine bug-checked with SPIN_LOCK_ALREADY_OWNED (0xF)
    And the bug check parameters are 2, 0, 0, 0
    # The first acquire worked (Enter was printed at DISPATCH_LEVEL); the bug check comes
    # at the helper's acquire, before the helper prints anything
    And the trace contains in order:
      | kind     | text                          | irql           | thread |
      | DbgPrint | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | main   |
      | BugCheck |                               | DISPATCH_LEVEL | main   |
    And the debug output does not contain "UpdateState"
    And "c1" has not completed

  Scenario: On two CPUs the recursive acquire is still bug check 0xF, never success
    Given the scenario "pitfalls/spin_lock_recursive_acquire.yaml" with machine.cpus=2
    When the application runs
    # kernel-env §12.13: "never as success on MP". A free MP kernel would hang that CPU
    # spinning on its own lock (sync-objects 5.7); the model keeps the checked outcome on
    # any number of CPUs. Threads go round the CPUs: the loader CPU0, main CPU1.
    Then the machine bug-checked with SPIN_LOCK_ALREADY_OWNED (0xF)
    And the bug check parameters are 2, 0, 0, 0
    And the debug line "Enter HelloDDKDeviceIOControl" was printed in process "test.exe" on CPU 1
    And the trace contains in order:
      | kind     | text                          | irql           | thread | cpu |
      | DbgPrint | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | main   | 1   |
      | BugCheck |                               | DISPATCH_LEVEL | main   | 1   |
    And "c1" has not completed

  Scenario: Under Driver Verifier the DDI rule SpinLock reports it first - 0xC4 0x40009
    Given the scenario "pitfalls/spin_lock_recursive_acquire.yaml" with machine.verifier=true
    When the application runs
    # verifier-rules R68 (SpinLock, DDI compliance 0x40009): re-acquiring the same lock;
    # P2 (the rule's condition text) and P3/P4 (its state) are not modelled: 0
    Then the machine bug-checked with DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4)
    And the bug check parameters are 0x40009, 0, 0, 0
    And the debug output does not contain "UpdateState"
