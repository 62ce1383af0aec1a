"""Cancel: the cancel spin lock, IoCancelIrp, and a terminating thread's IoCancelThreadIo
(io-core §7.2, §7.8, §10.13-§10.15; kernel-env §7.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import APC_LEVEL, BugCheckCode
from ..ke.schedule import ke_preemption_point
from ..ke.spinlock import ke_acquire_spin_lock, ke_release_spin_lock
from ..ke.timers import ke_delay_execution_thread
from .irp import Irp, KernelMode

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel


def io_acquire_cancel_spin_lock(kernel: "Kernel") -> int:
    """IoAcquireCancelSpinLock: returns the previous IRQL."""
    return ke_acquire_spin_lock(kernel.cancel_spin_lock)


def io_release_cancel_spin_lock(kernel: "Kernel", irql: int) -> None:
    """IoReleaseCancelSpinLock(Irql)."""
    ke_release_spin_lock(kernel.cancel_spin_lock, irql)


def io_cancel_irp(irp: Irp) -> Generator[Any, Any, bool]:
    """IoCancelIrp (io-core §7.2): Cancel = TRUE always; call the routine under the lock.

    The cancel routine is entered holding the cancel spin lock at DISPATCH_LEVEL, with
    Irp->CancelIrql set, and must release the lock itself (§10.13).
    """
    kernel = irp.kernel
    if kernel.chooser is not None:      # ke/schedule.py: another CPU may get in first
        yield from ke_preemption_point(kernel, "IoCancelIrp")
    old_irql = io_acquire_cancel_spin_lock(kernel)
    irp.cancel = True
    routine, irp.cancel_routine = irp.cancel_routine, None
    kernel.hooks.irp_cancel(irp, routine is not None)
    if routine is None:
        io_release_cancel_spin_lock(kernel, old_irql)
        return False
    if irp.current_location > irp.stack_count + 1:
        kernel.bug_check(BugCheckCode.CANCEL_STATE_IN_COMPLETED_IRP, irp.id,
                         kernel.routine_address(routine), 0, 0,
                         reason=f"IoCancelIrp found a cancel routine on completed IRP#{irp.id}")
    irp.cancel_irql = old_irql
    loc = irp.current_location
    device = irp.stack[loc - 1].device_object if loc <= irp.stack_count else None   # §10.15
    cpu = kernel.cpu
    saved = cpu.context
    cpu.context = "cancel"
    kernel.hooks.cancel_routine(irp, device, routine)
    yield from routine(device, irp)
    kernel.hooks.cancel_return(irp, device, routine)
    cpu.context = saved
    if kernel.verifier:
        cancel_routine_exit(kernel, routine, irp)
    return True


def cancel_routine_exit(kernel: Any, routine: Any, irp: Any) -> None:
    """R60 CancelSpinLock / R68 SpinLock (SDV rules; under Verifier the model reports
    them): a cancel routine must release the cancel spin lock it was entered with, and
    every spin lock it took, before it returns."""
    name = getattr(routine, "__name__", "the cancel routine")
    held = list(kernel.cpu.locks)
    if kernel.cancel_spin_lock in held:
        kernel.hooks.violation("CancelSpinLock", f"{name} returned still holding the cancel "
                               "spin lock", irp, None)
    others = [lock for lock in held if lock is not kernel.cancel_spin_lock]
    if others:
        kernel.hooks.violation("SpinLock", f"{name} returned holding "
                               f"{', '.join(lock.name or 'a spin lock' for lock in others)}",
                               irp, None)


CANCEL_POLL_INTERVAL = -100 * 10_000   # 100 ms, relative (io-core §7.8)
CANCEL_POLL_RETRIES = 3000             # 5 minutes, then the IRP is disowned


def io_cancel_thread_io(thread: Any) -> Generator[Any, Any, None]:
    """IoCancelThreadIo (io-core §7.8, kernel-env §7.8), run by a terminating thread.

    IoCancelIrp on every IRP queued to the thread (at APC_LEVEL, so completion APCs do
    not change the list meanwhile), then poll every 100 ms until the list is empty.
    After 3000 polls the first remaining IRP is disowned: Thread = NULL and removed from
    the list (when it is finally completed, canceled, IopCleanupIrp frees it, §5.3.6).
    """
    kernel = thread.kernel
    old = kernel.cpu.irql
    if old < APC_LEVEL:
        kernel.raise_irql(APC_LEVEL)
    for irp in list(thread.irp_list):
        if irp in thread.irp_list:
            yield from io_cancel_irp(irp)
    if old < APC_LEVEL:
        kernel.lower_irql(old)
    retries = CANCEL_POLL_RETRIES
    while thread.irp_list:
        yield from ke_delay_execution_thread(kernel, KernelMode, False, CANCEL_POLL_INTERVAL)
        retries -= 1
        if retries == 0 and thread.irp_list:
            irp = thread.irp_list.pop(0)          # IopDisassociateThreadIrp: the head
            irp.thread = None
            retries = CANCEL_POLL_RETRIES


def iop_thread_rundown(thread: Any) -> Generator[Any, Any, None]:
    """The I/O manager's part of thread termination, registered with the machine: a
    thread with IRPs still queued to it cancels them and waits (kernel-env §7.8)."""
    if thread.irp_list:
        yield from io_cancel_thread_io(thread)
