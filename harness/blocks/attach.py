"""IoAttachDevice: an NT-style filter attaches over a device it finds by name (kernel-env
§10.1, stacks-services 2.7), as Ctrl2cap attaches over \\Device\\KeyboardClass0 (#51).

IoAttachDevice opens the named device (IopGetDeviceObjectPointer with FILE_READ_ATTRIBUTES:
its stack's top sees IRP_MJ_CREATE and, as the handle goes, IRP_MJ_CLEANUP), attaches the
caller's device to the current top of that stack (IoAttachDeviceToDeviceStack: StackSize
= the top's + 1) and dereferences the file object: its IRP_MJ_CLOSE goes to the new top,
the filter itself, which must pass it down (ReactOS IoAttachDevice). A file object opened
earlier keeps sending its requests to the new top: the filter sees them from its next
request on (kernel-env §10.1).
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (DO_EXCLUSIVE, FILE_READ_ATTRIBUTES, NTSTATUS, DeviceObject,
                      NotModelledError, io_attach_device_to_device_stack,
                      io_get_device_object_pointer, ob_dereference_file_object_inline)
from .actions import EXPR
from .driver_io import LVALUE, TEXT, _out, _pointer
from .registry import block
from .runtime import Frame, ScenarioRuntimeError


@block("io_attach_device", summary="IoAttachDevice(device, name, &attached): open the named "
       "device (its stack sees CREATE, CLEANUP, CLOSE), attach this device (or 'device') to "
       "the top of its stack and keep that top as the lower device forward sends to; "
       "'attached' gets it (the book's TopOfStack), 'status' the status "
       "(STATUS_OBJECT_NAME_NOT_FOUND when nothing has that name).",
       params={"type": "object", "required": ["name"], "additionalProperties": False,
               "properties": {"name": TEXT,
                              "device": dict(EXPR, description="the filter's PDEVICE_OBJECT "
                                             "(default: the routine's device)"),
                              "attached": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("IoAttachDevice",))
def _io_attach_device(params: dict, cc: Any, path: list) -> Any:
    name = params["name"]
    source = (_pointer(cc, params, "device", path, "DeviceObject") if "device" in params
              else lambda f: f.device)
    attached_out = _out(cc, params, "attached", path)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        kernel = f.kernel
        device = source(f)
        if device is None:
            raise ScenarioRuntimeError(f"{cc.where(path)}: IoAttachDevice needs the "
                                       "filter's device: put create_devices before it")
        kernel.hooks.service_call("IoAttachDevice", {"device": device.label, "name": name})
        target = kernel.namespace.lookup(name)
        if isinstance(target, DeviceObject) and target.flags & DO_EXCLUSIVE \
                and target.reference_count > 0:
            # IO_ATTACH_DEVICE_API opens an exclusive device that is open (1.3): the
            # model's open has no such option
            raise NotModelledError("IoAttachDevice", f"{name} is exclusive and open: the "
                                   "IO_ATTACH_DEVICE open that bypasses DO_EXCLUSIVE")
        status, file, top = yield from io_get_device_object_pointer(kernel, name,
                                                                    FILE_READ_ATTRIBUTES)
        lower = None
        if top is not None:
            lower = io_attach_device_to_device_stack(device, top)
            if lower is None:            # initializing or going away
                status = NTSTATUS.STATUS_NO_SUCH_DEVICE
            else:
                # *AttachedDevice is written before the file object goes: its IRP_MJ_CLOSE
                # is sent to the new top, this filter, which passes it down
                device.device_extension["lower"] = lower
                attached_out(f, kernel.objects.address_of(lower))
            yield from ob_dereference_file_object_inline(file)
        status_out(f, status)
        kernel.hooks.service_return("IoAttachDevice", {
            "status": status, "attached": lower.label if lower is not None else None})
    return step
