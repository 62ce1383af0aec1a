@book @chapter11
Feature: CH11-T4-SymbolicLink - a driver finds another's device name through its symbolic link (#37, §11.1.4)
  DriverB's read opens DriverA's link object \??\HelloDDKA with ZwOpenSymbolicLinkObject,
  queries its target into a 50-byte buffer and prints it with %wZ, then opens that device
  synchronously and reads it as in #34: ZwReadFile waits in the app's thread for A's 3 s
  timer, B closes both handles and completes its own read.

  Scenario: B prints A's device name from the link, then reads A synchronously for 3 s
    Given the scenario "book/ch11_symbolic_link.yaml"
    When the application runs
    # book-experiments.md #37 "Observed output": T1's output (#34: the app's ReadFile
    # returns TRUE after about 3 s with 0 bytes); "DriverB Read" step 4: B completes with
    # SUCCESS
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #37 "Observed output": T1's output plus "DriverB:The device name
    # is \Device\MyDDKDeviceA" before A's create (#34 "Observed output" steps 1-4; DriverEntry
    # lines from "The shared DriverA" and "DriverB in chapter 11")
    And the debug output is:
      """
      DriverA:Enter A DriverEntry
      DriverA:Leave A DriverEntry
      DriverB:Enter B DriverEntry
      DriverB:Leave B DriverEntry
      DriverB:Enter B HelloDDKCreate
      DriverB:Leave B HelloDDKCreate
      DriverB:Enter B HelloDDKRead
      DriverB:The device name is \Device\MyDDKDeviceA
      DriverA:Enter A HelloDDKCreate
      DriverA:Leave A HelloDDKCreate
      DriverA:Enter A HelloDDKRead
      DriverA:Leave A HelloDDKRead
      DriverA:complete the Driver A IRP_MJ_READ irp!
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKRead
      DriverB:Enter B HelloDDKClose
      DriverB:Leave B HelloDDKClose
      """
    # stacks-services 1.19: ZwOpenSymbolicLinkObject opens the link object itself (the
    # first IRP DriverA sees is the create of ZwCreateFile, see the debug output); 1.20:
    # \Device\MyDDKDeviceA (Length 40, stored MaximumLength 42) fits the 50-byte buffer, so
    # the query succeeds (book-experiments.md #37 "DriverB Read" step 2); then as #34
    # (1.12): on the synchronous file object ZwReadFile waits in B's thread for A's DPC and
    # returns STATUS_SUCCESS, never STATUS_PENDING; ZwClose sends A's cleanup (failed by
    # A's default handler) and close (1.17), and closing the link handle sends nothing to A
    # ("DriverB Read" step 4)
    And the trace contains in order:
      | kind              | api                       | driver  | major          | status                        | context | thread |
      | ServiceReturn     | ZwOpenSymbolicLinkObject  |         |                | STATUS_SUCCESS                |         | main   |
      | ServiceReturn     | ZwQuerySymbolicLinkObject |         |                | STATUS_SUCCESS                |         | main   |
      | IoCallDriver      |                           | DriverA | IRP_MJ_CREATE  |                               | thread  | main   |
      | ServiceReturn     | ZwCreateFile              |         |                | STATUS_SUCCESS                |         | main   |
      | IoCallDriver      |                           | DriverA | IRP_MJ_READ    |                               | thread  | main   |
      | WaitBegin         |                           |         |                |                               | thread  | main   |
      | IoCompleteRequest |                           | DriverA | IRP_MJ_READ    | STATUS_SUCCESS                | dpc     |        |
      | ServiceReturn     | ZwReadFile                |         |                | STATUS_SUCCESS                |         | main   |
      | IoCompleteRequest |                           | DriverA | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST |         | main   |
      | IoCallDriver      |                           | DriverA | IRP_MJ_CLOSE   |                               | thread  | main   |
      | ServiceReturn     | ZwClose                   |         |                | STATUS_SUCCESS                |         | main   |
      | ServiceReturn     | ZwClose                   |         |                | STATUS_SUCCESS                |         | main   |
      | IoCompleteRequest |                           | DriverB | IRP_MJ_READ    | STATUS_SUCCESS                | thread  | main   |
    And no bug check occurred
    And no thread is blocked
