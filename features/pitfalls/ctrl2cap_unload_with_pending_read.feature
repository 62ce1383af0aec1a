@pitfall
Feature: Pitfall - unloading a keyboard read filter while a read is pending (#51, stacks-services 2.11)
  The raw input thread always has a read pending in kbdclass, and once Ctrl2cap is
  attached that read carries Ctrl2capReadComplete in its stack. The book's Ctrl2cap has
  no DriverUnload, so it cannot be stopped (book-experiments.md #51 "Pitfalls": "unloading
  (had it been possible) would crash at the next key"). These give it one.

  Scenario: A DriverUnload that only detaches and deletes - the next key is 0xCE
    Given the scenario "pitfalls/ctrl2cap_unload_with_pending_read.yaml"
    When the application runs
    # 2.11: nothing goes wrong at unload time: net stop succeeds, the image is unmapped.
    # The Caps Lock press at 2 s makes kbdclass complete the read from i8042prt's DPC and
    # IofCompleteRequest calls the completion routine in the unloaded image (pnp-hardware
    # §1.8: P1 = P3 = the routine's address, P2 = 0)
    Then "stop" returned TRUE with 0 bytes
    And the debug output is:
      """
      Ctrl2cap.SYS: entering DriverEntry
      Ctrl2cap: Successfully connected to keyboard device
      ScanCode: 1e Up
      Ctrl2cap: unloading
      """
    And the machine bug-checked with DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS (0xCE)
    And the bug check parameters are routine "Ctrl2capReadComplete", 0, routine "Ctrl2capReadComplete", 0
    And the trace contains in order:
      | kind              | driver   | major       | irql           | context    |
      | ServiceCall       |          |             | PASSIVE_LEVEL  | thread     |
      | DpcRoutine        |          |             | DISPATCH_LEVEL | dpc        |
      | IoCompleteRequest | kbdclass | IRP_MJ_READ | DISPATCH_LEVEL | dpc        |
      | CompletionRoutine | Ctrl2cap | IRP_MJ_READ | DISPATCH_LEVEL | completion |
      | BugCheck          |          |             | DISPATCH_LEVEL | completion |

  Scenario: DriverUnload detaches, then cancels the read it passed down - no crash
    Given the scenario "pitfalls/ctrl2cap_unload_cancels_pending_read.yaml"
    When the application runs
    # 2.11 fix (b): IoCancelIrp after IoDetachDevice; kbdclass's cancel routine completes
    # the read with STATUS_CANCELLED while Ctrl2cap is still loaded (its completion
    # routine sees the error and prints nothing); the raw input thread reads again, now
    # straight from kbdclass, so Caps Lock at 2 s is no longer remapped
    Then "stop" returned TRUE with 0 bytes
    And the trace contains in order:
      | kind              | driver   | major       | status           | thread          |
      | IoCancelIrp       |          | IRP_MJ_READ |                  | Worker:Ctrl2cap |
      | IoCompleteRequest | kbdclass | IRP_MJ_READ | STATUS_CANCELLED | Worker:Ctrl2cap |
      | CompletionRoutine | Ctrl2cap | IRP_MJ_READ | STATUS_CANCELLED | Worker:Ctrl2cap |
    And the trace contains in order:
      | kind          | api                  | status           | details.MakeCode | details.vk |
      | ServiceReturn | ZwReadFile           | STATUS_CANCELLED |                  |            |
      | ServiceCall   | ProcessKeyboardInput |                  | 0x3a             | VK_CAPITAL |
    And the debug output does not contain "ScanCode: 3a"
    And no bug check occurred
    And no thread is blocked
