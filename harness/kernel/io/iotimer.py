"""The I/O timer: IoInitializeTimer, IoStartTimer, IoStopTimer (pnp-hardware §6,
kernel-env §5.5).

One system-wide periodic timer with a 1 s period runs one DPC that calls every enabled
device timer's routine, in initialization order, at DISPATCH_LEVEL holding the I/O
timer spin lock. Its phase is global: calls fall on whole seconds since boot, so the
first one comes 0-1 s after IoStartTimer. The model arms the global timer only while
some device timer is enabled, so an idle machine's run can end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import NTSTATUS
from ..errors import NotModelledError
from ..ke.machine import run_nonblocking
from ..ke.spinlock import KSpinLock, ke_acquire_spin_lock_at_dpc_level, \
    ke_release_spin_lock_from_dpc_level
from ..ke.timers import KDpc, KTimer, ke_cancel_timer, ke_set_timer_ex

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel
    from .device import DeviceObject

ONE_SECOND = 10_000_000


class IoTimer:
    """IO_TIMER: one per device object."""

    __slots__ = ("device", "routine", "context", "enabled")

    def __init__(self, device: "DeviceObject", routine: Callable[..., Generator[Any, Any, Any]],
                 context: Any) -> None:
        self.device, self.routine, self.context = device, routine, context
        self.enabled = False


class IoTimerQueue:
    """The global list, its spin lock and the 1 s timer (IopTimerQueueHead)."""

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self.timers: list[IoTimer] = []
        self.running = False
        # made with the first IoInitializeTimer, so a machine without one hands out the
        # same object ids (the stand-in addresses of bug-check parameters) as before
        self.lock: KSpinLock | None = None
        self.timer: KTimer | None = None
        self.dpc: KDpc | None = None

    def add(self, io_timer: IoTimer) -> None:
        if self.timer is None:
            kernel = self.kernel
            self.lock = KSpinLock(kernel, "IopTimerLock")
            self.timer = KTimer(kernel, name="IopTimer")
            self.dpc = KDpc(kernel, self._dpc, None, "IopTimerDispatch")
        self.timers.append(io_timer)

    def enabled(self) -> int:
        return sum(t.enabled for t in self.timers)

    def arm_or_disarm(self) -> None:
        kernel = self.kernel
        if self.timer is None:
            return
        if self.enabled() and not self.timer.inserted:
            # the next whole second since boot, then every second (a global phase)
            due = (kernel.now // ONE_SECOND + 1) * ONE_SECOND - kernel.now
            ke_set_timer_ex(self.timer, -due, 1000, self.dpc)
        elif not self.enabled() and self.timer.inserted:
            ke_cancel_timer(self.timer)

    def _dpc(self, dpc: KDpc, context: Any, arg1: Any, arg2: Any
             ) -> Generator[Any, Any, None]:
        """IopTimerDispatch: each enabled routine, in list order, under the lock."""
        assert self.lock is not None      # made with the timer whose DPC this is
        ke_acquire_spin_lock_at_dpc_level(self.lock)
        self.running = True
        try:
            for io_timer in list(self.timers):
                if io_timer.enabled:
                    run_nonblocking(io_timer.routine(io_timer.device, io_timer.context),
                                    "an IoTimer routine")
        finally:
            self.running = False
            ke_release_spin_lock_from_dpc_level(self.lock)
        self.arm_or_disarm()
        return None
        yield


    def remove(self, io_timer: IoTimer) -> None:
        """IoDeleteDevice's part (§6.3): under the lock, so no call starts afterwards."""
        if io_timer in self.timers:
            self.timers.remove(io_timer)
        self.arm_or_disarm()


def _queue(kernel: "Kernel") -> IoTimerQueue:
    queue: IoTimerQueue = kernel.io_timers
    return queue


def io_initialize_timer(device: "DeviceObject", routine: Callable[..., Generator[Any, Any, Any]],
                        context: Any = None) -> int:
    """IoInitializeTimer (§6.1): the device's IO_TIMER, disabled. A second call for the
    same device re-links the entry in ReactOS (list corruption): refused here."""
    if getattr(device, "timer", None) is not None:
        raise NotModelledError("IoInitializeTimer", f"a second call for {device.label} "
                               "(corrupts the I/O timer list)")
    io_timer = IoTimer(device, routine, context)
    device.timer = io_timer
    _queue(device.kernel).add(io_timer)
    return NTSTATUS.STATUS_SUCCESS


def _device_timer(device: "DeviceObject", routine: str) -> IoTimer:
    queue = _queue(device.kernel)
    if queue.running:
        raise NotModelledError(routine, "from inside an IoTimer routine (the I/O timer "
                               "lock is held: a self-deadlock in ReactOS)")
    io_timer: IoTimer | None = getattr(device, "timer", None)
    if io_timer is None:            # §6.3: Dev->Timer is NULL: the call dereferences it
        device.kernel.raise_status(NTSTATUS.STATUS_ACCESS_VIOLATION,
                                   f"{routine} on {device.label}, which has no IoTimer")
    return io_timer


def io_start_timer(device: "DeviceObject") -> None:
    """IoStartTimer (§6.3): enable (idempotent)."""
    io_timer = _device_timer(device, "IoStartTimer")
    io_timer.enabled = True
    _queue(device.kernel).arm_or_disarm()


def io_stop_timer(device: "DeviceObject") -> None:
    """IoStopTimer (§6.3): disable; a pass already running is not waited for."""
    io_timer = _device_timer(device, "IoStopTimer")
    io_timer.enabled = False
    _queue(device.kernel).arm_or_disarm()
