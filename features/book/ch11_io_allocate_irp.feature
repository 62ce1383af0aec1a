@book @chapter11
Feature: CH11-T7-IoAllocateIrp - a driver builds a read by hand with IoAllocateIrp (#40, §11.2)
  DriverB allocates an IRP with IoAllocateIrp(DeviceObject->StackSize, FALSE), fills in
  UserEvent, UserIosb and Tail.Overlay.Thread by hand, sets the next location to
  IRP_MJ_READ with the file object and calls DriverA, which pends it for 3 s. B waits
  and prints STATUS_PENDING. The book's code then calls IoFreeIrp, which crashed for
  the reader (S000) because the I/O manager had already freed the IRP; the reader fixed
  it by commenting out IoFreeIrp, and that is the version this scenario runs. The
  book's code is features/pitfalls/double_free_io_allocate_irp.feature.
  (`%x` below stands for a printed pointer: book-experiments.md §4.)

  Scenario: The hand-built read waits for A's timer and the I/O manager frees it
    Given the scenario "book/ch11_io_allocate_irp.yaml"
    When the application runs
    # book-experiments.md "The chapter-11 test app" / "Load order" (B completes with
    # SUCCESS and 0) and #40 "Observed output": without the IoFreeIrp line, as T5 (B's
    # read ends 3 s later, after A's timer)
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #40 "Observed output", "Without the IoFreeIrp line: the
    # expected output is as T5, with STATUS_PENDING printed after the 3 s wait"; #40
    # steps 2-3: pNewIrp->UserEvent :0 (a fresh IRP), then DriverB:pNewIrp
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
      STATUS_PENDING
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKRead
      DriverB:Enter B HelloDDKClose
      DriverB:Leave B HelloDDKClose
      """
    # book-experiments.md #40 "Observed output" (mechanism) and stacks-services 1.27,
    # 1.28: with Tail.Overlay.Thread set by hand and no completion routine returning
    # STATUS_MORE_PROCESSING_REQUIRED, IoCompleteRequest queues the I/O manager's
    # completion APC to B's thread; it sets UserEvent and frees the IRP before B's
    # wait returns - which is why the reader's fix (no IoFreeIrp) is correct
    And the trace contains in order:
      | kind              | driver  | major        | status         | context |
      | IoCallDriver      | DriverA | IRP_MJ_READ  |                | thread  |
      | WaitBegin         |         |              |                | thread  |
      | IoCompleteRequest | DriverA | IRP_MJ_READ  | STATUS_SUCCESS | dpc     |
      | IopCompleteRequest |        | IRP_MJ_READ  | STATUS_SUCCESS | apc     |
      | IoFreeIrp         |         | IRP_MJ_READ  |                | apc     |
      | WaitEnd           |         |              | STATUS_SUCCESS | thread  |
      | IoCallDriver      | DriverA | IRP_MJ_CLOSE |                | thread  |
      | IoCompleteRequest | DriverB | IRP_MJ_READ  | STATUS_SUCCESS | thread  |
    # book-experiments.md #40 "Observed output": with the IoFreeIrp line commented out the
    # reader's run no longer crashed (S000), and the app's ReadFile returns
    And no bug check occurred
    And no thread is blocked
