"""Blocks of the keyboard stack (stacks-services §2): a port driver's call into its class
driver, and the class driver's side - kbdclass's input data queue, the reads it keeps
pending until input arrives, the trusted subsystem, its cancel and cleanup.

The built-in driver files ``scenarios/drivers/builtin/i8042prt.yaml`` and
``kbdclass.yaml`` are written with these and the ordinary blocks: the port's ISR and
DPC are YAML (the scan-code state machine of 2.3 in statements), kbdclass's queue
handling is here, one block per routine of the real driver.

Where stacks-services §2 says nothing, the model follows the NT4 / Windows 2000
kbdclass (facts taken from its published source, not its code): a create from kernel
mode passes SeSinglePrivilegeCheck(SeTcbPrivilege) and makes its file object the one
trusted reader (FsContext = 1) if there is none yet; reads of any other file object get
STATUS_PRIVILEGE_NOT_HELD; a read whose length is not a multiple of
sizeof(KEYBOARD_INPUT_DATA) gets STATUS_BUFFER_TOO_SMALL and a zero-length read
STATUS_SUCCESS; the class service callback satisfies pending reads straight from the
port's data, queues the rest, and completes the satisfied reads after releasing the
class spin lock, still at DISPATCH_LEVEL (IO_KEYBOARD_INCREMENT); records that do not fit
in the class queue are not consumed. Pending reads wait in a FIFO (the Windows 2000
ReadQueue) rather than NT4's StartIo device queue; an inline completion happens after
the spin lock is released, at the reader's IRQL (ReactOS completes it under the lock,
at DISPATCH_LEVEL: spec 2.5 notes that as ReactOS's).

Simplified: the ENABLE / DISABLE internal IOCTLs NT4's kbdclass sends at create and
close (the PnP kbdclass does not), the registry's ConnectMultiplePorts (one class device
per port, the Windows layout of 2.1), error-log entries and the priority boost (kept in
the call, unused by the scheduler).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (IO_KEYBOARD_INCREMENT, IOCTL_INTERNAL_KEYBOARD_CONNECT, NTSTATUS,
                      Buffer, IoStatusBlock, KEvent, KSpinLock, KernelMode, NotificationEvent,
                      io_acquire_cancel_spin_lock, io_build_device_io_control_request,
                      io_call_driver, io_complete_request,
                      io_get_current_irp_stack_location, io_mark_irp_pending,
                      io_release_cancel_spin_lock, io_set_cancel_routine,
                      ke_acquire_spin_lock, ke_release_spin_lock, ke_wait_for_single_object)
from .actions import EXPR, ROUTINE_REF
from .driver_io import LVALUE, _out, _value
from .registry import block
from .runtime import Frame, ScenarioRuntimeError
from .state import deref, fault

#: sizeof(KEYBOARD_INPUT_DATA) on x86 and x64 (2.4)
RECORD = 12
#: kbdclass's default KeyboardDataQueueSize, in records (2.5)
CLASS_QUEUE_RECORDS = 100
#: FILE_OBJECT.FsContext of the trusted subsystem's open (NT4 kbdclass: (PVOID)1)
TRUSTED = 1


class ServiceCallbackData:
    """What a port hands its class service callback: records ``start`` to ``end``
    (exclusive, in KEYBOARD_INPUT_DATA units) of its input data queue ``buffer``; the
    class sets ``consumed`` (*InputDataConsumed)."""

    __slots__ = ("buffer", "start", "end", "consumed")

    def __init__(self, buffer: Buffer, start: int, end: int) -> None:
        self.buffer, self.start, self.end, self.consumed = buffer, start, end, 0

    def records(self) -> list[bytes]:
        return [self.buffer.read(i * RECORD, RECORD) for i in range(self.start, self.end)]

    def __repr__(self) -> str:
        return f"<input data {self.start}..{self.end} consumed {self.consumed}>"


class KeyboardClassData:
    """kbdclass's part of its class device's extension: the spin lock, the class input
    data queue (records, oldest first), the reads held pending (oldest first), the
    trusted reader's file object."""

    __slots__ = ("lock", "queue", "reads", "trusted", "size")

    def __init__(self, lock: KSpinLock, size: int = CLASS_QUEUE_RECORDS) -> None:
        self.lock = lock
        self.queue: list[bytes] = []
        self.reads: list[Any] = []
        self.trusted: Any = None
        self.size = size

    def __repr__(self) -> str:
        return (f"<kbdclass queue {len(self.queue)}/{self.size} reads {len(self.reads)} "
                f"trusted {self.trusted!r}>")


