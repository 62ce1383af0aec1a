@pitfall @verifier
Feature: Pitfall - forwarding a create at DISPATCH_LEVEL
  A filter passes IRP_MJ_CREATE down while it holds the cancel spin lock. Read, write,
  device control and power IRPs may travel at DISPATCH_LEVEL; a create may not.

  Scenario: Driver Verifier bug-checks a create sent at DISPATCH_LEVEL
    Given the scenario "pitfalls/verifier_forward_create_at_dispatch.yaml"
    When the application runs
    # spec/verifier-rules.md R42 ForwardedAtBadIrql; 0xC9 codes §6.1: 0x23A F "forwarded
    # at IRQL illegal for the major" (P2 the site in the driver: 0 in the model)
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameters are 0x23A, 0, IRP of "h", IRQL DISPATCH_LEVEL
    And the trace contains in order:
      | kind         | driver | irp_of | irql           |
      | IoCallDriver | Filter | h      | PASSIVE_LEVEL  |
      | IoCallDriver | Lower  | h      | DISPATCH_LEVEL |
      | BugCheck     |        |        | DISPATCH_LEVEL |
