"""Executive timers by handle: ZwCreateTimer, ZwOpenTimer, ZwSetTimer, ZwCancelTimer
(sync-objects 8.1-8.3).

An executive timer is a KTIMER (waitable through its handle) with a DPC that, at each
expiry, queues the ApcRoutine of the ZwSetTimer call to the thread that called it: a
normal kernel APC for a driver (it runs at PASSIVE_LEVEL in that thread, no alertable
wait needed). An APC still queued from an earlier period is not queued again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import (NTSTATUS, OBJ_KERNEL_HANDLE, NotificationTimer,
                         SynchronizationTimer)
from ..ke.timers import KDpc, KTimer, ke_cancel_timer, ke_set_timer_ex
from ..ob.handle import ob_reference_object_by_handle
from ..ob.named import create_named_object, open_named_object

if TYPE_CHECKING:
    from ..ke.machine import KThread, Machine as Kernel

TIMER_ALL_ACCESS = 0x1F0003
STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS


class ETimer(KTimer):
    """ETIMER: the KTIMER plus the APC of its current setting."""

    __slots__ = ("apc_routine", "apc_context", "apc_thread", "apc_queued")
    apc_queued: bool

    def remove_queued_apc(self) -> None:
        """Cancelling or re-setting the timer takes back its APC if still queued (8.2,
        8.3)."""
        thread, queued = self.apc_thread, self.apc_queued
        if thread is not None and queued:
            thread.apc_queue[:] = [entry for entry in thread.apc_queue
                                   if getattr(entry[0], "timer", None) is not self]
        self.apc_queued = False

    def __init__(self, kernel: "Kernel", timer_type: int, name: str = "") -> None:
        super().__init__(kernel, timer_type, name)
        self.apc_routine: Callable[..., Generator[Any, Any, Any]] | None = None
        self.apc_context: Any = None
        self.apc_thread: "KThread | None" = None
        self.apc_queued = False


def zw_create_timer(kernel: "Kernel", access: int, name: str | None, attributes: int,
                    timer_type: int) -> tuple[int, int, Any]:
    """ZwCreateTimer (8.1): (status, handle, timer); not set, not signaled. A bad type
    is STATUS_INVALID_PARAMETER_4; a name follows the create-or-open rules."""
    if timer_type not in (NotificationTimer, SynchronizationTimer):
        return NTSTATUS.STATUS_INVALID_PARAMETER_4, 0, None
    return create_named_object(kernel, name, lambda: ETimer(kernel, timer_type, name or ""),
                               attributes, access, bool(attributes & OBJ_KERNEL_HANDLE))


def zw_open_timer(kernel: "Kernel", access: int, name: str, attributes: int
                  ) -> tuple[int, int, Any]:
    """ZwOpenTimer: an existing timer by name."""
    return open_named_object(kernel, name, "Timer", access, bool(attributes & OBJ_KERNEL_HANDLE))


def _timer(kernel: "Kernel", handle: int) -> tuple[int, Any]:
    status, timer = ob_reference_object_by_handle(kernel, handle, "Timer", count=False)
    if timer is not None and not isinstance(timer, ETimer):
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None
    return status, timer


def zw_set_timer(kernel: "Kernel", handle: int, due_time: int,
                 apc_routine: Callable[..., Generator[Any, Any, Any]] | None, apc_context: Any,
                 period_ms: int = 0) -> tuple[int, int]:
    """ZwSetTimer (8.2): (status, PreviousState). A negative period is
    STATUS_INVALID_PARAMETER_6; the current setting and its queued APC are cancelled
    first; PreviousState is the signal state before re-arming. ResumeTimer is not
    modelled (a machine without wake timers: STATUS_TIMER_RESUME_IGNORED)."""
    if period_ms < 0:
        return NTSTATUS.STATUS_INVALID_PARAMETER_6, 0
    status, timer = _timer(kernel, handle)
    if timer is None:
        return status, 0
    previous = timer.signal_state
    ke_cancel_timer(timer)
    timer.remove_queued_apc()
    timer.apc_routine, timer.apc_context = apc_routine, apc_context
    timer.apc_thread = kernel.current_thread if apc_routine is not None else None
    dpc = (KDpc(kernel, _expiry_dpc, timer, f"{timer.name or 'ExTimer'}Dpc")
           if apc_routine is not None else None)      # the DPC only with an APC (8.2 step 5)
    ke_set_timer_ex(timer, due_time, period_ms, dpc)
    return STATUS_SUCCESS, previous


def _expiry_dpc(dpc: KDpc, timer: ETimer, low: Any, high: Any) -> Generator[Any, Any, None]:
    """ExpTimerDpcRoutine: queue the setting's APC to its thread, once (8.2 step 5)."""
    thread, routine = timer.apc_thread, timer.apc_routine
    if thread is not None and routine is not None and thread.alive and not timer.apc_queued:
        timer.apc_queued = True
        context = timer.apc_context

        def normal_routine() -> Generator[Any, Any, None]:
            timer.apc_queued = False
            yield from routine(context)
        normal_routine.timer = timer            # type: ignore[attr-defined]
        normal_routine.__name__ = getattr(routine, "__name__", "TimerApcRoutine")
        timer.kernel.queue_kernel_apc(thread, normal_routine, normal=True)
    return None
    yield


def ex_timer_rundown(thread: "KThread") -> Generator[Any, Any, None]:
    """ExTimerRundown (8.2, 4.3): a terminating thread's timers with an APC bound to it
    are cancelled, their queued APC taken back."""
    for timer in list(thread.kernel.armed_timers.values()):
        if isinstance(timer, ETimer) and timer.apc_thread is thread:
            ke_cancel_timer(timer)
            timer.remove_queued_apc()
            timer.apc_thread = None
    return None
    yield


def zw_cancel_timer(kernel: "Kernel", handle: int) -> tuple[int, int]:
    """ZwCancelTimer (8.3): (status, CurrentState): the signal state AFTER the cancel -
    TRUE if it had already expired, not "was it pending"."""
    status, timer = _timer(kernel, handle)
    if timer is None:
        return status, 0
    ke_cancel_timer(timer)
    timer.remove_queued_apc()
    timer.apc_thread = None
    return STATUS_SUCCESS, timer.signal_state
