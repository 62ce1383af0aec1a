"""Blocks for PnP notifications (pnp-hardware §3.3, §1.6): IoRegisterPlugPlayNotification
for EventCategoryDeviceInterfaceChange, IoUnregisterPlugPlayNotificationEx, and
IsEqualGUID to tell an arrival from a removal.

The callback is a routine of role ``pnp_notification``
(DRIVER_NOTIFICATION_CALLBACK_ROUTINE(NotificationStructure, Context) -> NTSTATUS). It
runs at PASSIVE_LEVEL in the PnP manager's System thread ``PnpEventWorker`` (or, for
PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES, in the registering thread
before the registration returns). ``NotificationStructure`` is a PVOID to the PnP
manager's DEVICE_INTERFACE_CHANGE_NOTIFICATION in paged pool, freed when the callbacks
of that change have returned; driver code copies it into a
``DEVICE_INTERFACE_CHANGE_NOTIFICATION*`` local, as C casts it, and reads
``pNotify->Event``, ``->InterfaceClassGuid`` (GUIDs) and ``->SymbolicLinkName`` (a
PUNICODE_STRING: ``{pNotify.SymbolicLinkName:wZ}`` prints it, ``name: {unicode_string:
pNotify->SymbolicLinkName}`` opens it). The routines are in ``harness.kernel``
(io/interface.py).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Generator

from ..kernel import (GUID_DEVICE_INTERFACE_ARRIVAL, GUID_DEVICE_INTERFACE_REMOVAL, Buffer,
                      NotificationEntry, guid_bytes, io_register_plug_play_notification,
                      io_unregister_plug_play_notification_ex)
from ..kernel import constants as C
from .actions import EXPR, ROUTINE_REF
from .driver_io import FLAGS, LVALUE, _out, _value
from .interfaces import GUID
from .registry import block
from .runtime import Frame
from .state import fault
from .sync import REF, _context, _report, _returned

#: IO_NOTIFICATION_EVENT_CATEGORY by name
CATEGORIES = {"EventCategoryHardwareProfileChange": C.EventCategoryHardwareProfileChange,
              "EventCategoryDeviceInterfaceChange": C.EventCategoryDeviceInterfaceChange,
              "EventCategoryTargetDeviceChange": C.EventCategoryTargetDeviceChange}
#: the GUIDs of wdmguid.h a driver compares NotificationStructure's Event with
KNOWN_GUIDS = {"GUID_DEVICE_INTERFACE_ARRIVAL": GUID_DEVICE_INTERFACE_ARRIVAL,
               "GUID_DEVICE_INTERFACE_REMOVAL": GUID_DEVICE_INTERFACE_REMOVAL}
_GUID_TEXT = re.compile(GUID["pattern"])
GUID_OPERAND = dict(EXPR, description="a GUID: a pointer expression (&pNotify->Event), a "
                    "literal '{xxxxxxxx-...}' or GUID_DEVICE_INTERFACE_ARRIVAL / _REMOVAL")


@block("io_register_plug_play_notification", summary="IoRegisterPlugPlayNotification("
       "category, flags, &guid, DriverObject, callback, context, &entry): the callback "
       "(DRIVER_NOTIFICATION_CALLBACK_ROUTINE) runs at PASSIVE_LEVEL in the System thread "
       "PnpEventWorker after each arrival or removal of an interface of the class; with "
       "PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES in flags also once for each "
       "enabled one, before this returns. The registration references the driver object "
       "(unregister it in DriverUnload). Only EventCategoryDeviceInterfaceChange is "
       "modelled.",
       params={"type": "object", "required": ["category", "guid", "callback", "entry"],
               "additionalProperties": False,
               "properties": {"category": {"enum": list(CATEGORIES)},
                              "flags": FLAGS, "guid": GUID,
                              "callback": ROUTINE_REF, "context": REF,
                              "entry": dict(LVALUE, description="a PVOID variable: the "
                                            "NotificationEntry to unregister"),
                              "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("IoRegisterPlugPlayNotification",))
def _io_register_plug_play_notification(params: dict, cc: Any, path: list) -> Any:
    category, guid = CATEGORIES[params["category"]], params["guid"]
    flags = _value(cc, params, "flags", path)
    callback = cc.routine(params["callback"], "pnp_notification", "NotificationCallback",
                          path + ["callback"])
    context = _context(cc, params, path)
    entry_out, status_out = _out(cc, params, "entry", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = flags(f) & 0xFFFFFFFF
        _report(f, "IoRegisterPlugPlayNotification", {
            "category": params["category"], "flags": value, "guid": guid,
            "callback": callback.name})
        status, entry = yield from io_register_plug_play_notification(
            f.kernel, category, value, guid, f.model.driver, callback.bind(f.model),
            context(f))
        entry_out(f, f.kernel.objects.address_of(entry))
        status_out(f, status)
        _returned(f, "IoRegisterPlugPlayNotification", status=status)
    return step


@block("io_unregister_plug_play_notification_ex", summary="IoUnregisterPlugPlayNotificationEx("
       "entry) (or the older IoUnregisterPlugPlayNotification): no callback comes after it "
       "returns, and the driver object's reference goes. A NULL or wild entry faults; one "
       "removed twice is freed memory (not modelled).",
       params={"anyOf": [EXPR, {"type": "object", "required": ["entry"],
                                "additionalProperties": False,
                                "properties": {"entry": EXPR, "status": LVALUE}}]},
       max_irql="PASSIVE_LEVEL",
       models=("IoUnregisterPlugPlayNotificationEx", "IoUnregisterPlugPlayNotification"))
def _io_unregister_plug_play_notification_ex(params: Any, cc: Any, path: list) -> Any:
    params = params if isinstance(params, dict) else {"entry": params}
    entry = _value(cc, params, "entry", path)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        address = entry(f) & 0xFFFFFFFF
        target = f.kernel.objects.at(address)
        if not isinstance(target, NotificationEntry):
            fault(f, address, False)       # the kernel reads the entry it was given
        _report(f, "IoUnregisterPlugPlayNotificationEx", {"entry": address})
        status = io_unregister_plug_play_notification_ex(f.kernel, target)
        status_out(f, status)
        _returned(f, "IoUnregisterPlugPlayNotificationEx", status=status)
        return None
        yield
    return step


@block("is_equal_guid", summary="IsEqualGUID(a, b) (guiddef.h: memcmp of the 16 bytes) into "
       "'into': TRUE when they are equal. Each side is a pointer to a GUID "
       "(&pNotify->Event), a literal '{...}' or GUID_DEVICE_INTERFACE_ARRIVAL / _REMOVAL.",
       params={"type": "object", "required": ["a", "b", "into"], "additionalProperties": False,
               "properties": {"a": GUID_OPERAND, "b": GUID_OPERAND, "into": LVALUE}},
       models=("IsEqualGUID",))
def _is_equal_guid(params: dict, cc: Any, path: list) -> Any:
    a, b = (_guid_operand(cc, params[key], path + [key]) for key in ("a", "b"))
    into = _out(cc, params, "into", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        into(f, int(a(f) == b(f)))
        return None
        yield
    return step


def _guid_operand(cc: Any, value: str, path: list) -> Callable[[Frame], bytes]:
    """The 16 bytes a GUID operand names: a constant GUID, or those at a pointer."""
    if value in KNOWN_GUIDS or _GUID_TEXT.fullmatch(value):
        data = guid_bytes(KNOWN_GUIDS.get(value, value))
        return lambda f: data
    pointer = cc.expr(value, path).fn
    return lambda f: _guid_at(f, pointer(f) & 0xFFFFFFFF)


def _guid_at(f: Frame, address: int) -> bytes:
    """16 bytes at ``address`` in a live pool block or a registered buffer; a NULL or
    wild pointer faults as memcmp's read does."""
    block_ = f.kernel.pool_blocks.containing(address)
    if block_ is not None and address + 16 <= block_.buffer.address + block_.size:
        return block_.buffer.read(address - block_.buffer.address, 16)
    memory = f.kernel.objects.at(address)
    if isinstance(memory, Buffer) and memory.length >= 16:
        return memory.read(0, 16)
    fault(f, address, False)
    raise AssertionError("unreachable")   # fault raises
