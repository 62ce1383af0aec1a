@pitfall
Feature: Pitfall - a WDM driver that leaves IRP_MJ_POWER to the default routine (book #2)
  HelloWDM registers no power routine (book-experiments.md #2 "Pitfalls": it may upset
  sleep and shutdown). On XP every driver of a stack must call PoStartNextPowerIrp once
  per QUERY_POWER / SET_POWER and pass the IRP on with PoCallDriver (pnp-hardware §4.2).

  Scenario: The first standby is vetoed, the second waits forever for the FDO
    Given the scenario "pitfalls/power_irp_not_handled.yaml"
    When the application runs
    # §4.3: the invalid-request routine completes the power IRP at the top, without
    # passing it down: the PDO never sees it; QUERY_POWER failing vetoes the transition;
    # PoStartNextPowerIrp never called blocks the next power IRP for the device
    Then the trace contains in order:
      | kind              | driver   | major        | status                        |
      | IoCompleteRequest | HelloWDM | IRP_MJ_POWER | STATUS_INVALID_DEVICE_REQUEST |
    And the trace contains in order:
      | kind        | details.api | details.held |
      | ServiceCall | PoVetoed    |              |
      | ServiceCall | PoCallDriver | True        |
    And the thread "PoWorker" is still blocked

  Scenario: PoStartNextPowerIrp and PoCallDriver in every driver: standby, resume, standby
    Given the scenario "pitfalls/power_irp_passed_down.yaml"
    When the application runs
    # §4.2: each QUERY_POWER / SET_POWER reaches the root PDO, which completes it
    Then the debug output is:
      """
      power 3
      power 2
      power 2
      power 3
      power 2
      """
    And the trace contains in order:
      | kind              | driver     | major        | status         |
      | IoCompleteRequest | PnpManager | IRP_MJ_POWER | STATUS_SUCCESS |
    And no thread is blocked
    And no bug check occurred
