"""Driver Verifier's I/O verification at the dispatch and completion boundaries.

Attached as an instrument when the machine runs with ``verifier: true`` (as Verifier
hooks the DDIs it checks). It follows each IoCallDriver to the dispatch routine's
return and each completion routine to its return, and applies verifier-rules.md:

* R04 (0xC9 0x5, fatal): the dispatch routine returned at another IRQL than it was
  entered at (P2 device object, P3 IRQL before, P4 IRQL after);
* R01 (0xC9 0x226, fatal): it returned a status other than STATUS_PENDING while the IRP
  was still at its own location, neither completed nor passed down (P3 IRP);
* R02 (0xC9 0x224, fatal): it returned a status other than the IoStatus.Status of the
  IRP it (or a lower driver) completed (P3 IRP, P4 the expected status);
* R22 (0xC9 0x23E, non-fatal): it called IoMarkIrpPending but returned something else;
* R23 (0xC9 0x23D, non-fatal): it returned STATUS_PENDING without IoMarkIrpPending and
  without passing down a lower driver's STATUS_PENDING;
* R31 (0xC9 0x228, non-fatal): a completion routine saw PendingReturned, let completion
  go on, and did not call IoMarkIrpPending;
* R42 (0xC9 0x23A, fatal): an IRP other than power, read, write or (internal) device
  control sent at DISPATCH_LEVEL;
* R47 (0xC9 0x203, fatal): an IRP sent down with its cancel routine still set;
* R09 (0xC9 0x312, non-fatal): completed with Information larger than a buffered
  caller's output buffer;
* R50 (SDV IoAllocateForward / IoBuildFsdForward, reported): an IRP from IoAllocateIrp
  or IoBuildAsynchronousFsdRequest sent without a completion routine.

Non-fatal errors are what Verifier prints to the debugger and goes on: here a
``violation`` trace event. P2 of the level-2 codes is "the address in the driver where
it was detected", which the model does not have: 0. The checks at IoCompleteRequest
(0x6, 0x7, 0xE) and IoCallDriver above DISPATCH_LEVEL (0x10) live in iomgr.py.
"""

from __future__ import annotations

from typing import Any

from ..constants import (DISPATCH_LEVEL, IRP_MJ, NTSTATUS, SL_INVOKE_ON_CANCEL,
                         SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED,
                         BugCheckCode)
from ..instrument import Instrument

STATUS_PENDING = NTSTATUS.STATUS_PENDING
SMPR = NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
C9 = BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION
#: IRPs their creator must free, so must get back (R50).
_CREATOR_OWNED = ("IoAllocateIrp", "IoBuildAsynchronousFsdRequest")
_INVOKE = SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL
#: What may be sent at DISPATCH_LEVEL (R42).
_AT_DISPATCH = {IRP_MJ.IRP_MJ_POWER, IRP_MJ.IRP_MJ_READ, IRP_MJ.IRP_MJ_WRITE,
                IRP_MJ.IRP_MJ_DEVICE_CONTROL, IRP_MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL}


class DispatchCall:
    """One dispatch routine running: where it was entered and what it did."""

    __slots__ = ("irp", "device", "location", "irql", "marked", "lower_pending")

    def __init__(self, irp: Any, device: Any, location: int, irql: int) -> None:
        self.irp = irp
        self.device = device
        self.location = location
        self.irql = irql
        self.marked = False          # IoMarkIrpPending on its location
        self.lower_pending = False   # a driver below returned STATUS_PENDING to it

    @property
    def pends_unmarked(self) -> bool:
        """Returning STATUS_PENDING now breaks MarkIrpPending2: not marked, and not a
        lower driver's STATUS_PENDING passed on."""
        return not self.marked and not self.lower_pending


class CompletionCall:
    """One completion routine running, and whether it marked the IRP pending."""

    __slots__ = ("irp", "pending_returned", "marked")

    def __init__(self, irp: Any, pending_returned: bool) -> None:
        self.irp, self.pending_returned, self.marked = irp, pending_returned, False


