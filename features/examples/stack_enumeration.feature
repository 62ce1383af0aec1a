@example
Feature: Walking a device stack as !devstack and !drvobj show it (pnp-hardware §8)
  StackSpy walks HelloDDK's filtered stack with the accessors of §8.2 and dumps it as
  the kernel debugger does; every accessor but IoGetAttachedDevice hands back a
  referenced device, which the caller must ObDereferenceObject.

  Scenario: The accessors, the dumps and the two-call enumeration, every reference dropped
    Given the scenario "examples/stack_enumeration.yaml"
    When the application runs
    # §8.2: IoGetAttachedDevice and IoGetAttachedDeviceReference give the top (FilterB,
    # attached last); IoGetLowerDeviceObject the device directly below, NULL at the
    # bottom; IoGetDeviceAttachmentBaseRef the bottom, the named device. §8.3: !devstack
    # lists the stack top first and marks the device asked about; !drvobj lists the
    # driver's devices newest first (§8.1)
    Then the debug output is:
      """
      StackSpy DriverEntry
      IoGetAttachedDevice: \Driver\FilterB
      kd> !devstack %x
       !DevObj   !DrvObj            ObjectName
        %x  \Driver\FilterB
        %x  \Driver\FilterA
      > %x  \Driver\HelloDDK   MyDDKDevice
      IoGetLowerDeviceObject(top): \Driver\FilterA
      IoGetLowerDeviceObject(bottom): NULL
      IoGetDeviceAttachmentBaseRef: \Device\MyDDKDevice
      kd> !devstack %x
       !DevObj   !DrvObj            ObjectName
        %x  \Driver\FilterB
      > %x  \Driver\FilterA
        %x  \Driver\HelloDDK   MyDDKDevice
      kd> !drvobj \Driver\HelloDDK 1
      Driver object (%x) is for:
       \Driver\HelloDDK
      Device Object list:
      %x  %x
      IoEnumerateDeviceObjectList(0 bytes): 0xC0000023, 2 device(s)
      IoEnumerateDeviceObjectList(2 * 4 bytes): 0x00000000
        0: \Device\MyDDKDevice2
        1: \Device\MyDDKDevice
      Enter StackSpyUnload
      IoEnumerateDeviceObjectList(0 bytes): 0xC0000023, 1 device(s)
      IoEnumerateDeviceObjectList(1 * 4 bytes): 0x00000000
      StackSpy DriverEntry
      """
    And "walk" returned TRUE with 0 bytes
    # every pointer the walk took was dropped: none is left on any device of the stack
    And no device object of "\Driver\HelloDDK" holds a pointer reference
    And no device object of "\Driver\FilterA" holds a pointer reference
    And no device object of "\Driver\FilterB" holds a pointer reference
    # the unload dereferenced its own device after deleting it: the image went, so the
    # second net start loads it again and DriverEntry runs once more
    And "stop" returned TRUE with 0 bytes
    And "again" returned TRUE with 0 bytes
    And the debug output contains "StackSpy DriverEntry" 2 times
    And the image "StackSpy.sys" is loaded
    And no bug check occurred

  Scenario: A forgotten ObDereferenceObject keeps the deleted device, and so the image
    Given the scenario "examples/stack_enumeration_leak.yaml"
    When the application runs
    # §1.5: a pointer is not an open, so it defers nothing: DriverUnload runs at net stop
    Then "stop" returned TRUE with 0 bytes
    And the debug output contains "Enter StackSpyUnload" 1 time
    And the object "\Device\StackSpy" does not exist
    And the service "StackSpy" is SERVICE_STOPPED
    # §1.7: the device object outlives IoDeleteDevice while the leaked pointer holds it,
    # and its reference on the driver object keeps the image: win32-io §7.5
    And the image "StackSpy.sys" is still loaded
    And "again" returned FALSE with error ERROR_SERVICE_ALREADY_RUNNING
    And the debug output contains "StackSpy DriverEntry" 1 time
    And no bug check occurred
