"""Spin locks and the global cancel spin lock (kernel-env §2.1, §2.4; io-core §7.1).

Code takes no simulated time, so a lock found held at acquire time can only be a
recursive acquire or a lock that was never released: modelled as the checked-build
outcome, bug check 0xF SPIN_LOCK_ALREADY_OWNED (kernel-env §2.2, §12.13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..constants import DISPATCH_LEVEL, BugCheckCode

if TYPE_CHECKING:
    from .machine import Machine as Kernel


class KSpinLock:
    __slots__ = ("kernel", "owner", "name", "id")

    def __init__(self, kernel: "Kernel", name: str = "") -> None:
        self.kernel = kernel
        self.owner: Any = None
        self.name = name
        self.id = kernel.new_id("lock")    # stands for its address in bug-check parameters

    def __repr__(self) -> str:
        return f"<KSPIN_LOCK {self.name} {'held' if self.owner else 'free'}>"


def ke_initialize_spin_lock(kernel: "Kernel", name: str = "") -> KSpinLock:
    """KeInitializeSpinLock."""
    return KSpinLock(kernel, name)


def ke_acquire_spin_lock(lock: KSpinLock) -> int:
    """KeAcquireSpinLock: raise to DISPATCH_LEVEL, take the lock, return the old IRQL."""
    kernel = lock.kernel
    if kernel.cpu.irql > DISPATCH_LEVEL:
        kernel.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, kernel.cpu.irql, 0, 0,
                         reason="KeAcquireSpinLock above DISPATCH_LEVEL")
    old = kernel.raise_irql(DISPATCH_LEVEL)
    ke_acquire_spin_lock_at_dpc_level(lock)
    return old


def ke_acquire_spin_lock_at_dpc_level(lock: KSpinLock) -> None:
    """KeAcquireSpinLockAtDpcLevel: the caller is already at DISPATCH_LEVEL."""
    kernel = lock.kernel
    if lock.owner is not None:
        kernel.bug_check(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, lock.id, 0, 0, 0,
                         reason=f"spin lock {lock.name or ''} acquired while already held")
    lock.owner = kernel.cpu


def ke_release_spin_lock_from_dpc_level(lock: KSpinLock) -> None:
    """KeReleaseSpinLockFromDpcLevel."""
    if lock.owner is None:
        lock.kernel.bug_check(BugCheckCode.SPIN_LOCK_NOT_OWNED, lock.id, 0, 0, 0,
                              reason=f"spin lock {lock.name or ''} released but not held")
    lock.owner = None


def ke_release_spin_lock(lock: KSpinLock, new_irql: int) -> None:
    """KeReleaseSpinLock: release, then lower to ``new_irql`` (may run DPCs)."""
    kernel = lock.kernel
    if kernel.verifier and kernel.cpu.irql != DISPATCH_LEVEL:
        # verifier-rules R70: not at DISPATCH_LEVEL (a second release shows up so too)
        kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x32,
                         kernel.cpu.irql, lock.id, 0,
                         reason=f"KeReleaseSpinLock({lock.name}) at IRQL {kernel.cpu.irql}")
    ke_release_spin_lock_from_dpc_level(lock)
    lock.kernel.lower_irql(new_irql)
