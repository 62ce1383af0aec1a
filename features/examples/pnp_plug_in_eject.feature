Feature: A device plugged in after boot, and ejected (pnp-hardware §2.2, §2.10)
  A root-enumerated device declared with present_at appears later: the root enumerator
  reports its new PDO in the root devnode's BusRelations and the PnP manager starts it
  as at boot. An eject runs the orderly removal and then, when the capabilities the
  device reported say EjectSupported, sends IRP_MN_EJECT to its PDO.

  Scenario: Plugged in at 1 s, started; ejected at 2 s, EJECT after REMOVE_DEVICE
    Given the scenario "examples/pnp_plug_in_eject.yaml"
    When the application runs
    # §2.2-§2.5: the new devnode's drivers load and start then, as at boot
    Then the debug line "EjectWDM AddDevice" was printed at 1 s
    And the debug output contains in order:
      | HeldWDM AddDevice                                  |
      | EjectWDM AddDevice                                 |
      | PNP Request (IRP_MN_START_DEVICE)                  |
      | PNP Request (IRP_MN_QUERY_PNP_DEVICE_STATE)        |
      | PNP Request (IRP_MN_QUERY_DEVICE_RELATIONS)        |
      | PNP Request (IRP_MN_QUERY_DEVICE_RELATIONS)        |
      | PNP Request (IRP_MN_QUERY_REMOVE_DEVICE)           |
      | PNP Request (IRP_MN_REMOVE_DEVICE)                 |
      | EjectWDM Unload                                    |
    # §2.10: IRP_MN_EJECT goes to what is left of the stack - the root PDO - after the
    # removal, and the device leaves the tree
    And the trace contains in order:
      | kind        | api          |
      | ServiceCall | DriverUnload |
      | ServiceCall | IopSendEject |
    And the device "ROOT\UNKNOWN\0001" is removed
    And the object "\Driver\EjectWDM" does not exist
    And the device "ROOT\UNKNOWN\0000" is started
    And no bug check occurred

  Scenario: A device that cannot eject itself is removed from use and held (Code 47)
    Given the scenario "examples/pnp_plug_in_eject.yaml"
    When the device "ROOT\UNKNOWN\0000" is ejected
    Then the debug output contains "HeldWDM Unload" 1 time
    And the device "ROOT\UNKNOWN\0000" has problem code 47
    And the object "\Driver\HeldWDM" does not exist

  Scenario: A step plugs the device in before its time
    Given the scenario "examples/pnp_plug_in_eject.yaml"
    When the device "ROOT\UNKNOWN\0001" is plugged in
    Then the device "ROOT\UNKNOWN\0001" is started
    And the debug output contains "EjectWDM AddDevice" 1 time
