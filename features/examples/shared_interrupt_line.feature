@example
Feature: Two drivers' ISRs chained on one shared level-sensitive line; KeSynchronizeExecution (pnp-hardware §5)
  SharedA and SharedB both connect an ISR to the Board's line, declared shared; SharedA
  loads first. STATUS bit 0 is A's request, bit 1 B's; each ISR declines (FALSE) when
  its bit is clear and acknowledges only its own bit. The board interrupts at 50 us and
  150 us (B, during the app's IOCTLs; the second is held off by KeSynchronizeExecution
  until 200 us), at 1 ms (B), 2 ms (A) and 3 ms (both).

  Scenario: The first ISR declines and the second one claims the interrupt
    Given the scenario "examples/shared_interrupt_line.yaml"
    When the application runs
    # §5.1: ShareVector on both connections - the second IoConnectInterrupt on the
    # connected vector succeeds
    Then the trace contains in order:
      | kind          | api                | details.isr | status         |
      | ServiceReturn | IoConnectInterrupt |             | STATUS_SUCCESS |
      | ServiceCall   | IoConnectInterrupt | IsrB        |                |
      | ServiceReturn | IoConnectInterrupt |             | STATUS_SUCCESS |
    # §5.2: chained dispatch calls the ISRs in connection order, at the SynchronizeIrql
    # (DIRQL7), in the thread the CPU was running (Idle0 at 1 ms); A's status bit is
    # clear, so A returns FALSE and B, next in the chain, claims it
    And the trace contains in order:
      | kind      | routine | irql          | context | thread | details.claimed | text                                 |
      | Interrupt |         | PASSIVE_LEVEL | thread  | Idle0  |                 |                                      |
      | DbgPrint  |         | DIRQL7        | isr     | Idle0  |                 | IsrA: STATUS 0x02, not mine          |
      | IsrReturn | IsrA    | DIRQL7        | isr     | Idle0  | FALSE           |                                      |
      | DbgPrint  |         | DIRQL7        | isr     | Idle0  |                 | IsrB: STATUS 0x02, claimed at DIRQL7 |
      | IsrReturn | IsrB    | DIRQL7        | isr     | Idle0  | TRUE            |                                      |
    # §5.7: B acknowledged its bit (w1c), the line drops: one pass, no re-delivery at 1 ms
    And the debug line "IsrA: STATUS 0x02, not mine" was printed at 50, 200, 1000, 3000 us
    And the debug line "IsrB: STATUS 0x02, claimed" was printed at 50, 200, 1000, 3000 us
    And no bug check occurred
    And no thread is blocked

  Scenario: The first ISR claims the interrupt and the second one is not called
    Given the scenario "examples/shared_interrupt_line.yaml"
    When the application runs
    # §5.2: a LevelSensitive chain stops at the first ISR that returns TRUE - at 2 ms A
    # claims and IsrB is not called (it runs at 50 us, 200 us, 1 ms and 3 ms only)
    Then the debug line "IsrA: STATUS 0x01, claimed" was printed at 2000 us
    And the debug line "IsrB" was printed at 50, 200, 1000, 3000 us
    # at 3 ms both bits are set: A claims and clears only bit 0, B is skipped; §5.7 the
    # line is still asserted (bit 1), so it is taken again at once, A now declines and B
    # claims
    And the debug line "IsrA: STATUS 0x03, claimed" was printed at 3000 us
    And the trace contains in order:
      | kind      | routine | irql   | context | thread | details.claimed |
      | Interrupt |         |        | thread  | Idle0  |                 |
      | IsrReturn | IsrB    | DIRQL7 | isr     | Idle0  | TRUE            |
      | Interrupt |         |        | thread  | Idle0  |                 |
      | IsrReturn | IsrA    | DIRQL7 | isr     | Idle0  | TRUE            |
      | Interrupt |         |        | thread  | Idle0  |                 |
      | IsrReturn | IsrA    | DIRQL7 | isr     | Idle0  | TRUE            |
      | Interrupt |         |        | thread  | Idle0  |                 |
      | IsrReturn | IsrA    | DIRQL7 | isr     | Idle0  | FALSE           |
      | IsrReturn | IsrB    | DIRQL7 | isr     | Idle0  | TRUE            |
    # the ISR lines of the whole run, in order: after "IsrA: ... 0x01, claimed" comes
    # A's next interrupt, never an IsrB line
    And the debug output is:
      """
      IsrA: STATUS 0x02, not mine
      IsrB: STATUS 0x02, claimed at DIRQL7
      racy: CMD 0x10
      StartUnderLock: CMD 0x00 | START at DIRQL7
      IsrA: STATUS 0x02, not mine
      IsrB: STATUS 0x02, claimed at DIRQL7
      synchronized: CMD 0x11
      IsrA: STATUS 0x02, not mine
      IsrB: STATUS 0x02, claimed at DIRQL7
      IsrA: STATUS 0x01, claimed at DIRQL7
      IsrA: STATUS 0x03, claimed at DIRQL7
      IsrA: STATUS 0x02, not mine
      IsrB: STATUS 0x02, claimed at DIRQL7
      """
    And the debug output contains "IsrB" 4 times
    And no bug check occurred

  Scenario: KeSynchronizeExecution keeps the ISR out of a read modify write of CMD
    Given the scenario "examples/shared_interrupt_line.yaml"
    When the application runs
    # Without it: SharedB reads CMD (0) and stalls at PASSIVE_LEVEL; B's interrupt at
    # 50 us preempts the stall (§5.2: in the IOCTL's thread, main) and IsrB sets DONE
    # (0x01); the stale copy written back with START loses it - CMD 0x10
    Then the trace contains in order:
      | kind      | routine | irql          | context | thread | details.claimed | text           |
      | Interrupt |         | PASSIVE_LEVEL | thread  | main   |                 |                |
      | IsrReturn | IsrB    | DIRQL7        | isr     | main   | TRUE            |                |
      | DbgPrint  |         | PASSIVE_LEVEL | thread  | main   |                 | racy: CMD 0x10 |
    # §5.4: the same read-stall-write as a SynchCritSection runs at the interrupt's
    # SynchronizeIrql (DIRQL7) in the caller's thread holding the interrupt spin lock:
    # B's interrupt at 150 us is held off, taken when KeSynchronizeExecution lowers the
    # IRQL at 200 us (still in main), and IsrB's DONE lands on top of START - CMD 0x11
    And the trace contains in order:
      | kind          | api                       | routine | irql          | context | thread | details.claimed | text                                       |
      | IrqlChange    |                           |         | DIRQL7        | thread  | main   |                 |                                            |
      | ServiceCall   | KeStallExecutionProcessor |         | DIRQL7        | thread  | main   |                 |                                            |
      | ServiceReturn | KeStallExecutionProcessor |         | DIRQL7        | thread  | main   |                 |                                            |
      | DbgPrint      |                           |         | DIRQL7        | thread  | main   |                 | StartUnderLock: CMD 0x00 \| START at DIRQL7 |
      | IrqlChange    |                           |         | PASSIVE_LEVEL | thread  | main   |                 |                                            |
      | Interrupt     |                           |         | PASSIVE_LEVEL | thread  | main   |                 |                                            |
      | IsrReturn     |                           | IsrA    | DIRQL7        | isr     | main   | FALSE           |                                            |
      | IsrReturn     |                           | IsrB    | DIRQL7        | isr     | main   | TRUE            |                                            |
      | DbgPrint      |                           |         | PASSIVE_LEVEL | thread  | main   |                 | synchronized: CMD 0x11                     |
    And the debug line "racy: CMD" was printed at 100 us
    And the debug line "StartUnderLock" was printed at 200 us
    And the debug line "IsrB" was printed at 50, 200, 1000, 3000 us
    And "racy" returned TRUE with 0 bytes
    And "sync" returned TRUE with 0 bytes
    And no bug check occurred
