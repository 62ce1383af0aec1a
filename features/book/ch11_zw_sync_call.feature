@book @chapter11
Feature: CH11-T1-ZwSyncCall - a driver opens another by name and reads it synchronously (#34, §11.1.1)
  DriverB's read opens \Device\MyDDKDeviceA with ZwCreateFile and
  FILE_SYNCHRONOUS_IO_NONALERT, so ZwReadFile blocks in the app's thread until DriverA's
  3 s timer completes the read; ZwClose then gives A its close, and B completes its own
  read. The app's ReadFile on \\.\HelloDDKB therefore takes 3 s.

  Scenario: B's read waits in ZwReadFile for A's timer, then closes A and completes
    Given the scenario "book/ch11_zw_sync_call.yaml"
    When the application runs
    # book-experiments.md #34 "Observed output": the app's ReadFile returns TRUE after
    # about 3 s with 0 bytes
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #34 "Observed output" steps 1-4 (and "The shared DriverA" for
    # DriverEntry): B's create; B's read, inside it A's create and A's read; 3 s later A's
    # DPC line, A's close (ZwClose; A has no cleanup handler, so the cleanup prints
    # nothing), B's Leave; then B's close
    And the debug output is:
      """
      DriverA:Enter A DriverEntry
      DriverA:Leave A DriverEntry
      DriverB:Enter B DriverEntry
      DriverB:Leave B DriverEntry
      DriverB:Enter B HelloDDKCreate
      DriverB:Leave B HelloDDKCreate
      DriverB:Enter B HelloDDKRead
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
    # stacks-services 1.12: on a synchronous file object ZwReadFile waits for the pended
    # read and returns its final status, never STATUS_PENDING; 1.17: ZwClose sends the
    # cleanup (failed by A's default handler) before the close
    And the trace contains in order:
      | kind          | api          | driver  | major          | status                        | context |
      | ServiceReturn | ZwCreateFile |         |                | STATUS_SUCCESS                |         |
      | IoCallDriver  |              | DriverA | IRP_MJ_READ    |                               | thread  |
      | WaitBegin     |              |         |                |                               | thread  |
      | IoCompleteRequest |          | DriverA | IRP_MJ_READ    | STATUS_SUCCESS                | dpc     |
      | ServiceReturn | ZwReadFile   |         |                | STATUS_SUCCESS                |         |
      | IoCompleteRequest |          | DriverA | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST |         |
      | IoCallDriver  |              | DriverA | IRP_MJ_CLOSE   |                               |         |
      | ServiceReturn | ZwClose      |         |                | STATUS_SUCCESS                |         |
    And no bug check occurred
    And no thread is blocked
