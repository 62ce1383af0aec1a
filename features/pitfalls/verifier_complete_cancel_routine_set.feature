@pitfall @verifier
Feature: Pitfall - completing an IRP with its cancel routine still set under Driver Verifier
  A read dispatch routine installs a cancel routine with IoSetCancelRoutine and then
  completes the read without taking the routine back (IoSetCancelRoutine(Irp, NULL)).
  With I/O Verification on, IoCompleteRequest refuses an IRP that is still cancelable.

  Scenario: Verifier bug-checks a read completed with OnCancel still set - 0xC9 code 0x7
    Given the scenario "pitfalls/verifier_complete_cancel_routine_set.yaml"
    When the application runs
    # spec/verifier-rules.md R13 (★): 0xC9 P1=0x7, P2 cancel routine, P3 IRP; 0xC9 codes
    # §6.1 "0x7 IoCompleteRequest with cancel routine set"; io-core §5.1
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 0x7, routine "OnCancel", IRP of "r1", 0
    # io-core §5.1: the check is at IoCompleteRequest's entry, in the dispatch routine
    And the trace contains in order:
      | kind              | irp_of | status         | context |
      | IoCompleteRequest | r1     | STATUS_SUCCESS | thread  |
      | BugCheck          |        |                | thread  |
    # the cancel routine itself never ran: nobody cancelled the read
    And the debug output does not contain "Enter OnCancel"
    And the debug output does not contain "Leave HelloDDKRead"