def class_data(device: Any, size: int | None = None) -> KeyboardClassData:
    """The class data of a class device (made on first use)."""
    data = device.device_extension.get("kbdclass")
    if data is None:
        data = device.device_extension["kbdclass"] = KeyboardClassData(
            KSpinLock(device.kernel, f"{device.label}.SpinLock"))
    if size is not None:
        data.size = size
    return data


def routine_at(kernel: Any, address: int) -> Any:
    """The routine a code address is the stand-in address of, or None (a wild pointer)."""
    for routine, at in kernel.routine_addresses.items():
        if at == address:
            return routine
    return None


def _fill(f: Frame, irp: Any, records: list[bytes]) -> None:
    """Copy records into the read's SystemBuffer, as kbdclass does whatever the IRP's
    buffering: a read that came through a device without DO_BUFFERED_IO has none, and
    the copy faults (2.8)."""
    buffer = irp.system_buffer
    if buffer is None:
        fault(f, 0, True)
    buffer.write(b"".join(records))


# -- the port's side: calling the class -------------------------------------------------------

@block("call_service_callback", summary="(*ClassService)(ClassDeviceObject, &data[start], "
       "&data[end], &consumed): call a connected class driver's service callback through "
       "the pointer CONNECT_DATA gave (kbdmou.h PSERVICE_CALLBACK_ROUTINE), at the caller's "
       "IRQL (a port's ISR DPC: DISPATCH_LEVEL). 'consumed' gets *InputDataConsumed.",
       params={"type": "object", "required": ["routine", "device", "data", "end"],
               "additionalProperties": False,
               "properties": {"routine": dict(EXPR, description="the callback's address, "
                                              "e.g. connectData.ClassService"),
                              "device": dict(EXPR, description="ClassDeviceObject"),
                              "data": {"$ref": "#/$defs/identifier", "description":
                                       "the port's input data queue: a KEYBOARD_INPUT_DATA "
                                       "array variable"},
                              "start": EXPR, "end": EXPR, "consumed": LVALUE}},
       models=("PSERVICE_CALLBACK_ROUTINE",))
