"""Remove locks: IoInitializeRemoveLock, IoAcquireRemoveLock, IoReleaseRemoveLock,
IoReleaseRemoveLockAndWait (sync-objects §6; kernel-env §9.6).

The free-build lock: a count with a bias of 1, a Removed flag and a synchronization
event the remover waits on. The debug block of checked-built drivers (tags, the
MaxLockedMinutes and HighWatermark checks) is not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import NTSTATUS, SynchronizationEvent
from ..ke.dispatcher import KEvent, ke_set_event, ke_wait_for_single_object

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel


class IoRemoveLock:
    """IO_REMOVE_LOCK's common block."""

    __slots__ = ("kernel", "removed", "io_count", "remove_event", "name")

    def __init__(self, kernel: "Kernel", name: str = "") -> None:
        self.kernel = kernel
        self.removed = False
        self.io_count = 0              # zeroed memory until IoInitializeRemoveLock
        self.remove_event = KEvent(kernel, SynchronizationEvent, False, f"{name}.RemoveEvent")
        self.name = name

    def __repr__(self) -> str:
        return f"<IO_REMOVE_LOCK {self.name} count={self.io_count} removed={self.removed}>"


def io_initialize_remove_lock(lock: IoRemoveLock) -> None:
    """IoInitializeRemoveLock (6.2): IoCount 1 (the bias), not removed."""
    lock.removed, lock.io_count = False, 1
    lock.remove_event.signal_state = 0


def io_acquire_remove_lock(lock: IoRemoveLock, tag: Any = None) -> int:
    """IoAcquireRemoveLock (6.3): count first, then test Removed; after removal
    STATUS_DELETE_PENDING with no net change (the count may touch 0 and set the event)."""
    lock.io_count += 1
    if lock.removed:
        lock.io_count -= 1
        if lock.io_count == 0:
            ke_set_event(lock.remove_event)
        return NTSTATUS.STATUS_DELETE_PENDING
    return NTSTATUS.STATUS_SUCCESS


def io_release_remove_lock(lock: IoRemoveLock, tag: Any = None) -> None:
    """IoReleaseRemoveLock (6.4): the last release sets the event."""
    lock.io_count -= 1
    if lock.io_count == 0:
        ke_set_event(lock.remove_event)


def io_release_remove_lock_and_wait(lock: IoRemoveLock, tag: Any = None
                                    ) -> Generator[Any, Any, None]:
    """IoReleaseRemoveLockAndWait (6.5): Removed, drop the caller's count AND the bias,
    wait until outstanding acquisitions are released. Without a prior acquire the count
    goes negative and nothing is waited for (a free build says nothing)."""
    lock.removed = True
    lock.io_count -= 2
    if lock.io_count > 0:
        yield from ke_wait_for_single_object(lock.remove_event)
