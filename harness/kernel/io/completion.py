"""I/O completion ports: the IO_COMPLETION object and its services (win32-io §3).

An IO_COMPLETION is a KQUEUE (ke/queue.py) with an object type. A file object is
associated with one by NtSetInformationFile(FileCompletionInformation {Port, Key}),
which stores FILE_OBJECT.CompletionContext; from then on the final completion phase
of every request on that file whose ApcContext is not NULL (the OVERLAPPED) queues a
packet {Key, ApcContext, Status, Information} to the port (io-core §5.4 3f, win32-io
3.2): pended requests whatever their final status, inline successes and warnings -
unless FO_SKIP_COMPLETION_PORT says "not for a synchronous success" (3.7) - but never
an inline error (the silent branch). NtSetIoCompletion posts a packet by hand;
NtRemoveIoCompletion dequeues one (FIFO), releasing waiters LIFO under the
concurrency value (3.6).

Simplified: Windows queues the IRP itself as the packet and frees it at the dequeue;
here the packet copies the IRP's status and count and the IRP is freed at once (no
driver can see the difference). The port's last handle being closed runs its queue
down (waiters get STATUS_ABANDONED, packets are dropped): the outcome Learn documents
for GetQueuedCompletionStatus (ERROR_ABANDONED_WAIT_0); chosen over "on the last
reference", which the spec does not settle. A packet queued to a run-down port (its
associated files still refer to it) is dropped: nobody holds a handle to remove it.
"""

from __future__ import annotations

from typing import Any, Generator

from ..constants import NTSTATUS
from ..ke.queue import KQueue, ke_insert_queue, ke_remove_queue, ke_rundown_queue
from ..ob.handle import handle_table, ob_reference_object_by_handle
from ..ob.object import ObjectType

IO_COMPLETION_QUERY_STATE = 0x0001
IO_COMPLETION_MODIFY_STATE = 0x0002
IO_COMPLETION_ALL_ACCESS = 0x1F0003
FileCompletionInformation = 30
FileIoCompletionNotificationInformation = 41
FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1
FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2
FO_SKIP_COMPLETION_PORT = 0x02000000
FO_SKIP_SET_EVENT = 0x04000000

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
STATUS_INVALID_PARAMETER = NTSTATUS.STATUS_INVALID_PARAMETER


class IoCompletion(KQueue):
    """IO_COMPLETION (IoCompletionObjectType): a KQUEUE of completion packets."""

    __slots__ = ("handle_count",)
    object_type = ObjectType("IoCompletion")

    def __init__(self, kernel: Any, count: int = 0, name: str = "") -> None:
        super().__init__(kernel, count, name)
        self.handle_count = 0

    def __repr__(self) -> str:
        return (f"<IO_COMPLETION #{self.id} packets={len(self.entries)} "
                f"running={self.current_count}/{self.maximum_count}>")


class CompletionContext:
    """FILE_OBJECT.CompletionContext: the port and the key of its packets."""

    __slots__ = ("port", "key")

    def __init__(self, port: IoCompletion, key: int) -> None:
        self.port = port
        self.key = key


class CompletionPacket:
    """One entry of a port: what NtRemoveIoCompletion hands back."""

    __slots__ = ("key", "apc_context", "status", "information", "irp")

    def __init__(self, key: int, apc_context: Any, status: int, information: int,
                 irp: int | None = None) -> None:
        self.key = key
        self.apc_context = apc_context
        self.status = status
        self.information = information
        self.irp = irp                    # the IRP's id for an I/O packet, None if posted

    def __repr__(self) -> str:
        return (f"<completion packet key={self.key} status=0x{self.status & 0xFFFFFFFF:08X} "
                f"information={self.information}>")


def nt_create_io_completion(kernel: Any, access: int = IO_COMPLETION_ALL_ACCESS,
                            count: int = 0) -> tuple[int, int]:
    """NtCreateIoCompletion(&Handle, Access, NULL, Count): (status, handle); Count 0 is
    the number of processors (win32-io 3.1)."""
    port = IoCompletion(kernel, count)
    handle = handle_table(kernel).insert(port, access)
    port.handle_count = 1
    return STATUS_SUCCESS, handle


