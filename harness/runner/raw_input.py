"""win32k's raw input thread (RIT): the one reader of the keyboard class device
(stacks-services 2.6).

Once the machine has booted, the Win32 subsystem opens each keyboard class device from
kernel mode - so kbdclass admits it as its trusted reader (SeTcbPrivilege) - and always
keeps one read outstanding. Each completed read is processed as win32k's
ProcessKeyboardInput does: every KEYBOARD_INPUT_DATA record goes through the keyboard
layout (kbdus, the US one) from its scan code to a virtual key, and the read is issued
again. Because a read is practically always pending in kbdclass, a filter that attaches
over \\Device\\KeyboardClass0 later (Ctrl2cap, #51) misses the one already pending: it
sees the RIT's requests from the next one on (2.7).

The model: one keyboard, the thread in csrss.exe, an asynchronous open (ZwCreateFile,
kernel mode, FILE_READ_DATA) and ZwReadFile with an event it waits on (the real RIT
re-issues from a completion APC: the IRPs the stack sees are the same). It waits for
input by design, so a run whose only blocked thread is the RIT is not a hang. A read
that completes with an error other than STATUS_CANCELLED ends it (the device is gone);
after STATUS_CANCELLED it reads again. What it makes of a key is a trace event,
``ServiceCall ProcessKeyboardInput`` with the record's MakeCode and Flags and the
virtual key the layout gives (``vk``); posting messages, the toggle keys' state and the
LED updates it would send (IOCTL_KEYBOARD_SET_INDICATORS) are not modelled. The numeric
keypad maps as with NumLock off.
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (FILE_READ_DATA, KEY_BREAK, KEY_E0, KEY_E1, KEY_TERMSRV_SET_LED,
                      KEY_TERMSRV_SHADOW, KEY_TERMSRV_VKPACKET, NTSTATUS, SYNCHRONIZE, Buffer,
                      IoStatusBlock, KEvent, KernelMode, NotModelledError, SynchronizationEvent,
                      ke_wait_for_single_object, nt_close, nt_create_file, nt_read_file)
from ..scenario.input_plan import RawInputPlan

RECORD = 12          # sizeof(KEYBOARD_INPUT_DATA)

_LETTERS = {0x10: "QWERTYUIOP", 0x1E: "ASDFGHJKL", 0x2C: "ZXCVBNM"}
#: kbdus.dll, scan code set 1 -> virtual key (a letter or digit is its character)
LAYOUT: dict[int, str] = {
    0x01: "VK_ESCAPE", 0x0B: "0", 0x0C: "VK_OEM_MINUS", 0x0D: "VK_OEM_PLUS", 0x0E: "VK_BACK",
    0x0F: "VK_TAB", 0x1A: "VK_OEM_4", 0x1B: "VK_OEM_6", 0x1C: "VK_RETURN",
    0x1D: "VK_LCONTROL", 0x27: "VK_OEM_1", 0x28: "VK_OEM_7", 0x29: "VK_OEM_3",
    0x2A: "VK_LSHIFT", 0x2B: "VK_OEM_5", 0x33: "VK_OEM_COMMA", 0x34: "VK_OEM_PERIOD",
    0x35: "VK_OEM_2", 0x36: "VK_RSHIFT", 0x37: "VK_MULTIPLY", 0x38: "VK_LMENU",
    0x39: "VK_SPACE", 0x3A: "VK_CAPITAL", 0x45: "VK_NUMLOCK", 0x46: "VK_SCROLL",
    0x47: "VK_HOME", 0x48: "VK_UP", 0x49: "VK_PRIOR", 0x4A: "VK_SUBTRACT", 0x4B: "VK_LEFT",
    0x4C: "VK_CLEAR", 0x4D: "VK_RIGHT", 0x4E: "VK_ADD", 0x4F: "VK_END", 0x50: "VK_DOWN",
    0x51: "VK_NEXT", 0x52: "VK_INSERT", 0x53: "VK_DELETE", 0x57: "VK_F11", 0x58: "VK_F12",
    **{0x02 + i: str(i + 1) for i in range(9)},
    **{0x3B + i: f"VK_F{i + 1}" for i in range(10)},
    **{base + i: letter for base, row in _LETTERS.items() for i, letter in enumerate(row)},
}
#: ... and the E0-prefixed codes (2.4: Right Ctrl is 0x1D with KEY_E0)
LAYOUT_E0: dict[int, str] = {
    0x1C: "VK_RETURN", 0x1D: "VK_RCONTROL", 0x35: "VK_DIVIDE", 0x38: "VK_RMENU",
    0x47: "VK_HOME", 0x48: "VK_UP", 0x49: "VK_PRIOR", 0x4B: "VK_LEFT", 0x4D: "VK_RIGHT",
    0x4F: "VK_END", 0x50: "VK_DOWN", 0x51: "VK_NEXT", 0x52: "VK_INSERT", 0x53: "VK_DELETE",
    0x5B: "VK_LWIN", 0x5C: "VK_RWIN", 0x5D: "VK_APPS",
}
_FLAG_NAMES = ((KEY_E0, "KEY_E0"), (KEY_E1, "KEY_E1"), (KEY_TERMSRV_SET_LED, "KEY_TERMSRV_SET_LED"),
               (KEY_TERMSRV_SHADOW, "KEY_TERMSRV_SHADOW"),
               (KEY_TERMSRV_VKPACKET, "KEY_TERMSRV_VKPACKET"))


def flags_text(flags: int) -> str:
    """KEYBOARD_INPUT_DATA.Flags by name: KEY_MAKE or KEY_BREAK, then the other bits."""
    names = ["KEY_BREAK" if flags & KEY_BREAK else "KEY_MAKE"]
    names += [name for bit, name in _FLAG_NAMES if flags & bit]
    return "|".join(names)


def virtual_key(make_code: int, flags: int, where: str = "") -> str:
    """The virtual key kbdus gives a set-1 scan code (E0-prefixed ones apart); ``where``
    (the scenario's raw_input: place) starts the message of one it does not know."""
    table = LAYOUT_E0 if flags & KEY_E0 else LAYOUT
    key = table.get(make_code)
    if key is None:
        raise NotModelledError("ProcessKeyboardInput", f"{where}scan code 0x{make_code:02x}"
                               f"{' with KEY_E0' if flags & KEY_E0 else ''}: the layout's "
                               "other keys are not modelled")
    return key


def raw_input_thread(kernel: Any, plan: RawInputPlan, where: str = ""
                     ) -> Generator[Any, Any, None]:
    """The RIT's loop for one keyboard (the thread body); ``where`` is the scenario's
    ``raw_input:`` as ``file:line:col: ``, for messages."""
    hooks = kernel.hooks
    access = FILE_READ_DATA | SYNCHRONIZE
    hooks.service_call("ZwCreateFile", {"name": plan.keyboard, "access": access})
    iosb = IoStatusBlock()
    status, file = yield from nt_create_file(kernel, plan.keyboard, False, KernelMode,
                                             iosb=iosb, desired_access=access)
    hooks.service_return("ZwCreateFile", {"status": status})
    if file is None:
        return
    length = RECORD * plan.records
    buffer = Buffer.new(kernel.pool, length)
    event = KEvent(kernel, SynchronizationEvent, False, "RawInputThread.Event")
    while True:
        iosb = IoStatusBlock()
        hooks.service_call("ZwReadFile", {"name": plan.keyboard, "length": length,
                                          "offset": 0})
        status = yield from nt_read_file(file, buffer, length, 0, event, iosb, KernelMode)
        if status == NTSTATUS.STATUS_PENDING:
            yield from ke_wait_for_single_object(event)
            status = iosb.status
        hooks.service_return("ZwReadFile", {"status": status,
                                            "information": iosb.information})
        if status == NTSTATUS.STATUS_SUCCESS:
            _process(kernel, buffer.read(0, iosb.information), where)
        elif status != NTSTATUS.STATUS_CANCELLED:
            break                                  # the device went away
    yield from nt_close(file)


def _process(kernel: Any, data: bytes, where: str) -> None:
    """ProcessKeyboardInput: each record through the layout."""
    for at in range(0, len(data) - RECORD + 1, RECORD):
        record = data[at:at + RECORD]
        make_code = int.from_bytes(record[2:4], "little")
        flags = int.from_bytes(record[4:6], "little")
        kernel.hooks.service_call("ProcessKeyboardInput", {
            "UnitId": int.from_bytes(record[0:2], "little"), "MakeCode": f"0x{make_code:02x}",
            "Flags": flags_text(flags), "vk": virtual_key(make_code, flags, where)})
