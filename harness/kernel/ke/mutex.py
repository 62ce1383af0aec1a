"""Mutexes: KMUTEX / KMUTANT (a dispatcher object) and FAST_MUTEX (sync-objects §1, §2).

A KMUTEX and the mutant behind Win32's CreateMutex are one type: a SignalState that
counts down with each acquisition by the owner (recursion), an owner, an Abandoned
flag. They differ in ApcDisable: owning a KMUTEX holds off normal kernel APCs, and a
thread that exits owning one bug-checks, where a mutant is abandoned instead.

A FAST_MUTEX is not a dispatcher object: a count and an embedded synchronization event,
held at APC_LEVEL, never recursive (the owner's second acquire waits forever).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import APC_LEVEL, NTSTATUS, SynchronizationEvent, BugCheckCode
from .dispatcher import (DispatcherObject, KEvent, ke_set_event, ke_wait_for_single_object,
                         wait_next)

if TYPE_CHECKING:
    from .machine import KThread, Machine as Kernel

MINLONG = -0x80000000
VERIFIER = BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION


class KMutant(DispatcherObject):
    """KMUTANT: SignalState 1 = free, 0 = owned once, -n = owned n+1 times."""

    __slots__ = ("owner", "abandoned", "apc_disable")

    def __init__(self, kernel: "Kernel", apc_disable: int, name: str = "",
                 signal_state: int = 1) -> None:
        super().__init__(kernel, signal_state, name)
        self.owner: "KThread | None" = None
        self.abandoned = False
        self.apc_disable = apc_disable

    def satisfiable(self, thread: Any) -> bool:
        """1.3: free, or owned by this very thread (the owner never blocks on it)."""
        return self.signal_state > 0 or self.owner is thread

    def _satisfy(self, thread: Any) -> int:
        """KiSatisfyMutantWait (1.3)."""
        if self.owner is thread and self.signal_state == MINLONG:
            self.kernel.raise_status(NTSTATUS.STATUS_MUTANT_LIMIT_EXCEEDED,
                                     f"mutex {self.name} acquired 2^31 times")
        self.signal_state -= 1
        if self.signal_state != 0:
            return 0
        self.owner = thread
        thread.kernel_apc_disable -= self.apc_disable
        thread.owned_mutants.append(self)
        if self.abandoned:
            self.abandoned = False
            return NTSTATUS.STATUS_ABANDONED
        return 0

    def abandon(self) -> None:
        """The owner exited (1.6 step 3): free, abandoned, whatever the recursion depth."""
        owner = self.owner
        if owner is not None:
            owner.owned_mutants.remove(self)
            owner.kernel_apc_disable += self.apc_disable
        self.signal_state, self.abandoned, self.owner = 1, True, None
        self._wait_test()

    def __repr__(self) -> str:
        kind = "KMUTEX" if self.apc_disable else "KMUTANT"
        owner = self.owner.name if self.owner is not None else "free"
        return f"<{kind} {self.name or '#' + str(self.id)} {self.signal_state} {owner}>"


def ke_initialize_mutex(kernel: "Kernel", level: int = 0, name: str = "") -> KMutant:
    """KeInitializeMutex (1.2): free, no owner. Level is reserved and ignored: no level
    ordering is enforced (0xD is not tied to it by any source)."""
    return KMutant(kernel, 1, name)


def ke_initialize_mutant(kernel: "Kernel", initial_owner: bool, name: str = "") -> KMutant:
    """KeInitializeMutant (the object behind CreateMutex): ApcDisable 0; with
    ``initial_owner`` owned once by the calling thread."""
    mutant = KMutant(kernel, 0, name)
    if initial_owner:
        mutant._satisfy(kernel.current_thread)
    return mutant


def ke_read_state_mutex(mutex: KMutant) -> int:
    """KeReadStateMutex: 1 free, 0 owned once, negative owned recursively."""
    return mutex.signal_state


def ke_release_mutant(mutex: KMutant, increment: int = 1, wait: bool = False) -> int:
    """KeReleaseMutant (1.4, 1.5): returns the PREVIOUS SignalState (0: now free).

    The first waiter becomes the owner at once (no barging). A caller that does not own
    it changes nothing and raises STATUS_MUTANT_NOT_OWNED (STATUS_ABANDONED if abandoned):
    unhandled, the exception's bug check (0x7E in a system thread)."""
    kernel = mutex.kernel
    thread = kernel.current_thread
    if mutex.owner is not thread:
        status = (NTSTATUS.STATUS_ABANDONED if mutex.abandoned
                  else NTSTATUS.STATUS_MUTANT_NOT_OWNED)
        kernel.raise_status(status, f"{thread.name} released mutex {mutex.name or mutex.id} "
                                    "it does not own")
    previous = mutex.signal_state
    mutex.signal_state += 1
    if mutex.signal_state == 1:
        thread.owned_mutants.remove(mutex)
        mutex.owner = None
        thread.kernel_apc_disable += mutex.apc_disable
        mutex._wait_test()
        if mutex.apc_disable and not thread.kernel_apc_disable:
            kernel.deliver_apcs(thread)      # KeLeaveCriticalRegion: held-off normal APCs
    if wait:
        wait_next(kernel, "KeReleaseMutex")
    return previous


