@book @chapter21
Feature: CH21-CreateIrpPatterns - an IOCTL sent with a time-out, cancelled when it runs late (#49, §21.2)
  DriverB's read builds an IOCTL for DriverA with IoBuildDeviceIoControlRequest and runs
  Microsoft's MakeSynchronousIoctlWithTimeOut on it (book-experiments.md #49: "implement
  the Microsoft original", not S000's transcription): a lock word shared with the
  completion routine decides who finishes the IRP when the wait times out. DriverA
  pends the IOCTL for 3 s.

  Scenario: A 1 s time-out against a driver with a cancel routine returns STATUS_TIMEOUT at 1 s
    Given the scenario "book/ch21_ioctl_timeout.yaml"
    When the application runs
    # book-experiments.md #49 "Simulator notes": Milliseconds = 1000 gives STATUS_TIMEOUT
    # with A's IRP cancelled (A has a cancel routine) and no double completion;
    # stacks-services 1.34: IoCancelIrp returns TRUE at 1 s, the completion routine sees
    # CANCEL_STARTED (2) and returns SMPR, the caller resumes the walk and the event fires
    # at about 1 s
    Then the debug output contains in order:
      | DriverA:Enter A HelloDDKDeviceIOControl |
      | DriverA:Leave A HelloDDKDeviceIOControl |
      | DriverB:timed out after 1000 ms: canceling |
      | DriverA:Enter A CancelIoctl |
      | DriverB:completion routine: 0xC0000120, lock was 2 |
      | DriverA:Leave A CancelIoctl |
      | DriverB:IoCancelIrp returned 1 |
      | DriverB:MakeSynchronousIoctlWithTimeOut returned 102 |
    And the debug output does not contain "complete the Driver A IOCTL irp!"
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 1 s
    # stacks-services 1.33/1.34: the IRP is completed once by A (the caller's
    # IoCompleteRequest only resumes the stopped walk) and freed by the I/O manager, in
    # B's thread, as the special kernel APC of a threaded IRP
    And the trace contains in order:
      | kind               | major                 | status                          | context    |
      | IoCancelIrp        | IRP_MJ_DEVICE_CONTROL |                                 | thread     |
      | IoCompleteRequest  | IRP_MJ_DEVICE_CONTROL | STATUS_CANCELLED                | cancel     |
      | CompletionReturn   | IRP_MJ_DEVICE_CONTROL | STATUS_MORE_PROCESSING_REQUIRED | completion |
      | IoCompleteRequest  | IRP_MJ_DEVICE_CONTROL | STATUS_CANCELLED                | thread     |
      | IopCompleteRequest | IRP_MJ_DEVICE_CONTROL | STATUS_CANCELLED                | apc        |
      | IoFreeIrp          | IRP_MJ_DEVICE_CONTROL |                                 | apc        |
    And no bug check occurred
    And no thread is blocked

  Scenario: Without a cancel routine the same time-out returns STATUS_TIMEOUT only at 3 s
    Given the scenario "book/ch21_ioctl_timeout_no_cancel.yaml"
    When the application runs
    # stacks-services 1.34: IoCancelIrp sets Irp->Cancel and returns FALSE; the second,
    # unbounded wait lasts until A's timer completes the IRP at 3 s ("Sim must reproduce
    # the 3 s, not 1 s"); the result is STATUS_TIMEOUT although the IRP succeeded
    Then the debug output contains in order:
      | DriverB:timed out after 1000 ms: canceling |
      | DriverB:IoCancelIrp returned 0 |
      | DriverA:complete the Driver A IOCTL irp! |
      | DriverB:completion routine: 0x00000000, lock was 3 |
      | DriverB:MakeSynchronousIoctlWithTimeOut returned 102 |
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    And no bug check occurred

  Scenario: A 5 s time-out is met at 3 s and returns A's status
    Given the scenario "book/ch21_ioctl_timeout_in_time.yaml"
    When the application runs
    # book-experiments.md #49 "Simulator notes": with Milliseconds = 5000, expect A's
    # status; stacks-services 1.34: the first wait is satisfied at 3 s
    Then the debug output contains in order:
      | DriverA:complete the Driver A IOCTL irp! |
      | DriverB:completion routine: 0x00000000, lock was 1 |
      | DriverB:MakeSynchronousIoctlWithTimeOut returned 0 |
    And the debug output does not contain "canceling"
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    And no bug check occurred
