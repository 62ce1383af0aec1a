@book @chapter8
Feature: CH08-SpinLock - a spin lock in the device extension (#16, §8.3, §8.6.1)
  HelloDDKDeviceIOControl takes the extension's spin lock around its work; two app
  threads each send one IOCTL.

  Scenario: Two Enter/Leave pairs, never interleaved, printed at DISPATCH_LEVEL
    Given the scenario "book/ch08_spin_lock.yaml"
    When the application runs
    # book-experiments.md #16 "Observed output": two Enter/Leave pairs, never interleaved
    Then the debug output is:
      """
      Enter HelloDDKDeviceIOControl
      Leave HelloDDKDeviceIOControl
      Enter HelloDDKDeviceIOControl
      Leave HelloDDKDeviceIOControl
      """
    # #16 "Driver behaviour": KeAcquireSpinLock raises to DISPATCH_LEVEL (step 3's ASSERT);
    # the release goes back to PASSIVE_LEVEL before the next thread's IOCTL
    And the trace contains in order:
      | kind       | text                          | irql           | thread  |
      | DbgPrint   | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread1 |
      | DbgPrint   | Leave HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread1 |
      | DbgPrint   | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread2 |
      | DbgPrint   | Leave HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread2 |
    And "c1" returned TRUE with 0 bytes
    And "c2" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked
