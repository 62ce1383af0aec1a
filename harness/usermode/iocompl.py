"""kernel32's I/O completion port calls (win32-io §3), after ReactOS's iocompl.c.

CreateIoCompletionPort, GetQueuedCompletionStatus, PostQueuedCompletionStatus and
SetFileCompletionNotificationModes, over ntdll's NtCreateIoCompletion,
NtRemoveIoCompletion, NtSetIoCompletion and NtSetInformationFile. A mixin of
:class:`~harness.usermode.kernel32.Win32` (its last-error and trace helpers).
GetQueuedCompletionStatusEx is not modelled (it raises NotModelledError).
"""

from __future__ import annotations

from typing import Any, Generator, NamedTuple

from .ntdll import (ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, NTSTATUS,
                    FileCompletionInformation, FileIoCompletionNotificationInformation,
                    NotModelledError, NtClose, NtCreateIoCompletion, NtRemoveIoCompletion,
                    NtSetInformationFile, NtSetIoCompletion, RtlNtStatusToDosError, nt_success)
from .win32_helpers import Win32Base

INVALID_HANDLE_VALUE = 0xFFFFFFFF
INFINITE = 0xFFFFFFFF
WAIT_TIMEOUT = 258


class Dequeued(NamedTuple):
    """GetQueuedCompletionStatus's BOOL and out-parameters; None = not written."""

    ok: bool
    bytes: int | None
    key: int | None
    overlapped: Any          # *lpOverlapped: the ApcContext (an OVERLAPPED, any value, None)
    status: int | None = None    # the dequeued packet's NTSTATUS (None: nothing dequeued)


class IoCompletionApi(Win32Base):
    """The completion-port half of kernel32 (mixed into Win32)."""

    def create_io_completion_port(self, file_handle: int, existing_port: int, key: int,
                                  concurrency: int) -> Generator[Any, Any, int]:
        """CreateIoCompletionPort (win32-io 3.1): the port's handle, or NULL."""
        api = "CreateIoCompletionPort"
        self._call(api, file_handle=file_handle, existing_port=existing_port, key=key,
                   concurrency=concurrency)
        if file_handle == INVALID_HANDLE_VALUE:
            if existing_port:                 # nothing to associate with an existing port
                self.set_last_error(ERROR_INVALID_PARAMETER)
                return self._port_result(api, 0)
            status, port = NtCreateIoCompletion(self.kernel, concurrency)
            return self._port_result(api, port if nt_success(status) else 0, status)
        created = False
        port = existing_port                  # NumberOfConcurrentThreads ignored then
        if not port:
            status, port = NtCreateIoCompletion(self.kernel, concurrency)
            if not nt_success(status):
                return self._port_result(api, 0, status)
            created = True
        handle = self.handles.get(file_handle)
        status = (NTSTATUS.STATUS_INVALID_HANDLE if handle is None else
                  NtSetInformationFile(handle.file, FileCompletionInformation, (port, key)))
        if not nt_success(status):
            if created:                       # the new port goes again
                yield from NtClose(self.kernel, port)
            return self._port_result(api, 0, status)
        return self._port_result(api, port)

    def _port_result(self, api: str, port: int, status: int = 0) -> int:
        if not port and status:
            self._fail_nt(status)
        self._return(api, handle=port, error=self.get_last_error())
        return port

    def get_queued_completion_status(self, port: int, milliseconds: int = INFINITE
                                     ) -> Generator[Any, Any, Dequeued]:
        """GetQueuedCompletionStatus (win32-io 3.3): TRUE for a packet whose status is
        not negative; FALSE with *lpOverlapped set for a failed I/O (the mapped status
        as last error); FALSE with *lpOverlapped NULL when nothing was dequeued -
        WAIT_TIMEOUT, ERROR_ABANDONED_WAIT_0 (the port closed), ERROR_INVALID_HANDLE -
        and then Bytes and Key are not written."""
        api = "GetQueuedCompletionStatus"
        self._call(api, port=port, milliseconds=milliseconds)
        timeout = None if milliseconds == INFINITE else -milliseconds * 10_000
        status, packet = yield from NtRemoveIoCompletion(self.kernel, port, timeout)
        if packet is None:
            # STATUS_TIMEOUT is a success code: tested first (3.8)
            self.set_last_error(WAIT_TIMEOUT if status == NTSTATUS.STATUS_TIMEOUT
                                else RtlNtStatusToDosError(status))
            self._return(api, ok=False, overlapped=None, error=self.get_last_error())
            return Dequeued(False, None, None, None)
        ok = nt_success(packet.status)
        if not ok:
            self.set_last_error(RtlNtStatusToDosError(packet.status))
        self._return(api, ok=ok, bytes=packet.information, key=packet.key,
                     status=packet.status, error=self.get_last_error())
        return Dequeued(ok, packet.information, packet.key, packet.apc_context, packet.status)

    def get_queued_completion_status_ex(self, *args: Any) -> None:
        """GetQueuedCompletionStatusEx (3.4): not modelled."""
        raise NotModelledError("GetQueuedCompletionStatusEx")

    def post_queued_completion_status(self, port: int, count: int, key: int,
                                      overlapped: Any) -> bool:
        """PostQueuedCompletionStatus (3.5): a packet with status 0, so the dequeuer
        gets TRUE; lpOverlapped is opaque (NULL, any value, an OVERLAPPED)."""
        api = "PostQueuedCompletionStatus"
        self._call(api, port=port, bytes=count, key=key)
        status = NtSetIoCompletion(self.kernel, port, key, overlapped,
                                   NTSTATUS.STATUS_SUCCESS, count)
        return self._bool_call(api, status)

    def set_file_completion_notification_modes(self, h: int, flags: int) -> bool:
        """SetFileCompletionNotificationModes (3.7): FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
        (1) | FILE_SKIP_SET_EVENT_ON_HANDLE (2); other bits ERROR_INVALID_PARAMETER."""
        api = "SetFileCompletionNotificationModes"
        self._call(api, handle=h, flags=flags)
        handle = self.handles.get(h)
        if handle is None:
            self.set_last_error(ERROR_INVALID_HANDLE)
            self._return(api, ok=False, error=ERROR_INVALID_HANDLE)
            return False
        return self._bool_call(api, NtSetInformationFile(
            handle.file, FileIoCompletionNotificationInformation, flags))
