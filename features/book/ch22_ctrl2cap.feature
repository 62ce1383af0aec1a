@book @chapter22
Feature: CH22-Ctrl2Cap - an NT filter over \Device\KeyboardClass0 turns Caps Lock into Ctrl (#51, §22.2)
  Mark Russinovich's ctrl2cap in its NT build (book-experiments.md #51): DriverEntry
  attaches an unnamed FILE_DEVICE_KEYBOARD device over \Device\KeyboardClass0 with
  IoAttachDevice; every read is copied down with Ctrl2capReadComplete, which prints each
  KEYBOARD_INPUT_DATA's scan code with Down or Up and rewrites MakeCode 0x3A (Caps Lock)
  to 0x1D (Left Ctrl). The keyboard is the built-in PS/2 stack (i8042prt, kbdclass) and
  win32k's raw input thread, which keeps one read pending (stacks-services 2.6). The
  reader types A, then holds Caps Lock and types A.

  Scenario: Each key passes Ctrl2capReadComplete; Caps Lock reaches the raw input thread as Left Ctrl
    Given the scenario "book/ch22_ctrl2cap.yaml"
    When the application runs
    # #51 "Observed output" (code): `ScanCode: 1e Down`, `ScanCode: 1e Up`, ...; Caps Lock
    # shows as `ScanCode: 3a Down`. Two DbgPrints per key (`ScanCode: %x ` and `%s\n`),
    # one line in the debugger. 2.3: the break arrives as MakeCode 0x3A with KEY_BREAK,
    # so "Up" is printed for the same code
    Then "start" returned TRUE with 0 bytes
    And the debug output is:
      """
      Ctrl2cap.SYS: entering DriverEntry
      Ctrl2cap: Successfully connected to keyboard device
      ScanCode: 1e Up
      ScanCode: 3a Down
      ScanCode: 1e Down
      ScanCode: 1e Up
      ScanCode: 3a Up
      """
    And the debug line "ScanCode: 3a Down" was printed at 2 s
    # 2.10: "Caps Lock acts as Ctrl" - what the raw input thread gets for the Caps Lock
    # make and break is 0x1D, which the layout maps to VK_LCONTROL: Ctrl+A (select all)
    And the trace contains in order:
      | kind        | api                  | details.MakeCode | details.Flags | details.vk  |
      | ServiceCall | ProcessKeyboardInput | 0x1e             | KEY_MAKE      | A           |
      | ServiceCall | ProcessKeyboardInput | 0x1e             | KEY_BREAK     | A           |
      | ServiceCall | ProcessKeyboardInput | 0x1d             | KEY_MAKE      | VK_LCONTROL |
      | ServiceCall | ProcessKeyboardInput | 0x1e             | KEY_MAKE      | A           |
      | ServiceCall | ProcessKeyboardInput | 0x1e             | KEY_BREAK     | A           |
      | ServiceCall | ProcessKeyboardInput | 0x1d             | KEY_BREAK     | VK_LCONTROL |
    # 2.5, 2.9: kbdclass completes the read from the class service callback, which
    # i8042prt's DPC calls: the completion routine runs at DISPATCH_LEVEL in the thread
    # the CPU happened to run (Idle0), not the reader's
    And the completion routine of Ctrl2cap ran at DISPATCH_LEVEL
    And the trace contains in order:
      | kind              | driver   | major       | irql           | context    | thread |
      | Interrupt         |          |             | PASSIVE_LEVEL  | thread     | Idle0  |
      | IsrReturn         |          |             | DIRQL26        | isr        | Idle0  |
      | DpcRoutine        |          |             | DISPATCH_LEVEL | dpc        | Idle0  |
      | IoCompleteRequest | kbdclass | IRP_MJ_READ | DISPATCH_LEVEL | dpc        | Idle0  |
      | CompletionRoutine | Ctrl2cap | IRP_MJ_READ | DISPATCH_LEVEL | completion | Idle0  |
    And no bug check occurred
    And no thread is blocked

  Scenario: The read that was pending before Ctrl2cap attached is not filtered (stacks-services 2.7)
    Given the scenario "book/ch22_ctrl2cap.yaml"
    When the application runs
    # The raw input thread's read was in kbdclass before the attach: it was built for the
    # old stack (3 locations, no Ctrl2cap), so the first key's make completes it with no
    # completion routine of Ctrl2cap. Its next read goes to IoGetRelatedDeviceObject, the
    # filter, with one more location
    Then the debug output contains "ScanCode: 1e Down" 1 time
    And the debug line "ScanCode: 1e Up" was printed at 1.1, 2.2 s
    And the trace contains in order:
      | kind          | driver   | major       | thread         | details.stack_count |
      | IoAllocateIrp |          | IRP_MJ_READ | RawInputThread | 3                   |
      | IoCallDriver  | kbdclass | IRP_MJ_READ | RawInputThread |                     |
      | IoAllocateIrp |          | IRP_MJ_READ | RawInputThread | 4                   |
      | IoCallDriver  | Ctrl2cap | IRP_MJ_READ | RawInputThread |                     |
      | IoCallDriver  | kbdclass | IRP_MJ_READ | RawInputThread |                     |

  Scenario: There is no DriverUnload, so the service cannot be stopped
    Given the scenario "book/ch22_ctrl2cap.yaml"
    When the application runs
    # #51 "There is no Unload routine, so the driver cannot be unloaded"; win32-io §7:
    # ControlService(STOP) of a driver without DriverUnload fails
    Then "stop" returned FALSE with error ERROR_INVALID_SERVICE_CONTROL
    And the service "Ctrl2cap" is SERVICE_RUNNING
    And the device "ACPI\PNP0303\4&1d401fb5&0" is started

  Scenario: A free build prints nothing and still remaps Caps Lock
    Given the scenario "book/ch22_ctrl2cap.yaml" with machine.build=free
    When the application runs
    # #51 "Pitfalls": the DbgPrint macro of CTRL2CAP.H is empty unless DBG is set
    Then the debug output does not contain "ScanCode"
    And the debug output does not contain "Ctrl2cap"
    And the trace contains in order:
      | kind        | api                  | details.MakeCode | details.vk  |
      | ServiceCall | ProcessKeyboardInput | 0x1d             | VK_LCONTROL |
    And no bug check occurred
