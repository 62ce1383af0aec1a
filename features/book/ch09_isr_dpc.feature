@book @chapter9
Feature: CH09-IsrDpc - the ISR at DIRQL, its DpcForIsr at DISPATCH_LEVEL, KeSynchronizeExecution (#28, §9.4-§9.5)
  A simulated UART interrupts on a level-sensitive line. The ISR acknowledges it and
  calls IoRequestDpc; the DpcForIsr runs when the CPU drops below DISPATCH_LEVEL. Two
  bytes arriving while the app's IOCTL holds a spin lock give two ISRs and one DPC.

  Scenario: IRQL order and a DPC requested twice that runs once
    Given the scenario "book/ch09_isr_dpc.yaml"
    When the application runs
    # book-experiments.md #28 "Content to model": the ISR runs at DIRQL, the DPC later at
    # DISPATCH_LEVEL; the DPC is set up with IoInitializeDpcRequest and queued by the ISR
    # with IoRequestDpc
    Then the debug output contains in order:
      | DriverEntry: PASSIVE_LEVEL                   |
      | ISR: byte 0x41 at DIRQL5                     |
      | DpcForIsr: 1 bytes so far, at DISPATCH_LEVEL |
      | IOCTL: PASSIVE_LEVEL                         |
      | holding the lock: DISPATCH_LEVEL             |
      | ISR: byte 0x42 at DIRQL5                     |
      | ISR: byte 0x43 at DIRQL5                     |
      | DpcForIsr: 3 bytes so far, at DISPATCH_LEVEL |
      | SynchCritSection: DIRQL5                     |
    # #28 "Simulator notes": "queue-once DPC semantics (inserting an already-queued DPC is
    # a no-op)" - the second request is absorbed (pnp-hardware §5.5), and the DPC waits for
    # the spin lock's release at 1 s + 100 us (an ISR preempts DISPATCH_LEVEL code, a DPC
    # does not)
    And the debug output contains "DpcForIsr" 2 times
    And the debug line "DpcForIsr" was printed at 1000000, 1000100 us
    And the debug line "ISR: byte" was printed at 1000000, 1000010, 1000020 us
    And the trace contains in order:
      | kind             | irql           | context | thread | details.inserted |
      | Interrupt        | PASSIVE_LEVEL  | thread  | Idle0  |                  |
      | KeInsertQueueDpc | DIRQL5         | isr     | Idle0  | True             |
      | DpcRoutine       | DISPATCH_LEVEL | dpc     | Idle0  |                  |
      | Interrupt        | DISPATCH_LEVEL | thread  | main   |                  |
      | KeInsertQueueDpc | DIRQL5         | isr     | main   | True             |
      | KeInsertQueueDpc | DIRQL5         | isr     | main   | False            |
      | DpcRoutine       | DISPATCH_LEVEL | dpc     | main   |                  |
    # KeSynchronizeExecution (§5.4): at the SynchronizeIrql, so the count it reads is
    # the ISRs' final one
    And the debug output contains "bytes counted under the interrupt lock: 3"
    And "hold" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked
