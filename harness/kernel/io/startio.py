"""The system StartIo model: IoStartPacket and IoStartNextPacket (kernel-env §6.5,
io-core §7.7), built on the device queue of ke/devqueue.py.

DeviceObject->CurrentIrp is the IRP handed to StartIo, which runs at DISPATCH_LEVEL
even when IoStartPacket was called at PASSIVE_LEVEL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import DISPATCH_LEVEL
from ..errors import NotModelledError
from ..ke.devqueue import (KDeviceQueue, ke_insert_by_key_device_queue, ke_insert_device_queue,
                           ke_remove_device_queue)
from ..ke.schedule import ke_preemption_point
from ..ke.spinlock import ke_acquire_spin_lock_at_dpc_level, ke_release_spin_lock_from_dpc_level
from .verifier import held_spin_locks

if TYPE_CHECKING:
    from .device import DeviceObject
    from .irp import Irp


def _queue(device: "DeviceObject") -> KDeviceQueue:
    if device.device_queue is None:
        device.device_queue = KDeviceQueue(device.kernel, device.label)
    queue: KDeviceQueue = device.device_queue
    return queue


#: DEVOBJ_EXTENSION.StartIoFlags (ReactOS's DOE_SIO_* bits), kept in doe_flags
DOE_SIO_NO_KEY, DOE_SIO_WITH_KEY, DOE_SIO_CANCELABLE = 0x20, 0x40, 0x80
DOE_SIO_DEFERRED, DOE_SIO_NO_CANCEL = 0x100, 0x200
_SIO_ACTIVE = 0x10000          # the model's own bit: StartIo is running for this device


def io_set_start_io_attributes(device: "DeviceObject", deferred_start_io: bool,
                               non_cancelable: bool) -> None:
    """IoSetStartIoAttributes (pnp-hardware §7.2): the flags are OR-ed in and stay."""
    device.doe_flags |= ((DOE_SIO_DEFERRED if deferred_start_io else 0)
                         | (DOE_SIO_NO_CANCEL if non_cancelable else 0))


def _start_io(device: "DeviceObject", irp: "Irp | None") -> Generator[Any, Any, None]:
    """Call StartIo. NonCancelable: the cancel routine is taken back first (under the
    cancel lock), so a later IoCancelIrp only sets Cancel. DeferredStartIo: an
    IoStartNextPacket from inside StartIo is recorded and served here, in a loop,
    after StartIo returns - no recursion (§7.2)."""
    start_io = device.driver_object.driver_start_io
    if start_io is None:
        raise NotModelledError("IoStartPacket", f"driver {device.driver_object.name} has no "
                               "DriverStartIo (Windows would call through NULL)")
    while irp is not None:
        if device.doe_flags & DOE_SIO_NO_CANCEL:
            lock = device.kernel.cancel_spin_lock
            ke_acquire_spin_lock_at_dpc_level(lock)
            irp.cancel_routine = None
            ke_release_spin_lock_from_dpc_level(lock)
        if device.doe_flags & _SIO_ACTIVE and device.kernel.verifier:
            # R66 StartIoRecursion (an SDV rule, reported): StartIo re-entered through
            # IoStartNextPacket without DeferredStartIo - one level deeper per IRP
            device.kernel.hooks.violation("StartIoRecursion", f"StartIo of {device.label} "
                                          "called again from inside itself (set "
                                          "DeferredStartIo with IoSetStartIoAttributes)",
                                          irp, None)
        active = device.doe_flags & _SIO_ACTIVE
        device.doe_flags |= _SIO_ACTIVE
        try:
            yield from start_io(device, irp)
        finally:
            if not active:
                device.doe_flags &= ~_SIO_ACTIVE
        irp = None
        requested = device.doe_flags & (DOE_SIO_NO_KEY | DOE_SIO_WITH_KEY)
        if device.doe_flags & DOE_SIO_DEFERRED and requested:
            cancelable = bool(device.doe_flags & DOE_SIO_CANCELABLE)
            device.doe_flags &= ~(DOE_SIO_NO_KEY | DOE_SIO_WITH_KEY | DOE_SIO_CANCELABLE)
            irp = _next_packet(device, cancelable)


def io_start_packet(device: "DeviceObject", irp: "Irp", key: int | None = None,
                    cancel_routine: Any = None) -> Generator[Any, Any, None]:
    """IoStartPacket (kernel-env §6.3): queue the IRP or hand it to StartIo at DISPATCH."""
    kernel = device.kernel
    if kernel.chooser is not None:      # ke/schedule.py: before it takes the cancel lock
        yield from ke_preemption_point(kernel, "IoStartPacket")
    old_irql = kernel.raise_irql(DISPATCH_LEVEL)
    lock = kernel.cancel_spin_lock
    if cancel_routine is not None:
        ke_acquire_spin_lock_at_dpc_level(lock)
        irp.cancel_routine = cancel_routine
    queue = _queue(device)
    inserted = (ke_insert_device_queue(queue, irp) if key is None
                else ke_insert_by_key_device_queue(queue, irp, key))
    if not inserted:
        device.current_irp = irp
        if cancel_routine is not None:
            ke_release_spin_lock_from_dpc_level(lock)     # stays at DISPATCH_LEVEL
        yield from _start_io(device, irp)
    elif cancel_routine is not None and irp.cancel:
        # Queued but already cancelled: call the cancel routine now; it drops the lock.
        irp.cancel_irql = old_irql
        routine, irp.cancel_routine = irp.cancel_routine, None
        if routine is not None:
            cpu = kernel.cpu
            saved = cpu.context
            cpu.context = "cancel"
            kernel.hooks.cancel_routine(irp, device, routine)
            yield from routine(device, irp)
            kernel.hooks.cancel_return(irp, device, routine)
            cpu.context = saved
    elif cancel_routine is not None:
        ke_release_spin_lock_from_dpc_level(lock)
    kernel.lower_irql(old_irql)


def io_start_next_packet(device: "DeviceObject", cancelable: bool
                         ) -> Generator[Any, Any, None]:
    """IoStartNextPacket (kernel-env §6.4): clear CurrentIrp, start the next queued IRP.

    It does not look at Irp->Cancel: StartIo must (kernel-env §12.3). With
    DeferredStartIo, called from inside StartIo, it only records the request.
    """
    held_spin_locks(device.kernel, "IoStartNextPacket")
    if device.doe_flags & DOE_SIO_DEFERRED and device.doe_flags & _SIO_ACTIVE:
        device.doe_flags |= DOE_SIO_NO_KEY | (DOE_SIO_CANCELABLE if cancelable else 0)
        return
    irp = _next_packet(device, cancelable)
    if irp is not None:
        yield from _start_io(device, irp)


def _next_packet(device: "DeviceObject", cancelable: bool) -> "Irp | None":
    """Clear CurrentIrp and take the next queued IRP (the queue goes idle when empty)."""
    lock = device.kernel.cancel_spin_lock
    if cancelable:
        ke_acquire_spin_lock_at_dpc_level(lock)
    device.current_irp = None
    irp: Irp | None = ke_remove_device_queue(_queue(device))
    if irp is not None:
        device.current_irp = irp
    if cancelable:
        ke_release_spin_lock_from_dpc_level(lock)
    return irp
