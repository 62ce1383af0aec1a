@example
Feature: A cancel-safe queue - book #25's cancel experiment without the race
  Reads go into an IoCsq queue. CancelIo, CloseHandle's cleanup and a thread's exit
  each end a queued read STATUS_CANCELLED through the library, never leaving a
  canceled IRP in the queue.

  Scenario: CancelIo, cleanup and thread exit each cancel the queued reads
    Given the scenario "examples/csq_cancel_safe_reads.yaml"
    When the application runs
    # pnp-hardware §7.4: IoCsqInsertIrp takes the driver's lock, marks the IRP pending,
    # calls CsqInsertIrp, releases the lock; the dispatch routine returns STATUS_PENDING
    Then the trace contains in order:
      | kind             | api            |
      | ServiceCall      | CsqAcquireLock |
      | IoMarkIrpPending |                |
      | ServiceCall      | CsqInsertIrp   |
      | ServiceCall      | CsqReleaseLock |
      | DispatchReturn   |                |
    And "r1" returned FALSE with error ERROR_IO_PENDING
    # §7.4 cancel: the library's cancel routine releases the cancel spin lock first, then
    # removes the IRP under the driver's lock, then calls CsqCompleteCanceledIrp outside it
    And "r1" completes with STATUS_CANCELLED and 0 bytes at 2 s
    And "r2" completes with STATUS_CANCELLED and 0 bytes at 2 s
    And the trace contains in order:
      | kind              | api                    | context |
      | ServiceCall       | CsqAcquireLock         | cancel  |
      | ServiceCall       | CsqRemoveIrp           | cancel  |
      | ServiceCall       | CsqReleaseLock         | cancel  |
      | ServiceCall       | CsqCompleteCanceledIrp | cancel  |
      | IoCompleteRequest |                        | cancel  |
    And "cancel" returned TRUE with 0 bytes
    # a thread's exit cancels its IRPs (io-core §7.8) through the same library routine
    And "r4" completes with STATUS_CANCELLED and 0 bytes at 2 s
    # §7.5: CSQ does no cleanup by itself: IRP_MJ_CLEANUP drains the file's IRPs with
    # IoCsqRemoveNextIrp(Csq, FileObject)
    And "r3" completes with STATUS_CANCELLED and 0 bytes at 3 s
    And the debug output contains "cleanup"
    And "closed" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked
