"""Device queues: KDEVICE_QUEUE and the Ke*DeviceQueue routines (kernel-env §6.2-§6.4).

A KDEVICE_QUEUE is a list plus a Busy flag. The subtle part (kernel-env §12.1):
KeInsertDeviceQueue on an idle queue does NOT insert the entry. It only marks the queue
busy and returns FALSE, and the caller must start the IRP itself. Busy is cleared only
by a remove that finds the list empty. Entries are IRPs (Tail.Overlay.DeviceQueueEntry),
each with its sort key. The I/O manager's StartIo model (io/startio.py) is built on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .machine import Machine


class KDeviceQueue:
    """KDEVICE_QUEUE: entries in order, and Busy."""

    __slots__ = ("kernel", "entries", "busy", "name")

    def __init__(self, kernel: "Machine", name: str = "") -> None:
        self.kernel = kernel
        self.entries: list[tuple[int, Any]] = []    # (sort key, IRP)
        self.busy = False
        self.name = name

    def __contains__(self, irp: Any) -> bool:
        return any(entry is irp for _key, entry in self.entries)

    def __repr__(self) -> str:
        return f"<KDEVICE_QUEUE {self.name} busy={self.busy} {len(self.entries)} queued>"


def ke_initialize_device_queue(kernel: "Machine", name: str = "") -> KDeviceQueue:
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


def ke_remove_by_key_device_queue(queue: KDeviceQueue, key: int) -> Any:
    """KeRemoveByKeyDeviceQueue (kernel-env §6.2): empty -> not busy, None; else the
    first entry whose SortKey >= key, or the head when none is (the elevator wraps)."""
    if not queue.entries:
        queue.busy = False
        return None
    for i, (sort_key, irp) in enumerate(queue.entries):
        if sort_key >= key:
            del queue.entries[i]
            return irp
    return queue.entries.pop(0)[1]


def ke_remove_entry_device_queue(queue: KDeviceQueue, irp: Any) -> bool:
    """KeRemoveEntryDeviceQueue: TRUE if the IRP was in the list (the one handed to
    StartIo never is, kernel-env §12.2)."""
    for i, (_key, entry) in enumerate(queue.entries):
        if entry is irp:
            del queue.entries[i]
            return True
    return False
