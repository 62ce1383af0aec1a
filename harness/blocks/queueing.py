"""Cancel routines, the StartIo model and cancel-safe queues: blocks for the book's
chapter 9 patterns."""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (NTSTATUS, IoCsq, KSpinLock, io_acquire_cancel_spin_lock,
                      io_complete_request, io_csq_insert_irp, io_csq_remove_next_irp,
                      io_get_current_irp_stack_location, io_mark_irp_pending,
                      io_release_cancel_spin_lock, io_set_cancel_routine, ke_acquire_spin_lock,
                      ke_preemption_point, ke_release_spin_lock)
from ..kernel import (io_set_start_io_attributes, io_start_next_packet, io_start_packet,
                      ke_remove_entry_device_queue)
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
        if f.kernel.chooser is not None:        # an interlocked exchange: a choice point
            yield from ke_preemption_point(f.kernel, "IoSetCancelRoutine")
        f.vars["previous_cancel_routine"] = io_set_cancel_routine(
            f.irp, None if routine is None else routine.bind(f.model))
    return step


@block("acquire_cancel_lock", bare=True, summary="IoAcquireCancelSpinLock (raises to "
       "DISPATCH_LEVEL; the old IRQL is kept for release_cancel_lock).", params=None,
       models=("IoAcquireCancelSpinLock",))
