@pitfall @verifier @chapter9
Feature: Pitfall - StartIo recursion (SDV StartIoRecursion) and its fix, DeferredStartIo
  A StartIo that calls IoStartNextPacket itself, with IOCTLs queued while it works.

  Scenario: IoStartNextPacket inside StartIo calls StartIo from inside itself
    Given the scenario "pitfalls/verifier_start_io_recursion.yaml"
    When the application runs
    # verifier-rules R66 StartIoRecursion (an SDV rule, reported under the verifier):
    # the second StartIo runs nested in the first, one level deeper per queued IRP
    Then the trace reports a rule violation containing "StartIoRecursion"
    And the debug output contains in order:
      | StartIo depth 1 |
      | StartIo depth 2 |
      | StartIo depth 1 |
    And the debug line "StartIo depth" was printed at 0, 100, 200 us
    # the first IOCTL was completed at 100 us, but its final phase (a kernel APC to its
    # thread) waits until that thread leaves the nested StartIo and DISPATCH_LEVEL
    And "w1" completes with STATUS_SUCCESS and 0 bytes at 200 us
    And "w2" completes with STATUS_SUCCESS and 0 bytes at 200 us
    And no bug check occurred

  Scenario: With DeferredStartIo the next StartIo comes after this one returns
    Given the scenario "pitfalls/verifier_start_io_deferred.yaml"
    When the application runs
    # pnp-hardware §7.2: the request is recorded and served in a loop, no recursion
    Then the debug output contains "StartIo depth 1" 3 times
    And the debug output does not contain "StartIo depth 2"
    And the debug line "StartIo depth" was printed at 0, 100, 200 us
    And "w2" completes with STATUS_SUCCESS and 0 bytes at 200 us
    And no bug check occurred
    And no thread is blocked
