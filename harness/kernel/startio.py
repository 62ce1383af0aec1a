"""Device queues and the system StartIo model (kernel-env §6.2-§6.5, io-core §7.7).

A KDEVICE_QUEUE is a list plus a Busy flag. The subtle part (kernel-env §12.1):
KeInsertDeviceQueue on an idle queue does NOT insert the entry. It only marks the queue
busy and returns FALSE, and the caller must start the IRP itself. Busy is cleared only
by a remove that finds the list empty. IoStartPacket and IoStartNextPacket build the
system StartIo model on top: DeviceObject->CurrentIrp is the IRP handed to StartIo,
which runs at DISPATCH_LEVEL even when IoStartPacket was called at PASSIVE_LEVEL.
Queue entries are IRPs (Tail.Overlay.DeviceQueueEntry), each with its sort key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from .constants import DISPATCH_LEVEL
from .errors import NotModelledError
from .spinlock import ke_acquire_spin_lock_at_dpc_level, ke_release_spin_lock_from_dpc_level

if TYPE_CHECKING:
    from .irp import Irp
    from .machine import Kernel
    from .objects import DeviceObject


class KDeviceQueue:
    """KDEVICE_QUEUE: entries in order, and Busy."""

    __slots__ = ("kernel", "entries", "busy", "name")

    def __init__(self, kernel: "Kernel", name: str = "") -> None:
        self.kernel = kernel
        self.entries: list[tuple[int, Any]] = []    # (sort key, IRP)
        self.busy = False
        self.name = name

    def __contains__(self, irp: Any) -> bool:
        return any(entry is irp for _key, entry in self.entries)

    def __repr__(self) -> str:
        return f"<KDEVICE_QUEUE {self.name} busy={self.busy} {len(self.entries)} queued>"


def ke_initialize_device_queue(kernel: "Kernel", name: str = "") -> KDeviceQueue:
    """KeInitializeDeviceQueue: empty, not busy."""
    return KDeviceQueue(kernel, name)


def ke_insert_device_queue(queue: KDeviceQueue, irp: Any) -> bool:
    """KeInsertDeviceQueue: FALSE (and NOT inserted) when the queue was idle (§12.1)."""
    if not queue.busy:
        queue.busy = True
        return False
    queue.entries.append((0, irp))
    return True


def ke_insert_by_key_device_queue(queue: KDeviceQueue, irp: Any, key: int) -> bool:
    """KeInsertByKeyDeviceQueue: ascending keys, after entries with an equal key."""
    if not queue.busy:
        queue.busy = True
        return False
    index = len(queue.entries)
    for i, (other, _irp) in enumerate(queue.entries):
        if other > key:
            index = i
            break
    queue.entries.insert(index, (key, irp))
    return True


def ke_remove_device_queue(queue: KDeviceQueue) -> Any:
    """KeRemoveDeviceQueue: the head, or None and not busy any more when empty."""
    if not queue.entries:
        queue.busy = False
        return None
    return queue.entries.pop(0)[1]


def ke_remove_entry_device_queue(queue: KDeviceQueue, irp: Any) -> bool:
    """KeRemoveEntryDeviceQueue: TRUE if the IRP was in the list (the one handed to
    StartIo never is, kernel-env §12.2)."""
    for i, (_key, entry) in enumerate(queue.entries):
        if entry is irp:
            del queue.entries[i]
            return True
    return False


def _queue(device: "DeviceObject") -> KDeviceQueue:
    if device.device_queue is None:
        device.device_queue = KDeviceQueue(device.kernel, device.label)
    return device.device_queue


def _start_io(device: "DeviceObject", irp: "Irp") -> Generator[Any, Any, None]:
    start_io = device.driver_object.driver_start_io
    if start_io is None:
        raise NotModelledError("IoStartPacket", f"driver {device.driver_object.name} has no "
                               "DriverStartIo (Windows would call through NULL)")
    yield from start_io(device, irp)


def io_start_packet(device: "DeviceObject", irp: "Irp", key: int | None = None,
                    cancel_routine: Any = None) -> Generator[Any, Any, None]:
    """IoStartPacket (kernel-env §6.3): queue the IRP or hand it to StartIo at DISPATCH."""
    kernel = device.kernel
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
            yield from routine(device, irp)
            cpu.context = saved
    elif cancel_routine is not None:
        ke_release_spin_lock_from_dpc_level(lock)
    kernel.lower_irql(old_irql)


def io_start_next_packet(device: "DeviceObject", cancelable: bool
                         ) -> Generator[Any, Any, None]:
    """IoStartNextPacket (kernel-env §6.4): clear CurrentIrp, start the next queued IRP.

    It does not look at Irp->Cancel: StartIo must (kernel-env §12.3).
    """
    kernel = device.kernel
    lock = kernel.cancel_spin_lock
    if cancelable:
        ke_acquire_spin_lock_at_dpc_level(lock)
    device.current_irp = None
    irp = ke_remove_device_queue(_queue(device))
    if irp is not None:
        device.current_irp = irp
    if cancelable:
        ke_release_spin_lock_from_dpc_level(lock)
    if irp is not None:
        yield from _start_io(device, irp)
