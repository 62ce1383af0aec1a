@pitfall @chapter22
Feature: Pitfall - a USB read-only filter that fails SCSI WRITE instead of patching MODE SENSE
  The variant P-usbro warns against (stacks-services 3.5's hardening alone, 3.8's
  WRITE-only variant): the lower filter completes every WRITE(10) SRB with CHECK
  CONDITION and DATA PROTECT sense but leaves MODE SENSE alone, so the disk still says it
  is writable.

  Scenario: IOCTL_DISK_IS_WRITABLE says writable, and the write fails only at the device level
    Given the scenario "pitfalls/usb_write_only_filter.yaml"
    When the application runs
    # 3.4: MODE SENSE's bit is clear, so disk.sys answers STATUS_SUCCESS
    Then "writable" returned TRUE with 0 bytes
    # 3.3: disk.sys sends the WRITE(10); the DATA PROTECT sense the filter put in the SRB is
    # ClassInterpretSenseInfo's STATUS_MEDIA_WRITE_PROTECTED -> ERROR_WRITE_PROTECT (19)
    And "w" returned FALSE with error ERROR_WRITE_PROTECT
    And the debug output contains "WriteBlock: WRITE(10) refused" 1 time
    And "r" returned TRUE with 512 bytes
    And the buffer of "r" holds "AA*512"
    And the medium of "USBSTOR\Disk&Ven_Generic&Prod_Flash_Disk&Rev_8.07\0001&0" holds "AA*512" at block 0
    And the pool holds 0 blocks of 0 bytes tagged "ClSe"
    And no bug check occurred
