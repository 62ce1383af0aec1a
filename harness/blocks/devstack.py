"""Blocks for walking device stacks and a driver's devices (pnp-hardware §8.2): the
accessors a filter or a tool driver calls, each into a ``PDEVICE_OBJECT`` variable, and
IoEnumerateDeviceObjectList's two calls into a PDEVICE_OBJECT array.

Every accessor but IoGetAttachedDevice returns a referenced device: the driver's code
must ``ob_dereference_object`` it. Those references are pointers, not opens: they never
defer an unload, but a device whose pointer is leaked outlives its IoDeleteDevice and
keeps its driver's image loaded (harness.kernel io/devstack.py).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (io_enumerate_device_object_list, io_get_attached_device,
                      io_get_attached_device_reference, io_get_device_attachment_base_ref,
                      io_get_lower_device_object)
from .actions import EXPR
from .driver_io import LVALUE, _buffer, _out, _pointer, _value
from .registry import block
from .runtime import Frame
from .state import fault
from .sync import _report, _returned

_DEVICE = dict(EXPR, description="a PDEVICE_OBJECT expression, e.g. pDevice or "
               "DeviceObject (the routine's device)")
_ACCESSOR_PARAMS = {"type": "object", "required": ["device", "result"],
                    "additionalProperties": False,
                    "properties": {"device": _DEVICE, "result": LVALUE}}


def _accessor(name: str, api: str, routine: Callable[[Any], Any], summary: str) -> None:
    """One ``result = IoGetXxx(device)`` block: NULL (0) when the routine gives none."""
    @block(name, summary=summary, params=_ACCESSOR_PARAMS, models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        device = _pointer(cc, params, "device", path, "DeviceObject")
        result_out = _out(cc, params, "result", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            target = device(f)
            _report(f, api, {"device": target.label})
            found = routine(target)
            result_out(f, f.kernel.objects.address_of(found))
            _returned(f, api, result=found.label if found is not None else None)
            return None
            yield
        return step


_accessor("io_get_attached_device", "IoGetAttachedDevice", io_get_attached_device,
          "result = IoGetAttachedDevice(device): the top of its stack, NOT referenced (it "
          "can go stale when the top detaches).")
_accessor("io_get_attached_device_reference", "IoGetAttachedDeviceReference",
          io_get_attached_device_reference,
          "result = IoGetAttachedDeviceReference(device): the top of its stack, referenced: "
          "ObDereferenceObject it.")
_accessor("io_get_lower_device_object", "IoGetLowerDeviceObject", io_get_lower_device_object,
          "result = IoGetLowerDeviceObject(device): the device directly below, referenced; "
          "NULL at the bottom or when the lower driver is being unloaded, removed or deleted.")
_accessor("io_get_device_attachment_base_ref", "IoGetDeviceAttachmentBaseRef",
          io_get_device_attachment_base_ref,
          "result = IoGetDeviceAttachmentBaseRef(device): the bottom of its stack (a PnP "
          "stack's PDO), referenced.")


@block("io_enumerate_device_object_list", summary="IoEnumerateDeviceObjectList(driver, "
       "array, size, &count): count = the driver's devices, always; STATUS_BUFFER_TOO_SMALL "
       "when count pointers do not fit in size (call once with size 0, allocate, call "
       "again); else the array gets them in NextDevice order, each referenced: "
       "ObDereferenceObject each.",
       params={"type": "object", "required": ["driver", "size", "count"],
               "additionalProperties": False,
               "properties": {
                   "driver": dict(EXPR, description="a PDRIVER_OBJECT expression, e.g. "
                                  "DriverObject or pDevice->DriverObject"),
                   "array": {"type": "string", "minLength": 1, "maxLength": 200,
                             "description": "a PDEVICE_OBJECT[n] variable, or a pointer "
                                            "variable to pool (ExAllocatePool); omitted: NULL"},
                   "size": dict(EXPR, description="SizeInBytes of the array"),
                   "count": LVALUE, "status": LVALUE}},
       models=("IoEnumerateDeviceObjectList",))
def _io_enumerate_device_object_list(params: dict, cc: Any, path: list) -> Any:
    driver = _pointer(cc, params, "driver", path, "DriverObject")
    array = _buffer(cc, params, "array", path)
    size = _value(cc, params, "size", path)
    count_out, status_out = _out(cc, params, "count", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = driver(f)
        size_in_bytes = size(f) & 0xFFFFFFFF
        _report(f, "IoEnumerateDeviceObjectList", {"driver": target.name,
                                                   "size": size_in_bytes})
        status, count, devices = io_enumerate_device_object_list(target, size_in_bytes)
        if devices:
            memory = array(f)
            if memory is None:
                fault(f, 0, True)            # the routine stores through a NULL Array
            for index, device in enumerate(devices):
                memory.write(f.kernel.objects.address_of(device).to_bytes(4, "little"),
                             4 * index)
        count_out(f, count)
        status_out(f, status)
        _returned(f, "IoEnumerateDeviceObjectList", status=status, count=count)
        return None
        yield
    return step
