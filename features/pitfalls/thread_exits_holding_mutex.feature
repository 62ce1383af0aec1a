@pitfall @chapter8
Feature: Pitfall - a system thread that ends while it owns a KMUTEX
  The #22 mutex thread without its KeReleaseMutex: it calls PsTerminateSystemThread
  still owning the mutex. Owning a KMUTEX holds off the thread's normal kernel APCs,
  and a thread may not exit in that state.

  Scenario: PsTerminateSystemThread with a KMUTEX held - bug check 0x20 (0, 0xFFFF, 0, 1)
    Given the scenario "pitfalls/thread_exits_holding_mutex.yaml"
    When the application runs
    # sync-objects 1.6 step 1: the exit path checks the APC-disable count first; a
    # thread that still owns one KMUTEX has KernelApcDisable = -1, so it stops there
    # with 0x20 KERNEL_APC_PENDING_DURING_EXIT, P1 0, P2 CombinedApcDisable = 0xFFFF,
    # P3 0, P4 1; 4.3: "a non-zero APC-disable count (e.g. a KMUTEX still owned) -> 0x20"
    Then the machine bug-checked with KERNEL_APC_PENDING_DURING_EXIT (0x20)
    And the bug check parameters are 0, 0xFFFF, 0, 1
    # the thread ran its whole body (book-experiments.md #22 "Mutex" lines) and failed
    # in PsTerminateSystemThread itself; the creator's wait never ended
    And the debug output contains in order:
      | Enter MutexThread1                  |
      | MutexThread1 After Wait For Mutext! |
      | MutexThread1 After stall Execute!   |
      | Leave MutexThread1                  |
    And the debug output does not contain "After KeWaitForSingleObject"
    # sync-objects 1.3: the wait made MutexThread1 the owner; 4.6: its stall took 50 us
    And the trace contains in order:
      | kind        | api                     | status         | thread       |
      | WaitEnd     |                         | STATUS_SUCCESS | MutexThread1 |
      | ServiceCall | PsTerminateSystemThread |                | MutexThread1 |
      | BugCheck    |                         |                | MutexThread1 |
    And the debug line "Leave MutexThread1" was printed at 0.05 ms
