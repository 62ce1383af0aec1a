@book @chapter4
Feature: CH04-HorizontalDevices - a driver's devices in its NextDevice chain (#4, §4.x)
  DriverEntry creates \Device\MyDDKDevice and then \Device\MyDDKDevice2 and calls Dump,
  which prints the driver object and walks DriverObject->DeviceObject and NextDevice
  (book-experiments.md #4).

  Scenario: Dump lists the newest device first, each with StackSize 1 and no attached device
    Given the scenario "book/ch04_horizontal_devices.yaml"
    When the service "HelloDDK" is started as "start"
    # book-experiments.md #4 "Observed output": IoCreateDevice links new devices at the
    # head of the list, so "The 1 device" is MyDDKDevice2 with NextDevice = MyDDKDevice,
    # and "The 2 device" is MyDDKDevice with NextDevice 0X00000000; both AttachedDevice 0
    # and StackSize 1; framed by Begin Dump... / Dump over! between dashed lines.
    # pnp-hardware §1.2: DriverName \Driver\HelloDDK, HardwareDatabase
    # \REGISTRY\MACHINE\HARDWARE\DESCRIPTION\SYSTEM
    Then the debug output is:
      """
      Enter DriverEntry
      -------------------------------------------------------------
      Begin Dump...
      Driver Address:0X<&\Driver\HelloDDK>
      Driver name:\Driver\HelloDDK
      Driver HardwareDatabase:\REGISTRY\MACHINE\HARDWARE\DESCRIPTION\SYSTEM
      Driver first device:0X<&\Device\MyDDKDevice2>
      The 1 device
      Device AttachedDevice: 0X00000000
      Device NextDevice: 0X<&\Device\MyDDKDevice>
      Device StackSize: 1
      Device's DriverObject: 0x<&\Driver\HelloDDK>
      The 2 device
      Device AttachedDevice: 0X00000000
      Device NextDevice: 0X00000000
      Device StackSize: 1
      Device's DriverObject: 0x<&\Driver\HelloDDK>
      Dump over!
      --------------------------------------------------------------------
      DriverEntry end
      """
    # #4 "Pitfalls": Unload must delete both links; it does
    When the service "HelloDDK" is stopped as "stop"
    Then "stop" returned TRUE with 0 bytes
    And the object "\??\HelloDDK" does not exist
    And the object "\??\HelloDDK2" does not exist
    And the object "\Device\MyDDKDevice2" does not exist
    And no bug check occurred
