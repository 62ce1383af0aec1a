@book @chapter11
Feature: CH11-T3-ZwAsyncFileObjEvent - a driver reads another asynchronously and waits on the file object (#36, §11.1.3)
  DriverB's read opens \Device\MyDDKDeviceA asynchronously and calls ZwReadFile with no
  event and no APC routine, so the I/O manager signals FileObject->Event when the read
  completes. To wait on it B needs the file object from ObReferenceObjectByHandle. The
  book's shipped code asks for *ExEventObjectType on the file handle: the call fails, the
  wait is skipped, and B closes A and completes at once while A's read is still pending.
  The intended code asks for *IoFileObjectType and waits for A's 3 s timer.

  Scenario: The shipped code asks for the event type: the reference fails and the wait is skipped
    Given the scenario "book/ch11_zw_async_file_event.yaml"
    When the application runs
    # book-experiments.md #36 "Known defect": B closes the handle and completes its IRP at
    # once; the app returns immediately instead of after 3 s
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 0 s
    # book-experiments.md #36 "DriverB Read" steps 2-5 and "Known defect": after
    # "ZwReadFile return STATUS_PENDING!" the reference fails, so neither "Waiting..." nor
    # "Driver A Read IRP completed now!" is printed and B leaves at once; the app then closes
    # B ("The chapter-11 test app" step 3); A's read is still pending, so A's close arrives
    # only after "DriverA:complete..." 3 s later
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
      DriverB:Leave B HelloDDKRead
      DriverB:Enter B HelloDDKClose
      DriverB:Leave B HelloDDKClose
      DriverA:complete the Driver A IRP_MJ_READ irp!
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      """
    # stacks-services 1.13: the asynchronous read returns STATUS_PENDING; 1.16:
    # ObReferenceObjectByHandle with *ExEventObjectType on a file handle is
    # STATUS_OBJECT_TYPE_MISMATCH (book-experiments.md #36 "Known defect"); 1.17: ZwClose
    # sends A's cleanup at once (failed by A's default handler, "The shared DriverA") but
    # not its close, since the pending read holds a file-object reference; B completes its
    # read; 3 s later A's DPC completes the read and only then is A's close sent; the app's
    # thread, exiting with A's read still on its IRP list, cancels it (A has no cancel
    # routine) and its exit waits until the timer has completed the read
    And the trace contains in order:
      | kind              | api                       | driver  | major          | status                        | context | thread |
      | ServiceReturn     | ZwReadFile                |         |                | STATUS_PENDING                |         | main   |
      | ServiceReturn     | ObReferenceObjectByHandle |         |                | STATUS_OBJECT_TYPE_MISMATCH   |         | main   |
      | ServiceCall       | ZwClose                   |         |                |                               |         | main   |
      | IoCompleteRequest |                           | DriverA | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST |         | main   |
      | ServiceReturn     | ZwClose                   |         |                | STATUS_SUCCESS                |         | main   |
      | IoCompleteRequest |                           | DriverB | IRP_MJ_READ    | STATUS_SUCCESS                | thread  | main   |
      | IoCancelIrp       |                           |         | IRP_MJ_READ    |                               |         | main   |
      | IoCompleteRequest |                           | DriverA | IRP_MJ_READ    | STATUS_SUCCESS                | dpc     |        |
      | IoCallDriver      |                           | DriverA | IRP_MJ_CLOSE   |                               |         |        |
      | ThreadExit        |                           |         |                |                               |         | main   |
    # book-experiments.md #36 "Known defect": the wait is skipped
    And the debug output does not contain "DriverB:Waiting..."
    And no bug check occurred
    And no thread is blocked

  Scenario: The intended code asks for the file type and waits on FileObject->Event for A's timer
    Given the scenario "book/ch11_zw_async_file_event_fixed.yaml"
    When the application runs
    # book-experiments.md #36 "Intended output": the same as T2, the app's ReadFile
    # returning after about 3 s (#34/#35: TRUE with 0 bytes)
    Then "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #36 "Intended output" and "DriverB Read" steps 2-5: T2's output,
    # with "Waiting..." after "ZwReadFile return STATUS_PENDING!" and B's completion line
    # "Driver A Read IRP completed now!" after A's DPC line; then A's close and B's Leave
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
      DriverB:Driver A Read IRP completed now!
      DriverA:Enter A HelloDDKClose
      DriverA:Leave A HelloDDKClose
      DriverB:Leave B HelloDDKRead
      DriverB:Enter B HelloDDKClose
      DriverB:Leave B HelloDDKClose
      """
    # stacks-services 1.16: *IoFileObjectType gives the file object; 1.10: ZwReadFile
    # cleared FileObject->Event (the create had set it), so B's wait blocks; 1.14: with no
    # Event given, the completion of A's pended read sets FileObject->Event, which ends the
    # wait in B's thread; 1.17: ObDereferenceObject and ZwClose then give A its cleanup and,
    # nothing being pending, its close inside ZwClose in the app's thread
    And the trace contains in order:
      | kind              | api                       | driver  | major          | status                        | context | thread |
      | ServiceReturn     | ZwReadFile                |         |                | STATUS_PENDING                |         | main   |
      | ServiceReturn     | ObReferenceObjectByHandle |         |                | STATUS_SUCCESS                |         | main   |
      | WaitBegin         |                           |         |                |                               | thread  | main   |
      | IoCompleteRequest |                           | DriverA | IRP_MJ_READ    | STATUS_SUCCESS                | dpc     |        |
      | WaitEnd           |                           |         |                | STATUS_SUCCESS                | thread  | main   |
      | ServiceCall       | ZwClose                   |         |                |                               |         | main   |
      | IoCompleteRequest |                           | DriverA | IRP_MJ_CLEANUP | STATUS_INVALID_DEVICE_REQUEST |         | main   |
      | IoCallDriver      |                           | DriverA | IRP_MJ_CLOSE   |                               | thread  | main   |
      | ServiceReturn     | ZwClose                   |         |                | STATUS_SUCCESS                |         | main   |
      | IoCompleteRequest |                           | DriverB | IRP_MJ_READ    | STATUS_SUCCESS                | thread  | main   |
    And no bug check occurred
    And no thread is blocked
