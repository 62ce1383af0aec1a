"""KDPC, KTIMER and KeDelayExecutionThread (kernel-env §5.1-§5.4, §3.7).

A KTIMER is a dispatcher object whose expiry is a SimPy callback at URGENT priority on
the first clock tick at or after its due time (never early, kernel-env §5.3). Expiry
runs as the clock's timer DPC on CPU 0: the timer is signaled, waiters are released,
a periodic timer is re-armed, and its DPC is queued; queued DPCs then run in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import (APC_LEVEL, DISPATCH_LEVEL, NTSTATUS, NotificationTimer,
                        SynchronizationTimer, BugCheckCode)
from ..errors import NotModelledError
from .dispatcher import DispatcherObject, take_wait_next

if TYPE_CHECKING:
    from .machine import Machine as Kernel

HighImportance, MediumImportance, LowImportance = 2, 1, 0


class KDpc:
    """KDPC: a deferred procedure call. ``routine(dpc, context, arg1, arg2)`` is a
    generator function run at DISPATCH_LEVEL."""

    __slots__ = ("kernel", "routine", "context", "arg1", "arg2", "queued", "importance",
                 "target", "name")

    def __init__(self, kernel: "Kernel", routine: Callable[..., Generator[Any, Any, Any]],
                 context: Any, name: str = "") -> None:
        self.kernel = kernel
        self.routine = routine
        self.context = context
        self.arg1: Any = None
        self.arg2: Any = None
        self.queued = False
        self.importance = MediumImportance
        self.target: int | None = None
        self.name = name or getattr(routine, "__name__", "dpc")

    def __repr__(self) -> str:
        return f"<KDPC {self.name}{' queued' if self.queued else ''}>"


class KTimer(DispatcherObject):
    """KTIMER: NotificationTimer or SynchronizationTimer."""

    __slots__ = ("timer_type", "due", "period_ms", "dpc", "_pending")

    def __init__(self, kernel: "Kernel", timer_type: int = NotificationTimer,
                 name: str = "") -> None:
        super().__init__(kernel, 0, name)
        self.timer_type = timer_type
        self.due: int | None = None
        self.period_ms = 0
        self.dpc: KDpc | None = None
        self._pending: Any = None

    @property
    def synchronization(self) -> bool:  # type: ignore[override]
        return self.timer_type == SynchronizationTimer

    @property
    def inserted(self) -> bool:
        """Is the timer in the timer queue?"""
        return self._pending is not None

    def __repr__(self) -> str:
        state = f"due={self.due}" if self.inserted else "idle"
        return f"<KTIMER {self.name or '#' + str(self.id)} {state} signaled={self.signal_state}>"


def ke_initialize_dpc(kernel: "Kernel", routine: Callable[..., Generator[Any, Any, Any]],
                      context: Any, name: str = "") -> KDpc:
    """KeInitializeDpc: Medium importance, targeted at the current CPU."""
    return KDpc(kernel, routine, context, name)


def ke_insert_queue_dpc(dpc: KDpc, arg1: Any = None, arg2: Any = None) -> bool:
    """KeInsertQueueDpc (kernel-env §5.1, §12.5, §12.6).

    FALSE if already queued (the old arguments stay). Queued from below
    DISPATCH_LEVEL, a Medium/High DPC runs on this CPU before this returns; queued at
    DISPATCH_LEVEL it runs once the current activity lowers IRQL.
    """
    kernel = dpc.kernel
    if dpc.queued:
        kernel.hooks.dpc_queued(dpc, False)
        return False
    dpc.queued = True
    dpc.arg1, dpc.arg2 = arg1, arg2
    cpu = kernel.cpus[dpc.target] if dpc.target is not None else kernel.cpu
    if dpc.importance == HighImportance:
        cpu.dpc_queue.insert(0, dpc)
    else:
        cpu.dpc_queue.append(dpc)
    kernel.hooks.dpc_queued(dpc, True)
    if dpc.importance == LowImportance:
        return True
    if cpu is kernel.cpu:
        if cpu.irql < DISPATCH_LEVEL:
            kernel.drain_dpcs(cpu)
    else:
        # sync-objects 5 / kernel-env §5.1: a Medium or High DPC targeted at another CPU
        # interrupts it (an IPI): it runs there as soon as that CPU is below DISPATCH_LEVEL
        kernel.call_later(0, lambda: kernel.run_at_dispatch(cpu, lambda: None), urgent=True)
    return True


def ke_set_target_processor_dpc(dpc: KDpc, number: int) -> None:
    """KeSetTargetProcessorDpc: the DPC runs on CPU ``number`` (a CPU the machine lacks
    is not modelled: Windows' behaviour there is undefined)."""
    if not 0 <= number < len(dpc.kernel.cpus):
        raise NotModelledError("KeSetTargetProcessorDpc", f"CPU {number} on a machine with "
                               f"{len(dpc.kernel.cpus)}")
    dpc.target = number


def ke_set_importance_dpc(dpc: KDpc, importance: int) -> None:
    """KeSetImportanceDpc: High goes to the head of the queue, Low does not request a DPC
    interrupt (it waits for the CPU's next drain)."""
    dpc.importance = importance


def ke_remove_queue_dpc(dpc: KDpc) -> bool:
    """KeRemoveQueueDpc: TRUE if it was queued and is now removed."""
    if not dpc.queued:
        return False
    for cpu in dpc.kernel.cpus:
        if dpc in cpu.dpc_queue:
            cpu.dpc_queue.remove(dpc)
    dpc.queued = False
    return True


def ke_initialize_timer(kernel: "Kernel", name: str = "") -> KTimer:
    """KeInitializeTimer = KeInitializeTimerEx(NotificationTimer)."""
    return KTimer(kernel, NotificationTimer, name)


def ke_initialize_timer_ex(kernel: "Kernel", timer_type: int, name: str = "") -> KTimer:
    """KeInitializeTimerEx."""
    return KTimer(kernel, timer_type, name)


def ke_initialize_timer_at(timer: KTimer, timer_type: int = NotificationTimer) -> None:
    """KeInitializeTimerEx on the memory of an existing KTIMER (a variable): not set,
    not signaled. On a timer still in the timer table Windows corrupts the table's
    list; the model refuses that rather than guess what follows."""
    if timer.inserted:
        raise NotModelledError("KeInitializeTimer on a timer that is still set",
                               "the timer table's list would be corrupted")
    timer.timer_type, timer.signal_state = timer_type, 0
    timer.due, timer.period_ms, timer.dpc = None, 0, None


def ke_set_timer(timer: KTimer, due_time: int, dpc: KDpc | None = None) -> bool:
    """KeSetTimer = KeSetTimerEx(Period 0)."""
    return ke_set_timer_ex(timer, due_time, 0, dpc)


def ke_set_timer_ex(timer: KTimer, due_time: int, period_ms: int = 0,
                    dpc: KDpc | None = None) -> bool:
    """KeSetTimerEx (kernel-env §5.2, §12.7).

    Returns TRUE when it replaced a still-queued setting. DueTime is in 100 ns
    (negative = relative, else absolute since boot); Period is in MILLISECONDS.
    SignalState is reset. A due time of zero or already past expires inside the call:
    signaled, waiters released and the DPC queued before KeSetTimerEx returns (so, called
    below DISPATCH_LEVEL, the DPC has run by then) (kernel-env §5.2, §12.7).
    """
    kernel = timer.kernel
    if kernel.cpu.irql > DISPATCH_LEVEL:
        kernel.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, kernel.cpu.irql, 0, 0,
                         reason="KeSetTimer above DISPATCH_LEVEL")
    replaced = _remove(timer)
    timer.signal_state = 0
    timer.period_ms = period_ms
    timer.dpc = dpc
    delay = kernel.relative_delay(due_time)
    if delay > 0:
        _insert(timer, delay)
    kernel.hooks.timer_set(timer, due_time, period_ms, replaced)
    if delay <= 0:
        timer.due = kernel.now
        _expire(timer)                            # §5.2: expires inside the call
    return replaced


