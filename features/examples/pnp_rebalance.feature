Feature: A rebalance stops and restarts a device (pnp-hardware §2.9, §2.5 item 3)
  The PnP manager asks QUERY_STOP_DEVICE; when every driver agrees, STOP_DEVICE, then
  START_DEVICE again once the resources are reassigned. A driver holds new I/O from the
  successful QUERY_STOP until the restart. A driver that cannot hold its I/O fails
  QUERY_STOP, and CANCEL_STOP_DEVICE goes to the whole stack.

  Scenario: A read made while the device is stopped is held and served by the restart
    Given the scenario "examples/pnp_rebalance.yaml"
    When the application runs
    Then the debug output contains in order:
      | IRP_MN_START_DEVICE: the bus is done |
      | QUERY_PNP_DEVICE_STATE               |
      | read completed                       |
      | QUERY_STOP: holding new I/O          |
      | STOP_DEVICE                          |
      | read held while stopped              |
      | IRP_MN_START_DEVICE: the bus is done |
    # hold: 500ms of the arbiter's work between STOP and START
    And the debug line "STOP_DEVICE" was printed at 1 s
    And "r1" completes with STATUS_SUCCESS and 8 bytes at 1.5 s
    # §2.5 item 3: no QUERY_PNP_DEVICE_STATE after a restart that follows STOP
    And the debug output contains "QUERY_PNP_DEVICE_STATE" 1 time
    And the device "ROOT\UNKNOWN\0000" is started
    And no bug check occurred
    And no thread is blocked

  Scenario: A driver that vetoes QUERY_STOP gets CANCEL_STOP and stays started
    Given the scenario "examples/pnp_rebalance_veto.yaml"
    When the application runs
    Then the debug output is:
      """
      IRP_MN_START_DEVICE: the bus is done
      QUERY_PNP_DEVICE_STATE
      read completed
      QUERY_STOP vetoed
      IRP_MN_CANCEL_STOP_DEVICE: the bus is done
      read completed
      """
    And "r1" completes with STATUS_SUCCESS and 8 bytes at 1.203125 s
    And the device "ROOT\UNKNOWN\0000" is started
    And no bug check occurred

  Scenario: Driven by a step, the rebalance runs now
    Given the scenario "examples/pnp_rebalance.yaml"
    When the device "ROOT\UNKNOWN\0000" is stopped for rebalance
    Then the debug output contains in order:
      | QUERY_STOP: holding new I/O          |
      | STOP_DEVICE                          |
      | IRP_MN_START_DEVICE: the bus is done |
    And the debug output contains "IRP_MN_START_DEVICE: the bus is done" 2 times
