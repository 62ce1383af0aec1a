@example
Feature: An overlapped read that ends with a warning (win32-io §1.4, §1.6, §10.3)
  STATUS_BUFFER_OVERFLOW is a warning: not NT_SUCCESS, so kernel32 returns FALSE with
  ERROR_MORE_DATA, but not NT_ERROR either, so the I/O manager's final phase takes the
  report branch - data copied back, OVERLAPPED written, event set. The application gets
  a failure and a completion at once, inline or pended alike.

  Scenario: A 4-byte read completed inline and an 8-byte read pended for 1 s
    Given the scenario "examples/overlapped_read_warning.yaml"
    When the application runs
    # 1.4 (overlapped, inline warning): FALSE, the mapped status ERROR_MORE_DATA (1.9),
    # and the count 0 - ReadFile reports InternalHigh only for a TRUE return
    Then "r1" returned FALSE with error ERROR_MORE_DATA
    And "r1" returned FALSE with 0 bytes
    # 1.3 / io-core §5.4.3: the OVERLAPPED is the IOSB, written by the report branch;
    # §5.4.1: the Information bytes were copied back into the buffer
    And the OVERLAPPED of "r1" holds STATUS_BUFFER_OVERFLOW and 4 bytes
    And the buffer of "r1" holds "AB*4"
    # 1.4 / §10.3: the event is set although the call failed; 1.6: GetOverlappedResult
    # does not wait (Internal is not STATUS_PENDING), so the signal is still there
    And the event of "r1" is signaled
    # 1.6 step 3: n = InternalHigh, written on the failing path too, then FALSE + mapped
    And "g1" returned FALSE with error ERROR_MORE_DATA
    And "g1" returned FALSE with 4 bytes
    # 1.4 (overlapped, pending): FALSE, ERROR_IO_PENDING, count 0; Internal = 0x103 (1.2)
    And "r2" returned FALSE with error ERROR_IO_PENDING
    And "r2" returned FALSE with 0 bytes
    # 1.6 step 2: bWait FALSE on a pending request: ERROR_IO_INCOMPLETE, n not written
    And "poll" returned FALSE with error ERROR_IO_INCOMPLETE
    And "poll" left its byte count untouched
    # 1.6: bWait TRUE waits on hEvent until the timer DPC completes the read at 1 s, then
    # reports FALSE / ERROR_MORE_DATA with n = InternalHigh = 8
    And "r2" completes with STATUS_BUFFER_OVERFLOW and 8 bytes at 1 s
    And "g2" returned FALSE with error ERROR_MORE_DATA
    And "g2" returned FALSE with 8 bytes
    And "g2" returned at 1 s
    And the OVERLAPPED of "r2" holds STATUS_BUFFER_OVERFLOW and 8 bytes
    And the buffer of "r2" holds "AB*8"
    # 1.6: the successful wait on the auto-reset hEvent consumed its signal
    And the event of "r2" is not signaled
    # 1.1: CloseHandle returned TRUE and left the last error untouched: the stale
    # ERROR_MORE_DATA of g2 is still what GetLastError says
    And "closed" left the last error untouched
    And "closed" left the last error ERROR_MORE_DATA
    And the application printed:
      """
      r1: ok=FALSE error=234 bytes=0 Internal=80000005 InternalHigh=4 event=1
      r2: ok=FALSE error=997 bytes=0 Internal=00000103 InternalHigh=0 event=0
      r2 later: Internal=80000005 InternalHigh=8 event=0
      """
    And no bug check occurred
