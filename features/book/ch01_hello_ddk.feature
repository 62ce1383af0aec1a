@book @chapter1
Feature: CH01-HelloDDK - the NT-style driver loaded with net start and unloaded with net stop (#1, §1.1)
  HelloDDK's DriverEntry registers DriverUnload and one generic dispatch routine, creates
  \Device\MyDDKDevice with the link \??\HelloDDK, and returns the CreateDevice status.
  HelloDDKUnload deletes the link and the device of every device of the driver. The
  reader loads it with `net start HelloDDK`, looks at it with WinObj, and unloads it with
  `net stop HelloDDK` (book-experiments.md #1).

  Scenario: net start runs DriverEntry, net stop runs DriverUnload, and the objects come and go
    Given the scenario "book/ch01_hello_ddk.yaml"
    # a demand-start service: nothing runs before net start
    Then the debug output does not contain "Enter DriverEntry"
    And the object "\Driver\HelloDDK" does not exist
    When the service "HelloDDK" is started as "start"
    # book-experiments.md #1 "Observed output" (code): load prints Enter DriverEntry,
    # DriverEntry end
    Then "start" returned TRUE with 0 bytes
    And the debug output is:
      """
      Enter DriverEntry
      DriverEntry end
      """
    # #1 "Test app": what WinObj shows while it is loaded
    And the object "\Driver\HelloDDK" exists
    And the object "\Device\MyDDKDevice" exists
    And the object "\??\HelloDDK" exists
    And the service "HelloDDK" is SERVICE_RUNNING
    # pnp-hardware §1.1: DriverEntry runs in a System thread, not in the caller's process
    And the debug line "Enter DriverEntry" was printed in process "System"
    When the service "HelloDDK" is stopped as "stop"
    # #1 "Observed output": unload prints Enter DriverUnload; Unload deletes the link and
    # the device
    Then "stop" returned TRUE with 0 bytes
    And the debug output is:
      """
      Enter DriverEntry
      DriverEntry end
      Enter DriverUnload
      """
    And the object "\Driver\HelloDDK" does not exist
    And the object "\Device\MyDDKDevice" does not exist
    And the object "\??\HelloDDK" does not exist
    And the service "HelloDDK" is SERVICE_STOPPED
    And no bug check occurred

  Scenario: CloseHandle's IRP_MJ_CLEANUP is not registered, which is harmless
    Given the scenario "book/ch01_hello_ddk.yaml"
    When the application runs
    # #1 "Pitfalls" (inferred): CLEANUP goes to the I/O manager's default routine,
    # STATUS_INVALID_DEVICE_REQUEST, and CloseHandle still succeeds
    Then the trace contains in order:
      | kind              | driver   | major          | status                        |
      | IoCompleteRequest | HelloDDK | IRP_MJ_CREATE  | STATUS_SUCCESS                |
      | IoCompleteRequest | HelloDDK | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST |
      | IoCompleteRequest | HelloDDK | IRP_MJ_CLOSE   | STATUS_SUCCESS                |
    And "stop" returned TRUE with 0 bytes
    And the debug output contains "Enter DriverUnload" 1 time
    And no bug check occurred
    And no thread is blocked