def ke_release_mutex(mutex: KMutant, wait: bool = False) -> int:
    """KeReleaseMutex = KeReleaseMutant(M, MUTANT_INCREMENT, FALSE, Wait); IRQL <=
    DISPATCH_LEVEL."""
    return ke_release_mutant(mutex, 1, wait)


class FastMutex:
    """FAST_MUTEX (2.1): Count 1 = free; an embedded SynchronizationEvent for waiters."""

    __slots__ = ("kernel", "count", "owner", "contention", "event", "old_irql", "name", "id")

    def __init__(self, kernel: "Kernel", name: str = "", count: int = 1) -> None:
        self.kernel = kernel
        self.count = count
        self.owner: "KThread | None" = None
        self.contention = 0
        self.event = KEvent(kernel, SynchronizationEvent, False, f"{name}.Event")
        self.old_irql = 0
        self.name = name
        self.id = kernel.new_id("lock")

    def __repr__(self) -> str:
        owner = self.owner.name if self.owner is not None else "free"
        return f"<FAST_MUTEX {self.name} count={self.count} {owner}>"


def ex_initialize_fast_mutex(kernel: "Kernel", name: str = "") -> FastMutex:
    """ExInitializeFastMutex."""
    return FastMutex(kernel, name)


def _raise_to_apc(fm: FastMutex, routine: str) -> int:
    """2.8: the acquire's raise to APC_LEVEL; from DISPATCH_LEVEL it is a lowering:
    Verifier 0xC4 0x33, a checked (strict) kernel 0x9, a free one lowers silently."""
    kernel = fm.kernel
    irql = kernel.cpu.irql
    if irql > APC_LEVEL:
        if kernel.verifier:
            kernel.bug_check(VERIFIER, 0x33, irql, fm.id, 0,
                             reason=f"{routine} at IRQL {irql}")
        if not kernel.strict:
            kernel.hooks.violation(f"{routine} above APC_LEVEL", "sync-objects 2.8: the "
                                   "raise to APC_LEVEL lowers the IRQL on a free build")
            kernel.cpu.irql = APC_LEVEL
            return irql
    return kernel.raise_irql(APC_LEVEL)


def ex_acquire_fast_mutex(fm: FastMutex) -> Generator[Any, Any, None]:
    """ExAcquireFastMutex (2.2): raise to APC_LEVEL, take it or wait (FIFO) on its event.
    The owner acquiring again waits forever (2.6: a silent self-deadlock)."""
    old = _raise_to_apc(fm, "ExAcquireFastMutex")
    fm.count -= 1
    if fm.count != 0:
        fm.contention += 1
        yield from ke_wait_for_single_object(fm.event)
    fm.owner = fm.kernel.current_thread
    fm.old_irql = old


