@book @chapter11
Feature: CH11-T8-MyIoGetDeviceObjectPointer - a driver's own IoGetDeviceObjectPointer (#41, §11.3)
  DriverB re-implements IoGetDeviceObjectPointer on A's link \??\HelloDDKA: ZwOpenFile
  (A's create), ObReferenceObjectByHandle with *IoFileObjectType,
  IoGetBaseFileSystemDeviceObject for the device, ZwClose of the handle (A's cleanup,
  which A does not handle). B prints the status and the device, dereferences the file
  object (A's close) and completes its read. No read is sent to A, so the app's
  ReadFile returns at once.
  (`%x` below stands for a printed pointer: book-experiments.md §4.)

  Scenario: B opens A through its link, gets A's device and closes it again, at once
    Given the scenario "book/ch11_my_get_device_object_pointer.yaml"
    When the application runs
    # book-experiments.md #41 "Observed output": "The app returns immediately";
    # "The chapter-11 test app" / "Load order": B completes with SUCCESS and 0
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 0 s
    # book-experiments.md #41 "Observed output" steps 1-5 (and "The shared DriverA" for
    # DriverEntry): B's read, A's create (its cleanup prints nothing), `ntStatus 0`,
    # `DeviceObject <A's address>`, A's close, B's Leave; then B's close. No A read
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
      ntStatus 0
      DeviceObject %x
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKRead
      DriverB:Enter B HelloDDKClose
      DriverB:Leave B HelloDDKClose
      """
    # book-experiments.md #41 step 3: `DeviceObject <A's address>`; stacks-services 1.22:
    # IoGetBaseFileSystemDeviceObject gives the NAMED device, A's (no VPB); 1.2: the link
    # \??\HelloDDKA reaches the same device as \Device\MyDDKDeviceA
    And the debug output shows "DeviceObject " followed by the address of device "\Device\MyDDKDeviceA"
    # stacks-services 1.22 / 1.21: the target sees CREATE, CLEANUP (at ZwClose of the
    # only handle), then CLOSE at ObDereferenceObject; no read (the debug output above
    # has no A read lines)
    And the trace contains in order:
      | kind              | api                       | driver  | major          | status                        |
      | ServiceCall       | ZwOpenFile                |         |                |                               |
      | IoCallDriver      |                           | DriverA | IRP_MJ_CREATE  |                               |
      | ServiceReturn     | ZwOpenFile                |         |                | STATUS_SUCCESS                |
      | ServiceReturn     | ObReferenceObjectByHandle |         |                | STATUS_SUCCESS                |
      | ServiceCall       | ZwClose                   |         |                |                               |
      | IoCompleteRequest |                           | DriverA | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST |
      | ServiceReturn     | ZwClose                   |         |                | STATUS_SUCCESS                |
      | IoCallDriver      |                           | DriverA | IRP_MJ_CLOSE   |                               |
      | IoCompleteRequest |                           | DriverB | IRP_MJ_READ    | STATUS_SUCCESS                |
    # book-experiments.md #41 "Observed output": the app returns immediately, nothing waits
    And no bug check occurred
    And no thread is blocked
