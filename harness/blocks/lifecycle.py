"""Blocks for a driver's own objects over its life: deleting devices and links, as
DriverUnload does (pnp-hardware §1.6-§1.7, book §1.1 HelloDDKUnload), and the PnP
handlers' pieces: forward-and-wait and IoDetachDevice (kernel-env §9.4, pnp-hardware
§2.9).
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (NTSTATUS, KEvent, NotificationEvent, io_call_driver,
                      io_copy_current_irp_stack_location_to_next, io_delete_device,
                      io_delete_symbolic_link, io_detach_device, io_set_completion_routine,
                      io_skip_current_irp_stack_location, ke_set_event,
                      ke_wait_for_single_object, po_call_driver, po_start_next_power_irp)
from .actions import EXPR
from .driver_io import LVALUE, TEXT, _out, _pointer
from .registry import block
from .runtime import Frame
from .sync import _report, _returned


@block("io_delete_device", bare=True, summary="IoDeleteDevice(device): the name and the "
       "IoTimer go at once; the device leaves the driver's NextDevice chain now, or at its "
       "last close while it is still open. Without `device`: the device the routine runs for.",
       params={"type": "object", "additionalProperties": False,
               "properties": {"device": dict(EXPR, description="a PDEVICE_OBJECT "
                                             "expression, e.g. pNextObj")}},
       max_irql="PASSIVE_LEVEL", models=("IoDeleteDevice",))
def _io_delete_device(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    device = (_pointer(cc, params, "device", path, "DeviceObject") if "device" in params
              else lambda f: f.device)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = device(f)
        _report(f, "IoDeleteDevice", {"device": target.label})
        io_delete_device(target)
        return None
        yield
    return step


@block("io_delete_symbolic_link", summary="IoDeleteSymbolicLink(name): "
       "STATUS_OBJECT_NAME_NOT_FOUND when there is no such link.",
       params={"type": "object", "required": ["name"], "additionalProperties": False,
               "properties": {"name": TEXT, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("IoDeleteSymbolicLink",))
def _io_delete_symbolic_link(params: dict, cc: Any, path: list) -> Any:
    name = params["name"]
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "IoDeleteSymbolicLink", {"name": name})
        status = io_delete_symbolic_link(f.kernel, name)
        _returned(f, "IoDeleteSymbolicLink", status=status)
        status_out(f, status)
        return None
        yield
    return step


@block("delete_devices", bare=True, summary="The book's DriverUnload loop: for each device "
       "of the driver (DriverObject->DeviceObject, then NextDevice), IoDeleteSymbolicLink of "
       "its link (kept in its extension) and IoDeleteDevice.", params=None,
       max_irql="PASSIVE_LEVEL", models=("IoDeleteSymbolicLink", "IoDeleteDevice"))
def _delete_devices(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        device = f.model.driver.device_object
        while device is not None:
            following = device.next_device    # read before the device goes, as C must
            link = device.device_extension.get("link")
            if link:
                _report(f, "IoDeleteSymbolicLink", {"name": link})
                io_delete_symbolic_link(f.kernel, link)
            _report(f, "IoDeleteDevice", {"device": device.label})
            io_delete_device(device)
            device = following
        return None
        yield
    return step


@block("io_detach_device", bare=True, summary="IoDetachDevice(lower): undo this device's "
       "attachment to the device below it (the extension's NextStackDevice).", params=None,
       max_irql="PASSIVE_LEVEL", models=("IoDetachDevice",))
def _io_detach_device(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        lower = f.lower_device()
        _report(f, "IoDetachDevice", {"lower": lower.label})
        io_detach_device(lower)
        return None
        yield
    return step


def _on_request_complete(device: Any, irp: Any, event: Any) -> Generator[Any, Any, int]:
    """The forward-and-wait completion routine: KeSetEvent, then stop the walk."""
    ke_set_event(event, 0, False)
    return NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
    yield


@block("forward_and_wait", bare=True, summary="Pass the IRP down and wait for the lower "
       "drivers to finish it (IoCopyCurrentIrpStackLocationToNext, a completion routine that "
       "sets an event and returns STATUS_MORE_PROCESSING_REQUIRED, IoCallDriver, "
       "KeWaitForSingleObject): the routine goes on owning the IRP, `lower` is its "
       "IoStatus.Status, and it must complete it again (complete: {status: keep}).",
       params=None, max_irql="PASSIVE_LEVEL",
       models=("IoCopyCurrentIrpStackLocationToNext", "IoSetCompletionRoutine",
               "IoCallDriver", "KeWaitForSingleObject"))
def _forward_and_wait(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        event = KEvent(f.kernel, NotificationEvent, False, "ForwardAndWait")
        io_copy_current_irp_stack_location_to_next(irp)
        io_set_completion_routine(irp, _on_request_complete, event, True, True, True)
        status = yield from io_call_driver(f.lower_device(), irp)
        if status == NTSTATUS.STATUS_PENDING:
            yield from ke_wait_for_single_object(event)
        f.lower_status = irp.io_status.status
        return None
    return step


@block("po_start_next_power_irp", bare=True, summary="PoStartNextPowerIrp(Irp): this device "
       "may take its next power IRP (XP: once per QUERY_POWER / SET_POWER, before passing "
       "the IRP on or completing it).", params=None, models=("PoStartNextPowerIrp",))
def _po_start_next_power_irp(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        yield from po_start_next_power_irp(f.irp)
    return step


@block("po_call_driver", bare=True, summary="IoSkipCurrentIrpStackLocation + PoCallDriver("
       "lower, Irp) for a power IRP: held while the lower device has one in progress.",
       params=None, models=("IoSkipCurrentIrpStackLocation", "PoCallDriver"))
def _po_call_driver(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        io_skip_current_irp_stack_location(f.irp)
        status = yield from po_call_driver(f.lower_device(), f.irp)
        f.lower_status = f.result = status
    return step
