"""kernel32: the Win32 calls of one simulated process (kernel-env §7), over ntdll.

CreateFile turns ``\\\\.\\X`` into ``\\??\\X``; requests on synchronous handles wait
inside the service for a pended IRP; on FILE_FLAG_OVERLAPPED handles they return
FALSE with ERROR_IO_PENDING and complete through the OVERLAPPED and its event. Return
conventions follow kernel32 (kernel-env §7.3, §7.5, §7.7). Each call is a generator
method, run by a simulated user thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from .ntdll import (ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER,
                    ERROR_IO_INCOMPLETE, NTSTATUS, Buffer, FileStandardInformation, IoStatusBlock,
                    KEvent, NtCancelIoFile, NtClose, NtCreateEvent,
                    NtCreateFile, NtCreateMutant, NtCreateSemaphore, NtDelayExecution,
                    NtDeviceIoControlFile, NtOpenEvent, NtPulseEvent, NtQueryInformationFile,
                    NtQueryInformationThread, NtReadFile,
                    NtReleaseMutant, NtReleaseSemaphore, NtResetEvent, NtSetEvent,
                    NtWaitForMultipleObjects, NtWriteFile, RtlNtStatusToDosError,
                    THREAD_ALL_ACCESS, SynchronizationEvent, allocate, new_address_space,
                    new_handle, nt_error, nt_success, wait_on_object)

from .apc import AlertableCalls
from .cancel import CancelCalls
from .fileapi import FileCalls
from .iocompl import IoCompletionApi
from .handle import Handle

if TYPE_CHECKING:
    from ..kernel import Kernel

GENERIC_READ, GENERIC_WRITE = 0x80000000, 0x40000000
FILE_FLAG_OVERLAPPED = 0x40000000
INVALID_HANDLE_VALUE = 0xFFFFFFFF
INFINITE = 0xFFFFFFFF
INVALID_FILE_SIZE = 0xFFFFFFFF
WAIT_OBJECT_0, WAIT_ABANDONED_0, WAIT_TIMEOUT, WAIT_FAILED = 0, 0x80, 258, 0xFFFFFFFF
WAIT_IO_COMPLETION = 0xC0
STATUS_PENDING = NTSTATUS.STATUS_PENDING


class Overlapped(IoStatusBlock):
    """OVERLAPPED: Internal/InternalHigh are the IO_STATUS_BLOCK the kernel writes.

    ``low_bit``: hEvent is written ``(HANDLE)((ULONG_PTR)hEvent | 1)`` - the event is still
    used (the object manager ignores a handle's low bits), but kernel32 then passes
    ApcContext NULL, so no completion-port packet is queued (win32-io 1.3).
    """

    __slots__ = ("offset", "h_event", "low_bit")

    def __init__(self, h_event: KEvent | None = None, offset: int = 0,
                 low_bit: bool = False) -> None:
        super().__init__(0, 0)
        self.offset = offset
        self.h_event = h_event
        self.low_bit = low_bit

    @property
    def apc_context(self) -> "Overlapped | None":
        """The ApcContext kernel32 passes: the OVERLAPPED, NULL with hEvent's low bit."""
        return None if self.low_bit else self


class Win32(AlertableCalls, CancelCalls, IoCompletionApi, FileCalls):
    """kernel32 for one simulated user process (the APC and cancel calls in apc.py and
    cancel.py)."""

    def __init__(self, kernel: "Kernel", process: str = "test.exe") -> None:
        self.kernel = kernel
        self.process = process
        self.user_space = new_address_space()
        self.handles: dict[int, Handle] = {}   # the file handles, with CreateFile's flags
        self._last_error: dict[int, int] = {}
        #: SetLastError calls per thread: a caller compares the count around a call to
        #: tell "set" from "left untouched" (win32-io 1.1)
        self.last_error_writes: dict[int, int] = {}

    # -- helpers -----------------------------------------------------------------------
    def alloc(self, size: int, fill: int = 0xCC) -> Buffer:
        """A user-mode buffer (stack garbage 0xCC unless told otherwise)."""
        return allocate(self.user_space, size, fill)

    def set_last_error(self, error: int) -> None:
        tid = self.kernel.current_thread.tid
        self._last_error[tid] = error
        self.last_error_writes[tid] = self.last_error_writes.get(tid, 0) + 1

    def get_last_error(self) -> int:
        """GetLastError of the calling thread."""
        return self._last_error.get(self.kernel.current_thread.tid, 0)

    def _fail_nt(self, status: int) -> bool:
        self.set_last_error(RtlNtStatusToDosError(status))
        return False

    def _handle(self, h: int) -> Handle | None:
        handle = self.handles.get(h)
        if handle is None:
            self.set_last_error(ERROR_INVALID_HANDLE)
        return handle

    def _call(self, api: str, **args: Any) -> None:
        self.kernel.hooks.win32_call(api, args)

    def _return(self, api: str, **result: Any) -> None:
        self.kernel.hooks.win32_return(api, result)

    # -- kernel32 ------------------------------------------------------------------------
    def create_file(self, name: str, access: int = GENERIC_READ | GENERIC_WRITE,
                    share: int = 0, flags: int = 0, tag: Any = None
                    ) -> Generator[Any, Any, int]:
        """CreateFile(OPEN_EXISTING): a handle or INVALID_HANDLE_VALUE.

        ``share`` has no effect on a device: the I/O manager checks share access only
        for drivers that call IoCheckShareAccess (file systems); a device that admits one
        open at a time says so with DO_EXCLUSIVE (kernel-env §7.1).
        """
        self._call("CreateFile", name=name, overlapped=bool(flags & FILE_FLAG_OVERLAPPED))
        nt_name = self.nt_path(name)
        overlapped = bool(flags & FILE_FLAG_OVERLAPPED)
        status, file = yield from NtCreateFile(self.kernel, nt_name, not overlapped, tag=tag,
                                               share_access=share, desired_access=access)
        if file is None:
            self._fail_nt(status)
            self._return("CreateFile", handle=INVALID_HANDLE_VALUE, error=self.get_last_error())
            return INVALID_HANDLE_VALUE
        granted = (1 if access & GENERIC_READ else 0) | (2 if access & GENERIC_WRITE else 0)
        value = new_handle(self.kernel, file, granted)   # in the process's table
        self.handles[value] = Handle(value, file, overlapped, granted)
        self.set_last_error(0)
        self._return("CreateFile", handle=value)
        return value

    def nt_path(self, name: str) -> str:
        """RtlDosPathNameToNtPathName: \\\\.\\X and \\\\?\\X (a SetupDi DevicePath,
        win32-io §8.5) become \\??\\X; a drive path C:\\x is \\??\\C:\\x; any other name
        is relative to the current directory (C:\\ here: the process's is not modelled)."""
        if name.startswith(("\\\\.\\", "\\\\?\\")):
            return "\\??\\" + name[4:]
        if name.startswith("\\"):
            return name                        # already an NT name
        if len(name) > 2 and name[1] == ":" and name[2] == "\\":
            return "\\??\\" + name
        return "\\??\\C:\\" + name

    def read_file(self, h: int, buffer: Buffer | None, length: int,
                  overlapped: Overlapped | None = None, tag: Any = None
                  ) -> Generator[Any, Any, tuple[bool, int]]:
        """ReadFile: (BOOL, *lpNumberOfBytesRead)."""
        return (yield from self._transfer("ReadFile", NtReadFile, h, buffer, length,
                                          overlapped, tag))

    def write_file(self, h: int, buffer: Buffer | None, length: int,
                   overlapped: Overlapped | None = None, tag: Any = None
                   ) -> Generator[Any, Any, tuple[bool, int]]:
        """WriteFile: (BOOL, *lpNumberOfBytesWritten)."""
        return (yield from self._transfer("WriteFile", NtWriteFile, h, buffer, length,
                                          overlapped, tag))

    def _transfer(self, api: str, service: Any, h: int, buffer: Buffer | None, length: int,
                  overlapped: Overlapped | None, tag: Any) -> Generator[Any, Any, tuple]:
        # win32-io 1.2: *lpNumberOf... = 0 at entry (ReactOS zeroes WriteFile's too; Wine
        # writes it at the end, the same on every path): the count is always written.
        self._call(api, handle=h, length=length)
        handle = self._handle(h)
        if handle is None:
            return self._done(api, False, 0)
        if handle.overlapped:
            if overlapped is None:   # kernel-env §7.3: no byte offset on an async file
                self.set_last_error(ERROR_INVALID_PARAMETER)
                return self._done(api, False, 0)
            # 1.2: Internal = STATUS_PENDING; InternalHigh is left as it was (both
            # implementations, for ReadFile / WriteFile). 1.3: the OVERLAPPED is the IOSB
            # and the ApcContext (what a port hands back) unless hEvent has its low bit.
            overlapped.status = STATUS_PENDING
            status = yield from service(handle.file, buffer, length, overlapped.offset,
                                        overlapped.h_event, overlapped, tag=tag,
                                        apc=(None, overlapped.apc_context))
            # 1.4: TRUE only for an inline NT_SUCCESS status, with InternalHigh; pending,
            # warning and error are FALSE with the count 0 (EOF: ERROR_HANDLE_EOF, 1.9)
            if status != STATUS_PENDING and nt_success(status):
                return self._done(api, True, overlapped.information)
            return self._done(api, self._fail_nt(status), 0)
        iosb = IoStatusBlock()
        # A sync handle never sees STATUS_PENDING here: the service waits for an
        # FO_SYNCHRONOUS_IO file (kernel-env §7.2); an interrupted wait is not modelled.
        # win32-io 5.5: no OVERLAPPED is a NULL ByteOffset: the file's CurrentByteOffset
        status = yield from service(handle.file, buffer, length, None, None, iosb, tag=tag)
        if nt_success(status):
            # 1.4 [uncertain] an informational status: TRUE (ReactOS's rule, chosen as
            # the spec's more plausible one; Wine returns FALSE); STATUS_TIMEOUT too
            return self._done(api, True, iosb.information)
        if status == NTSTATUS.STATUS_END_OF_FILE and api == "ReadFile":
            return self._done(api, True, 0)  # 1.4, kernel-env §12.21: TRUE, 0 bytes
        if not nt_error(status):
            # 1.4 a warning: FALSE with the mapped error and the count = Information
            # (Wine's rule, chosen: ERROR_MORE_DATA with a partial count is the
            # documented message-pipe behaviour; ReactOS reports 0)
            return self._done(api, self._fail_nt(status), iosb.information)
        return self._done(api, self._fail_nt(status), 0)

    def _done(self, api: str, ok: bool, count: int | None) -> tuple[bool, int | None]:
        """The return of an I/O call: ``count`` is its byte-count out-parameter, None
        when the call left it unwritten. 1.1: TRUE leaves the last error untouched (a
        stale value stays), so the trace records an error only for FALSE."""
        result: dict[str, Any] = {"ok": ok}
        if count is not None:
            result["bytes"] = count
        if not ok:
            result["error"] = self.get_last_error()
        self._return(api, **result)
        return ok, count

    def device_io_control(self, h: int, code: int, in_buffer: Buffer | None, in_length: int,
                          out_buffer: Buffer | None, out_length: int,
                          overlapped: Overlapped | None = None, tag: Any = None
                          ) -> Generator[Any, Any, tuple[bool, int | None]]:
        """DeviceIoControl: (BOOL, *lpBytesReturned or None when not written).

        win32-io 1.5: never pre-zeroed (1.2); written with Information whenever the
        status is not NT_ERROR - warnings, and a pended overlapped call (InternalHigh as
        it is then) - and left untouched on an error. FALSE iff STATUS_PENDING or
        !NT_SUCCESS; informational statuses are TRUE.
        """
        api = "DeviceIoControl"
        self._call(api, handle=h, code=code, input_length=in_length, output_length=out_length)
        handle = self._handle(h)
        if handle is None:
            return self._done(api, False, None)
        if handle.overlapped:
            if overlapped is None:
                self.set_last_error(ERROR_INVALID_PARAMETER)
                return self._done(api, False, None)
            # 1.2: Internal = STATUS_PENDING; InternalHigh left as it was (ReactOS's
            # rule, chosen; Wine zeroes it - the same for a zeroed OVERLAPPED)
            overlapped.status = STATUS_PENDING
            iosb: IoStatusBlock = overlapped
            status = yield from NtDeviceIoControlFile(
                handle.file, code, in_buffer, in_length, out_buffer, out_length,
                overlapped.h_event, overlapped, handle.access, tag=tag,
                apc=(None, overlapped.apc_context))      # ApcContext (1.3)
        else:
            iosb = IoStatusBlock()
            status = yield from NtDeviceIoControlFile(
                handle.file, code, in_buffer, in_length, out_buffer, out_length, None, iosb,
                handle.access, tag=tag)
        count = None if nt_error(status) else iosb.information
        if status == STATUS_PENDING or not nt_success(status):
            return self._done(api, self._fail_nt(status), count)
        return self._done(api, True, count)

    def get_overlapped_result(self, h: int, ov: Overlapped, wait: bool
                              ) -> Generator[Any, Any, tuple[bool, int | None]]:
        """GetOverlappedResult(h, ov, &n, bWait): GetOverlappedResultEx with INFINITE or
        0 and not alertable (win32-io 1.6)."""
        self._call("GetOverlappedResult", handle=h, wait=wait)
        return (yield from self._get_overlapped_result("GetOverlappedResult", h, ov,
                                                       INFINITE if wait else 0, False))

    def get_overlapped_result_ex(self, h: int, ov: Overlapped, milliseconds: int,
                                 alertable: bool) -> Generator[Any, Any, tuple]:
        """GetOverlappedResultEx(h, ov, &n, dwMilliseconds, bAlertable) (win32-io 1.6)."""
        self._call("GetOverlappedResultEx", handle=h, milliseconds=milliseconds,
                   alertable=alertable)
        return (yield from self._get_overlapped_result("GetOverlappedResultEx", h, ov,
                                                       milliseconds, alertable))

    def _get_overlapped_result(self, api: str, h: int, ov: Overlapped, milliseconds: int,
                               alertable: bool) -> Generator[Any, Any, tuple]:
        """1.6: (BOOL, n or None when not written). Never resets hEvent; a successful
        wait on an auto-reset one consumes its signal."""
        status = ov.status                        # 1. Internal, as the kernel left it
        if status == STATUS_PENDING:
            if milliseconds == 0:                 # 2. no wait: n not written
                self.set_last_error(ERROR_IO_INCOMPLETE)
                return self._done(api, False, None)
            # 2. WaitForSingleObjectEx(hEvent, else the file handle - its file object's
            # event, 1.7); a closed handle is WAIT_FAILED with ERROR_INVALID_HANDLE (4.7)
            obj: Any = ov.h_event
            if obj is None:
                handle = self._handle(h)
                if handle is None:
                    return self._done(api, False, None)
                obj = handle.file.event
            timeout = None if milliseconds == INFINITE else -milliseconds * 10_000
            result = yield from self.deliver_user_apcs(
                (yield from wait_on_object(obj, timeout, alertable)))
            if result == NTSTATUS.STATUS_USER_APC:
                self.set_last_error(WAIT_IO_COMPLETION)
                return self._done(api, False, None)
            if result == NTSTATUS.STATUS_TIMEOUT:
                self.set_last_error(WAIT_TIMEOUT)     # 258, not ERROR_IO_INCOMPLETE
                return self._done(api, False, None)
            status = ov.status                    # re-read after the wait
            if status == STATUS_PENDING:
                # 1.7: the file's event was set by another request on the handle; the
                # still-pending Internal is treated as success
                status = NTSTATUS.STATUS_SUCCESS
        count = ov.information                    # 3. n = InternalHigh, on every path
        if nt_success(status):
            # 1.6 [uncertain] an informational status: TRUE (ReactOS; Wine FALSE) -
            # chosen to agree with ReadFile's sync rule (1.4)
            return self._done(api, True, count)
        return self._done(api, self._fail_nt(status), count)

    def cancel_io(self, h: int) -> Generator[Any, Any, bool]:
        """CancelIo: cancel this thread's IRPs on the handle, then wait until they are
        gone, polling every 10 ms (kernel-env §7.7, §12.22)."""
        self._call("CancelIo", handle=h)
        handle = self._handle(h)
        if handle is None:
            return self._done("CancelIo", False, 0)[0]
        yield from NtCancelIoFile(handle.file)
        return self._done("CancelIo", True, 0)[0]

    def close_handle(self, h: int) -> Generator[Any, Any, bool]:
        """CloseHandle: IRP_MJ_CLEANUP on the last handle, IRP_MJ_CLOSE on the last ref."""
        self._call("CloseHandle", handle=h)
        self.handles.pop(h, None)
        status = yield from NtClose(self.kernel, h)
        if not nt_success(status):
            self._fail_nt(status)
            return self._done("CloseHandle", False, 0)[0]
        return self._done("CloseHandle", True, 0)[0]

    def get_file_size(self, h: int) -> Generator[Any, Any, int]:
        """GetFileSize: NtQueryInformationFile(FileStandardInformation).EndOfFile."""
        self._call("GetFileSize", handle=h)
        handle = self._handle(h)
        if handle is None:
            return INVALID_FILE_SIZE
        status, data = yield from NtQueryInformationFile(handle.file, FileStandardInformation,
                                                         24, IoStatusBlock())
        if not nt_success(status):
            self._fail_nt(status)
            self._return("GetFileSize", size=INVALID_FILE_SIZE, error=self.get_last_error())
            return INVALID_FILE_SIZE
        size = int.from_bytes(data[8:16], "little") & 0xFFFFFFFF
        self._return("GetFileSize", size=size)
        return size

    def sleep_ex(self, milliseconds: int, alertable: bool) -> Generator[Any, Any, int]:
        """SleepEx (win32-io §2): 0, or WAIT_IO_COMPLETION (0xC0) when alertable and user
        APCs ran - those already queued at once, or the first to arrive ends the sleep."""
        self._call("SleepEx", milliseconds=milliseconds, alertable=alertable)
        interval = -milliseconds * 10_000 if milliseconds != INFINITE else -(1 << 62)
        status = yield from NtDelayExecution(self.kernel, interval, alertable)
        result = 0
        if (yield from self.deliver_user_apcs(status)) == NTSTATUS.STATUS_USER_APC:
            result = WAIT_IO_COMPLETION
        self._return("SleepEx", result=result)
        return result

    def sleep(self, milliseconds: int) -> Generator[Any, Any, None]:
        """Sleep(dwMilliseconds)."""
        self._call("Sleep", milliseconds=milliseconds)
        yield from NtDelayExecution(self.kernel, -milliseconds * 10_000)
        self._return("Sleep")

    def overlapped_event(self, name: str) -> KEvent:
        """The auto-reset event an OVERLAPPED is given (CreateEvent(NULL, FALSE, FALSE,
        NULL)); kernel32 keeps the object itself: its handle is not modelled."""
        return KEvent(self.kernel, SynchronizationEvent, False, name)

    # -- synchronization objects (win32-io §9) ---------------------------------------------
    def _created(self, api: str, status: int, handle: int) -> int:
        """9.1: a handle or NULL; on success the last error is ALWAYS set, to
        ERROR_ALREADY_EXISTS for an existing named object, else 0."""
        if not nt_success(status):
            self._fail_nt(status)
            self._return(api, handle=0, error=self.get_last_error())
            return 0
        self.set_last_error(RtlNtStatusToDosError(status))
        self._return(api, handle=handle, error=self.get_last_error())
        return handle

    def create_event(self, manual_reset: bool, initial_state: bool, name: str | None = None
                     ) -> int:
        """CreateEvent(NULL, bManualReset, bInitialState, lpName)."""
        self._call("CreateEvent", manual_reset=manual_reset, initial_state=initial_state,
                   name=name)
        return self._created("CreateEvent", *NtCreateEvent(self.kernel, manual_reset,
                                                           initial_state, name))

    def create_semaphore(self, initial: int, maximum: int, name: str | None = None) -> int:
        """CreateSemaphore(NULL, lInitialCount, lMaximumCount, lpName)."""
        self._call("CreateSemaphore", initial=initial, maximum=maximum, name=name)
        return self._created("CreateSemaphore", *NtCreateSemaphore(self.kernel, initial,
                                                                   maximum, name))

    def create_mutex(self, initial_owner: bool, name: str | None = None) -> int:
        """CreateMutex(NULL, bInitialOwner, lpName)."""
        self._call("CreateMutex", initial_owner=initial_owner, name=name)
        return self._created("CreateMutex", *NtCreateMutant(self.kernel, initial_owner, name))

    def _bool_call(self, api: str, status: int, **result: Any) -> bool:
        """A BOOL call: TRUE leaves the last error alone (win32-io §10.1)."""
        if not nt_success(status):
            self._fail_nt(status)
            self._return(api, ok=False, error=self.get_last_error())
            return False
        self._return(api, ok=True, **result)
        return True

    def set_event(self, h: int) -> bool:
        """SetEvent."""
        self._call("SetEvent", handle=h)
        return self._bool_call("SetEvent", NtSetEvent(self.kernel, h)[0])

    def reset_event(self, h: int) -> bool:
        """ResetEvent."""
        self._call("ResetEvent", handle=h)
        return self._bool_call("ResetEvent", NtResetEvent(self.kernel, h)[0])

    def pulse_event(self, h: int) -> bool:
        """PulseEvent (9.2: the ideal behaviour; a waiter out on a kernel APC is not
        modelled missing the pulse)."""
        self._call("PulseEvent", handle=h)
        return self._bool_call("PulseEvent", NtPulseEvent(self.kernel, h)[0])

    def release_semaphore(self, h: int, count: int) -> tuple[bool, int | None]:
        """ReleaseSemaphore(h, lReleaseCount, &lPreviousCount): (BOOL, previous count or
        None when not written). 9.3: count <= 0 is ERROR_INVALID_PARAMETER, past the
        maximum ERROR_TOO_MANY_POSTS with the count unchanged."""
        self._call("ReleaseSemaphore", handle=h, count=count)
        if count <= 0:
            self.set_last_error(ERROR_INVALID_PARAMETER)
            return self._bool_call("ReleaseSemaphore", NTSTATUS.STATUS_INVALID_PARAMETER), None
        status, previous = NtReleaseSemaphore(self.kernel, h, count)
        ok = self._bool_call("ReleaseSemaphore", status, previous=previous)
        return ok, previous if ok else None

    def release_mutex(self, h: int) -> bool:
        """ReleaseMutex: FALSE + ERROR_NOT_OWNER for a thread that does not own it."""
        self._call("ReleaseMutex", handle=h)
        return self._bool_call("ReleaseMutex", NtReleaseMutant(self.kernel, h)[0])

    def wait_for_multiple_objects(self, handles: list[int], wait_all: bool,
                                  milliseconds: int = INFINITE, alertable: bool | None = None
                                  ) -> Generator[Any, Any, int]:
        """WaitForMultipleObjects (9.5): WAIT_OBJECT_0 + i, WAIT_ABANDONED_0 + i,
        WAIT_TIMEOUT, or WAIT_FAILED with the last error set. With ``alertable`` (not
        None) the Ex form: an alertable one runs the queued user APCs and returns
        WAIT_IO_COMPLETION (win32-io 2.2-2.4: the NT status passed straight through)."""
        api = "WaitForMultipleObjects" if len(handles) != 1 else "WaitForSingleObject"
        api += "Ex" if alertable is not None else ""
        self._call(api, handles=handles, wait_all=wait_all, milliseconds=milliseconds,
                   **({} if alertable is None else {"alertable": alertable}))
        timeout = None if milliseconds == INFINITE else -milliseconds * 10_000
        status = yield from NtWaitForMultipleObjects(self.kernel, handles, wait_all, timeout,
                                                     bool(alertable))
        status = yield from self.deliver_user_apcs(status)
        if nt_error(status):
            self._fail_nt(status)
            status = WAIT_FAILED
        self._return(api, result=status)
        return status

    def wait_for_single_object(self, h: int, milliseconds: int = INFINITE,
                               alertable: bool | None = None) -> Generator[Any, Any, int]:
        """WaitForSingleObject(Ex): WAIT_OBJECT_0, WAIT_ABANDONED, WAIT_TIMEOUT,
        WAIT_FAILED (and WAIT_IO_COMPLETION when alertable)."""
        return (yield from self.wait_for_multiple_objects([h], False, milliseconds,
                                                          alertable))

    def thread_handle(self, thread: Any) -> int:
        """_beginthreadex's handle to a new thread (THREAD_ALL_ACCESS)."""
        self._call("_beginthreadex", thread=thread.name)
        handle = new_handle(self.kernel, thread, THREAD_ALL_ACCESS)
        self._return("_beginthreadex", handle=handle, thread_id=thread.tid)
        return handle

    def get_exit_code_thread(self, h: int) -> tuple[bool, int | None]:
        """GetExitCodeThread (9.6): (TRUE, STILL_ACTIVE while it runs, else its exit
        code) or (FALSE, None) with the last error."""
        self._call("GetExitCodeThread", handle=h)
        status, code = NtQueryInformationThread(self.kernel, h)
        ok = self._bool_call("GetExitCodeThread", status, exit_code=code)
        return ok, code if ok else None

    def open_event(self, access: int, name: str) -> int:
        """OpenEvent(access, FALSE, name): a handle, or NULL with ERROR_FILE_NOT_FOUND
        when no such event exists."""
        self._call("OpenEvent", name=name)
        status, handle = NtOpenEvent(self.kernel, access, name)
        if not nt_success(status):
            self._fail_nt(status)
            self._return("OpenEvent", handle=0, error=self.get_last_error())
            return 0
        self._return("OpenEvent", handle=handle)
        return handle

    def print(self, text: str) -> None:
        """printf: what the application printed (an AppPrint trace event)."""
        self.kernel.hooks.app_print(text)
