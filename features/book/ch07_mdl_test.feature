@book @chapter7
Feature: CH07-MDL_Test - direct I/O through the MDL (#12, §7.3)
  With DO_DIRECT_IO the I/O manager locks the application's buffer and describes it with
  Irp->MdlAddress. HelloDDKRead prints the MDL's user address, length and offset, maps
  it into system space with MmGetSystemAddressForMdlSafe and fills it with 0xAA.
  (Addresses are machine-specific: book-experiments.md §4 says to compare text and
  order, not pointer values, so the address lines are checked by their prefix only.)

  Scenario: ReadFile of 10 bytes through an MDL returns ten 0xAA bytes
    Given the scenario "book/ch07_mdl_test.yaml"
    When the application runs
    # book-experiments.md #12 "Observed output": app `(Read 10 bytes):AA AA ...`; the
    # app's 10-byte buffer was filled with 0xBB before the call ("Test app")
    Then "r1" returned TRUE with 10 bytes
    And "r1" completes with STATUS_SUCCESS and 10 bytes
    And the buffer of "r1" holds "AA*10"
    # book-experiments.md #12 "Driver behaviour" steps 1-5 and "Observed output"
    # (`mdl_length:10`)
    And the debug output contains in order:
      | Enter HelloDDKRead |
      | ulReadLength:10    |
      | mdl_length:10      |
      | Leave HelloDDKRead |
    # book-experiments.md #12: mdl_address equals the app's buffer address (a user VA);
    # kernel_address is a system VA (0x8xxxxxxx or higher on x86): two addresses, one page
    And the debug output shows "mdl_address:0X" followed by the buffer address of "r1"
    And the debug output shows "mdl_address:0X" followed by a user-space address
    And the debug output shows "kernel_address:0X" followed by a system-space address
    And the debug output contains "mdl_offset:"
    And the application printed a line containing "(Read 10 bytes):AA AA AA AA AA AA AA AA AA AA"
    And the trace contains in order:
      | kind              | major       | status         |
      | IoCompleteRequest | IRP_MJ_READ | STATUS_SUCCESS |
    And no bug check occurred
    And no thread is blocked
