@book @chapter11
Feature: CH11-T2-ZwAsyncApc - a driver reads another asynchronously, completion by an APC routine (#35, §11.1.2)
  DriverB's read opens \Device\MyDDKDeviceA without SYNCHRONIZE and with CreateOptions 0,
  so the file object is asynchronous, and calls ZwReadFile with a zero offset, the APC
  routine CompleteDriverA_Read and its stack event as the APC context. ZwReadFile returns
  STATUS_PENDING and B waits on the event; when DriverA's 3 s timer completes the read,
  the APC routine runs as a normal kernel APC in B's waiting thread (the app's thread),
  prints its line and sets the event; B then closes A and completes its own read.

  Scenario: ZwReadFile returns STATUS_PENDING, the APC routine sets B's event after A's timer
    Given the scenario "book/ch11_zw_async_apc.yaml"
    When the application runs
    # book-experiments.md #35 "Observed output" ("as in T1") and #34: the app's ReadFile
    # returns TRUE after about 3 s with 0 bytes; "The chapter-11 test app": a synchronous
    # ReadFile(h, NULL, 0, ...)
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #35 "Observed output": as in T1, but after A's Leave HelloDDKRead
    # come "ZwReadFile return STATUS_PENDING!" and "Waiting..."; 3 s later A's DPC line,
    # then the APC routine's "The Driver A Read completed now!", then A's close lines and
    # B's Leave; B's own close last (#34 step 4). DriverEntry lines: "The shared DriverA"
    # and "DriverB in chapter 11". A has no cleanup handler, so the cleanup prints nothing.
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
      DriverB:ZwReadFile return STATUS_PENDING!
      DriverB:Waiting...
      DriverA:complete the Driver A IRP_MJ_READ irp!
      DriverB:The Driver A Read completed now!
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKRead
      DriverB:Enter B HelloDDKClose
      DriverB:Leave B HelloDDKClose
      """
    # stacks-services 1.9/1.11: without FILE_SYNCHRONOUS_IO_* the file object is
    # asynchronous and the explicit zero offset lets the read reach DriverA; 1.13: the
    # service returns the driver's STATUS_PENDING unchanged and B waits (book-experiments.md
    # #35 step 4); 1.14/1.15: A's DPC completes the read, the I/O manager's completion
    # queues the ApcRoutine as a normal kernel APC to B's own thread ("main", the app's
    # thread), delivered at PASSIVE_LEVEL during B's non-alertable KernelMode wait; it sets
    # the event (book-experiments.md #35 "APC routine"), the wait is satisfied, and B's
    # ZwClose then sends A's cleanup (failed by A's default handler, "The shared DriverA")
    # and A's close (1.17: nothing is pending any more)
    And the trace contains in order:
      | kind              | api          | driver  | major          | status                        | context | irql           | thread | routine              | text                                     |
      | ServiceReturn     | ZwCreateFile |         |                | STATUS_SUCCESS                |         |                |        |                      |                                          |
      | IoCallDriver      |              | DriverA | IRP_MJ_READ    |                               | thread  |                | main   |                      |                                          |
      | ServiceReturn     | ZwReadFile   |         |                | STATUS_PENDING                |         |                | main   |                      |                                          |
      | WaitBegin         |              |         |                |                               | thread  |                | main   |                      |                                          |
      | IoCompleteRequest |              | DriverA | IRP_MJ_READ    | STATUS_SUCCESS                | dpc     | DISPATCH_LEVEL |        |                      |                                          |
      | KernelApc         |              |         |                |                               | apc     | PASSIVE_LEVEL  | main   | CompleteDriverA_Read |                                          |
      | DbgPrint          |              |         |                |                               | apc     | PASSIVE_LEVEL  | main   |                      | DriverB:The Driver A Read completed now! |
      | KeSetEvent        |              |         |                |                               | apc     |                | main   |                      |                                          |
      | WaitEnd           |              |         |                | STATUS_SUCCESS                | thread  |                | main   |                      |                                          |
      | IoCompleteRequest |              | DriverA | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST |         |                |        |                      |                                          |
      | IoCallDriver      |              | DriverA | IRP_MJ_CLOSE   |                               | thread  |                | main   |                      |                                          |
      | ServiceReturn     | ZwClose      |         |                | STATUS_SUCCESS                |         |                |        |                      |                                          |
      | IoCompleteRequest |              | DriverB | IRP_MJ_READ    | STATUS_SUCCESS                | thread  |                | main   |                      |                                          |
    # book-experiments.md #35 "DriverB Read" step 5: B completes its read with SUCCESS/0
    And the trace of "r1" contains in order:
      | kind              | driver  | status         | information |
      | IoCompleteRequest | DriverB | STATUS_SUCCESS | 0           |
    And no bug check occurred
    And no thread is blocked
