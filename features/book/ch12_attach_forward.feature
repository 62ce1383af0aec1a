@book @chapter12
Feature: CH12-T1-AttachForward - a filter passes IRPs down with skip + IoCallDriver (#42, §12.1)
  DriverB opens DriverA's device with IoGetDeviceObjectPointer, attaches its own device
  on top of it and forwards CREATE, READ and CLOSE with IoSkipCurrentIrpStackLocation +
  IoCallDriver. The app opens \\.\HelloDDKA, which reaches the top of A's stack: B.
  A pends the read and completes it 3 s later from a timer DPC.

  Scenario: The read passes through B, pends in A and completes after 3 s
    Given the scenario "book/ch12_attach_forward.yaml"
    When the application runs
    # book-experiments.md #42 "Observed output" step 3: ReadFile returns TRUE with 0 bytes
    # 3 s later (DriverA's OnTimerDpc: STATUS_SUCCESS, Information 0)
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md "The shared DriverA" (DriverEntry, Create/Close, Read, OnTimerDpc
    # strings), "The chapter-12 DriverB" (DriverEntry strings) and #42 "Observed output":
    # at B's load A's create, then the close of that file object through B's Close
    # (inferred), then `B attached A successfully!`; the app run steps 1-4. B's read prints
    # the Create strings (the book's copy-paste slip); B's Close strings follow its Create
    # strings ("B Close Enter ... B Close Leave").
    And the debug output is:
      """
      DriverA:Enter A DriverEntry
      DriverA:Leave A DriverEntry
      DriverB:Enter B DriverEntry
      DriverA:Enter A HelloDDKCreate
      DriverA:Leave A HelloDDKCreate
      DriverB:Enter B HelloDDKClose
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKClose
      DriverB:B attached A successfully!
      DriverB:Leave B DriverEntry
      DriverB:Enter B HelloDDKCreate
      DriverA:Enter A HelloDDKCreate
      DriverA:Leave A HelloDDKCreate
      DriverB:Leave B HelloDDKCreate
      DriverB:Enter B HelloDDKCreate
      DriverA:Enter A HelloDDKRead
      DriverA:Leave A HelloDDKRead
      DriverB:Leave B HelloDDKCreate
      DriverA:complete the Driver A IRP_MJ_READ irp!
      DriverB:Enter B HelloDDKClose
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKClose
      """
    # book-experiments.md #42 "Pitfalls": with skip, A's IoMarkIrpPending marks the shared
    # stack location and B returns A's status (STATUS_PENDING) unchanged
    And the trace of "r1" contains in order:
      | kind              | driver  | major       | status         | context |
      | IoCallDriver      | DriverB | IRP_MJ_READ |                |         |
      | IoCallDriver      | DriverA | IRP_MJ_READ |                |         |
      | IoMarkIrpPending  | DriverA | IRP_MJ_READ |                |         |
      | DispatchReturn    | DriverA | IRP_MJ_READ | STATUS_PENDING |         |
      | DispatchReturn    | DriverB | IRP_MJ_READ | STATUS_PENDING |         |
      | IoCompleteRequest | DriverA | IRP_MJ_READ | STATUS_SUCCESS | dpc     |
    And no bug check occurred
    And no thread is blocked