def ex_try_to_acquire_fast_mutex(fm: FastMutex) -> bool:
    """ExTryToAcquireFastMutex (2.4): Count 1 -> 0 or FALSE; never waits."""
    old = _raise_to_apc(fm, "ExTryToAcquireFastMutex")
    if fm.count != 1:
        fm.kernel.lower_irql(old)
        return False
    fm.count = 0
    fm.owner = fm.kernel.current_thread
    fm.old_irql = old
    return True


def ex_release_fast_mutex(fm: FastMutex) -> None:
    """ExReleaseFastMutex (2.3): at exactly APC_LEVEL (Verifier 0xC4 0x34 otherwise);
    wakes the first waiter, which then owns it; back to the IRQL saved by the acquire."""
    kernel = fm.kernel
    irql = kernel.cpu.irql
    if kernel.verifier and irql != APC_LEVEL:
        kernel.bug_check(VERIFIER, 0x34, irql, fm.id, 0,
                         reason=f"ExReleaseFastMutex at IRQL {irql}")
    fm.owner = None
    fm.count += 1
    if fm.count <= 0:
        ke_set_event(fm.event)
    kernel.lower_irql(fm.old_irql)


class GuardedMutex(FastMutex):
    """KGUARDED_MUTEX (2.9; Server 2003 and later, not exported by XP): a fast mutex
    whose owner is in a guarded region (all APCs off) at its own IRQL. The Windows 8+
    variant, which is a fast mutex at APC_LEVEL, is not modelled."""

    __slots__ = ()

    def __repr__(self) -> str:
        owner = self.owner.name if self.owner is not None else "free"
        return f"<KGUARDED_MUTEX {self.name} count={self.count} {owner}>"


def ke_initialize_guarded_mutex(kernel: "Kernel", name: str = "") -> GuardedMutex:
    """KeInitializeGuardedMutex."""
    return GuardedMutex(kernel, name)


def _check_guarded_irql(gm: GuardedMutex, routine: str) -> None:
    kernel = gm.kernel
    if kernel.cpu.irql > APC_LEVEL:
        kernel.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, gm.id, kernel.cpu.irql, 0, 0,
                         reason=f"{routine} at IRQL {kernel.cpu.irql} (IRQL <= APC_LEVEL)")


def ke_acquire_guarded_mutex(gm: GuardedMutex) -> Generator[Any, Any, None]:
    """KeAcquireGuardedMutex: enter a guarded region, then take it or wait (FIFO); not
    recursive (the owner's second acquire waits forever)."""
    _check_guarded_irql(gm, "KeAcquireGuardedMutex")
    thread = gm.kernel.current_thread
    thread.special_apc_disable -= 1
    gm.count -= 1
    if gm.count != 0:
        gm.contention += 1
        yield from ke_wait_for_single_object(gm.event)
    gm.owner = thread


def ke_try_to_acquire_guarded_mutex(gm: GuardedMutex) -> bool:
    """KeTryToAcquireGuardedMutex: TRUE (owned, in a guarded region) or FALSE."""
    _check_guarded_irql(gm, "KeTryToAcquireGuardedMutex")
    if gm.count != 1:
        return False
    thread = gm.kernel.current_thread
    thread.special_apc_disable -= 1
    gm.count, gm.owner = 0, thread
    return True


def ke_release_guarded_mutex(gm: GuardedMutex) -> None:
    """KeReleaseGuardedMutex: free it, wake the first waiter, leave the guarded region
    (APCs held off meanwhile are delivered)."""
    kernel = gm.kernel
    thread = kernel.current_thread
    gm.owner = None
    gm.count += 1
    if gm.count <= 0:
        ke_set_event(gm.event)
    thread.special_apc_disable += 1
    if not thread.special_apc_disable:
        kernel.deliver_apcs(thread)
