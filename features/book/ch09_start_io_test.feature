@book @chapter9
Feature: CH09-StartIOTest - the system StartIo routine serializes reads (#26, §9.3)
  HelloDDKRead pends each read and calls IoStartPacket. StartIo runs at DISPATCH_LEVEL,
  waits 3 s, completes the IRP and calls IoStartNextPacket, which starts the next queued
  IRP recursively. Two app threads each issue one overlapped read.

  Scenario: Two reads from two threads take 6 s, one after the other
    Given the scenario "book/ch09_start_io_test.yaml"
    When the application runs
    # book-experiments.md #26 "Observed output" 1: `Enter Thread` x2
    Then the application printed:
      """
      Enter Thread
      Enter Thread
      """
    # #26 "Observed output" 2-5: T1's read enters StartIo at once; T2's read is queued;
    # after 3 s the nested StartIo takes IRP 2; after 3 more s both StartIo calls and
    # T1's dispatch routine leave
    And the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKRead
      Enter HelloDDKStartIO
      Enter HelloDDKRead
      Leave HelloDDKRead
      Enter HelloDDKStartIO
      Leave HelloDDKStartIO
      Leave HelloDDKStartIO
      Leave HelloDDKRead
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLEANUP
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    # #26 "Observed output" 6: total about 6 s; T1's "asynchronous" ReadFile does not
    # return until both IRPs are done (its dispatch call is stuck inside StartIo)
    And "r2" returned FALSE with error ERROR_IO_PENDING
    And "r2" returned at 0 s
    And "r1" returned FALSE with error ERROR_IO_PENDING
    And "r1" returned at 6 s
    # io-core §5.3.6 / §6.10: IRP 1 is completed at 3 s by T1 at DISPATCH_LEVEL, so its
    # final phase waits for T1 to lower IRQL at 6 s; IRP 2 completes at 6 s
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 6 s
    And "r2" completes with STATUS_SUCCESS and 0 bytes at 6 s
    # kernel-env §6.3 / §12.4: StartIo runs at DISPATCH_LEVEL, in T1's thread for both IRPs
    And the trace of "r2" contains in order:
      | kind              | thread | irql           | status         |
      | DispatchReturn    | t2     | PASSIVE_LEVEL  | STATUS_PENDING |
      | IoCompleteRequest | t1     | DISPATCH_LEVEL | STATUS_SUCCESS |
    # #26 "Pitfalls": the timed wait at DISPATCH_LEVEL is illegal and must be reported
    # even though the book's XP build "worked" (kernel-env §1.5)
    And the trace reports a rule violation containing "nonzero timeout at DISPATCH_LEVEL"
    And no bug check occurred
    And no thread is blocked

  Scenario: On a strict machine the StartIo wait at DISPATCH_LEVEL bug-checks
    # kernel-env §1.5 and #26 "Pitfalls": a strict simulator flags the wait (0xA)
    Given the scenario "book/ch09_start_io_test.yaml" with machine.strict=true
    When the application runs
    Then the machine bug-checked with IRQL_NOT_LESS_OR_EQUAL (0x0A)
    And the debug output contains in order:
      | Enter HelloDDKRead    |
      | Enter HelloDDKStartIO |
