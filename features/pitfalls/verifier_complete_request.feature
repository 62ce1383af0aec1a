@pitfall @verifier @chapter12
Feature: Pitfall - completing an IRP the driver no longer owns (SDV CompleteRequest)
  Book #45's forward-and-wait whose completion routine returns STATUS_SUCCESS instead of
  STATUS_MORE_PROCESSING_REQUIRED: the IRP finishes completing, and DriverB's second
  IoCompleteRequest is on an IRP that is no longer its own.

  Scenario: The verifier reports CompleteRequest, then Windows' bug check 0x44
    Given the scenario "pitfalls/verifier_complete_request.yaml"
    When the application runs
    # verifier-rules R16 CompleteRequest (an SDV rule; its runtime symptom is 0x44): the
    # completion routine let completion continue (and without IoMarkIrpPending after
    # PendingReturned: 0xC9 0x228, R07); the second IoCompleteRequest is 0x44, P1 the IRP
    Then the trace reports a rule violation containing "0xC9 0x228"
    And the trace reports a rule violation containing "CompleteRequest"
    And the machine bug-checked with MULTIPLE_IRP_COMPLETE_REQUESTS (0x44)
    And the bug check parameter 1 is the IRP of "r1"
    And the trace contains in order:
      | kind      | details.rule    |
      | Violation | 0xC9 0x228      |
      | Violation | CompleteRequest |
      | BugCheck  |                 |
