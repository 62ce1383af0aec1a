@example
Feature: An interrupt-driven read - StartIo, the ISR at DIRQL, the DpcForIsr completes (pnp-hardware §5)
  StartIo writes CTRL=1 to start a transfer; 1 to 3 ms later (a latency drawn with the
  scenario's seed) the device sets DATA and STATUS and its level-sensitive line
  interrupts. The ISR acknowledges, keeps the byte in the device extension and calls
  IoRequestDpc; the DpcForIsr fills the read's buffer, completes it with 1 byte and
  starts the next packet. Two overlapped 1-byte reads: the second waits in the device
  queue until the first one's DpcForIsr starts it.

  The latencies are those of the device's random stream, Random("<seed>:Port"), one
  randint(10000, 30000) in 100 ns units per CTRL write: seed 0 draws 20061 then 13469,
  seed 7 draws 27945 then 15067.

  Scenario: Two reads driven by interrupts with seed 0
    Given the scenario "examples/interrupt_driven_read.yaml"
    When the application runs
    # The DpcForIsr wrote the byte the ISR read from DATA (a stale byte would be 00: the
    # DPC clears it after each fill)
    Then "r1" completes with STATUS_SUCCESS and 1 byte at 2006.1 us
    And "r2" completes with STATUS_SUCCESS and 1 byte at 3353 us
    And the buffer of "r1" holds "hex: 41"
    And the buffer of "r2" holds "hex: 41"
    # §5.7: the device reacts to the CTRL write after its latency; the second transfer
    # starts only when the first IRP is done (IoStartNextPacket from the DpcForIsr,
    # book §9.3), so its latency adds to the first: 2006.1 + 1346.9 us
    And the debug line "StartIo: CTRL=1" was printed at 0, 2006.1 us
    And the debug line "ISR: byte 0x41" was printed at 2006.1, 3353 us
    # §5.2: the ISR runs at its SynchronizeIrql (the DIRQL, 6) in whatever thread CPU 0
    # was running - Idle0, the app waiting; §5.5: the DpcForIsr runs at DISPATCH_LEVEL
    # after the ISR returns, and IoRequestDpc passed DeviceObject->CurrentIrp, so the
    # IRP it completes is the one StartIo started; its IoStartNextPacket runs StartIo for
    # r2 there, still in the DPC
    And the trace contains in order:
      | kind              | irql           | context | thread | text                              | details.claimed | irp_of |
      | Interrupt         | PASSIVE_LEVEL  | thread  | Idle0  |                                   |                 |        |
      | DbgPrint          | DIRQL6         | isr     | Idle0  | ISR: byte 0x41 at DIRQL6          |                 |        |
      | KeInsertQueueDpc  | DIRQL6         | isr     | Idle0  |                                   |                 |        |
      | IsrReturn         | DIRQL6         | isr     | Idle0  |                                   | TRUE            |        |
      | DpcRoutine        | DISPATCH_LEVEL | dpc     | Idle0  |                                   |                 |        |
      | IoCompleteRequest | DISPATCH_LEVEL | dpc     | Idle0  |                                   |                 | r1     |
      | DbgPrint          | DISPATCH_LEVEL | dpc     | Idle0  | StartIo: CTRL=1 at DISPATCH_LEVEL |                 |        |
      | Interrupt         | PASSIVE_LEVEL  | thread  | Idle0  |                                   |                 |        |
      | IsrReturn         | DIRQL6         | isr     | Idle0  |                                   | TRUE            |        |
      | IoCompleteRequest | DISPATCH_LEVEL | dpc     | Idle0  |                                   |                 | r2     |
    # §5.2: an ISR never completes an IRP - every read is completed in the DPC
    And the trace of "r1" contains in order:
      | kind              | irql           | context |
      | IoCompleteRequest | DISPATCH_LEVEL | dpc     |
    And the debug output is:
      """
      Read: IoStartPacket at PASSIVE_LEVEL
      StartIo: CTRL=1 at DISPATCH_LEVEL
      Read: IoStartPacket at PASSIVE_LEVEL
      ISR: byte 0x41 at DIRQL6
      DpcForIsr: completing with 0x41 at DISPATCH_LEVEL
      StartIo: CTRL=1 at DISPATCH_LEVEL
      ISR: byte 0x41 at DIRQL6
      DpcForIsr: completing with 0x41 at DISPATCH_LEVEL
      """
    And no bug check occurred
    And no thread is blocked

  Scenario: The same reads with seed 7 take other latencies
    Given the scenario "examples/interrupt_driven_read.yaml" with seed 7
    When the application runs
    # §5.7 "configurable latency": the seed changes the draws (27945, 15067), not the
    # protocol - the same bytes, the same ISR / DPC / StartIo order
    Then "r1" completes with STATUS_SUCCESS and 1 byte at 2794.5 us
    And "r2" completes with STATUS_SUCCESS and 1 byte at 4301.2 us
    And the buffer of "r1" holds "hex: 41"
    And the buffer of "r2" holds "hex: 41"
    And the debug line "StartIo: CTRL=1" was printed at 0, 2794.5 us
    And the debug line "ISR: byte 0x41" was printed at 2794.5, 4301.2 us
    And the debug line "DpcForIsr: completing" was printed at 2794.5, 4301.2 us
    And the trace contains in order:
      | kind              | irql           | context | details.claimed | irp_of |
      | IsrReturn         | DIRQL6         | isr     | TRUE            |        |
      | IoCompleteRequest | DISPATCH_LEVEL | dpc     |                 | r1     |
      | IsrReturn         | DIRQL6         | isr     | TRUE            |        |
      | IoCompleteRequest | DISPATCH_LEVEL | dpc     |                 | r2     |
    And no bug check occurred
    And no thread is blocked
