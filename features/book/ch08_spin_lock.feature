@book @chapter8
Feature: CH08-SpinLock - a spin lock in the device extension (#16, §8.3, §8.6.1)
  HelloDDKDeviceIOControl takes the extension's spin lock around its work; two app
  threads each send one IOCTL. Both scenarios run on a two-CPU machine; the threads go
  round the CPUs in creation order (driver loader CPU0, main CPU1, thread1 CPU0,
  thread2 CPU1), so the two IOCTLs run on different CPUs.

  Scenario: Two Enter/Leave pairs, never interleaved, printed at DISPATCH_LEVEL on two CPUs
    Given the scenario "book/ch08_spin_lock.yaml"
    When the application runs
    # book-experiments.md #16 "Observed output": two Enter/Leave pairs, never interleaved,
    # even on SMP
    Then the debug output is:
      """
      Enter HelloDDKDeviceIOControl
      Leave HelloDDKDeviceIOControl
      Enter HelloDDKDeviceIOControl
      Leave HelloDDKDeviceIOControl
      """
    # #16 "Driver behaviour": KeAcquireSpinLock raises to DISPATCH_LEVEL (step 3's ASSERT);
    # the release goes back to PASSIVE_LEVEL. Each pair is printed by one thread on its
    # own CPU (the app threads are in the app's process).
    And the trace contains in order:
      | kind        | text                          | irql           | thread  | cpu | process  |
      | ThreadStart |                               | PASSIVE_LEVEL  | main    | 1   | test.exe |
      | ThreadStart |                               | PASSIVE_LEVEL  | thread1 | 0   | test.exe |
      | DbgPrint    | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread1 | 0   | test.exe |
      | DbgPrint    | Leave HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread1 | 0   | test.exe |
      | IrqlChange  |                               | PASSIVE_LEVEL  | thread1 | 0   | test.exe |
      | ThreadStart |                               | PASSIVE_LEVEL  | thread2 | 1   | test.exe |
      | DbgPrint    | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread2 | 1   | test.exe |
      | DbgPrint    | Leave HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread2 | 1   | test.exe |
      | IrqlChange  |                               | PASSIVE_LEVEL  | thread2 | 1   | test.exe |
    # In the model code takes no simulated time (only waits and stalls do, sync-objects
    # 4.6), so both pairs come at t = 0 and thread1's locked region is over before thread2
    # even starts (its ThreadStart above comes after thread1's release), so it cannot
    # find the lock held: nothing spins here
    And the debug line "Leave HelloDDKDeviceIOControl" was printed at 0, 0 us
    And "c1" returned TRUE with 0 bytes
    And "c2" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked

  Scenario: On two CPUs the second acquire spins at DISPATCH_LEVEL until the holder releases
    # Not in the book: the dispatch routine stalls 50 us holding the lock, and each thread
    # has its own handle (one synchronous handle would serialize the IOCTLs in the I/O
    # manager before the driver, kernel-env 7.2)
    Given the scenario "book/ch08_spin_lock_contended.yaml"
    When the application runs
    # book-experiments.md #16 "Observed output": still two pairs, never interleaved
    Then the debug output is:
      """
      Enter HelloDDKDeviceIOControl
      Leave HelloDDKDeviceIOControl
      Enter HelloDDKDeviceIOControl
      Leave HelloDDKDeviceIOControl
      """
    # sync-objects 5.2: CPU1 raises to DISPATCH_LEVEL first, then finds the lock held by
    # CPU0 and spins (ServiceCall) until CPU0's KeReleaseSpinLock (after Leave); only
    # then does it get the lock (ServiceReturn) and print its Enter
    And the trace contains in order:
      | kind          | api                       | text                          | irql           | thread  | cpu |
      | DbgPrint      |                           | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread1 | 0   |
      | ServiceCall   | KeStallExecutionProcessor |                               | DISPATCH_LEVEL | thread1 | 0   |
      | ServiceCall   | KeAcquireSpinLock         |                               | DISPATCH_LEVEL | thread2 | 1   |
      | ServiceReturn | KeStallExecutionProcessor |                               | DISPATCH_LEVEL | thread1 | 0   |
      | DbgPrint      |                           | Leave HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread1 | 0   |
      | ServiceReturn | KeAcquireSpinLock         |                               | DISPATCH_LEVEL | thread2 | 1   |
      | DbgPrint      |                           | Enter HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread2 | 1   |
      | DbgPrint      |                           | Leave HelloDDKDeviceIOControl | DISPATCH_LEVEL | thread2 | 1   |
    # sync-objects 4.6: the stall keeps CPU0 busy 50 us inside the lock, so CPU1 spins
    # from t = 0 to t = 50 us: its Enter comes exactly 50 us after the first
    And the debug line "Enter HelloDDKDeviceIOControl" was printed at 0, 50 us
    And the debug line "Leave HelloDDKDeviceIOControl" was printed at 50, 100 us
    And "c1" completes with STATUS_SUCCESS and 0 bytes
    And "c2" completes with STATUS_SUCCESS and 0 bytes
    And "c1" returned TRUE with 0 bytes
    And "c2" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked
