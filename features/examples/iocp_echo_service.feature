@example
Feature: I/O completion ports as the application sees them (win32-io §3)
  A service with two worker threads sharing a port with a concurrency value of 1,
  against DriverA (writes complete at once, reads pend 3 s, DeviceIoControl fails).

  Scenario: Two workers, one port: what is queued, to whom, and when
    Given the scenario "examples/iocp_echo_service.yaml"
    When the application runs
    # 3.1: associating returns the existing port's handle; a second association of the
    # same file object fails with ERROR_INVALID_PARAMETER
    Then "assoc" returned TRUE with 0 bytes
    And "again" returned FALSE with error ERROR_INVALID_PARAMETER
    # 3.2 / §10.2: a write completed inline with success returns TRUE and still queues
    # a packet; 3.2 / §10.4: the inline DeviceIoControl error queues none
    And "w1" returned TRUE with 0 bytes
    And "bad" returned FALSE with error ERROR_INVALID_FUNCTION
    # 3.7: after FILE_SKIP_COMPLETION_PORT_ON_SUCCESS an inline success queues nothing,
    # the pended read still does; 3.2: it carries the final status at 3 s
    And "modes" returned TRUE with 0 bytes
    And "w2" returned TRUE with 0 bytes
    And "r1" returned FALSE with error ERROR_IO_PENDING
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3.109375 s
    # 3.3: a timeout and a port closed under a waiter both dequeue nothing
    And "poll" dequeued nothing
    And "poll" returned FALSE with error WAIT_TIMEOUT
    And "abandoned" dequeued nothing
    And "abandoned" returned FALSE with error ERROR_ABANDONED_WAIT_0
    # 3.6: waiters are released LIFO (worker2 blocked last, it gets w1's packet); the
    # posted packet is held back while worker2 counts as running (concurrency 1) and goes
    # to worker1 once worker2 blocks in Sleep; 3.5: a posted packet is TRUE with NULL;
    # the two key-99 packets go to the most recent waiter first
    And the application printed:
      """
      main: port=128 assoc=128 again=0 error=87
      worker2: ok=TRUE key=7 bytes=0 request=w1
      worker1: ok=TRUE key=1 bytes=5 request=NULL
      main: poll ok=FALSE overlapped=0 error=258
      waiter: ok=FALSE overlapped=0 error=735
      worker2: ok=TRUE key=7 bytes=0 request=r1
      worker2: ok=TRUE key=99 bytes=0 request=NULL
      worker1: ok=TRUE key=99 bytes=0 request=NULL
      """
    And "g1" dequeued a NULL OVERLAPPED with key 99 and 0 bytes
    And no thread is blocked
    And no bug check occurred
