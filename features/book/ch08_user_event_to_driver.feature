@book @chapter8
Feature: CH08-UserEventToDriver - the app passes its event's HANDLE to the driver (#20, §8.5.4)
  The app creates an auto-reset event, a thread waits on it, and the HANDLE goes to the
  driver in IOCTL_TRANSMIT_EVENT's input buffer. The driver references it by handle in
  the app's process context, sets it and dereferences it.

  Scenario: The driver sets the app's event and the waiting thread runs on
    Given the scenario "book/ch08_user_event_to_driver.yaml"
    When the application runs
    # book-experiments.md #20 "Observed output" (reader S003): the thread's print appears
    # right after the IOCTL, and the app exits cleanly
    Then the application printed:
      """
      Wait For Event Has Signal!
      """
    And "transmit" returned TRUE with 0 bytes
    And "waitEvent" returned WAIT_OBJECT_0
    And "waitThread" returned WAIT_OBJECT_0
    # sync-objects 7.10: the dispatch routine runs in the app's thread, so the handle
    # value resolves in the app's handle table (7.3: KernelMode skips the access check);
    # 3.1: KeSetEvent returns the previous state 0 and releases the waiter
    And the debug line "ObReferenceObjectByHandle: 0x00000000" was printed in process "test.exe"
    And the trace contains in order:
      | kind          | api                       | status         | thread |
      | Win32Call     | DeviceIoControl           |                | main   |
      | ServiceReturn | ObReferenceObjectByHandle | STATUS_SUCCESS | main   |
      | KeSetEvent    |                           |                | main   |
      | Win32Return   | DeviceIoControl           |                | main   |
      | Win32Return   | WaitForSingleObject       |                | Waiter |
    And no bug check occurred
    And no thread is blocked
