@book @chapter23
Feature: CH23-ErrorTests - an ASSERT in AddDevice and a START_DEVICE that fails (#52, §23)
  Chapter 23 breaks HelloWDM on purpose to practise crash analysis: ErrorTest has
  ASSERT(0) right after `Enter HelloWDMAddDevice`; ErrorTest2 completes START_DEVICE with
  STATUS_UNSUCCESSFUL without passing it to the PDO (book-experiments.md #52).

  Scenario: ASSERT(0) in a checked build with no debugger attached is a blue screen
    Given the scenario "book/ch23_error_test.yaml"
    # stacks-services 4.8: RtlAssert prints the assertion through DbgPrint, then breaks;
    # with no debugger the breakpoint exception (0x80000003) is unhandled. #52 infers
    # 0x1E; pnp-hardware §2.4: AddDevice runs in the PnP worker, a system thread, so
    # Windows' unhandled-exception path there is 0x7E
    Then the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloWDMAddDevice
      *** Assertion failed: 0
      ***   Source File: HelloWDM.cpp, line 70
      """
    And the machine bug-checked with SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E)
    And the bug check parameter 1 is 0x80000003

  Scenario: In a free build ASSERT compiles away and nothing happens
    Given the scenario "book/ch23_error_test.yaml" with machine.build=free
    # #52 "Free build: ASSERT compiles away and nothing happens"; KdPrint goes too
    # (book-experiments.md §3 "Checked vs free build")
    Then no bug check occurred
    And the debug output does not contain "Assertion failed"
    And the debug output does not contain "Enter HelloWDMAddDevice"
    And the device "ROOT\UNKNOWN\0000" is started

  Scenario: A failed START_DEVICE is Code 10, then REMOVE_DEVICE and the driver's unload
    Given the scenario "book/ch23_error_test2.yaml"
    # #52 ErrorTest2 "Observed" (inferred): Code 10, then REMOVE_DEVICE (HandleRemoveDevice
    # runs); pnp-hardware §2.5 item 4: START fails at the FDO, REMOVE goes through the
    # stack with no QUERY_REMOVE first (Windows), then the unload (§2.11)
    Then the debug output contains in order:
      | PNP Request (IRP_MN_START_DEVICE)  |
      | Enter StartPnpDevice               |
      | Leave StartPnpDevice               |
      | Leave HelloWDMPnp                  |
      | Enter HelloWDMPnp                  |
      | PNP Request (IRP_MN_REMOVE_DEVICE) |
      | Enter HandleRemoveDevice           |
      | Leave HandleRemoveDevice           |
      | Enter HelloWDMUnload               |
      | Leave HelloWDMUnload               |
    And the debug output does not contain "IRP_MN_QUERY_REMOVE_DEVICE"
    And the device "ROOT\UNKNOWN\0000" has problem code 10
    # the PDO never saw START: the only START completion is the FDO's
    And the trace contains in order:
      | kind              | driver   | major      | status              |
      | IoCompleteRequest | HelloWDM | IRP_MJ_PNP | STATUS_UNSUCCESSFUL |
    And the object "\Driver\HelloWDM" does not exist
    And no bug check occurred
