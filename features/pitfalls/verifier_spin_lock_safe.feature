@pitfall @verifier @chapter8
Feature: Pitfall - IoCompleteRequest while holding a spin lock (SDV SpinLockSafe)
  Book #16 completes the IRP while holding its extension's spin lock: "that works here but
  is discouraged" (book-experiments.md #16 "Pitfalls"). Static Driver Verifier's rule
  SpinLockSafe forbids IoCompleteRequest and IoStartNextPacket under a spin lock; under
  Driver Verifier the model reports it.

  Scenario: The book's CH08-SpinLock driver under the verifier is reported, and still works
    Given the scenario "book/ch08_spin_lock.yaml" with machine.verifier=true
    When the application runs
    # verifier-rules R15 SpinLockSafe (an SDV rule; its runtime symptom is a deadlock or
    # an IRQL error, which this driver does not hit)
    Then the trace reports a rule violation containing "SpinLockSafe"
    And the trace contains in order:
      | kind      | details.rule |
      | Violation | SpinLockSafe |
      | Violation | SpinLockSafe |
    And "c1" returned TRUE with 0 bytes
    And "c2" returned TRUE with 0 bytes
    And no bug check occurred