def _port(kernel: Any, handle: int, access: int) -> tuple[int, IoCompletion | None]:
    return ob_reference_object_by_handle(kernel, handle, "IoCompletion", access, True,
                                         count=False)


def io_set_io_completion(port: IoCompletion, key: int, apc_context: Any, status: int,
                         information: int, irp: int | None = None) -> int:
    """IoSetIoCompletion: queue a packet (a run-down port drops it, see the module)."""
    if not port.run_down:
        ke_insert_queue(port, CompletionPacket(key, apc_context, status, information, irp))
    return STATUS_SUCCESS


def nt_set_io_completion(kernel: Any, handle: int, key: int, apc_context: Any,
                         status: int, information: int) -> int:
    """NtSetIoCompletion(Port, KeyContext, ApcContext, IoStatus, IoStatusInformation):
    any status can be posted here (PostQueuedCompletionStatus posts 0, win32-io 3.5)."""
    result, port = _port(kernel, handle, IO_COMPLETION_MODIFY_STATE)
    if port is None:
        return result
    return io_set_io_completion(port, key, apc_context, status, information)


def nt_remove_io_completion(kernel: Any, handle: int, timeout: int | None = None
                            ) -> Generator[Any, Any, tuple[int, CompletionPacket | None]]:
    """NtRemoveIoCompletion(Port, &Key, &ApcContext, &IoStatusBlock, Timeout):
    (STATUS_SUCCESS, packet), (STATUS_TIMEOUT, None) - a success code the caller must
    test for (win32-io 3.8) - or (STATUS_ABANDONED, None) when the port's last handle
    was closed meanwhile; a bad handle is STATUS_INVALID_HANDLE."""
    status, port = _port(kernel, handle, IO_COMPLETION_MODIFY_STATE)
    if port is None:
        return status, None
    return (yield from ke_remove_queue(port, timeout))


def nt_close_io_completion(port: IoCompletion) -> None:
    """The port's handle closed: the last one runs its queue down (module docstring)."""
    port.handle_count -= 1
    if port.handle_count == 0:
        ke_rundown_queue(port)


def nt_set_completion_information(file: Any, port_handle: int, key: int) -> int:
    """NtSetInformationFile(FileCompletionInformation {Port, Key}) (win32-io 3.1):
    STATUS_INVALID_PARAMETER for a FO_SYNCHRONOUS_IO file or one already associated
    (with any port); IO_COMPLETION_MODIFY_STATE on the port."""
    kernel = file.kernel
    status, port = _port(kernel, port_handle, IO_COMPLETION_MODIFY_STATE)
    if port is None:
        return status
    if file.synchronous or file.completion_context is not None:
        return STATUS_INVALID_PARAMETER
    file.completion_context = CompletionContext(port, key)
    return STATUS_SUCCESS


def nt_set_completion_notification(file: Any, flags: int) -> int:
    """NtSetInformationFile(FileIoCompletionNotificationInformation): the modes are
    file-object flags, set and never cleared (win32-io 3.7)."""
    if flags & ~(FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE):
        return STATUS_INVALID_PARAMETER
    if flags & FILE_SKIP_COMPLETION_PORT_ON_SUCCESS:
        file.flags |= FO_SKIP_COMPLETION_PORT
    if flags & FILE_SKIP_SET_EVENT_ON_HANDLE:
        file.flags |= FO_SKIP_SET_EVENT
    return STATUS_SUCCESS


def iop_queue_completion_packet(irp: Any, file: Any) -> bool:
    """io-core §5.4 3f, the port arm: with no user APC routine, a file associated with a
    port and a non-NULL ApcContext, the request's packet goes to the port - unless it
    completed synchronously on a FO_SKIP_COMPLETION_PORT file (3.7: synchronous success
    or warning, i.e. not pended; this branch never sees an inline error). True when the
    packet was queued (Windows then frees the IRP at the dequeue)."""
    context = file.completion_context
    if context is None or irp.user_apc_context is None:
        return False
    if file.flags & FO_SKIP_COMPLETION_PORT and not irp.pending_returned:
        return False
    io_set_io_completion(context.port, context.key, irp.user_apc_context,
                         irp.io_status.status, irp.io_status.information, irp.id)
    return True