def _insert(timer: KTimer, delay: int) -> None:
    kernel = timer.kernel
    delay = kernel.tick_align(delay) if delay else 0
    timer.due = kernel.now + delay
    kernel.armed_timers[timer.id] = timer        # the timer table, for the run's report
    timer._pending = kernel.call_later(
        delay, lambda: kernel.run_at_dispatch(kernel.cpus[0], lambda: _expire(timer)),
        urgent=True)


def _remove(timer: KTimer) -> bool:
    if timer._pending is None:
        return False
    timer._pending.cancelled = True
    timer._pending = None
    timer.kernel.armed_timers.pop(timer.id, None)
    return True


def _expire(timer: KTimer) -> None:
    """KiTimerExpiration for one timer (kernel-env §5.3)."""
    kernel = timer.kernel
    timer._pending = None
    kernel.armed_timers.pop(timer.id, None)
    timer.signal_state = 1
    kernel.hooks.timer_expired(timer)
    timer._wait_test()
    if timer.period_ms:
        _insert(timer, timer.period_ms * 10_000)
    if timer.dpc is not None:
        ke_insert_queue_dpc(timer.dpc, kernel.now & 0xFFFFFFFF, kernel.now >> 32)


def ke_cancel_timer(timer: KTimer) -> bool:
    """KeCancelTimer: TRUE if the timer was queued (its DPC will not be queued by it).

    FALSE does not mean nothing runs: an expired one-shot timer's DPC may already be
    queued (kernel-env §5.4, §12.8).
    """
    was_queued = _remove(timer)
    timer.kernel.hooks.timer_cancelled(timer, was_queued)
    return was_queued


