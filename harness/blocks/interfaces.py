"""Blocks for device interfaces (pnp-hardware §3; book §13.3, #47 CH13-PnpInterface).

A WDM driver registers an interface of a class on its PDO in AddDevice and keeps the
name it gets in a UNICODE_STRING of its device extension (the book's
``pdx->interfaceName``), prints it with ``{interfaceName}`` (``%wZ``), enables it, and
at REMOVE_DEVICE disables it and frees the string (``free_unicode_string``). The
routines are in ``harness.kernel`` (io/interface.py).
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import io_register_device_interface, io_set_device_interface_state
from .actions import EXPR, NAME
from .driver_io import LVALUE, _out, _pointer
from .registry import block
from .runtime import Frame
from .strings import FLAG, UNICODE, _flag, _string_named, _text
from .sync import _report, _returned

GUID = {"type": "string",
        "pattern": r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                   r"[0-9A-Fa-f]{12}\}$",
        "description": "the interface class GUID as the registry writes it, e.g. "
                       "'{0E57C50F-0CCC-4AD2-A895-93C5ED119860}'"}
REFERENCE = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 200},
                       {"type": "null"}],
             "description": "the reference string (NULL: none)"}


@block("io_register_device_interface", summary="IoRegisterDeviceInterface(pdo, &guid, "
       "reference, &into): the interface's name \\??\\<instance path with #>#{guid} into "
       "a UNICODE_STRING (a new PagedPool string: free it with free_unicode_string); "
       "disabled until io_set_device_interface_state. pdo defaults to AddDevice's "
       "PhysicalDeviceObject; a device that is no PDO is bug check 0xCA (0x2).",
       params={"type": "object", "required": ["guid", "into"], "additionalProperties": False,
               "properties": {"pdo": dict(EXPR, description="a PDEVICE_OBJECT expression "
                                          "(default PhysicalDeviceObject)"),
                              "guid": GUID, "reference": REFERENCE,
                              "into": dict(NAME, description="a UNICODE_STRING variable"),
                              "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("IoRegisterDeviceInterface",))
def _io_register_device_interface(params: dict, cc: Any, path: list) -> Any:
    pdo = _pointer(cc, {"pdo": params.get("pdo", "PhysicalDeviceObject")}, "pdo", path,
                   "DeviceObject")
    string = _string_named(cc, params["into"], path + ["into"], UNICODE)
    status_out = _out(cc, params, "status", path)
    guid, reference = params["guid"], params.get("reference")

    def step(f: Frame) -> Generator[Any, Any, None]:
        device, target = pdo(f), string(f)
        _report(f, "IoRegisterDeviceInterface", {"pdo": device.label, "guid": guid,
                                                 "reference": reference or "NULL"})
        status = io_register_device_interface(device, guid, reference, target)
        result: dict[str, Any] = {"status": status}
        if status < 0x80000000:
            result["name"] = _text(f, target, True)
        _returned(f, "IoRegisterDeviceInterface", **result)
        status_out(f, status)
        return None
        yield
    return step


@block("io_set_device_interface_state", summary="IoSetDeviceInterfaceState(&name, enable): "
       "TRUE links the name to the PDO and announces the arrival (held back until the "
       "stack has started: book #47 enables in AddDevice); FALSE removes the link. "
       "Enabling an enabled one is STATUS_OBJECT_NAME_EXISTS, disabling a disabled one "
       "STATUS_OBJECT_NAME_NOT_FOUND.",
       params={"type": "object", "required": ["name", "enable"], "additionalProperties": False,
               "properties": {"name": dict(NAME, description="the UNICODE_STRING "
                                           "io_register_device_interface filled in"),
                              "enable": FLAG, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("IoSetDeviceInterfaceState",))
def _io_set_device_interface_state(params: dict, cc: Any, path: list) -> Any:
    string = _string_named(cc, params["name"], path + ["name"], UNICODE)
    enable = _flag(cc, params, "enable", path)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        name, flag = _text(f, string(f), True), bool(enable(f) & 0xFF)
        _report(f, "IoSetDeviceInterfaceState", {"name": name, "enable": flag})
        status = io_set_device_interface_state(f.kernel, name, flag)
        _returned(f, "IoSetDeviceInterfaceState", status=status)
        status_out(f, status)
        return None
        yield
    return step
