"""kernel32's other calls on a device handle (win32-io §5): SetFilePointer(Ex),
FlushFileBuffers and DuplicateHandle, after Wine's kernelbase file.c; a mixin of
:class:`~harness.usermode.kernel32.Win32` (its last-error and trace helpers).

SetFilePointerEx (5.5a) sends: FILE_BEGIN only NtSetInformationFile(
FilePositionInformation); FILE_CURRENT first NtQueryInformationFile(
FilePositionInformation); FILE_END first NtQueryInformationFile(FileStandardInformation),
always an IRP to the driver. A computed position below 0 is ERROR_NEGATIVE_SEEK with no
NT call. On a synchronous handle the position calls are the I/O manager's and nothing
reaches the driver; on an overlapped one they are IRPs (5.5).
"""

from __future__ import annotations

import struct
from typing import Any, Generator

from .ntdll import (ERROR_INVALID_HANDLE, ERROR_NEGATIVE_SEEK, FilePositionInformation,
                    ERROR_INVALID_PARAMETER, NTSTATUS, FileStandardInformation, IoStatusBlock,
                    NtDuplicateObject, NtFlushBuffersFile, NtQueryInformationFileChecked,
                    NtSetInformationFileIrp, nt_success)
from .win32_helpers import Win32Base

FILE_BEGIN, FILE_CURRENT, FILE_END = 0, 1, 2
INVALID_SET_FILE_POINTER = 0xFFFFFFFF
DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS = 0x1, 0x2


class FileCalls(Win32Base):
    """SetFilePointer(Ex), FlushFileBuffers, DuplicateHandle (mixed into Win32)."""

    def set_file_pointer_ex(self, h: int, distance: int, method: int
                            ) -> Generator[Any, Any, tuple[bool, int | None]]:
        """SetFilePointerEx (5.5a): (BOOL, the new position or None)."""
        api = "SetFilePointerEx"
        self._call(api, handle=h, distance=distance, method=method)
        ok, position = yield from self._seek(h, distance, method)
        self._return(api, ok=ok, position=position, error=self.get_last_error())
        return ok, position

    def set_file_pointer(self, h: int, low: int, high: int | None, method: int
                         ) -> Generator[Any, Any, tuple[int, int | None]]:
        """SetFilePointer: (the new position's low DWORD or INVALID_SET_FILE_POINTER,
        the high DWORD written to *lpDistanceToMoveHigh or None). Without
        lpDistanceToMoveHigh the distance is the sign-extended LONG. A real low part of
        0xFFFFFFFF sets the last error to 0, so a caller can tell it from a failure."""
        api = "SetFilePointer"
        self._call(api, handle=h, low=low, high=high, method=method)
        low &= 0xFFFFFFFF
        distance = ((high << 32) | low) if high is not None else low - ((low & 0x80000000) << 1)
        if high is not None and distance >= 1 << 63:
            distance -= 1 << 64
        ok, position = yield from self._seek(h, distance, method)
        if not ok:
            self._return(api, result=INVALID_SET_FILE_POINTER, error=self.get_last_error())
            return INVALID_SET_FILE_POINTER, None
        result = position & 0xFFFFFFFF
        if result == INVALID_SET_FILE_POINTER:
            self.set_last_error(0)
        self._return(api, result=result, error=self.get_last_error())
        return result, (position >> 32) if high is not None else None

    def _seek(self, h: int, distance: int, method: int) -> Generator[Any, Any, tuple]:
        handle = self.handles.get(h)
        if handle is None:
            self.set_last_error(ERROR_INVALID_HANDLE)
            return False, None
        if method == FILE_BEGIN:
            base = 0
        elif method in (FILE_CURRENT, FILE_END):
            cls, size = ((FilePositionInformation, 8) if method == FILE_CURRENT
                         else (FileStandardInformation, 24))
            status, data = yield from NtQueryInformationFileChecked(handle.file, cls, size,
                                                                    IoStatusBlock())
            if not nt_success(status) or status == NTSTATUS.STATUS_PENDING:
                return self._fail_nt(status), None
            raw = data[:8] if method == FILE_CURRENT else data[8:16]   # EndOfFile
            base = struct.unpack("<q", raw.ljust(8, b"\0"))[0]
        else:
            self.set_last_error(ERROR_INVALID_PARAMETER)
            return False, None
        position = base + distance
        if position < 0:
            self.set_last_error(ERROR_NEGATIVE_SEEK)       # no NT call (5.5a)
            return False, None
        status = yield from NtSetInformationFileIrp(handle.file, FilePositionInformation,
                                                    struct.pack("<q", position),
                                                    IoStatusBlock())
        if not nt_success(status) or status == NTSTATUS.STATUS_PENDING:
            return self._fail_nt(status), None
        return True, position

    def flush_file_buffers(self, h: int) -> Generator[Any, Any, bool]:
        """FlushFileBuffers: NtFlushBuffersFile; Wine's set_ntstatus, so a flush the
        driver pends on an overlapped handle is FALSE with ERROR_IO_PENDING."""
        api = "FlushFileBuffers"
        self._call(api, handle=h)
        handle = self.handles.get(h)
        if handle is None:
            self.set_last_error(ERROR_INVALID_HANDLE)
            self._return(api, ok=False, error=ERROR_INVALID_HANDLE)
            return False
        status = yield from NtFlushBuffersFile(handle.file, IoStatusBlock(), handle.access)
        if status != NTSTATUS.STATUS_SUCCESS:
            self._fail_nt(status)
            self._return(api, ok=False, error=self.get_last_error())
            return False
        self._return(api, ok=True)
        return True

    def duplicate_handle(self, h: int, access: int = 0, options: int = DUPLICATE_SAME_ACCESS
                         ) -> Generator[Any, Any, int]:
        """DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &new, access,
        FALSE, options): the new handle or 0. A file handle's copy shares the file
        object and its FILE_FLAG_OVERLAPPED (5.1, 5.7)."""
        api = "DuplicateHandle"
        self._call(api, handle=h, options=options)
        status, new = yield from NtDuplicateObject(self.kernel, h, access, options)
        if not nt_success(status):
            self._fail_nt(status)
            self._return(api, ok=False, handle=0, error=self.get_last_error())
            return 0
        source = self.handles.get(h)
        if source is not None:
            self.handles[new] = type(source)(new, source.file, source.overlapped,
                                             source.access if options & DUPLICATE_SAME_ACCESS
                                             else access)
            if options & DUPLICATE_CLOSE_SOURCE:
                del self.handles[h]
        self._return(api, ok=True, handle=new)
        return new
