@book @chapter12
Feature: CH12-T2-EnumDeviceStack - how DeviceTree enumerates a driver's device stacks (#43, §12.1)
  IOCTL_DUMP_DEVICE_STACK carries a driver name; the driver references that driver object
  by name and walks its devices (NextDevice) and what is attached above each
  (AttachedDevice), printing names and addresses (book-experiments.md #43).

  Scenario: \Driver\ACPI's devices, newest first, each with the drivers attached above it
    Given the scenario "book/ch12_enum_device_stack.yaml"
    When the application runs
    # #43 "Driver behaviour": the name printed with %ws; one line per device, an unnamed
    # one as NULL; an "Attached Driver Name" line per device above it. pnp-hardware §8.1:
    # the NextDevice chain is in reverse creation order. "Observed output": the list
    # depends on the machine - this one has two ACPI PDOs (PCI and i8042prt above them)
    # and an unnamed ACPI device
    Then the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDeviceIOControl
      IOCTL_DUMP_DEVICE_STACK
      \Driver\ACPI
      Driver Name:\Driver\ACPI - Device Name:NULL - Driver Address:0x%x - Device Address:0x%x
      Driver Name:\Driver\ACPI - Device Name:\Device\00000042 - Driver Address:0x%x - Device Address:0x%x
      Attached Driver Name:\Driver\i8042prt,Attached Driver Address:0x%x,Attached DeviceAddress:0x%x
      Driver Name:\Driver\ACPI - Device Name:\Device\00000041 - Driver Address:0x%x - Device Address:0x%x
      Attached Driver Name:\Driver\PCI,Attached Driver Address:0x%x,Attached DeviceAddress:0x%x
      Leave HelloDDKDeviceIOControl
      """
    And "dump" returned TRUE with 0 bytes
    And no bug check occurred
