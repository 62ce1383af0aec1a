@pitfall
Feature: Pitfall - a filter that changes the status of a PnP IRP it does not handle
  A filter must pass a PnP minor it does not handle down without touching IoStatus
  (pnp-hardware §2.8). Here the function driver below vetoes QUERY_REMOVE because the
  device is in use (§2.9), and the device is uninstalled while the app has it open.

  Scenario: The filter completes QUERY_REMOVE with STATUS_SUCCESS - the device is removed anyway
    Given the scenario "pitfalls/filter_overrides_pnp_veto.yaml"
    When the application runs
    # §2.10: if every QUERY_REMOVE succeeds, REMOVE_DEVICE follows; the PnP manager sees
    # the filter's STATUS_SUCCESS, not VetoFdo's refusal
    Then the debug output is:
      """
      VetoFdo: QUERY_REMOVE refused, the device is in use
      VetoFdo: REMOVE_DEVICE
      """
    And the device "ROOT\UNKNOWN\0000" is removed
    And the object "\Device\VetoFdo" does not exist

  Scenario: The filter passes it down untouched - the veto holds and CANCEL_REMOVE follows
    Given the scenario "pitfalls/filter_passes_pnp_veto.yaml"
    When the application runs
    # §2.10: a failed QUERY_REMOVE makes the PnP manager send CANCEL_REMOVE to the stack
    Then the debug output is:
      """
      VetoFdo: QUERY_REMOVE refused, the device is in use
      """
    And the device "ROOT\UNKNOWN\0000" is started
    And the object "\Device\VetoFdo" exists
    And no bug check occurred
