@book @chapter13
Feature: CH13-StartResources - START_DEVICE forwarded and waited for, then the assigned resources (#48, §13.4)
  Chapter 13's Test3 installs HelloWDM on a RealTek RTL8139 NIC (INF hardware ID
  PCI\VEN_10EC&DEV_8139). HandleStartDevice forwards START_DEVICE to the bus driver and
  waits (a completion routine that sets an event and returns
  STATUS_MORE_PROCESSING_REQUIRED), prints Parameters.StartDevice.AllocatedResources and
  AllocatedResourcesTranslated descriptor by descriptor, and completes the IRP with the
  status the bus driver left (book-experiments.md #48).

  Scenario: On an RTL8139 both lists hold its I/O ports, its memory range and its interrupt
    Given the scenario "book/ch13_start_resources.yaml"
    # #48 "Observed output" (code + inferred): in both lists an I/O port range of length
    # 0x100, a memory range of 0x100 and an interrupt whose level and vector differ
    # between raw and translated, affinity 1 on a uniprocessor. pnp-hardware §2.5 item 2
    # and §5.1: the translated interrupt holds the system vector and, as Level, the IRQL
    # for IoConnectInterrupt; the PIC HAL gives IRQ 11 vector 0x3B and IRQL 27 - 11 =
    # 0x10, affinity = the active processors. The raw Affinity is what the bus wrote,
    # (KAFFINITY)-1 (ReactOS's arbiters; the catalog's "1" for both is inferred). Ports
    # and memory translate to themselves on x86. Each KdPrint is its own line here: the
    # book's "    type %s" has no newline, so DbgView may join it with the next one.
    Then the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloWDMAddDevice
      Leave HelloWDMAddDevice
      Enter HelloWDMPnp
      PNP Request (IRP_MN_FILTER_RESOURCE_REQUIREMENTS)
      Enter DefaultPnpHandler
      Leave DefaultPnpHandler
      Leave HelloWDMPnp
      Enter HelloWDMPnp
      PNP Request (IRP_MN_START_DEVICE)
      Enter HandleStartDevice
      Show raw resouces
          type CmResourceTypePort
       start        00000C000 length 100
          type CmResourceTypeMemory
       start        0F4000000 length 100
          type CmResourceTypeInterrupt
        level B, vector B, affinity FFFFFFFF
      Show translated resouces
          type CmResourceTypePort
       start        00000C000 length 100
          type CmResourceTypeMemory
       start        0F4000000 length 100
          type CmResourceTypeInterrupt
        level 10, vector 3B, affinity 1
      Leave HandleStartDevice
      Leave HelloWDMPnp
      Enter HelloWDMPnp
      PNP Request (IRP_MN_QUERY_CAPABILITIES)
      Enter DefaultPnpHandler
      Leave DefaultPnpHandler
      Leave HelloWDMPnp
      Enter HelloWDMPnp
      PNP Request (IRP_MN_QUERY_PNP_DEVICE_STATE)
      Enter DefaultPnpHandler
      Leave DefaultPnpHandler
      Leave HelloWDMPnp
      Enter HelloWDMPnp
      PNP Request (IRP_MN_QUERY_DEVICE_RELATIONS)
      Enter DefaultPnpHandler
      Leave DefaultPnpHandler
      Leave HelloWDMPnp
      """
    # #48 step 1: ForwardAndWait - the PDO completes START first, OnRequestComplete stops
    # the walk; step 4: HelloWDM completes it again with the bus driver's status
    And the trace contains in order:
      | kind              | driver     | major      | status                          |
      | IoCompleteRequest | PnpManager | IRP_MJ_PNP | STATUS_SUCCESS                  |
      | CompletionReturn  | HelloWDM   | IRP_MJ_PNP | STATUS_MORE_PROCESSING_REQUIRED |
      | IoCompleteRequest | HelloWDM   | IRP_MJ_PNP | STATUS_SUCCESS                  |
    And the device "PCI\VEN_10EC&DEV_8139&SUBSYS_813910EC&REV_10\3&61AAA01&0&18" is started
    # the PnP manager owns both lists (two CM_RESOURCE_LISTs of 68 bytes: Count, one
    # full descriptor, three partial ones) while the device has its resources
    And the pool holds 2 blocks of 136 bytes tagged "PnpR"
    And no bug check occurred
    When 1 s passes
    # uninstall (#47's REMOVE path): the device's resources are released with it
    Then the debug output contains in order:
      | PNP Request (IRP_MN_QUERY_REMOVE_DEVICE) |
      | PNP Request (IRP_MN_REMOVE_DEVICE)       |
      | Enter HandleRemoveDevice                 |
      | Leave HandleRemoveDevice                 |
      | Enter HelloWDMUnload                     |
    And the device "PCI\VEN_10EC&DEV_8139&SUBSYS_813910EC&REV_10\3&61AAA01&0&18" is removed
    And the pool holds 0 blocks of 0 bytes tagged "PnpR"
    And no bug check occurred

  Scenario: On a root-enumerated fake device AllocatedResources is NULL - a blue screen in the PnP worker
    Given the scenario "book/ch13_start_resources_fake_device.yaml"
    # #48 pitfall: installed with T1's INF on ROOT\UNKNOWN\0000, AllocatedResources is
    # NULL and ShowResources dereferences it at once (inferred). pnp-hardware §2.5 item 2:
    # both lists are NULL for every root-enumerated fake device; the read of list->Count
    # at &NULL->List[0].PartialResourceList + 4 = 0x10 faults in the PnP worker, a system
    # thread at PASSIVE_LEVEL: 0x7E with STATUS_ACCESS_VIOLATION (inferred there too)
    Then the debug output contains in order:
      | PNP Request (IRP_MN_START_DEVICE) |
      | Enter HandleStartDevice           |
      | Show raw resouces                 |
    And the debug output does not contain "type CmResourceType"
    And the debug output does not contain "Show translated resouces"
    And the machine bug-checked with SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E)
    And the bug check parameter 1 is 0xC0000005
    And the bug check parameter 4 is 0x10
