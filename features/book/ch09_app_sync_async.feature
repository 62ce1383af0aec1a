@book @chapter9
Feature: CH09-AppSyncAsync - a synchronous read, an overlapped read with an event, ReadFileEx with SleepEx (#23, §9.1)
  Three console apps read 512 bytes of the ordinary file test.dat: SyncOperate on a
  synchronous handle, AsyncOperate1 with an OVERLAPPED and an event, AsyncOperate2 with
  ReadFileEx and SleepEx(0, TRUE) (book-experiments.md #23). No book driver: the file
  system of the C: volume answers.

  Scenario: All three read 512 bytes; only AsyncOperate2 prints, from its completion routine
    Given the scenario "book/ch09_app_sync_async.yaml"
    When the application runs
    # #23 "Variants": SyncOperate and AsyncOperate1 print nothing; AsyncOperate1's ReadFile
    # may return TRUE when it completes at once (a cached read does)
    Then "rSync" returned TRUE with 512 bytes
    And "rAsync1" returned TRUE with 512 bytes
    # #23 "Observed output": AsyncOperate2 prints "IO operation end!"; its "Pitfalls": the
    # APC is queued even when the I/O completes synchronously, and SleepEx(0, TRUE) runs
    # it: WAIT_IO_COMPLETION (win32-io §2)
    # (ReadFileEx itself returns no count: the 512 is dwNumberOfBytesTransfered, what the
    # completion routine was given)
    And "rAsync2" returned TRUE with 512 bytes
    And the application printed:
      """
      IO operation end!
      """
    And "slept" returned 192
    And no thread is blocked
    And no bug check occurred

  Scenario: SleepEx(0, TRUE) runs only APCs already queued - a pending read's routine waits
    Given the scenario "book/ch09_app_async_apc_pending.yaml"
    When the application runs
    # #23 "Pitfalls" (inferred): "If the read has not completed yet, the callback never
    # runs" on SleepEx(0, TRUE); DriverA completes reads after 3 s; a longer alertable
    # SleepEx is ended by the APC and returns WAIT_IO_COMPLETION
    Then the application printed:
      """
      SleepEx(0, TRUE) returned 0
      IO operation end!
      SleepEx(10000, TRUE) returned 192
      """
    And "second" returned at 3 s
    And no bug check occurred
