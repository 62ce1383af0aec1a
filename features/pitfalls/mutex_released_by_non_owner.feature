@pitfall @chapter8
Feature: Pitfall - KeReleaseMutex by a thread that does not own the mutex
  Test takes a KMUTEX in the IOCTL's thread and has a system thread release it. A KMUTEX
  belongs to the thread that acquired it: only the owner may release it.

  Scenario: A system thread releases a KMUTEX another thread owns - bug check 0x7E (0xC0000046)
    Given the scenario "pitfalls/mutex_released_by_non_owner.yaml"
    When the application runs
    # sync-objects 1.5: releasing a mutex the caller does not own raises
    # STATUS_MUTANT_NOT_OWNED (0xC0000046); unhandled in a system thread it becomes 0x7E
    # SYSTEM_THREAD_EXCEPTION_NOT_HANDLED with P1 = the exception code (4.1: an
    # unhandled exception in a system thread's start routine); it is not a direct bug
    # check and not 0x11 THREAD_NOT_MUTEX_OWNER
    Then the machine bug-checked with SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E)
    And the bug check parameter 1 is 0xC0000046
    # the raise happens inside KeReleaseMutex: the thread's next line never prints
    And the debug output contains in order:
      | Test owns the mutex |
      | Enter MyThread      |
    And the debug output does not contain "Leave MyThread"
    # sync-objects 4.1: ProcessHandle NULL - the thread is in the System process, not
    # the thread (main, test.exe) that owns the mutex (1.3: the first acquisition sets
    # the owner)
    And the trace contains in order:
      | kind        | api            | status         | thread   | process  |
      | WaitEnd     |                | STATUS_SUCCESS | main     | test.exe |
      | ServiceCall | KeReleaseMutex |                | MyThread | System   |
      | BugCheck    |                |                | MyThread | System   |
