@pitfall
Feature: Pitfall - the device is pulled while a read is pending
  A WDM driver keeps reads pending in a list. One second after the app's overlapped read,
  the device is surprise-removed: SURPRISE_REMOVAL comes at once, REMOVE_DEVICE only after
  the last close of the device (pnp-hardware §2.10). A SURPRISE_REMOVAL handler must fail
  the I/O it holds (§2.9).

  Scenario: A handler that only passes SURPRISE_REMOVAL down keeps the read: no REMOVE, no unload
    Given the scenario "pitfalls/surprise_removal_with_pending_read.yaml"
    When the application runs
    # §2.10: "If a component never closes its handle, REMOVE never comes and the driver
    # never unloads": the pending read holds the file object past CloseHandle, so
    # IRP_MJ_CLOSE never comes; the app's thread cannot end with its read outstanding
    Then the debug output contains in order:
      | read pended      |
      | SURPRISE_REMOVAL |
    And the debug output does not contain "REMOVE_DEVICE"
    And the debug output does not contain "Unload"
    And "r1" has not completed
    And the thread "main" is still blocked
    And the object "\Driver\HelloWDM" exists

  Scenario: Failing the queued read at SURPRISE_REMOVAL lets the last close bring REMOVE_DEVICE
    Given the scenario "pitfalls/surprise_removal_fails_pending_read.yaml"
    When the application runs
    # §2.9: SurpriseRemoved fails outstanding I/O; STATUS_DELETE_PENDING reaches the app
    # as ERROR_ACCESS_DENIED (kernel-env §0); §2.10: REMOVE_DEVICE after the last close,
    # from the PnP worker; §2.11: then the driver unloads
    Then "r1" completes with STATUS_DELETE_PENDING and 0 bytes at 1 s
    And "res" returned FALSE with error ERROR_ACCESS_DENIED
    And the debug output is:
      """
      read pended
      SURPRISE_REMOVAL
      REMOVE_DEVICE
      Unload
      """
    And the debug line "REMOVE_DEVICE" was printed in process "System"
    And the device "ROOT\UNKNOWN\0000" is removed
    And no thread is blocked
    And no bug check occurred