def _call_service_callback(params: dict, cc: Any, path: list) -> Any:
    routine = _value(cc, params, "routine", path)
    device = _value(cc, params, "device", path)
    memory = cc.memory(params["data"], path + ["data"])
    start, end = _value(cc, params, "start", path), _value(cc, params, "end", path)
    consumed_out = _out(cc, params, "consumed", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        address = routine(f) & 0xFFFFFFFF
        callback = routine_at(f.kernel, address) if address else None
        if callback is None:
            fault(f, address, False)        # a call through a NULL or wild pointer
        target = deref(f, device(f) & 0xFFFFFFFF, "DeviceObject")
        buffer = memory(f)
        first, last = start(f), end(f)
        if buffer is None or not 0 <= first <= last or last * RECORD > buffer.length:
            raise ScenarioRuntimeError(f"{cc.where(path)}: records {first}..{last} are not "
                                       f"in {params['data']}")
        data = ServiceCallbackData(buffer, first, last)
        f.kernel.hooks.service_call("ClassService", {
            "routine": getattr(callback, "__name__", "?"), "device": target.label,
            "records": last - first})
        yield from callback(target, data)
        f.kernel.hooks.service_return("ClassService", {"consumed": data.consumed})
        consumed_out(f, data.consumed)
    return step


# -- kbdclass -----------------------------------------------------------------------------

@block("keyboard_class_connect", summary="kbdclass's KbdSendConnectRequest, in AddDevice "
       "after create_devices: IOCTL_INTERNAL_KEYBOARD_CONNECT (IoBuildDeviceIoControlRequest, "
       "internal) down its stack with CONNECT_DATA {this class device, &service}, waited "
       "for; 'status' (and `return: lower`) gets its status. queue_size: the class input "
       "data queue in records (KeyboardDataQueueSize, 100).",
       params={"type": "object", "required": ["service"], "additionalProperties": False,
               "properties": {"service": ROUTINE_REF,
                              "queue_size": {"type": "integer", "minimum": 1,
                                             "maximum": 100000},
                              "status": LVALUE}},
       max_irql="PASSIVE_LEVEL",
       models=("IoBuildDeviceIoControlRequest", "IoCallDriver", "KeWaitForSingleObject"))
def _keyboard_class_connect(params: dict, cc: Any, path: list) -> Any:
    service = cc.routine(params["service"], "service_callback", "ClassService",
                         path + ["service"])
    size = params.get("queue_size", CLASS_QUEUE_RECORDS)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        device = f.device
        if device is None:
            raise ScenarioRuntimeError(f"{cc.where(path)}: keyboard_class_connect needs the "
                                       "class device: put create_devices before it")
        kernel = f.kernel
        class_data(device, size)
        lower = f.lower_device()
        callback = service.bind(f.model)
        # CONNECT_DATA on kbdclass's stack: {ClassDeviceObject, ClassService}
        connect = Buffer.new(kernel.pool, 8)
        connect.write(kernel.objects.address_of(device).to_bytes(4, "little")
                      + kernel.routine_address(callback).to_bytes(4, "little"))
        event = KEvent(kernel, NotificationEvent, False, "KbdSendConnectRequest")
        iosb = IoStatusBlock()
        irp = io_build_device_io_control_request(kernel, IOCTL_INTERNAL_KEYBOARD_CONNECT,
                                                 lower, connect, 8, None, 0, True, event,
                                                 iosb)
        status = yield from io_call_driver(lower, irp)
        if status == NTSTATUS.STATUS_PENDING:
            yield from ke_wait_for_single_object(event)
            status = iosb.status
        f.lower_status = status
        status_out(f, status)
    return step


def _complete(f: Frame, status: int, information: int = 0, boost: int = 0
              ) -> Generator[Any, Any, None]:
    irp = f.irp
    irp.io_status.status, irp.io_status.information = status, information
    yield from io_complete_request(irp, boost)
    f.result = status


@block("keyboard_class_create", bare=True, summary="kbdclass's IRP_MJ_CREATE: a requestor "
       "that holds SeTcbPrivilege (any kernel-mode caller; not the app, whose token is an "
       "administrator's) becomes the trusted reader (FsContext = 1) if there is none yet; "
       "completed with STATUS_SUCCESS.", params=None, models=("SeSinglePrivilegeCheck",))
def _keyboard_class_create(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        data = class_data(f.device)
        file = f.stack.file_object
        # SeSinglePrivilegeCheck(SeTcbPrivilege, Irp->RequestorMode): KernelMode holds
        # every privilege; the app runs elevated, which does not give it SeTcbPrivilege
        if f.irp.requestor_mode == KernelMode and file is not None:
            old = ke_acquire_spin_lock(data.lock)
            if data.trusted is None:
                file.fs_context = TRUSTED      # only one trusted subsystem reads
                data.trusted = file
            ke_release_spin_lock(data.lock, old)
        yield from _complete(f, NTSTATUS.STATUS_SUCCESS)
    return step


@block("keyboard_class_close", bare=True, summary="kbdclass's IRP_MJ_CLOSE: the trusted "
       "reader's close lets another connect; completed with STATUS_SUCCESS.", params=None,
       models=())
def _keyboard_class_close(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        data = class_data(f.device)
        file = f.stack.file_object
        old = ke_acquire_spin_lock(data.lock)
        if file is not None and file.fs_context == TRUSTED and data.trusted is file:
            data.trusted = None
        ke_release_spin_lock(data.lock, old)
        yield from _complete(f, NTSTATUS.STATUS_SUCCESS)
    return step


def _cancel_routine(model: Any) -> Callable[[Any, Any], Generator[Any, Any, None]]:
    """kbdclass's KeyboardClassCancel for this driver (one per run): drop the cancel
    spin lock, take the read out of the queue under the class lock, complete it
    STATUS_CANCELLED with no data (2.5)."""
    routine = model.vars.get("kbdclass:cancel")
    if routine is None:
        def KeyboardClassCancel(device: Any, irp: Any) -> Generator[Any, Any, None]:  # noqa: N802
            kernel = device.kernel
            io_release_cancel_spin_lock(kernel, irp.cancel_irql)
            data = class_data(device)
            old = ke_acquire_spin_lock(data.lock)
            if irp in data.reads:
                data.reads.remove(irp)
            ke_release_spin_lock(data.lock, old)
            irp.io_status.status = NTSTATUS.STATUS_CANCELLED
            irp.io_status.information = 0
            yield from io_complete_request(irp, IO_KEYBOARD_INCREMENT)
        KeyboardClassCancel.image = model.image       # type: ignore[attr-defined]
        routine = model.vars["kbdclass:cancel"] = KeyboardClassCancel
    return routine


@block("keyboard_class_read", bare=True, summary="kbdclass's IRP_MJ_READ (2.5): length 0 "
       "completes at once, a length that is not a multiple of 12 is STATUS_BUFFER_TOO_SMALL, "
       "a reader that is not the trusted one STATUS_PRIVILEGE_NOT_HELD; queued records fill "
       "SystemBuffer and complete the read (IO_KEYBOARD_INCREMENT); with none it is marked "
       "pending with a cancel routine and held for the service callback.", params=None,
       models=("IoMarkIrpPending", "IoSetCancelRoutine", "IoCompleteRequest"))
def _keyboard_class_read(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        irp, stack = f.irp, f.stack
        length = stack.parameters.length
        file = stack.file_object
        if length == 0:
            yield from _complete(f, NTSTATUS.STATUS_SUCCESS)
            return None
        if length % RECORD:
            yield from _complete(f, NTSTATUS.STATUS_BUFFER_TOO_SMALL)
            return None
        if file is None or file.fs_context != TRUSTED:
            yield from _complete(f, NTSTATUS.STATUS_PRIVILEGE_NOT_HELD)
            return None
        data = class_data(f.device)
        old = ke_acquire_spin_lock(data.lock)
        if data.queue:
            count = min(len(data.queue), length // RECORD)
            _fill(f, irp, data.queue[:count])
            del data.queue[:count]
            ke_release_spin_lock(data.lock, old)
            yield from _complete(f, NTSTATUS.STATUS_SUCCESS, count * RECORD,
                                 IO_KEYBOARD_INCREMENT)
            return None
        cancel_irql = io_acquire_cancel_spin_lock(f.kernel)
        if irp.cancel:                  # cancelled on its way here: never held
            io_release_cancel_spin_lock(f.kernel, cancel_irql)
            ke_release_spin_lock(data.lock, old)
            yield from _complete(f, NTSTATUS.STATUS_CANCELLED)
            return None
        io_mark_irp_pending(irp)
        io_set_cancel_routine(irp, _cancel_routine(f.model))
        data.reads.append(irp)
        io_release_cancel_spin_lock(f.kernel, cancel_irql)
        ke_release_spin_lock(data.lock, old)
        f.result = NTSTATUS.STATUS_PENDING
        return None
    return step


@block("keyboard_class_cleanup", bare=True, summary="kbdclass's IRP_MJ_CLEANUP: the trusted "
       "reader's cleanup completes every read it has pending with STATUS_CANCELLED; the "
       "cleanup itself STATUS_SUCCESS.", params=None,
       models=("IoSetCancelRoutine", "IoCompleteRequest"))
def _keyboard_class_cleanup(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        data = class_data(f.device)
        file = f.stack.file_object
        cancelled = []
        old = ke_acquire_spin_lock(data.lock)
        if file is not None and file.fs_context == TRUSTED:
            for read in list(data.reads):
                # one whose cancel routine already ran is being cancelled: leave it to it
                if io_set_cancel_routine(read, None) is not None:
                    data.reads.remove(read)
                    cancelled.append(read)
        ke_release_spin_lock(data.lock, old)
        for read in cancelled:
            read.io_status.status = NTSTATUS.STATUS_CANCELLED
            read.io_status.information = 0
            yield from io_complete_request(read)
        yield from _complete(f, NTSTATUS.STATUS_SUCCESS)
    return step


@block("keyboard_class_service", bare=True, summary="The body of kbdclass's class service "
       "callback (a routine the port calls through CONNECT_DATA, at DISPATCH_LEVEL): "
       "pending reads are satisfied from the port's records first, the rest queued (up to "
       "the queue's size, see keyboard_class_connect; what does not fit is not consumed), "
       "and the satisfied reads completed after the class spin lock is released (2.5).",
       params=None,
       models=("KeAcquireSpinLockAtDpcLevel", "IoCompleteRequest"))
def _keyboard_class_service(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        args = f.context
        if not isinstance(args, ServiceCallbackData):
            raise ScenarioRuntimeError(f"{cc.where(path)}: keyboard_class_service belongs "
                                       "in the class service callback (the routine "
                                       "keyboard_class_connect names)")
        data = class_data(f.device)
        records = args.records()
        old = ke_acquire_spin_lock(data.lock)
        satisfied, taken = [], 0
        while data.reads and taken < len(records):
            read = data.reads.pop(0)
            if io_set_cancel_routine(read, None) is None:
                continue                # being cancelled: its cancel routine completes it
            location = io_get_current_irp_stack_location(read)
            count = min(len(records) - taken, location.parameters.length // RECORD)
            _fill(f, read, records[taken:taken + count])
            read.io_status.status = NTSTATUS.STATUS_SUCCESS
            read.io_status.information = count * RECORD
            location.parameters.length = count * RECORD
            taken += count
            satisfied.append(read)
        moved = min(data.size - len(data.queue), len(records) - taken)
        data.queue.extend(records[taken:taken + moved])
        args.consumed = taken + moved
        ke_release_spin_lock(data.lock, old)
        for read in satisfied:
            yield from io_complete_request(read, IO_KEYBOARD_INCREMENT)
    return step
