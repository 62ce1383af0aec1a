@pitfall
Feature: Pitfall - a driver unloaded without unregistering its PnP notification
  IfWatchLeaky's DriverUnload forgets IoUnregisterPlugPlayNotificationEx (pnp-hardware
  §1.6). The registration references the driver object, as documented (§3.3), so the stop
  runs DriverUnload but the image is never unmapped and the callback keeps being called.

  Scenario: The callback runs after DriverUnload and the image stays loaded
    Given the scenario "pitfalls/pnp_notification_not_unregistered.yaml"
    When the application runs
    # §3.3: INCLUDE_EXISTING reports HelloWDM's interface, enabled at boot, in the loading
    # thread before IoRegisterPlugPlayNotification returns
    Then the trace contains in order:
      | kind          | api                            | details.event                 | thread              |
      | ServiceCall   | IoRegisterPlugPlayNotification |                               | Worker:IfWatchLeaky |
      | ServiceCall   | PnpNotificationCallback        | GUID_DEVICE_INTERFACE_ARRIVAL | Worker:IfWatchLeaky |
      | ServiceReturn | IoRegisterPlugPlayNotification |                               | Worker:IfWatchLeaky |
    # §1.5 step 4, §3.3: DriverUnload ran, but the registration still holds the driver
    # object: the removal at 1 s is delivered into the unloaded driver, which is still
    # mapped, so it runs (no 0xCE); a new StartService finds the image loaded
    And the debug output contains in order:
      | IfWatchLeaky: arrival of \??\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860} |
      | IfWatchLeaky: registered                                                              |
      | IfWatchLeaky: DriverUnload                                                            |
      | IfWatchLeaky: removal of \??\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860} |
    And the debug output contains "IfWatchLeaky: registered" 1 time
    And "stop" returned TRUE with 0 bytes
    And "again" returned FALSE with error ERROR_SERVICE_ALREADY_RUNNING
    And the trace contains in order:
      | kind        | api                 | details.image |
      | ServiceCall | MmUnloadSystemImage | HelloWDM.sys  |
    And the object "\Driver\IfWatchLeaky" does not exist
    And no bug check occurred
