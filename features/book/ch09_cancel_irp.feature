@book @chapter9
Feature: CH09-CancelIRP - CancelIo reaches pended reads through their cancel routine (#25, §9.2)
  HelloDDKRead sets the cancel routine CancelReadIRP and pends the read. The app issues two
  overlapped reads, sleeps 2 s and calls CancelIo: IoCancelIrp runs CancelReadIRP for
  each read, which completes it with STATUS_CANCELLED and then releases the cancel lock.

  Scenario: CancelIo after 2 s completes both reads with STATUS_CANCELLED
    Given the scenario "book/ch09_cancel_irp.yaml"
    When the application runs
    # book-experiments.md #25 "Observed output": app `The operation is pending` x2
    Then the application printed:
      """
      The operation is pending
      The operation is pending
      """
    And "r1" returned FALSE with error ERROR_IO_PENDING
    And "r2" returned FALSE with error ERROR_IO_PENDING
    # book-experiments.md #25: the reads complete with STATUS_CANCELLED (995) after ~2 s
    And "r1" completes with STATUS_CANCELLED and 0 bytes at 2 s
    And "r2" completes with STATUS_CANCELLED and 0 bytes at 2 s
    # kernel-env §7.7: CancelIo returns once this thread's cancelled IRPs are gone; the
    # routines complete them at once, so it does not wait for a poll
    And "cancel" returned TRUE with 0 bytes
    And "cancel" returned at 2 s
    # book-experiments.md #25 "Observed output" (DbgView): CREATE block; Read Enter/Leave
    # x2; after about 2 s Enter/Leave CancelReadIRP x2; then the CLEANUP and CLOSE blocks
    And the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKRead
      Leave HelloDDKRead
      Enter HelloDDKRead
      Leave HelloDDKRead
      Enter CancelReadIRP
      Leave CancelReadIRP
      Enter CancelReadIRP
      Leave CancelReadIRP
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLEANUP
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    # io-core §7.2: IoCancelIrp takes the cancel lock (DISPATCH_LEVEL) and calls the
    # routine with it held, in the cancelling thread; the final phase follows in that
    # thread's APC once the routine releases the lock (io-core §5.3.6, §5.4)
    And the trace of "r1" contains in order:
      | kind              | context | irql           | thread | status           |
      | IoCancelIrp       | thread  | DISPATCH_LEVEL | main   |                  |
      | IoCompleteRequest | cancel  | DISPATCH_LEVEL | main   | STATUS_CANCELLED |
      | IopCompleteRequest| apc     | APC_LEVEL      | main   | STATUS_CANCELLED |
    And no bug check occurred
    And no thread is blocked
