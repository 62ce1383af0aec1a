"""The I/O services' probes of a user-mode caller's buffers, and their exception
handlers (win32-io §6.1-§6.2, §5.4).

An NT I/O service runs its buffer work inside its own __try: ProbeForWrite /
ProbeForRead before anything else (a NULL or invalid pointer with a non-zero length
fails there and no IRP exists), then, once the IRP is allocated, the buffered write's
copy-in and the direct request's MmProbeAndLockPages. An exception in that second part
returns its code after the caller's event and the file object's event were already
cleared (5.4): the IRP is freed undispatched. Only user-mode (RequestorMode UserMode)
callers are probed; the NULL-means-no-buffer rules of NtDeviceIoControlFile are here
too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..constants import METHOD_BUFFERED, METHOD_NEITHER, NTSTATUS
from ..errors import StatusRaised
from ..ex.probe import probe_for_read, probe_for_write
from ..mm.usermem import UnmappedUserPointer
from .irp import Irp, io_free_irp

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel
    from ..mm.memory import Buffer

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS


def under_seh(kernel: "Kernel", body: Callable[[], Any]) -> int:
    """``__try { body() } __except (EXCEPTION_EXECUTE_HANDLER) { return code; }`` of an
    I/O service: STATUS_SUCCESS, or the code the body raised."""
    thread = kernel.current_thread
    thread.exception_handlers += 1
    try:
        body()
    except StatusRaised as raised:
        return raised.status
    finally:
        thread.exception_handlers -= 1
    return STATUS_SUCCESS


def _address(buffer: "Buffer | None") -> int:
    return buffer.address if buffer is not None else 0


def probe_user_buffer(kernel: "Kernel", buffer: "Buffer | None", length: int,
                      write: bool) -> int:
    """6.1: ProbeForWrite (a read's buffer, IOCTL output) or ProbeForRead (a write's
    data, IOCTL input) with alignment 1, under the service's handler. Length 0 checks
    nothing; NULL (None) is address 0."""
    probe = probe_for_write if write else probe_for_read
    return under_seh(kernel, lambda: probe(kernel, _address(buffer), length, 1))


def ioctl_user_buffers(kernel: "Kernel", code: int, input_buffer: "Buffer | None",
                       input_length: int, output_buffer: "Buffer | None",
                       output_length: int) -> tuple[int, tuple[Any, ...]]:
    """NtDeviceIoControlFile's checks of a user caller's buffers (6.2): (status, the
    buffers and lengths the IRP is built from).

    METHOD_NEITHER probes nothing (the driver must, under __try). Any other method:
    a non-NULL input is ProbeForRead(InLen) and a NULL one makes InputBufferLength 0;
    METHOD_BUFFERED: a non-NULL output is ProbeForWrite(OutLen) and a NULL one makes
    OutputBufferLength 0 (ReactOS's rule, believed to mirror Windows [uncertain]);
    IN/OUT_DIRECT: OutLen > 0 builds an MDL even over a NULL pointer, whose
    MmProbeAndLockPages faults (a NULL becomes an unmapped pointer at 0 here)."""
    method = code & 3
    if method != METHOD_NEITHER:
        if input_buffer is None:
            input_length = 0
        else:
            status = probe_user_buffer(kernel, input_buffer, input_length, False)
            if status != STATUS_SUCCESS:
                return status, ()
        if method == METHOD_BUFFERED:
            if output_buffer is None:
                output_length = 0
            else:
                status = probe_user_buffer(kernel, output_buffer, output_length, True)
                if status != STATUS_SUCCESS:
                    return status, ()
        elif output_buffer is None and output_length:
            output_buffer = UnmappedUserPointer(kernel, 0, output_length)
    return STATUS_SUCCESS, (input_buffer, input_length, output_buffer, output_length)


def abandon_irp(irp: Irp) -> None:
    """IopCleanupAfterException: an IRP whose buffers faulted before dispatch is
    unqueued from the thread and freed; nothing reached a driver."""
    thread = irp.thread
    if thread is not None and irp in thread.irp_list:
        thread.irp_list.remove(irp)
    io_free_irp(irp)
