@example
Feature: PnP notifications - a client driver follows HelloWDM's device interface
  IfWatch registers for interface changes of MY_WDM_DEVICE in DriverEntry. The PnP
  manager calls it back at PASSIVE_LEVEL in its event worker when HelloWDM's interface
  arrives (after START_DEVICE) and when it goes (at REMOVE_DEVICE); the callback opens the
  device by the SymbolicLinkName it is given (pnp-hardware §3.2-§3.4, §1.6).

  Scenario: The arrival is heard after START, the device opened by its link, the removal heard at uninstall
    Given the scenario "examples/pnp_interface_notification.yaml"
    When the application runs
    # §3.3: nothing is enabled yet when IfWatch registers (it loads with the system
    # drivers, before the devnodes start), so INCLUDE_EXISTING reports nothing
    Then the debug output contains in order:
      | IfWatch: Enter DriverEntry                                   |
      | IfWatch: IoRegisterPlugPlayNotification returned 0x00000000  |
      | IfWatch: Leave DriverEntry                                   |
      | Enter HelloWDMAddDevice                                      |
      | PNP Request (IRP_MN_START_DEVICE)                            |
      | PNP Request (IRP_MN_QUERY_DEVICE_RELATIONS)                  |
      | IfWatch: notification version 1, size 40, PASSIVE_LEVEL     |
      | IfWatch: arrival of \??\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860} |
      | Enter HelloWDMDispatchRoutine                                |
      | Leave HelloWDMDispatchRoutine                                |
      | IfWatch: ZwCreateFile returned 0x00000000                    |
      | Enter HelloWDMDispatchRoutine                                |
      | Leave HelloWDMDispatchRoutine                                |
    # §3.2-§3.3: the enable HelloWDM made in AddDevice is announced once START completed,
    # later, in the System thread PnpEventWorker; the open by the notified name reaches
    # the unnamed FDO at the top of the PDO's stack (§3.4), and ZwClose sends CLEANUP and
    # CLOSE from the callback
    And the trace contains in order:
      | kind          | api                     | details.event                 | thread         |
      | ServiceCall   | IoSetDeviceInterfaceState |                             |                |
      | ServiceCall   | PnpNotificationCallback | GUID_DEVICE_INTERFACE_ARRIVAL | PnpEventWorker |
      | ServiceCall   | ZwCreateFile            |                               | PnpEventWorker |
      | ServiceReturn | PnpNotificationCallback |                               | PnpEventWorker |
    And the trace contains in order:
      | kind         | driver   | major          | thread         |
      | IoCallDriver | HelloWDM | IRP_MJ_CREATE  | PnpEventWorker |
      | IoCallDriver | HelloWDM | IRP_MJ_CLEANUP | PnpEventWorker |
      | IoCallDriver | HelloWDM | IRP_MJ_CLOSE   | PnpEventWorker |
    # §3.2-§3.3: HandleRemoveDevice disables the interface, the worker reports the
    # removal; at 2 s DriverUnload unregisters (§1.6) and the image goes (§1.5 step 4)
    And the debug output contains in order:
      | PNP Request (IRP_MN_REMOVE_DEVICE)                           |
      | Enter HandleRemoveDevice                                     |
      | Enter HelloWDMUnload                                         |
      | IfWatch: removal of \??\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860} |
      | IfWatch: Enter DriverUnload                                  |
      | IfWatch: Leave DriverUnload                                  |
    And the debug line "IfWatch: removal of" was printed at 1 s
    And the trace contains in order:
      | kind          | api                                | details.image | thread         |
      | ServiceCall   | PnpNotificationCallback            |               | PnpEventWorker |
      | ServiceCall   | IoUnregisterPlugPlayNotificationEx |               | Worker:IfWatch |
      | ServiceCall   | MmUnloadSystemImage                | IfWatch.sys   | Worker:IfWatch |
    And "stop" returned TRUE with 0 bytes
    And the debug output contains "IfWatch: notification version 1" 2 times
    And the device "ROOT\UNKNOWN\0000" is removed
    And the object "\Driver\IfWatch" does not exist
    And no bug check occurred
    And no thread is blocked
