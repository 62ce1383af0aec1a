"""kernel32's cancel calls beyond CancelIo (win32-io §4): CancelIoEx and
CancelSynchronousIo. Both are thin wrappers (Wine's set_ntstatus): TRUE leaves the last
error alone (1.1), FALSE sets the mapped status (ERROR_NOT_FOUND from STATUS_NOT_FOUND,
ERROR_INVALID_HANDLE). TRUE only means "cancel requested": each request still completes
through its normal path, whenever its driver completes it (4.2). Mixed into
:class:`kernel32.Win32`.
"""

from __future__ import annotations

from typing import Any, Generator

from .ntdll import NTSTATUS, NtCancelIoFileEx, NtCancelSynchronousIoFile
from .win32_helpers import Win32Base


class CancelCalls(Win32Base):
    """CancelIoEx and CancelSynchronousIo."""

    kernel: Any

    def cancel_io_ex(self, h: int, overlapped: Any = None) -> Generator[Any, Any, bool]:
        """CancelIoEx(hFile, lpOverlapped) (4.2, 4.5): the handle's requests of every
        thread of this process (only the one(s) using ``overlapped`` when given); does
        not wait. FALSE with ERROR_NOT_FOUND when nothing matched; ERROR_INVALID_HANDLE
        for a closed handle (4.7)."""
        api = "CancelIoEx"
        self._call(api, handle=h, overlapped=overlapped is not None)
        handle = self._handle(h)
        if handle is None:
            return self._bool_call(api, NTSTATUS.STATUS_INVALID_HANDLE)
        status = yield from NtCancelIoFileEx(handle.file, overlapped)
        return self._bool_call(api, status)

    def cancel_synchronous_io(self, h_thread: int) -> Generator[Any, Any, bool]:
        """CancelSynchronousIo(hThread) (4.3, 4.6): the synchronous request that thread
        is blocked in; does not wait. FALSE with ERROR_NOT_FOUND when it has none (also
        while it waits for a synchronous file's lock, before any IRP exists)."""
        api = "CancelSynchronousIo"
        self._call(api, thread=h_thread)
        status = yield from NtCancelSynchronousIoFile(self.kernel, h_thread, None)
        return self._bool_call(api, status)
