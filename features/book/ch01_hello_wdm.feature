@book @chapter1
Feature: CH01-HelloWDM - a WDM driver on a root-enumerated devnode, from AddDevice to uninstall (#2, §1.2)
  HelloWDM is installed for ROOT\UNKNOWN\0000. The PnP manager loads it, calls AddDevice,
  which attaches \Device\MyWDMDevice to the root enumerator's PDO, and starts the device;
  every PnP IRP goes through HelloWDMPnp (names printed in the checked build) to
  DefaultPnpHandler, except REMOVE_DEVICE. Uninstalling the device in Device Manager
  removes it and unloads the driver (book-experiments.md #2).

  Scenario: Load, AddDevice and the PnP IRPs of a start; then the uninstall
    Given the scenario "book/ch01_hello_wdm.yaml"
    # book-experiments.md #2 "Observed output" (code): Load: Enter/Leave DriverEntry,
    # Enter/Leave HelloWDMAddDevice, then a run of PnP lines. The order of that run is
    # the spec's, not the book's (which says it is inferred): FILTER_RESOURCE_REQUIREMENTS
    # after AddDevice, START_DEVICE, then QUERY_CAPABILITIES, QUERY_PNP_DEVICE_STATE and
    # QUERY_DEVICE_RELATIONS (pnp-hardware §2.5 items 1-3)
    Then the debug output contains in order:
      | Enter DriverEntry                                  |
      | Leave DriverEntry                                  |
      | Enter HelloWDMAddDevice                            |
      | Leave HelloWDMAddDevice                            |
      | PNP Request (IRP_MN_FILTER_RESOURCE_REQUIREMENTS)  |
      | PNP Request (IRP_MN_START_DEVICE)                  |
      | PNP Request (IRP_MN_QUERY_CAPABILITIES)            |
      | PNP Request (IRP_MN_QUERY_PNP_DEVICE_STATE)        |
      | PNP Request (IRP_MN_QUERY_DEVICE_RELATIONS)        |
    And the debug output does not contain "IRP_MN_QUERY_REMOVE_DEVICE"
    # #2 "Stack/roles": the FDO is attached on top of the PDO (StackSize 2) and the
    # link \DosDevices\HelloWDM exists; §2.8: the root PDO completes what the FDO passes
    And the device "ROOT\UNKNOWN\0000" is started
    And the object "\DosDevices\HelloWDM" exists
    And the trace contains in order:
      | kind              | driver     | major      | status         |
      | IoCompleteRequest | PnpManager | IRP_MJ_PNP | STATUS_SUCCESS |
    When 1 s passes
    # #2 "Observed output": Uninstall: QUERY_REMOVE_DEVICE, then REMOVE_DEVICE with
    # Enter/Leave HandleRemoveDevice, then Enter/Leave HelloWDMUnload
    Then the debug output contains in order:
      | PNP Request (IRP_MN_QUERY_REMOVE_DEVICE) |
      | Enter DefaultPnpHandler                  |
      | Leave HelloWDMPnp                        |
      | PNP Request (IRP_MN_REMOVE_DEVICE)       |
      | Enter HandleRemoveDevice                 |
      | Enter DefaultPnpHandler                  |
      | Leave DefaultPnpHandler                  |
      | Leave HandleRemoveDevice                 |
      | Leave HelloWDMPnp                        |
      | Enter HelloWDMUnload                     |
      | Leave HelloWDMUnload                     |
    And the debug output contains "Enter HelloWDMUnload" 1 time
    And the device "ROOT\UNKNOWN\0000" is removed
    And the object "\DosDevices\HelloWDM" does not exist
    And the object "\Device\MyWDMDevice" does not exist
    And the object "\Driver\HelloWDM" does not exist
    And no bug check occurred
    And no thread is blocked

  Scenario: The driver of a PnP device does not accept net stop
    Given the scenario "book/ch01_hello_wdm.yaml"
    # pnp-hardware §1.5 step 2: NtUnloadDriver unloads only legacy drivers; the SCM
    # reports ERROR_INVALID_SERVICE_CONTROL (win32-io §7.4)
    When the service "HelloWDM" is stopped as "stop"
    Then "stop" returned FALSE with error ERROR_INVALID_SERVICE_CONTROL
    And the device "ROOT\UNKNOWN\0000" is started
