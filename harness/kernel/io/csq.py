"""Cancel-safe queues: IoCsqInitialize, IoCsqInsertIrp(Ex), IoCsqRemoveNextIrp,
IoCsqRemoveIrp and the library's cancel routine (pnp-hardware §7.3-§7.5, io-core §7.6).

The driver gives six callbacks; the library decides who owns an IRP by one exchange
of Irp->CancelRoutine, drops the cancel spin lock before it takes the driver's queue
lock, and never leaves a canceled IRP in the queue. The callbacks run in the order of
ReactOS's library (§7.4), each reported to the trace as a service call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import NTSTATUS
from .cancel import io_release_cancel_spin_lock
from .irp import Irp, io_mark_irp_pending, io_set_cancel_routine

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel


class IoCsq:
    """IO_CSQ: the driver's callbacks (plain functions: they never block, <= DISPATCH)."""

    __slots__ = ("kernel", "insert", "remove", "peek_next", "acquire_lock", "release_lock",
                 "complete_canceled", "name")

    def __init__(self, kernel: "Kernel", insert: Callable[..., int],
                 remove: Callable[..., None], peek_next: Callable[..., Any],
                 acquire_lock: Callable[..., int], release_lock: Callable[..., None],
                 complete_canceled: Callable[..., Generator[Any, Any, Any]],
                 name: str = "Csq") -> None:
        self.kernel = kernel
        self.insert, self.remove, self.peek_next = insert, remove, peek_next
        self.acquire_lock, self.release_lock = acquire_lock, release_lock
        self.complete_canceled = complete_canceled
        self.name = name


class IoCsqIrpContext:
    """IO_CSQ_IRP_CONTEXT: lets IoCsqRemoveIrp find one particular IRP later."""

    __slots__ = ("irp", "csq")

    def __init__(self) -> None:
        self.irp: Irp | None = None
        self.csq: IoCsq | None = None


def _call(csq: IoCsq, callback: str, *args: Any) -> Any:
    csq.kernel.hooks.service_call(f"Csq{callback}", {"csq": csq.name})
    return getattr(csq, {"InsertIrp": "insert", "RemoveIrp": "remove",
                         "PeekNextIrp": "peek_next", "AcquireLock": "acquire_lock",
                         "ReleaseLock": "release_lock"}[callback])(csq, *args)


def io_csq_insert_irp(csq: IoCsq, irp: Irp, context: IoCsqIrpContext | None = None
                      ) -> Generator[Any, Any, int]:
    """IoCsqInsertIrp(Ex) (§7.4): lock, IoMarkIrpPending, CsqInsertIrp, the library's
    cancel routine; an IRP already canceled is taken straight back out and completed
    canceled under the lock (ReactOS's order; the documentation's "not inserted at all"
    ends the same way with another callback trace), so it is never left queued."""
    irql = _call(csq, "AcquireLock")
    io_mark_irp_pending(irp)
    irp.driver_context[3] = context if context is not None else csq   # DriverContext[3]
    if context is not None:
        context.irp, context.csq = irp, csq
    status: int = _call(csq, "InsertIrp", irp)
    if status != NTSTATUS.STATUS_SUCCESS:
        _call(csq, "ReleaseLock", irql)
        return status
    io_set_cancel_routine(irp, _cancel_routine(csq))
    if irp.cancel and io_set_cancel_routine(irp, None) is not None:
        # canceled while being inserted: out again and completed at once - still under
        # the driver's lock, in ReactOS's order (§7.4: the model's default)
        _call(csq, "RemoveIrp", irp)
        _forget(irp)
        yield from _complete_canceled(csq, irp)
    _call(csq, "ReleaseLock", irql)
    return NTSTATUS.STATUS_SUCCESS


def _forget(irp: Irp) -> None:
    context = irp.driver_context[3]
    if isinstance(context, IoCsqIrpContext):
        context.irp = None
    irp.driver_context[3] = None


def _complete_canceled(csq: IoCsq, irp: Irp) -> Generator[Any, Any, None]:
    csq.kernel.hooks.service_call("CsqCompleteCanceledIrp", {"csq": csq.name})
    yield from csq.complete_canceled(csq, irp)


def _cancel_routine(csq: IoCsq) -> Callable[[Any, Irp], Generator[Any, Any, None]]:
    def IoCsqCancelRoutine(device: Any, irp: Irp) -> Generator[Any, Any, None]:  # noqa: N802
        """The library's cancel routine (§7.4): release the cancel lock first, then
        remove the IRP under the driver's lock and complete it outside it."""
        io_release_cancel_spin_lock(csq.kernel, irp.cancel_irql)
        context = irp.driver_context[3]
        if isinstance(context, IoCsqIrpContext):
            context.irp = None
        irql = _call(csq, "AcquireLock")
        _call(csq, "RemoveIrp", irp)
        irp.driver_context[3] = None
        _call(csq, "ReleaseLock", irql)
        yield from _complete_canceled(csq, irp)
    return IoCsqCancelRoutine


def io_csq_remove_next_irp(csq: IoCsq, peek_context: Any = None) -> Irp | None:
    """IoCsqRemoveNextIrp (§7.4): the next IRP CsqPeekNextIrp matches whose cancel
    routine this call takes back; one being canceled (its routine already gone) is
    skipped - its cancel routine will remove it."""
    irql = _call(csq, "AcquireLock")
    found = None
    irp = _call(csq, "PeekNextIrp", None, peek_context)
    while irp is not None:
        if io_set_cancel_routine(irp, None) is not None:
            _call(csq, "RemoveIrp", irp)
            _forget(irp)
            found = irp
            break
        irp = _call(csq, "PeekNextIrp", irp, peek_context)
    _call(csq, "ReleaseLock", irql)
    return found


def io_csq_remove_irp(csq: IoCsq, context: IoCsqIrpContext) -> Irp | None:
    """IoCsqRemoveIrp (§7.4): the IRP of ``context`` unless it was canceled or removed."""
    irql = _call(csq, "AcquireLock")
    irp = context.irp
    if irp is not None and io_set_cancel_routine(irp, None) is not None:
        _call(csq, "RemoveIrp", irp)
        _forget(irp)
    else:
        irp = None
    _call(csq, "ReleaseLock", irql)
    return irp
