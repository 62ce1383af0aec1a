@book @chapter11
Feature: CH11-T5-SyncFsdRequest - a driver calls another through a device pointer with IoBuildSynchronousFsdRequest (#38, §11.2)
  DriverB's read gets DriverA's file and device objects with IoGetDeviceObjectPointer,
  builds a threaded read with IoBuildSynchronousFsdRequest (no buffer, 0 bytes, offset
  0, a stack event and IO_STATUS_BLOCK), sets the next location's FileObject and calls
  A. A pends it for 3 s; B waits on its event, then ObDereferenceObject gives A its
  close, and B completes its own read. The app's ReadFile on \\.\HelloDDKB therefore
  takes 3 s. (Pointer values are machine-specific: book-experiments.md §4 says to
  compare the text and order of the lines, so `%x` below stands for a printed pointer.)

  Scenario: B's built read waits for A's timer, then the file object's last reference closes A
    Given the scenario "book/ch11_sync_fsd_request.yaml"
    When the application runs
    # book-experiments.md "The chapter-11 test app" and "Load order": the DriverB IRP is
    # completed with SUCCESS and Information 0 after the inner call; #38 "Observed
    # output" step 3: B's Leave comes 3 s later, after A's timer DPC
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #38 "Observed output" steps 1-3 (and "The shared DriverA" for
    # DriverEntry): B's read, A's create, the three pointers, A's read; 3 s later A's DPC
    # line, A's close (at ObDereferenceObject), B's Leave; then B's close. The cleanup
    # IoGetDeviceObjectPointer sends A prints nothing (#38 step 1: A has no CLEANUP)
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
      DriverB:FileObject:%x
      DriverB:DeviceObject:%x
      DriverB:pNewIrp:%x
      DriverA:Enter A HelloDDKRead
      DriverA:Leave A HelloDDKRead
      DriverA:complete the Driver A IRP_MJ_READ irp!
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKRead
      DriverB:Enter B HelloDDKClose
      DriverB:Leave B HelloDDKClose
      """
    # book-experiments.md #38 step 1 (`DriverB:FileObject:%x`, `DriverB:DeviceObject:%x`)
    # and stacks-services 1.21: the device pointer is the top of A's stack, A's own
    # device here (no filter); the FILE_OBJECT is a kernel object (nonpaged pool), so
    # its address is a system-space one
    And the debug output shows "DriverB:DeviceObject:" followed by the address of device "\Device\MyDDKDeviceA"
    And the debug output shows "DriverB:FileObject:" followed by a system-space address
    # stacks-services 1.21: IoGetDeviceObjectPointer gives A its CREATE and at once its
    # CLEANUP (the handle is closed inside the call); the CLOSE only at
    # ObDereferenceObject. #38 "Pitfalls" and 1.27: the I/O manager's completion (the APC
    # in B's thread) sets B's event and frees the built IRP, so B must not IoFreeIrp it
    And the trace contains in order:
      | kind              | api                      | driver  | major          | status                        | context |
      | IoCallDriver      |                          | DriverA | IRP_MJ_CREATE  |                               | thread  |
      | IoCompleteRequest |                          | DriverA | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST | thread  |
      | ServiceReturn     | IoGetDeviceObjectPointer |         |                | STATUS_SUCCESS                |         |
      | IoCallDriver      |                          | DriverA | IRP_MJ_READ    |                               | thread  |
      | WaitBegin         |                          |         |                |                               | thread  |
      | IoCompleteRequest |                          | DriverA | IRP_MJ_READ    | STATUS_SUCCESS                | dpc     |
      | IoFreeIrp         |                          |         | IRP_MJ_READ    |                               | apc     |
      | WaitEnd           |                          |         |                | STATUS_SUCCESS                | thread  |
      | IoCallDriver      |                          | DriverA | IRP_MJ_CLOSE   |                               | thread  |
      | IoCompleteRequest |                          | DriverB | IRP_MJ_READ    | STATUS_SUCCESS                | thread  |
    # book-experiments.md #38: the run ends normally (no crash; the app's ReadFile returns)
    And no bug check occurred
    And no thread is blocked
