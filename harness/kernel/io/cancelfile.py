"""The cancel services user mode calls beyond NtCancelIoFile (win32-io §4.2-§4.5).

NtCancelIoFileEx cancels a file object's requests of every thread of the calling
process (all of them, or those whose UserIosb is the caller's OVERLAPPED);
NtCancelSynchronousIoFile the synchronous request another thread is blocked in. Both
only ask: each found IRP gets IoCancelIrp (Cancel = TRUE, its cancel routine called if
one is set, io-core §7.2); neither waits for anything to complete (unlike NtCancelIoFile,
file.py), and finding nothing is STATUS_NOT_FOUND. What the requests then complete
with is the driver's business (4.2: success, STATUS_CANCELLED, or another error).

Simplified: each thread's IRP list is snapshotted before the cancel routines run (the
real services walk it at APC_LEVEL, so no completion changes it meanwhile: the same
IRPs are found either way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import NTSTATUS, IrpFlags
from .cancel import io_cancel_irp

if TYPE_CHECKING:
    from ..ke.machine import KThread
    from .device import FileObject
    from .irp import Irp


def _cancel_all(found: list[tuple["KThread", "Irp"]]) -> Generator[Any, Any, int]:
    """IoCancelIrp on each IRP still queued to its thread; STATUS_NOT_FOUND for none."""
    for thread, irp in found:
        if irp in thread.irp_list:       # an earlier cancel routine may have completed it
            yield from io_cancel_irp(irp)
    return NTSTATUS.STATUS_SUCCESS if found else NTSTATUS.STATUS_NOT_FOUND


def nt_cancel_io_file_ex(file: "FileObject", iosb: Any = None) -> Generator[Any, Any, int]:
    """NtCancelIoFileEx(FileHandle, IoRequestToCancel, IoStatusBlock) (win32-io 4.2, 4.5).

    The IRPs on ``file`` of ANY thread of the calling process (none of another
    process's), all of them when ``iosb`` is None, else those whose UserIosb is it
    (several if requests share one OVERLAPPED). An IRP without a cancel routine still
    counts as found (4.4). Does not wait."""
    kernel = file.kernel
    process = kernel.current_thread.process
    found = [(thread, irp) for thread in kernel.threads if thread.process == process
             for irp in list(thread.irp_list)
             if irp.original_file_object is file and (iosb is None or irp.user_iosb is iosb)]
    return (yield from _cancel_all(found))


def is_synchronous_request(irp: "Irp") -> bool:
    """A request its thread waits for inside the service: a synchronous API IRP, or any
    request on a FO_SYNCHRONOUS_IO file object (win32-io 4.3)."""
    file = irp.original_file_object
    return bool(irp.flags & IrpFlags.IRP_SYNCHRONOUS_API) or (file is not None
                                                              and file.synchronous)


def nt_cancel_synchronous_io_file(thread: "KThread", iosb: Any = None
                                  ) -> Generator[Any, Any, int]:
    """NtCancelSynchronousIoFile(ThreadHandle, IoRequestToCancel, IoStatusBlock)
    (win32-io 4.3, 4.6): the synchronous request(s) of ``thread`` (with ``iosb``, only
    the one whose UserIosb it is); its overlapped requests are not touched. A thread
    still queued for a synchronous file object's lock has no IRP yet: STATUS_NOT_FOUND.
    Does not wait."""
    found = [(thread, irp) for irp in list(thread.irp_list)
             if is_synchronous_request(irp) and (iosb is None or irp.user_iosb is iosb)]
    return (yield from _cancel_all(found))
