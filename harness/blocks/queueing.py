"""Cancel routines and the StartIo model: blocks for the book's chapter 9 patterns."""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (NTSTATUS, io_acquire_cancel_spin_lock, io_mark_irp_pending,
                      io_release_cancel_spin_lock, io_set_cancel_routine)
from ..kernel import io_start_next_packet, io_start_packet, ke_remove_entry_device_queue
from .actions import ROUTINE, ROUTINE_REF, _conditional
from .registry import block
from .runtime import Frame

SAVED_IRQL = "cancel_lock_old_irql"


def _routine_or_none(cc: Any, params: Any, path: list) -> Any:
    return None if params is None else cc.routine(params, "cancel", "CancelRoutine", path)


@block("set_cancel_routine", summary="IoSetCancelRoutine: make the IRP cancelable with this "
       "routine, or (null) take the routine back; the previous one is returned.",
       params={"anyOf": [ROUTINE_REF, {"type": "null"}]}, models=("IoSetCancelRoutine",))
def _set_cancel_routine(params: Any, cc: Any, path: list) -> Any:
    routine = _routine_or_none(cc, params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        f.vars["previous_cancel_routine"] = io_set_cancel_routine(
            f.irp, None if routine is None else routine.bind(f.model))
        return None
        yield
    return step


@block("acquire_cancel_lock", bare=True, summary="IoAcquireCancelSpinLock (raises to "
       "DISPATCH_LEVEL; the old IRQL is kept for release_cancel_lock).", params=None,
       models=("IoAcquireCancelSpinLock",))
def _acquire_cancel_lock(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        f.vars[SAVED_IRQL] = io_acquire_cancel_spin_lock(f.kernel)
        return None
        yield
    return step


@block("release_cancel_lock", bare=True, summary="IoReleaseCancelSpinLock: to the IRQL saved "
       "by acquire_cancel_lock in this routine, else to Irp->CancelIrql (in a cancel routine).",
       params=None, models=("IoReleaseCancelSpinLock",))
def _release_cancel_lock(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        irql = f.vars.pop(SAVED_IRQL, None)
        io_release_cancel_spin_lock(f.kernel, f.irp.cancel_irql if irql is None else irql)
        return None
        yield
    return step


block("if_cancelled", summary="Run these steps when Irp->Cancel is set.", params=ROUTINE)(
    _conditional(lambda f: f.irp.cancel))
block("if_current_irp", summary="Run these steps when the IRP is DeviceObject->CurrentIrp "
      "(the one StartIo owns).", params=ROUTINE)(
    _conditional(lambda f: f.device.current_irp is f.irp))
block("if_not_current_irp", summary="Run these steps when the IRP is not "
      "DeviceObject->CurrentIrp.", params=ROUTINE)(
    _conditional(lambda f: f.device.current_irp is not f.irp))


@block("start_io", kind="block", summary="IoMarkIrpPending + IoStartPacket: StartIo runs now "
       "at DISPATCH_LEVEL if the device is idle, else the IRP waits in the device queue; the "
       "dispatch routine returns STATUS_PENDING (book §9.3).",
       params={"type": "object", "additionalProperties": False, "properties": {
           "cancel": ROUTINE_REF, "key": {"type": "integer", "minimum": 0,
                                                        "maximum": 0xFFFFFFFF}}},
       bare=True, models=("IoMarkIrpPending", "IoStartPacket"))
def _start_io(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    cancel = (cc.routine(params["cancel"], "cancel", "CancelRoutine", path + ["cancel"])
              if "cancel" in params else None)
    key = params.get("key")

    def step(f: Frame) -> Generator[Any, Any, None]:
        io_mark_irp_pending(f.irp)
        yield from io_start_packet(f.device, f.irp, key,
                                   None if cancel is None else cancel.bind(f.model))
        f.result = NTSTATUS.STATUS_PENDING
    return step


@block("start_next_packet", bare=True, summary="IoStartNextPacket: clear CurrentIrp and hand "
       "the next queued IRP to StartIo (recursively, from inside StartIo).",
       params={"type": "object", "additionalProperties": False,
               "properties": {"cancelable": {"type": "boolean"}}},
       max_irql="DISPATCH_LEVEL", models=("IoStartNextPacket",))
def _start_next_packet(params: dict | None, cc: Any, path: list) -> Any:
    cancelable = (params or {}).get("cancelable", True)

    def step(f: Frame) -> Generator[Any, Any, None]:
        yield from io_start_next_packet(f.device, cancelable)
    return step


@block("remove_from_device_queue", bare=True, summary="KeRemoveEntryDeviceQueue for this IRP "
       "(in a cancel routine).", params=None,
       models=("KeRemoveEntryDeviceQueue",))
def _remove_from_device_queue(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        queue = f.device.device_queue
        f.vars["removed"] = queue is not None and ke_remove_entry_device_queue(queue, f.irp)
        return None
        yield
    return step
