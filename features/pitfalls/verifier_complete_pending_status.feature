@pitfall @verifier
Feature: Pitfall - completing an IRP with STATUS_PENDING under Driver Verifier
  A read dispatch routine puts STATUS_PENDING into IoStatus.Status and then calls
  IoCompleteRequest. A completed IRP needs a final status; with I/O Verification on,
  IoCompleteRequest refuses it at entry.

  Scenario: Verifier bug-checks a read completed with STATUS_PENDING - 0xC9 code 0x6
    Given the scenario "pitfalls/verifier_complete_pending_status.yaml"
    When the application runs
    # spec/verifier-rules.md R12 (★): 0xC9 P1=0x6, P2 status, P3 IRP; 0xC9 codes §6.1
    # "0x6 IoCompleteRequest with STATUS_PENDING/-1"; io-core §5.1 (not a 0x44)
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 0x6, status STATUS_PENDING, IRP of "r1", 0
    # io-core §5.1: the check is at IoCompleteRequest's entry, in the dispatch routine
    And the trace contains in order:
      | kind              | irp_of | status         | context |
      | IoCompleteRequest | r1     | STATUS_PENDING | thread  |
      | BugCheck          |        |                | thread  |
    And the debug output contains "Enter HelloDDKRead"
    And the debug output does not contain "Leave HelloDDKRead"