class CallTracker(Instrument):
    """Follows dispatch and completion routines from entry to return, so a subclass can
    judge a routine by what it did (IoMarkIrpPending, a lower driver's STATUS_PENDING)
    when it returns: Driver Verifier here, the hang diagnosis of the runner too."""

    def __init__(self) -> None:
        self.kernel: Any = None
        self.calls: list[DispatchCall] = []
        self.completions: list[CompletionCall] = []

    def attach(self, kernel: Any) -> None:
        self.kernel = kernel

    def irp_call(self, irp: Any, device: Any) -> None:
        self.calls.append(DispatchCall(irp, device, irp.current_location,
                                       self.kernel.cpu.irql))

    def mark_pending(self, irp: Any, device: Any) -> None:
        if self.completions and self.completions[-1].irp is irp:
            self.completions[-1].marked = True
            return
        for call in reversed(self.calls):
            if call.irp is irp and call.location == irp.current_location:
                call.marked = True
                return

    def dispatch_return(self, irp: Any, device: Any, status: int) -> None:
        call = self.calls.pop()
        if self.calls and self.calls[-1].irp is irp and status == STATUS_PENDING:
            self.calls[-1].lower_pending = True
        self.returned(call, status)

    def completion_routine(self, irp: Any, device: Any, routine: Any,
                           pending_returned: bool) -> None:
        self.completions.append(CompletionCall(irp, pending_returned))

    def completion_return(self, irp: Any, device: Any, routine: Any, status: int) -> None:
        done = self.completions.pop()
        if status != SMPR and done.pending_returned and not done.marked \
                and device is not None:
            self.pending_lost(done, device, routine)

    def returned(self, call: DispatchCall, status: int) -> None:
        """A dispatch routine returned ``status`` (override)."""

    def pending_lost(self, done: CompletionCall, device: Any, routine: Any) -> None:
        """A completion routine let completion go on without propagating the pending
        bit it saw (override)."""


