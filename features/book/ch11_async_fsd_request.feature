@book @chapter11
Feature: CH11-T6-AsyncFsdRequest - a driver calls another with IoBuildAsynchronousFsdRequest and a hand-set UserEvent (#39, §11.2)
  As #38, but DriverB builds the read with IoBuildAsynchronousFsdRequest, which takes no
  event: B prints pNewIrp->UserEvent (0) and sets it to its own stack event by hand. The
  I/O manager's completion sets that event and frees the IRP. Then the book's bug:
  ZwClose(FileObject) passes an object pointer as a handle. Without handle checking
  that is just STATUS_INVALID_HANDLE and the output is #38's plus the UserEvent line;
  with Driver Verifier's handle checking it is bug check 0x93.
  (`%x` below stands for a printed pointer: book-experiments.md §4.)

  Scenario: The built read waits for A's timer; ZwClose of the pointer fails harmlessly
    Given the scenario "book/ch11_async_fsd_request.yaml"
    When the application runs
    # book-experiments.md "The chapter-11 test app" / "Load order" (B completes with
    # SUCCESS and 0) and #39 "Observed output": as T5, so B's read ends 3 s later
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #39 "Observed output": "as T5, plus pNewIrp->UserEvent :0"
    # (#39 step 2: printed before B sets UserEvent, then DriverB:pNewIrp)
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
      pNewIrp->UserEvent :0
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
    # book-experiments.md #39 step 1 ("As T5": IoGetDeviceObjectPointer on
    # \Device\MyDDKDeviceA) and stacks-services 1.21: the device pointer is A's device
    And the debug output shows "DriverB:DeviceObject:" followed by the address of device "\Device\MyDDKDeviceA"
    # book-experiments.md #39 "Pitfalls": ZwClose on a pointer returns
    # STATUS_INVALID_HANDLE; §3 "Handle vs pointer confusion". stacks-services 1.27:
    # the asynchronous builder IRP (Thread set, no SMPR completion routine) is freed by
    # the I/O manager's completion APC in B's thread, after it set UserEvent (1.14);
    # 1.21: A's close comes only at ObDereferenceObject, after the failed ZwClose
    And the trace contains in order:
      | kind              | api     | driver  | major        | status                | context |
      | IoCallDriver      |         | DriverA | IRP_MJ_READ  |                       | thread  |
      | WaitBegin         |         |         |              |                       | thread  |
      | IoCompleteRequest |         | DriverA | IRP_MJ_READ  | STATUS_SUCCESS        | dpc     |
      | IoFreeIrp         |         |         | IRP_MJ_READ  |                       | apc     |
      | WaitEnd           |         |         |              | STATUS_SUCCESS        | thread  |
      | ServiceReturn     | ZwClose |         |              | STATUS_INVALID_HANDLE |         |
      | IoCallDriver      |         | DriverA | IRP_MJ_CLOSE |                       | thread  |
      | IoCompleteRequest |         | DriverB | IRP_MJ_READ  | STATUS_SUCCESS        | thread  |
    # book-experiments.md #39 "Observed output": as T5, no crash (0x93 only "when handle
    # checking is strict", the next scenario)
    And no bug check occurred
    And no thread is blocked

  Scenario: With Driver Verifier's handle checking, ZwClose of the pointer is bug check 0x93
    Given the scenario "book/ch11_async_fsd_request.yaml" with machine.verifier=true
    When the application runs
    # book-experiments.md #39 "Pitfalls": ZwClose on a pointer "raises
    # INVALID_KERNEL_HANDLE (0x93) when handle checking is strict"; bug check 0x93's
    # parameters: 1 = the handle value (here the FILE_OBJECT pointer B printed), 2 = 1
    # ("an invalid handle was closed")
    Then the machine bug-checked with INVALID_KERNEL_HANDLE (0x93)
    And the bug check parameters are pointer printed after "DriverB:FileObject:", 1, 0, 0
    # verifier-rules.md R50 (IoBuildFsdForward, reported): an IoBuildAsynchronousFsdRequest
    # IRP sent without a completion routine; #39 "Pitfalls": Microsoft's pattern is a
    # completion routine that frees the IRP and returns STATUS_MORE_PROCESSING_REQUIRED
    And the trace reports a rule violation containing "IoAllocateForward"
    # stacks-services 1.27 is unchanged by the verifier: the IRP was completed and freed
    # by the I/O manager; the bug check comes at the ZwClose that follows the wait
    And the trace contains in order:
      | kind              | api     | major       | status         | context |
      | IoCompleteRequest |         | IRP_MJ_READ | STATUS_SUCCESS | dpc     |
      | IoFreeIrp         |         | IRP_MJ_READ |                | apc     |
      | WaitEnd           |         |             | STATUS_SUCCESS | thread  |
      | ServiceCall       | ZwClose |             |                | thread  |
      | BugCheck          |         |             |                | thread  |
