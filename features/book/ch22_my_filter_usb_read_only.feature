@book @chapter22
Feature: CH22-MyFilter-UsbReadOnly - a lower filter patches MODE SENSE and the USB disk becomes write-protected (#50, §22.1)
  MyFilter is a WDM filter the reader registers by hand as the USB disk's LowerFilters:
  its FiDO sits between disk.sys and USBSTOR's disk PDO, where requests travel as
  IRP_MJ_SCSI SRBs. Its completion routine sets MODE_DSP_WRITE_PROTECT in every MODE
  SENSE(6) reply, so disk.sys believes the stick is write-protected
  (book-experiments.md #50; stacks-services 3.2-3.5, 3.8).

  Scenario: MyFilter loads with the stick's stack and every MODE SENSE comes back write-protected
    Given the scenario "book/ch22_my_filter_usb_read_only.yaml"
    # #50 "Driver behaviour": DriverEntry prints DRIVERNAME's line with the driver object;
    # DispatchPnp prints each minor's name. The PnP manager calls the lower filter's
    # AddDevice first (stacks-services 3.2), so it sees every PnP IRP after the
    # identification queries, which only the PDO answers (pnp-hardware §2.3-§2.5).
    # "Observed output" (code): on each MODE SENSE `SCSIOP_MODE_SENSE comming!` (sic):
    # disk.sys's start reads the caching page
    Then the debug output is:
      """
      MyFileFilter(zhangfan!) - Entering DriverEntry: DriverObject %x
      MyFileFilter(zhangfan!) - IRP_MJ_PNP (IRP_MN_FILTER_RESOURCE_REQUIREMENTS)
      MyFileFilter(zhangfan!) - IRP_MJ_PNP (IRP_MN_START_DEVICE)
      SCSIOP_MODE_SENSE comming!
      MyFileFilter(zhangfan!) - IRP_MJ_PNP (IRP_MN_QUERY_CAPABILITIES)
      MyFileFilter(zhangfan!) - IRP_MJ_PNP (IRP_MN_QUERY_PNP_DEVICE_STATE)
      MyFileFilter(zhangfan!) - IRP_MJ_PNP (IRP_MN_QUERY_DEVICE_RELATIONS)
      """
    And the device "USBSTOR\Disk&Ven_Kingston&Prod_DataTraveler_2.0&Rev_1.00\5B6A08000000&0" is started
    # #50 "Stack/roles": disk.sys above, the filter, USBSTOR's PDO below; the SRBs of
    # disk.sys's start (READ CAPACITY, then MODE SENSE) pass through DispatchForSCSI
    # (IRP_MJ_SCSI = IRP_MJ_INTERNAL_DEVICE_CONTROL) to USBSTOR, which pends them
    And the trace contains in order:
      | kind           | driver   | major                          | status         |
      | IoCallDriver   | Disk     | IRP_MJ_PNP                     |                |
      | IoCallDriver   | MyFilter | IRP_MJ_INTERNAL_DEVICE_CONTROL |                |
      | IoCallDriver   | USBSTOR  | IRP_MJ_INTERNAL_DEVICE_CONTROL |                |
      | DispatchReturn | USBSTOR  | IRP_MJ_INTERNAL_DEVICE_CONTROL | STATUS_PENDING |
    And the object "\Device\Harddisk1\DR1" exists
    And the object "\Driver\MyFilter" exists

  Scenario: The app finds the disk write-protected, its write refused, its read served
    Given the scenario "book/ch22_my_filter_usb_read_only.yaml"
    When the application runs
    # #50 "Observed output" (P-usbro): the disk is reported write-protected at once.
    # stacks-services 3.4: IOCTL_DISK_IS_WRITABLE answers from MODE SENSE's bit:
    # STATUS_MEDIA_WRITE_PROTECTED -> ERROR_WRITE_PROTECT (19)
    Then "writable" returned FALSE with error ERROR_WRITE_PROTECT
    # 3.8: writes fail with STATUS_MEDIA_WRITE_PROTECTED -> ERROR_WRITE_PROTECT; reads
    # work. Whether disk.sys itself refuses the write is open in 3.4; the model's
    # disk.sys does, so nothing reaches the stick
    And "w" returned FALSE with error ERROR_WRITE_PROTECT
    And "w" completes with STATUS_MEDIA_WRITE_PROTECTED and 0 bytes at 3 ms
    And "r" returned TRUE with 512 bytes
    And the buffer of "r" holds "Hello from the stick!"
    And the medium of "USBSTOR\Disk&Ven_Kingston&Prod_DataTraveler_2.0&Rev_1.00\5B6A08000000&0" holds "Hello from the stick!" at block 0
    # one MODE SENSE at the start, one for IOCTL_DISK_IS_WRITABLE
    And the debug output contains "SCSIOP_MODE_SENSE comming!" 2 times
    # #50 "Pitfalls": the completion routine runs (and takes the remove lock) at up to
    # DISPATCH_LEVEL: USBSTOR completes from its transfer's DPC (stacks-services 3.2)
    And the trace contains in order:
      | kind              | driver   | routine           | irql           | context    |
      | IoCompleteRequest | USBSTOR  |                   | DISPATCH_LEVEL | dpc        |
      | CompletionRoutine | MyFilter | USBSCSICompletion | DISPATCH_LEVEL | completion |
      | DbgPrint          |          |                   | DISPATCH_LEVEL | completion |
    And the pool holds 0 blocks of 0 bytes tagged "ClSr"
    And no bug check occurred
    And no thread is blocked

  Scenario: Uninstalling the stick removes the FiDO and unloads MyFilter
    Given the scenario "book/ch22_my_filter_usb_read_only.yaml"
    When the device "USBSTOR\Disk&Ven_Kingston&Prod_DataTraveler_2.0&Rev_1.00\5B6A08000000&0" is uninstalled
    # #50 DispatchPnp: REMOVE_DEVICE is passed down, then IoReleaseRemoveLockAndWait and
    # RemoveDevice (`Enter RemoveDevice`, detach, delete); with its last device gone the
    # filter is unloaded (pnp-hardware §2.10-§2.11)
    Then the debug output contains in order:
      | MyFileFilter(zhangfan!) - IRP_MJ_PNP (IRP_MN_QUERY_REMOVE_DEVICE) |
      | MyFileFilter(zhangfan!) - IRP_MJ_PNP (IRP_MN_REMOVE_DEVICE)       |
      | Enter RemoveDevice                                                 |
      | MyFileFilter(zhangfan!) - Entering DriverUnload: DriverObject %x  |
    And the device "USBSTOR\Disk&Ven_Kingston&Prod_DataTraveler_2.0&Rev_1.00\5B6A08000000&0" is removed
    And the object "\Device\Harddisk1\DR1" does not exist
    And the object "\Driver\MyFilter" does not exist
    And no bug check occurred

  Scenario: Without the LowerFilters value MyFilter never loads and the stick stays writable
    Given the scenario "book/ch22_my_filter_not_registered.yaml"
    When the application runs
    # #50 "Pitfalls": without the registry filter value the driver never loads
    Then the debug output does not contain "MyFileFilter(zhangfan!)"
    And the debug output does not contain "SCSIOP_MODE_SENSE comming!"
    And "writable" returned TRUE with 0 bytes
    And "w" returned TRUE with 512 bytes
    And "r" returned TRUE with 512 bytes
    And the buffer of "r" holds "BB*512"
    And the medium of "USBSTOR\Disk&Ven_Kingston&Prod_DataTraveler_2.0&Rev_1.00\5B6A08000000&0" holds "BB*512" at block 0
    And the object "\Driver\MyFilter" does not exist
    And no bug check occurred