class IoVerifier(CallTracker):
    """Driver Verifier's I/O checks at dispatch and completion-routine exit."""

    def __init__(self) -> None:
        super().__init__()
        self.continued: dict[int, Any] = {}   # IRP id -> the driver whose completion
        #                                       routine let its completion go on

    def completion_return(self, irp: Any, device: Any, routine: Any, status: int) -> None:
        if status != SMPR and device is not None:
            self.continued[irp.id] = device.driver_object
        super().completion_return(irp, device, routine, status)

    def _stop(self, code: int, p3: int, p4: int, reason: str, p2: int = 0) -> None:
        self.kernel.bug_check(C9, code, p2, p3, p4, reason=reason)

    def _report(self, code: int, irp: Any, p4: int, detail: str) -> None:
        """A non-fatal error: what Verifier prints and goes on from (P2: the site)."""
        self.kernel.hooks.violation(f"0xC9 0x{code:X}", detail, irp, (code, 0, irp.id, p4))

    # -- dispatch routines ---------------------------------------------------------------
    def irp_call(self, irp: Any, device: Any) -> None:
        irql = self.kernel.cpu.irql
        major = irp.stack[irp.current_location - 1].major_function
        if irp.cancel_routine is not None:             # R47: clear it before passing down
            self._stop(0x203, irp.id, 0, f"IRP#{irp.id} sent to {device.label} with its "
                       "cancel routine still set")
        if (irp.current_location == irp.stack_count and irp.allocated_by in _CREATOR_OWNED
                and not irp.stack[irp.current_location - 1].control & _INVOKE):
            # R50 IoAllocateForward / IoBuildFsdForward (an SDV rule, reported): the
            # creator of such an IRP must get it back through a completion routine
            kernel = self.kernel
            kernel.hooks.violation("IoAllocateForward", f"IRP#{irp.id} from "
                                   f"{irp.allocated_by} sent to {device.label} without a "
                                   "completion routine: nobody gets it back to free it",
                                   irp, None)
        if irql == DISPATCH_LEVEL and major not in _AT_DISPATCH:
            self._stop(0x23A, irp.id, irql, f"IRP#{irp.id} {IRP_MJ(major).name} sent at "
                       "DISPATCH_LEVEL (only power, read, write and device control may be)")
        super().irp_call(irp, device)

    def returned(self, call: DispatchCall, status: int) -> None:
        kernel, irp, device = self.kernel, call.irp, call.device
        name = device.driver_object.short_name
        if kernel.cpu.irql != call.irql:
            self._stop(0x5, call.irql, kernel.cpu.irql, f"{name}'s dispatch routine returned "
                       f"at IRQL {kernel.cpu.irql}, entered at {call.irql}", p2=device.id)
        if status == STATUS_PENDING:
            if irp.cancel and irp.cancel_routine is not None:
                # R63 IrpCancelField (an SDV rule, reported): the IRP was cancelled before
                # its cancel routine was set and nobody looked at Irp->Cancel: it pends
                # with a cancel routine nobody will call
                kernel.hooks.violation("IrpCancelField", f"{name} pended IRP#{irp.id} with a "
                                       "cancel routine after it had been cancelled, without "
                                       "checking Irp->Cancel", irp, None)
            if call.pends_unmarked:
                self._report(0x23D, irp, status, f"{name} returned STATUS_PENDING for "
                             f"IRP#{irp.id} without IoMarkIrpPending")
            return
        if call.marked:
            self._report(0x23E, irp, status, f"{name} marked IRP#{irp.id} pending but "
                         f"returned 0x{status:08X}, not STATUS_PENDING")
        if irp.freed:
            return
        if irp.current_location == call.location and not irp.stack[call.location - 1].control \
                & SL_PENDING_RETURNED:
            self._stop(0x226, irp.id, 0, f"{name} returned 0x{status:08X} for IRP#{irp.id} "
                       "without completing it, passing it down or pending it")
        completed = irp.current_location > irp.stack_count + 1
        if completed and status != irp.io_status.status:
            self._stop(0x224, irp.id, irp.io_status.status, f"{name} returned 0x{status:08X} "
                       f"for IRP#{irp.id}, completed with 0x{irp.io_status.status:08X}")

    def irp_complete(self, irp: Any, device: Any, status: int) -> None:
        """R09 (0xC9 0x312, non-fatal): a buffered read completed with more bytes than
        the caller's buffer holds. R15 SpinLockSafe (an SDV rule, reported): completed
        while the CPU holds a driver's spin lock."""
        held_spin_locks(self.kernel, f"IoCompleteRequest(IRP#{irp.id})", irp)
        owner = self.continued.get(irp.id)
        if owner is not None and irp.current_location > irp.stack_count + 1:
            # R16 CompleteRequest (an SDV rule, reported before the 0x44 it leads to): the
            # driver's completion routine let completion go on, so the IRP is not its own
            self.kernel.hooks.violation("CompleteRequest", f"IRP#{irp.id} completed again "
                                        f"after {owner.short_name}'s completion routine let "
                                        "its completion continue", irp, None)
        buffer = irp.system_buffer
        info = irp.io_status.information
        if buffer is not None and irp.user_buffer is not None and info > irp.user_buffer.length:
            self._report(0x312, irp, info, f"IRP#{irp.id} completed with Information {info}, "
                         f"more than the {irp.user_buffer.length}-byte output buffer")

    def pending_lost(self, done: CompletionCall, device: Any, routine: Any) -> None:
        self._report(0x228, done.irp, 0, f"the completion routine "
                     f"{getattr(routine, '__name__', '?')} of {device.driver_object.short_name} "
                     f"saw PendingReturned and did not call IoMarkIrpPending for "
                     f"IRP#{done.irp.id}")


def held_spin_locks(kernel: Any, call: str, irp: Any = None) -> None:
    """R15 SpinLockSafe (an SDV rule; under Verifier the model reports it): no
    IoCompleteRequest or IoStartNextPacket while holding a driver's spin lock (the cancel
    spin lock is the I/O manager's own business)."""
    if not kernel.verifier:
        return
    held = [lock for lock in kernel.cpu.locks if lock is not kernel.cancel_spin_lock]
    if held:
        kernel.hooks.violation("SpinLockSafe", f"{call} while holding "
                               f"{', '.join(lock.name or 'a spin lock' for lock in held)}",
                               irp, None)
