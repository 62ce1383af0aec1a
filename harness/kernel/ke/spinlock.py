"""Spin locks and the global cancel spin lock (kernel-env §2.1, §2.4; io-core §7.1).

A lock found held by the acquiring CPU itself is a recursive acquire: modelled as the
checked-build outcome, bug check 0xF SPIN_LOCK_ALREADY_OWNED (kernel-env §2.2, §12.13).
Held by another CPU (whose owner stalls, or blocked at DISPATCH_LEVEL on a free
build), the acquiring CPU spins at DISPATCH_LEVEL until it is released, running
nothing else (sync-objects 5.2); the trace shows the spin and how long it took.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import DISPATCH_LEVEL, BugCheckCode
from ..errors import NotModelledError

if TYPE_CHECKING:
    from .machine import Machine as Kernel


class KSpinLock:
    __slots__ = ("kernel", "owner", "name", "id", "spinners", "queued")

    def __init__(self, kernel: "Kernel", name: str = "") -> None:
        self.kernel = kernel
        self.owner: Any = None          # the CPU that holds it
        self.spinners: list[Any] = []   # (CPU, SimPy event) of CPUs spinning on it
        self.queued = False             # used as an in-stack queued spin lock (5.5)
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


def ke_acquire_spin_lock_spinning(lock: KSpinLock) -> Generator[Any, Any, int]:
    """KeAcquireSpinLock where the lock may be held by another CPU: raise to
    DISPATCH_LEVEL, spin while it is held elsewhere (sync-objects 5.2), take it."""
    kernel = lock.kernel
    if kernel.cpu.irql > DISPATCH_LEVEL:
        kernel.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, kernel.cpu.irql, 0, 0,
                         reason="KeAcquireSpinLock above DISPATCH_LEVEL")
    old = kernel.raise_irql(DISPATCH_LEVEL)
    yield from spin_while_held(lock)
    ke_acquire_spin_lock_at_dpc_level(lock)
    return old


def spin_while_held(lock: KSpinLock, irql: int = DISPATCH_LEVEL) -> Generator[Any, Any, None]:
    """Spin at DISPATCH_LEVEL (or ``irql``: ExInterlocked* spin with interrupts off at the
    caller's IRQL) while another CPU holds ``lock``: this CPU stays busy with the spinning
    thread. Ordinary spin locks are not fair: spinners are let go in arrival order here
    (a fixed choice)."""
    kernel = lock.kernel
    cpu = kernel.cpu
    if lock.owner is None or lock.owner is cpu:
        return
    if cpu.context not in ("thread", "completion", "cancel") or cpu.thread is cpu.idle:
        raise NotModelledError("a DPC spinning on a spin lock another CPU holds")
    thread, start = cpu.thread, kernel.now
    kernel.hooks.service_call("KeAcquireSpinLock", {"spin_lock": lock.name,
                                                    "spinning": f"CPU{cpu.index}"})
    cpu.busy = thread
    while lock.owner is not None:
        event = kernel.new_event()
        lock.spinners.append((cpu, event))
        yield event
        if lock.owner is cpu:           # a queued lock handed over by its release (5.5)
            lock.owner = None           # taken just below, with nothing in between
            break
    cpu.busy = None
    kernel._switch_to(thread, irql)
    kernel.hooks.service_return("KeAcquireSpinLock", {"spin_lock": lock.name,
                                                      "spun_100ns": kernel.now - start})
    waiters, cpu.busy_waiters = cpu.busy_waiters, []
    for waiter in waiters:
        waiter.succeed()


def ke_acquire_spin_lock_at_dpc_level(lock: KSpinLock) -> None:
    """KeAcquireSpinLockAtDpcLevel: the caller is already at DISPATCH_LEVEL."""
    kernel = lock.kernel
    _verify_dpc_level(lock, 0x40, "KeAcquireSpinLockAtDpcLevel")
    if lock.owner is not None:
        if kernel.verifier and lock.owner is kernel.cpu and \
                lock is not getattr(kernel, "cancel_spin_lock", None):
            # verifier-rules R68: DDI compliance rule SpinLock (0xC4 0x40009): the same
            # lock acquired twice (the rule watches the driver's KeAcquireSpinLock, not
            # the I/O manager's cancel lock). P2 would point at the rule's condition text
            # and P3/P4 at its state: not modelled (0)
            kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x40009, 0, 0, 0,
                             reason=f"DDI rule SpinLock: {lock.name or 'a spin lock'} "
                                    "acquired again by the CPU that holds it")
        kernel.bug_check(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, lock.id, 0, 0, 0,
                         reason=f"spin lock {lock.name or ''} acquired while already held")
    lock.owner = kernel.cpu
    kernel.cpu.locks.append(lock)


def _verify_dpc_level(lock: KSpinLock, subcode: int, routine: str) -> None:
    """verifier-rules R71: the DPC-level calls below DISPATCH_LEVEL are 0xC4 0x40 / 0x41
    (P2 the IRQL, P3 the lock). Without Verifier the lock is taken or dropped anyway
    (sync-objects 5.3: the IRQL is then whatever it was)."""
    kernel = lock.kernel
    irql = kernel.cpu.irql
    if kernel.verifier and irql < DISPATCH_LEVEL:
        kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, subcode, irql,
                         lock.id, 0, reason=f"{routine} at IRQL {irql}")


def ke_try_to_acquire_spin_lock_at_dpc_level(lock: KSpinLock) -> bool:
    """KeTryToAcquireSpinLockAtDpcLevel (5.4): TRUE and held, or FALSE; never spins. (The
    MP behaviour; a UP free kernel, which never writes the lock word, always says TRUE.)"""
    _verify_dpc_level(lock, 0x40, "KeTryToAcquireSpinLockAtDpcLevel")
    if lock.owner is not None:
        return False
    lock.owner = lock.kernel.cpu
    lock.owner.locks.append(lock)
    return True


def ke_test_spin_lock(lock: KSpinLock) -> bool:
    """KeTestSpinLock (5.4): TRUE if the lock looks free; acquires nothing."""
    return lock.owner is None


def ke_acquire_in_stack_queued_spin_lock(lock: KSpinLock) -> Generator[Any, Any, int]:
    """KeAcquireInStackQueuedSpinLock (5.5): as KeAcquireSpinLock, with waiting CPUs
    granted the lock in arrival order (the handle's saved IRQL is returned). The
    queue handle's own identity (a second acquisition with the same handle) is not
    modelled."""
    lock.queued = True
    return (yield from ke_acquire_spin_lock_spinning(lock))


def ke_release_spin_lock_from_dpc_level(lock: KSpinLock) -> None:
    """KeReleaseSpinLockFromDpcLevel."""
    _verify_dpc_level(lock, 0x41, "KeReleaseSpinLockFromDpcLevel")
    if lock.owner is None:
        lock.kernel.bug_check(BugCheckCode.SPIN_LOCK_NOT_OWNED, lock.id, 0, 0, 0,
                              reason=f"spin lock {lock.name or ''} released but not held")
    if lock in lock.owner.locks:
        lock.owner.locks.remove(lock)
    lock.owner = None
    if lock.spinners:                   # the first spinning CPU gets it next
        cpu, event = lock.spinners.pop(0)
        if lock.queued:                 # 5.5: handed over at once, nobody can jump in
            lock.owner = cpu
        event.succeed()


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


def ex_interlocked_add_ulong(lock: KSpinLock, read: Any, write: Any, value: int
                             ) -> Generator[Any, Any, int]:
    """ExInterlockedAddUlong (sync-objects 5.1): the ORIGINAL value; the addition under
    ``lock`` taken with interrupts off (any IRQL). The lock must serve ExInterlocked*
    only (kernel-env §2.5): held by this CPU through KeAcquireSpinLock it is the
    recursive acquire (0xF), held by another CPU this one spins, the IRQL unchanged."""
    def add() -> int:
        original: int = read()
        write((original + value) & 0xFFFFFFFF)
        return original
    result: int = yield from ex_interlocked(lock, "ExInterlockedAddUlong", add)
    return result


def ex_interlocked(lock: KSpinLock, api: str, operation: Callable[[], Any]
                   ) -> Generator[Any, Any, Any]:
    """An ExInterlocked* routine: ``operation`` done under ``lock`` with interrupts off,
    at any IRQL, the IRQL unchanged (kernel-env §2.5): another CPU's hold makes this one
    spin; this CPU's own hold (a KeAcquireSpinLock on the same lock) is 0xF."""
    kernel = lock.kernel
    yield from spin_while_held(lock, kernel.cpu.irql)
    if lock.owner is kernel.cpu:
        kernel.bug_check(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, lock.id, 0, 0, 0,
                         reason=f"{api} on {lock.name}, which this CPU holds")
    return operation()
