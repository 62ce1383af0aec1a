@book @chapter9
Feature: CH09-CustomStartIO - a driver-managed device queue (#27, §9.3)
  No DriverStartIo: HelloDDKRead puts each read in the extension's KDEVICE_QUEUE and, when
  KeInsertDeviceQueue says the queue was idle, runs its own MyStartIo, which loops until
  KeRemoveDeviceQueue finds the queue empty. Two app threads each issue one overlapped
  read.

  Scenario: MyStartIo runs once and completes both reads, 3 s apart
    Given the scenario "book/ch09_custom_start_io.yaml"
    When the application runs
    # book-experiments.md #27 "Observed output": `Enter MyStartIo` once; `Complete a
    # irp:<irp1>`, `device_entry:<irp2>`, after 3 s `Complete a irp:<irp2>`,
    # `device_entry:0`, `Leave MyStartIo`, `Leave HelloDDKRead`; the second read shows
    # only Enter / irp / Leave. (IRP addresses print as the model's IRP numbers; the
    # book's extra DeviceQueueEntry line is not printed.)
    Then the debug output contains in order:
      | Enter HelloDDKRead          |
      | HelloDDKRead irp :2         |
      | Enter MyStartIo             |
      | Enter HelloDDKRead          |
      | HelloDDKRead irp :3         |
      | Leave HelloDDKRead          |
      | Complete a irp:2            |
      | device_entry:3              |
      | Complete a irp:3            |
      | device_entry:0              |
      | Leave MyStartIo             |
      | Leave HelloDDKRead          |
    And the debug output contains "Enter MyStartIo" 1 time
    # #27: "Total about 6 s". The first read is completed at 3 s, but its completion APC
    # waits until its thread drops below APC_LEVEL: MyStartIo runs at DISPATCH_LEVEL in
    # that thread until 6 s (io-core §6.10)
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 6 s
    And "r2" completes with STATUS_SUCCESS and 0 bytes at 6 s
    # #27 "Pitfalls": the wait at DISPATCH_LEVEL, as in #26, and the paged Read running
    # at raised IRQL (reported: the page is resident here, as it was for the book)
    And the trace reports a rule violation containing "nonzero timeout at DISPATCH_LEVEL"
    And the trace reports a rule violation containing "pageable code at DISPATCH_LEVEL"
    And no bug check occurred
    And no thread is blocked

  Scenario: Under Driver Verifier the paged Read running at DISPATCH_LEVEL is caught first
    Given the scenario "book/ch09_custom_start_io.yaml" with machine.verifier=true
    When the application runs
    # #27 "Pitfalls": "Read runs in a PAGE section but executes at raised IRQL" - the
    # first of its bugs to fire: Verifier's IRQL checking pages pageable code out at the
    # raise, so the next instruction of HelloDDKRead faults (verifier-rules.md R78: 0xD1,
    # P1 the address, P2 the IRQL, P3 8 = execute, P4 the instruction)
    Then the machine bug-checked with DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1)
    And the bug check parameters are routine "DispatchRead", IRQL DISPATCH_LEVEL, 8, routine "DispatchRead"
