"""kernel32's user-APC calls (win32-io §2): QueueUserAPC, ReadFileEx / WriteFileEx, the
alertable waits' delivery of APCs, and the NtTestAlert a new thread makes first.

A user APC runs only when its thread returns to user mode from an alertable UserMode
wait (or in NtTestAlert): all queued APCs then run FIFO, in that thread, before the wait
returns WAIT_IO_COMPLETION (2.1-2.3). The kernel ends the wait (STATUS_USER_APC); the
delivery (KiUserApcDispatcher) is ntdll's. Mixed into :class:`kernel32.Win32`.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from .ntdll import (ERROR_INVALID_PARAMETER, NTSTATUS, Buffer, KiUserApcDispatcher,
                    THREAD_ALL_ACCESS, NtQueueApcThread, NtReadFile, NtTestAlert,
                    NtWriteFile, RtlNtStatusToDosError, new_handle, nt_success)
from .win32_helpers import Win32Base

STATUS_PENDING = NTSTATUS.STATUS_PENDING
STATUS_USER_APC = NTSTATUS.STATUS_USER_APC
WAIT_IO_COMPLETION = 0xC0


class AlertableCalls(Win32Base):
    """QueueUserAPC, ReadFileEx, WriteFileEx and the APC side of alertable waits."""

    kernel: Any

    def queue_user_apc(self, routine: Callable[[Any], Generator], h_thread: int,
                       data: int) -> bool:
        """QueueUserAPC(pfnAPC, hThread, dwData) (2.6): nonzero when queued; the routine
        runs as pfnAPC(dwData) at the thread's next alertable wait. FALSE with
        ERROR_GEN_FAILURE for a thread that is terminating or has terminated."""
        self._call("QueueUserAPC", thread=h_thread, data=data)

        def apc(context: Any, _iosb: Any) -> Generator[Any, Any, None]:
            yield from routine(context)
        apc.__name__ = getattr(routine, "__name__", "PAPCFUNC")
        return self._bool_call("QueueUserAPC",
                               NtQueueApcThread(self.kernel, h_thread, apc, data))

    def open_thread(self, thread: Any) -> int:
        """OpenThread(THREAD_ALL_ACCESS, FALSE, its id): a handle to a thread of this
        process (the app's way to name a thread it did not start itself)."""
        self._call("OpenThread", thread=thread.name)
        handle = new_handle(self.kernel, thread, THREAD_ALL_ACCESS)
        self._return("OpenThread", handle=handle)
        return handle

    def deliver_user_apcs(self, status: int) -> Generator[Any, Any, int]:
        """After an alertable wait: STATUS_USER_APC means the thread goes back to user
        mode through KiUserApcDispatcher, which runs every queued APC (2.3)."""
        if status == STATUS_USER_APC:
            yield from KiUserApcDispatcher(self.kernel)
        return status

    def thread_startup(self) -> Generator[Any, Any, None]:
        """LdrInitializeThunk's NtTestAlert: APCs queued before a new thread ran run
        before its start routine (2.6)."""
        yield from NtTestAlert(self.kernel)

    def read_file_ex(self, h: int, buffer: Buffer | None, length: int, overlapped: Any,
                     completion: Any, tag: Any = None) -> Generator[Any, Any, bool]:
        """ReadFileEx (2.8, 2.9)."""
        return (yield from self._file_ex("ReadFileEx", NtReadFile, h, buffer, length,
                                         overlapped, completion, tag))

    def write_file_ex(self, h: int, buffer: Buffer | None, length: int, overlapped: Any,
                      completion: Any, tag: Any = None) -> Generator[Any, Any, bool]:
        """WriteFileEx (2.8, 2.9)."""
        return (yield from self._file_ex("WriteFileEx", NtWriteFile, h, buffer, length,
                                         overlapped, completion, tag))

    def _file_ex(self, api: str, service: Any, h: int, buffer: Buffer | None, length: int,
                 overlapped: Any, completion: Any, tag: Any) -> Generator[Any, Any, bool]:
        """ReadFileEx / WriteFileEx: hEvent is not passed (NULL), ApcRoutine is kernel32's
        thunk and ApcContext the app's routine; the thunk calls routine(dwErrorCode =
        RtlNtStatusToDosError(Status), dwNumberOfBytesTransfered = Information,
        lpOverlapped) (2.8). Returns (2.9, ReactOS's rule): TRUE for pending or any
        NT_SUCCESS status (the APC is queued either way); FALSE with the mapped error for
        a warning (APC still queued: the report branch) or an error (no APC)."""
        self._call(api, handle=h, length=length)
        handle = self._handle(h)
        if handle is None:
            return self._done(api, False, 0)[0]
        if not handle.overlapped:
            # The documentation requires FILE_FLAG_OVERLAPPED; the model refuses a
            # synchronous handle as Wine's wrapper does not (kept from ReadFileEx's
            # first model: ERROR_INVALID_PARAMETER).
            self.set_last_error(ERROR_INVALID_PARAMETER)
            return self._done(api, False, 0)[0]

        def apc(context: Any, iosb: Any) -> Generator[Any, Any, None]:
            # BasepIoCompletion: the Win32 error of the status, the byte count
            yield from completion(RtlNtStatusToDosError(iosb.status), iosb.information,
                                  context)
        apc.__name__ = "BasepIoCompletion"
        overlapped.status, overlapped.information = STATUS_PENDING, 0
        status = yield from service(handle.file, buffer, length, overlapped.offset, None,
                                    overlapped, tag=tag, apc=(apc, overlapped))
        if status == STATUS_PENDING or nt_success(status):
            return self._done(api, True, 0)[0]
        return self._done(api, self._fail_nt(status), 0)[0]