def ke_read_state_timer(timer: KTimer) -> int:
    """KeReadStateTimer."""
    return timer.signal_state


def ke_delay_execution_thread(kernel: "Kernel", wait_mode: int, alertable: bool,
                              interval: int) -> Generator[Any, Any, int]:
    """KeDelayExecutionThread: IRQL <= APC_LEVEL; STATUS_SUCCESS when the interval ends.

    ``interval`` uses the kernel sign convention (negative = relative, 100 ns units).
    """
    take_wait_next(kernel)      # after a Wait = TRUE call: its raised IRQL ends here
    if kernel.cpu.irql > APC_LEVEL:
        if kernel.cpu.in_dpc:
            kernel.bug_check(BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC, 0, 0, 0, 0,
                             reason="KeDelayExecutionThread inside a DPC routine")
        kernel.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, kernel.cpu.irql, 0, 0,
                         reason="KeDelayExecutionThread above APC_LEVEL")
    thread = kernel.current_thread
    user_alertable = alertable and wait_mode != 0
    # win32-io §2: a UserMode alertable wait returns STATUS_USER_APC at once when a user
    # APC is queued, and is ended by one that arrives (KernelMode alertable: no alerts)
    if user_alertable and thread.user_apc_queue:
        return NTSTATUS.STATUS_USER_APC
    delay = max(kernel.relative_delay(interval), 0)
    event = kernel.new_event()
    timer = kernel.call_later(kernel.tick_align(delay) if delay else 0,
                              lambda: event.triggered or event.succeed(NTSTATUS.STATUS_SUCCESS),
                              urgent=True)
    if user_alertable:
        thread.alert_event = lambda status: event.triggered or event.succeed(status)
    try:
        status: int = yield from kernel.current_thread_wait(event)
    finally:
        thread.alert_event = None
    if status == NTSTATUS.STATUS_USER_APC:
        timer.cancelled = True
    return status
