@book @chapter10
Feature: CH10-FourWaits - four ways to wait 1000 us in kernel mode (#31, §10.3)
  IOCTL_WAIT_METHOD1..4 read a ULONG microsecond count from the SystemBuffer and make the
  calling thread wait that long: on a SynchronizationEvent nobody sets, with a relative
  timeout (1); with KeDelayExecutionThread (2); busy, with KeStallExecutionProcessor (3);
  on a stack KTIMER armed with no DPC, with no timeout (4). The app sends 1000 us to the
  four IOCTLs in turn, synchronously, then closes.

  The book's "Thread suspends %d MircoSeconds..." has no newline, so DbgView shows it
  joined with the next print ("...MircoSeconds...Thread is running again!"); the model
  prints every KdPrint as its own line, so the two halves are separate lines here.

  Scenario: Each wait ends at the next clock tick, except the stall, which takes 1 ms
    Given the scenario "book/ch10_four_waits.yaml"
    When the application runs
    # book-experiments.md #31 "Observed output": 4 x (IOCTL_WAIT_METHODn, "Thread suspends
    # 1000 MircoSeconds..." + "Thread is running again!"), plus the template's DriverEntry
    # and CREATE/CLEANUP/CLOSE prints (§0.3) and the IOCTL routine's Enter/Leave lines
    Then the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDeviceIOControl
      IOCTL_WAIT_METHOD1
      Thread suspends 1000 MircoSeconds...
      Thread is running again!
      Leave HelloDDKDeviceIOControl
      Enter HelloDDKDeviceIOControl
      IOCTL_WAIT_METHOD2
      Thread suspends 1000 MircoSeconds...
      Thread is running again!
      Leave HelloDDKDeviceIOControl
      Enter HelloDDKDeviceIOControl
      IOCTL_WAIT_METHOD3
      Thread suspends 1000 MircoSeconds...
      Thread is running again!
      Leave HelloDDKDeviceIOControl
      Enter HelloDDKDeviceIOControl
      IOCTL_WAIT_METHOD4
      Thread suspends 1000 MircoSeconds...
      Thread is running again!
      Leave HelloDDKDeviceIOControl
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLEANUP
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    # Clock T = 15.625 ms, first tick at T (sync-objects 8.7, 8.11); the app's calls are
    # sequential, so each starts when the one before returned:
    #   method 1 at 0: the timeout is due at 0 + 1 ms, the first tick at/after it is 15.625
    #   method 2 at 15.625 (a tick): due 15.625 + 1 ms (4.5), next tick 31.25
    #   method 3 at 31.25: a 1000 us stall never gives up the CPU and is not
    #   rounded to a tick (4.6): 32.25
    #   method 4 at 32.25: KeSetTimer due 1 ms after the last tick's interrupt time
    #   (31.25 + 1 ms, 3.9, 8.11), first tick at/after it 46.875
    # so methods 1, 2, 4 last 15.625, 15.625 and 14.625 ms, all in (0, T], and method 3
    # exactly 1 ms (8.11)
    And the debug line "Thread suspends 1000 MircoSeconds..." was printed at 0, 15.625, 31.25, 32.25 ms
    And the debug line "Thread is running again!" was printed at 15.625, 31.25, 32.25, 46.875 ms
    # sync-objects 3.9 / KE §3: the event wait ends with STATUS_TIMEOUT (nobody sets the
    # event), the KTIMER wait with STATUS_SUCCESS when the timer expires (at DISPATCH_LEVEL,
    # in the clock's DPC); every wait and every print is the app's own thread ("main") at
    # PASSIVE_LEVEL: the dispatch routine runs in the caller's context (book-experiments.md
    # #31 "Observed output": "all in dispatch context at PASSIVE_LEVEL")
    And the trace contains in order:
      | kind          | api                       | status         | irql           | context | thread |
      | WaitBegin     |                           |                | PASSIVE_LEVEL  | thread  | main   |
      | WaitEnd       |                           | STATUS_TIMEOUT | PASSIVE_LEVEL  | thread  | main   |
      | ServiceCall   | KeDelayExecutionThread    |                | PASSIVE_LEVEL  | thread  | main   |
      | ServiceReturn | KeDelayExecutionThread    | STATUS_SUCCESS | PASSIVE_LEVEL  | thread  | main   |
      | ServiceCall   | KeStallExecutionProcessor |                | PASSIVE_LEVEL  | thread  | main   |
      | ServiceReturn | KeStallExecutionProcessor |                | PASSIVE_LEVEL  | thread  | main   |
      | KeSetTimer    |                           |                | PASSIVE_LEVEL  | thread  | main   |
      | WaitBegin     |                           |                | PASSIVE_LEVEL  | thread  | main   |
      | TimerExpired  |                           |                | DISPATCH_LEVEL | dpc     |        |
      | WaitEnd       |                           | STATUS_SUCCESS | PASSIVE_LEVEL  | thread  | main   |
    # four rows for the four lines: each of them must match
    And the trace contains in order:
      | kind     | text                     | irql          | context | thread |
      | DbgPrint | Thread is running again! | PASSIVE_LEVEL | thread  | main   |
      | DbgPrint | Thread is running again! | PASSIVE_LEVEL | thread  | main   |
      | DbgPrint | Thread is running again! | PASSIVE_LEVEL | thread  | main   |
      | DbgPrint | Thread is running again! | PASSIVE_LEVEL | thread  | main   |
    And the debug line "Thread is running again!" was printed in process "test.exe"
    And "method1" completes with STATUS_SUCCESS and 0 bytes
    And "method2" completes with STATUS_SUCCESS and 0 bytes
    And "method3" completes with STATUS_SUCCESS and 0 bytes
    And "method4" completes with STATUS_SUCCESS and 0 bytes
    And no bug check occurred
    And no thread is blocked

  Scenario: With the XP uniprocessor HAL's 10.0144 ms tick the waits follow that tick
    Given the scenario "book/ch10_four_waits.yaml" with machine.clock_tick=100144
    When the application runs
    # sync-objects 8.7: KeQueryTimeIncrement 100144 (x86 UP PIC HAL of the XP era); the same
    # rules as above with T = 10.0144 ms: method 1 ends at T, method 2 (called at T) at 2T,
    # method 3 1 ms later, method 4 (set at 2T + 1 ms, due 2T + 1 ms) at 3T
    Then the debug line "Thread is running again!" was printed at 10.0144, 20.0288, 21.0288, 30.0432 ms
    And no bug check occurred
    And no thread is blocked
