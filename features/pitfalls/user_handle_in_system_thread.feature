@pitfall @chapter8
Feature: Pitfall - the app's event HANDLE used from a system thread
  Book #20's driver moved into a System thread: the handle value names nothing in the
  System process's table.

  Scenario: ObReferenceObjectByHandle fails there and KeSetEvent(NULL) crashes - 0x7E
    Given the scenario "pitfalls/user_handle_in_system_thread.yaml"
    When the application runs
    # book-experiments.md #20 "Pitfalls": the handle is valid only in the caller's
    # process (sync-objects 7.1, 7.10): from the System process it is STATUS_INVALID_HANDLE
    Then the debug output contains "ObReferenceObjectByHandle: 0xC0000008"
    And the debug line "ObReferenceObjectByHandle: 0xC0000008" was printed in process "System"
    # the unchecked NULL pointer: an access violation unhandled in a system thread
    And the machine bug-checked with SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E)
    And the bug check parameter 1 is 0xC0000005
    And the application printed:
      """
      """