def _acquire_cancel_lock(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        if f.kernel.chooser is not None:        # before the acquire (ke/schedule.py)
            yield from ke_preemption_point(f.kernel, "IoAcquireCancelSpinLock")
        f.vars[SAVED_IRQL] = io_acquire_cancel_spin_lock(f.kernel)
    return step


@block("release_cancel_lock", bare=True, summary="IoReleaseCancelSpinLock: to the IRQL saved "
       "by acquire_cancel_lock in this routine, else to Irp->CancelIrql (in a cancel routine).",
       params=None, models=("IoReleaseCancelSpinLock",))
def _release_cancel_lock(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        irql = f.vars.pop(SAVED_IRQL, None)
        io_release_cancel_spin_lock(f.kernel, f.irp.cancel_irql if irql is None else irql)
        if f.kernel.chooser is not None:        # after the release (ke/schedule.py)
            yield from ke_preemption_point(f.kernel, "IoReleaseCancelSpinLock")
    return step


block("if_cancelled", summary="Run these steps when Irp->Cancel is set.", params=ROUTINE)(
    _conditional(lambda f: f.irp.cancel))
block("if_cancel_routine_was_null", summary="Run these steps when the last set_cancel_routine "
      "of this routine returned NULL: IoCancelIrp took the routine first, so the cancel "
      "routine owns the IRP (io-core §7.4).", params=ROUTINE)(
    _conditional(lambda f: "previous_cancel_routine" in f.vars
                 and f.vars["previous_cancel_routine"] is None))
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


@block("set_start_io_attributes", summary="IoSetStartIoAttributes(DeviceObject, "
       "DeferredStartIo, NonCancelable), before the first IoStartPacket: deferred makes an "
       "IoStartNextPacket inside StartIo wait until StartIo returns (no recursion); "
       "non_cancelable takes the cancel routine back from each IRP handed to StartIo.",
       params={"type": "object", "additionalProperties": False,
               "properties": {"deferred_start_io": {"type": "boolean"},
                              "non_cancelable": {"type": "boolean"}}},
       models=("IoSetStartIoAttributes",))
def _set_start_io_attributes(params: dict, cc: Any, path: list) -> Any:
    deferred, non_cancelable = params.get("deferred_start_io", False), \
        params.get("non_cancelable", False)

    def step(f: Frame) -> Generator[Any, Any, None]:
        io_set_start_io_attributes(f.device, deferred, non_cancelable)
        return None
        yield
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


# -- cancel-safe queues (pnp-hardware §7.3-§7.5) --------------------------------------------

_QUEUE = {"type": "string", "minLength": 1, "maxLength": 64,
          "description": "a LIST_ENTRY of the state or extension, or a driver-wide list"}


def _csq(f: Frame, queue: Any, name: str) -> IoCsq:
    """The driver's IO_CSQ over ``queue``, with the callbacks a CSQ driver writes: insert
    at the tail, remove, peek by FileObject (PeekContext), its own spin lock, and
    complete a canceled IRP with STATUS_CANCELLED."""
    key = f"csq:{name}"
    csq = f.model.vars.get(key)
    if csq is not None:
        return csq
    items = queue(f)
    lock = KSpinLock(f.kernel, f"{name}Lock")

    def insert(csq: IoCsq, irp: Any) -> int:
        items.append(irp)
        return NTSTATUS.STATUS_SUCCESS

    def remove(csq: IoCsq, irp: Any) -> None:
        items.remove(irp)

    def peek_next(csq: IoCsq, irp: Any, file_object: Any) -> Any:
        start = 0 if irp is None else items.index(irp) + 1
        for candidate in items[start:]:
            if file_object is None or \
                    io_get_current_irp_stack_location(candidate).file_object is file_object:
                return candidate
        return None

    def complete_canceled(csq: IoCsq, irp: Any) -> Generator[Any, Any, None]:
        irp.io_status.status, irp.io_status.information = NTSTATUS.STATUS_CANCELLED, 0
        yield from io_complete_request(irp)

    csq = f.model.vars[key] = IoCsq(f.kernel, insert, remove, peek_next,
                                    lambda csq: ke_acquire_spin_lock(lock),
                                    lambda csq, irql: ke_release_spin_lock(lock, irql),
                                    complete_canceled, name)
    return csq


@block("csq_insert_irp", summary="IoCsqInsertIrp on the driver's cancel-safe queue over a "
       "list: the IRP is marked pending, queued and cancelable (a cancel takes it out and "
       "completes it STATUS_CANCELLED); the routine returns STATUS_PENDING.",
       params=_QUEUE, models=("IoCsqInitialize", "IoCsqInsertIrp"))
def _csq_insert_irp(params: str, cc: Any, path: list) -> Any:
    queue = cc.list(params, "produce", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        yield from io_csq_insert_irp(_csq(f, queue, params), f.irp)
        f.result = NTSTATUS.STATUS_PENDING
    return step


@block("csq_remove_next_irp", summary="IoCsqRemoveNextIrp: the routine goes on with the next "
       "queued IRP (of this request's file object with file_object: current), or with no IRP "
       "(Irp == NULL); one being canceled is skipped.",
       params={"anyOf": [_QUEUE, {"type": "object", "required": ["queue"],
                                  "additionalProperties": False,
                                  "properties": {"queue": _QUEUE,
                                                 "file_object": {"enum": ["any", "current"]}}}]},
       models=("IoCsqRemoveNextIrp",))
def _csq_remove_next_irp(params: Any, cc: Any, path: list) -> Any:
    params = params if isinstance(params, dict) else {"queue": params}
    name = params["queue"]
    queue = cc.list(name, "consume", path)
    current = params.get("file_object", "any") == "current"

    def step(f: Frame) -> Generator[Any, Any, None]:
        if f.kernel.chooser is not None:        # before it takes the queue lock
            yield from ke_preemption_point(f.kernel, "IoCsqRemoveNextIrp")
        peek = io_get_current_irp_stack_location(f.irp).file_object if current else None
        f.irp = io_csq_remove_next_irp(_csq(f, queue, name), peek)
    return step


@block("csq_complete_all", summary="The IRP_MJ_CLEANUP loop of a CSQ driver: "
       "IoCsqRemoveNextIrp(csq, FileObject) until NULL, completing each with the status "
       "(STATUS_CANCELLED); the cleanup IRP itself is left for the routine to complete.",
       params={"anyOf": [_QUEUE, {"type": "object", "required": ["queue"],
                                  "additionalProperties": False,
                                  "properties": {"queue": _QUEUE,
                                                 "status": {"$ref": "#/$defs/ntstatus"}}}]},
       models=("IoCsqRemoveNextIrp", "IoCompleteRequest"))
def _csq_complete_all(params: Any, cc: Any, path: list) -> Any:
    params = params if isinstance(params, dict) else {"queue": params}
    name = params["queue"]
    queue = cc.list(name, "consume", path)
    status = cc.status(params.get("status", "STATUS_CANCELLED"), path + ["status"])

    def step(f: Frame) -> Generator[Any, Any, None]:
        file_object = io_get_current_irp_stack_location(f.irp).file_object
        csq = _csq(f, queue, name)
        while True:
            irp = io_csq_remove_next_irp(csq, file_object)
            if irp is None:
                return None
            irp.io_status.status, irp.io_status.information = status, 0
            yield from io_complete_request(irp)
    return step
