"""kernel32: the Win32 calls of one simulated process (kernel-env §7), over ntdll.

CreateFile turns ``\\\\.\\X`` into ``\\??\\X``; requests on synchronous handles wait
inside the service for a pended IRP; on FILE_FLAG_OVERLAPPED handles they return
FALSE with ERROR_IO_PENDING and complete through the OVERLAPPED and its event. Return
conventions follow kernel32 (kernel-env §7.3, §7.5, §7.7). Each call is a generator
method, run by a simulated user thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from .ntdll import (ERROR_HANDLE_EOF, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER,
                    ERROR_IO_INCOMPLETE, NTSTATUS, Buffer, FileStandardInformation, IoStatusBlock,
                    KEvent, NotModelledError, NtCancelIoFile, NtClose, NtCreateEvent,
                    NtCreateFile, NtDelayExecution, NtDeviceIoControlFile,
                    NtQueryInformationFile, NtReadFile, NtResetEvent, NtSetEvent,
                    NtWaitForSingleObject, NtWriteFile, RtlNtStatusToDosError, allocate,
                    new_address_space, nt_success)

if TYPE_CHECKING:
    from ..kernel import FileObject, Kernel

GENERIC_READ, GENERIC_WRITE = 0x80000000, 0x40000000
FILE_FLAG_OVERLAPPED = 0x40000000
INVALID_HANDLE_VALUE = 0xFFFFFFFF
INFINITE = 0xFFFFFFFF
INVALID_FILE_SIZE = 0xFFFFFFFF
WAIT_OBJECT_0, WAIT_TIMEOUT = 0, 258
STATUS_PENDING = NTSTATUS.STATUS_PENDING


class Overlapped(IoStatusBlock):
    """OVERLAPPED: Internal/InternalHigh are the IO_STATUS_BLOCK the kernel writes."""

    __slots__ = ("offset", "h_event")

    def __init__(self, h_event: KEvent | None = None, offset: int = 0) -> None:
        super().__init__(0, 0)
        self.offset = offset
        self.h_event = h_event


class Handle:
    __slots__ = ("value", "file", "overlapped", "access")

    def __init__(self, value: int, file: "FileObject", overlapped: bool, access: int) -> None:
        self.value = value
        self.file = file
        self.overlapped = overlapped
        self.access = access


class Win32:
    """kernel32 for one simulated user process."""

    def __init__(self, kernel: "Kernel", process: str = "test.exe") -> None:
        self.kernel = kernel
        self.process = process
        self.user_space = new_address_space()
        self.handles: dict[int, Handle] = {}
        self._next_handle = 0x7C
        self._last_error: dict[int, int] = {}

    # -- helpers -----------------------------------------------------------------------
    def alloc(self, size: int, fill: int = 0xCC) -> Buffer:
        """A user-mode buffer (stack garbage 0xCC unless told otherwise)."""
        return allocate(self.user_space, size, fill)

    def set_last_error(self, error: int) -> None:
        self._last_error[self.kernel.current_thread.tid] = error

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
        nt_name = "\\??\\" + name[4:] if name.startswith("\\\\.\\") else name
        overlapped = bool(flags & FILE_FLAG_OVERLAPPED)
        status, file = yield from NtCreateFile(self.kernel, nt_name, not overlapped, tag=tag)
        if file is None:
            self._fail_nt(status)
            self._return("CreateFile", handle=INVALID_HANDLE_VALUE, error=self.get_last_error())
            return INVALID_HANDLE_VALUE
        value = self._next_handle
        self._next_handle += 4
        granted = (1 if access & GENERIC_READ else 0) | (2 if access & GENERIC_WRITE else 0)
        self.handles[value] = Handle(value, file, overlapped, granted)
        self.set_last_error(0)
        self._return("CreateFile", handle=value)
        return value

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
        self._call(api, handle=h, length=length)
        handle = self._handle(h)
        if handle is None:
            return self._done(api, False, 0)
        if handle.overlapped:
            if overlapped is None:   # kernel-env §7.3: no byte offset on an async file
                self.set_last_error(ERROR_INVALID_PARAMETER)
                return self._done(api, False, 0)
            overlapped.status, overlapped.information = STATUS_PENDING, 0
            status = yield from service(handle.file, buffer, length, overlapped.offset,
                                        overlapped.h_event, overlapped, tag=tag)
            return self._done(api, *self._overlapped_result(status, overlapped))
        iosb = IoStatusBlock()
        status = yield from service(handle.file, buffer, length, 0, None, iosb, tag=tag)
        if nt_success(status):
            return self._done(api, True, iosb.information)
        if status == NTSTATUS.STATUS_END_OF_FILE and api == "ReadFile":
            return self._done(api, True, 0)  # kernel-env §12.21
        return self._done(api, self._fail_nt(status), 0)

    def _overlapped_result(self, status: int, ov: Overlapped) -> tuple[bool, int]:
        if status == STATUS_PENDING:
            return self._fail_nt(status), 0
        if nt_success(status):
            return True, ov.information
        if status == NTSTATUS.STATUS_END_OF_FILE:
            self.set_last_error(ERROR_HANDLE_EOF)
            return False, 0
        return self._fail_nt(status), 0

    def _done(self, api: str, ok: bool, count: int) -> tuple[bool, int]:
        if ok:
            self.set_last_error(0)
        self._return(api, ok=ok, bytes=count, error=self.get_last_error())
        return ok, count

    def device_io_control(self, h: int, code: int, in_buffer: Buffer | None, in_length: int,
                          out_buffer: Buffer | None, out_length: int,
                          overlapped: Overlapped | None = None, tag: Any = None
                          ) -> Generator[Any, Any, tuple[bool, int]]:
        """DeviceIoControl: (BOOL, *lpBytesReturned)."""
        api = "DeviceIoControl"
        self._call(api, handle=h, code=code, input_length=in_length, output_length=out_length)
        handle = self._handle(h)
        if handle is None:
            return self._done(api, False, 0)
        if handle.overlapped:
            if overlapped is None:
                self.set_last_error(ERROR_INVALID_PARAMETER)
                return self._done(api, False, 0)
            overlapped.status, overlapped.information = STATUS_PENDING, 0
            status = yield from NtDeviceIoControlFile(
                handle.file, code, in_buffer, in_length, out_buffer, out_length,
                overlapped.h_event, overlapped, handle.access, tag=tag)
            return self._done(api, *self._overlapped_result(status, overlapped))
        iosb = IoStatusBlock()
        status = yield from NtDeviceIoControlFile(
            handle.file, code, in_buffer, in_length, out_buffer, out_length, None, iosb,
            handle.access, tag=tag)
        if nt_success(status):
            return self._done(api, True, iosb.information)
        return self._done(api, self._fail_nt(status), 0)

    def get_overlapped_result(self, h: int, ov: Overlapped, wait: bool
                              ) -> Generator[Any, Any, tuple[bool, int]]:
        """GetOverlappedResult (kernel-env §7.5): waits on hEvent, else on the file."""
        api = "GetOverlappedResult"
        self._call(api, handle=h, wait=wait)
        handle = self._handle(h)
        if handle is None:
            return self._done(api, False, 0)
        if ov.status == STATUS_PENDING:
            if not wait:
                self.set_last_error(ERROR_IO_INCOMPLETE)
                return self._done(api, False, 0)
            yield from NtWaitForSingleObject(ov.h_event or handle.file.event)
        if nt_success(ov.status):
            return self._done(api, True, ov.information)
        return self._done(api, self._fail_nt(ov.status), ov.information)

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
        handle = self.handles.pop(h, None)
        if handle is None:
            self.set_last_error(ERROR_INVALID_HANDLE)
            return self._done("CloseHandle", False, 0)[0]
        yield from NtClose(handle.file)
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

    def sleep(self, milliseconds: int) -> Generator[Any, Any, None]:
        """Sleep(dwMilliseconds)."""
        self._call("Sleep", milliseconds=milliseconds)
        yield from NtDelayExecution(self.kernel, -milliseconds * 10_000)
        self._return("Sleep")

    def create_event(self, manual_reset: bool, initial_state: bool, name: str = "") -> KEvent:
        """CreateEvent: the event object itself stands for its handle."""
        return NtCreateEvent(self.kernel, manual_reset, initial_state, name or "app event")

    def set_event(self, event: KEvent) -> bool:
        """SetEvent."""
        NtSetEvent(event)
        return True

    def reset_event(self, event: KEvent) -> bool:
        """ResetEvent."""
        NtResetEvent(event)
        return True

    def wait_for_single_object(self, event: KEvent, milliseconds: int = INFINITE
                               ) -> Generator[Any, Any, int]:
        """WaitForSingleObject: WAIT_OBJECT_0 or WAIT_TIMEOUT."""
        self._call("WaitForSingleObject", object=event.name, milliseconds=milliseconds)
        timeout = None if milliseconds == INFINITE else -milliseconds * 10_000
        status = yield from NtWaitForSingleObject(event, timeout)
        result = WAIT_TIMEOUT if status == NTSTATUS.STATUS_TIMEOUT else WAIT_OBJECT_0
        self._return("WaitForSingleObject", result=result)
        return result

    def read_file_ex(self, *_args: Any) -> None:
        """ReadFileEx: user APCs and alertable waits are not modelled yet."""
        raise NotModelledError("ReadFileEx")

    def print(self, text: str) -> None:
        """printf: what the application printed (an AppPrint trace event)."""
        self.kernel.hooks.app_print(text)
