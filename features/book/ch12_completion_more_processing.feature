@book @chapter12
Feature: CH12-T4-CompletionMoreProcessing - forward and wait with an event (#45, §12.2)
  DriverB copies its stack location, sets MyIoCompletion with an event as context and
  calls A. A pends, so B waits on the event. MyIoCompletion sets the event when
  PendingReturned and returns STATUS_MORE_PROCESSING_REQUIRED, which stops the
  completion walk and gives the IRP back to B; B then calls IoCompleteRequest once more.

  Scenario: B's dispatch waits 3 s for A and finishes the completion itself
    Given the scenario "book/ch12_completion_more_processing.yaml"
    When the application runs
    # book-experiments.md #45 "Observed output": the completion routine prints nothing;
    # `DriverB:Leave B HelloDDKRead` comes after A's completion, 3 s later
    Then the debug output contains in order:
      | DriverB:Enter B HelloDDKRead                    |
      | DriverA:Enter A HelloDDKRead                    |
      | DriverA:Leave A HelloDDKRead                    |
      | IoCallDriver return STATUS_PENDING,Waiting ...  |
      | DriverA:complete the Driver A IRP_MJ_READ irp!  |
      | DriverB:Leave B HelloDDKRead                    |
    # "The app's ReadFile returns after about 3 s"; A completes with STATUS_SUCCESS and 0
    # ("The shared DriverA": OnTimerDpc), and B returns IoStatus.Status
    And "r1" returned TRUE with 0 bytes
    And "r1" completes with STATUS_SUCCESS and 0 bytes at 3 s
    # book-experiments.md #45 "DriverB Read" step 3 (wait at PASSIVE_LEVEL, "Pitfalls"),
    # "MyIoCompletion" (event set when PendingReturned; MORE_PROCESSING_REQUIRED), step 4
    # (IoCompleteRequest again, exactly once) and "Pitfalls": B does not mark pending
    And the completion routine of DriverB saw PendingReturned TRUE
    And the trace contains in order:
      | kind               | irp_of | driver  | status                          | context | irql          |
      | DispatchReturn     | r1     | DriverA | STATUS_PENDING                  |         |               |
      | WaitBegin          |        |         |                                 | thread  | PASSIVE_LEVEL |
      | IoCompleteRequest  | r1     | DriverA | STATUS_SUCCESS                  | dpc     |               |
      | CompletionRoutine  | r1     | DriverB |                                 |         |               |
      | KeSetEvent         |        |         |                                 |         |               |
      | CompletionReturn   | r1     | DriverB | STATUS_MORE_PROCESSING_REQUIRED |         |               |
      | WaitEnd            |        |         |                                 | thread  | PASSIVE_LEVEL |
      | IoCompleteRequest  | r1     | DriverB | STATUS_SUCCESS                  | thread  |               |
      | DispatchReturn     | r1     | DriverB | STATUS_SUCCESS                  |         |               |
      | IopCompleteRequest | r1     |         | STATUS_SUCCESS                  |         |               |
    And the debug output does not contain "Enter MyIoCompletion"
    And no bug check occurred
    And no thread is blocked
