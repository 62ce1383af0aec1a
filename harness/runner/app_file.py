"""The application's other file calls (win32-io §5) and its invalid user pointers
(win32-io §6), mixed into Application.

``set_file_pointer`` / ``set_file_pointer_ex`` ({r.result} the returned DWORD,
{r.information} the new position), ``flush_file_buffers``, ``duplicate_handle`` (its
``as`` is the new handle), and ntdll's ``nt_query_information_file`` /
``nt_query_volume_information_file`` ({r.status}, {r.information}, {r.buffer[i]} the
bytes returned; ``struct:`` reads them as r.data.Field).
"""

from __future__ import annotations

from typing import Any, Callable

from ..usermode.fileapi import DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS
from ..usermode.ntdll import (IoStatusBlock, NtQueryInformationFileChecked,
                              NtQueryVolumeInformationFile, invalid_pointer, nt_success)
from .app_helpers import AppBase, Verb


class FileVerbs(AppBase):
    """``_do_<verb>`` for the file calls (Application's helpers)."""

    # -- user pointers (win32-io §6) -------------------------------------------------------
    def _user_pointer(self, value: Any, length: int, valid: Callable[[], Any]) -> Any:
        """A step's ``buffer`` value: the process's own buffer (``valid``), NULL (None),
        or an invalid pointer ``{address: A}`` of ``length`` bytes."""
        if value in ("null", None):
            return None
        if isinstance(value, dict):
            return invalid_pointer(self.kernel, value["address"], length)
        return valid()

    def _allocated(self, payload: bytes) -> Any:
        buffer = self.win32.alloc(len(payload))
        buffer.write(payload)
        return buffer

    # -- kernel32 --------------------------------------------------------------------------
    def _do_set_file_pointer(self, args: dict, name: str | None, step: Any, thread: str
                             ) -> Verb:
        c = step.compiled
        request = self._request(name, "SetFilePointer", thread, args["handle"])
        high = c["high"].fn(self) & 0xFFFFFFFF if "high" in c else None
        result, new_high = yield from self.win32.set_file_pointer(
            self._handle(args["handle"]), c["distance"].fn(self), high, c.get("method", 0))
        request.result = result
        request.information = ((new_high or 0) << 32) | result if new_high is not None \
            else result
        return self._returned(request, result != 0xFFFFFFFF or self.win32.get_last_error()
                              == 0, 0)

    def _do_set_file_pointer_ex(self, args: dict, name: str | None, step: Any, thread: str
                                ) -> Verb:
        c = step.compiled
        request = self._request(name, "SetFilePointerEx", thread, args["handle"])
        ok, position = yield from self.win32.set_file_pointer_ex(
            self._handle(args["handle"]), c["distance"].fn(self), c.get("method", 0))
        request.information = position or 0
        request.result = int(ok)
        return self._returned(request, ok, 0)

    def _do_flush_file_buffers(self, handle: str, name: str | None, step: Any, thread: str
                               ) -> Verb:
        request = self._request(name, "FlushFileBuffers", thread, handle)
        ok = yield from self.win32.flush_file_buffers(self._handle(handle))
        request.result = int(ok)
        return self._returned(request, ok, 0)

    def _do_duplicate_handle(self, args: dict, name: str | None, step: Any, thread: str
                             ) -> Verb:
        request = self._request(name, "DuplicateHandle", thread, args["handle"])
        options = (DUPLICATE_CLOSE_SOURCE if args.get("close_source") else 0) | (
            DUPLICATE_SAME_ACCESS if "access" not in args else 0)
        value = yield from self.win32.duplicate_handle(self._handle(args["handle"]),
                                                       args.get("access", 0), options)
        if name is not None:
            self.handles[name] = value            # NULL when it failed
        if args.get("close_source") and value:
            self.handles[args["handle"]] = 0xFFFFFFFF   # the source is closed
        request.result = value
        return self._returned(request, value != 0, 0)

    # -- ntdll, called directly ------------------------------------------------------------
    def _do_nt_query_information_file(self, args: dict, name: str | None, step: Any,
                                      thread: str) -> Verb:
        return (yield from self._nt_query(NtQueryInformationFileChecked,
                                          "NtQueryInformationFile", args, name, step, thread))

    def _do_nt_query_volume_information_file(self, args: dict, name: str | None, step: Any,
                                             thread: str) -> Verb:
        return (yield from self._nt_query(NtQueryVolumeInformationFile,
                                          "NtQueryVolumeInformationFile", args, name, step,
                                          thread))

    def _nt_query(self, service: Any, api: str, args: dict, name: str | None, step: Any,
                  thread: str) -> Verb:
        request = self._request(name, api, thread, args["handle"])
        handle = self.win32.handles.get(self._handle(args["handle"]))
        length = args.get("length", 24)
        buffer = request.buffer = self.win32.alloc(length, 0)
        if handle is None:
            status, data = 0xC0000008, None           # STATUS_INVALID_HANDLE
        else:
            iosb = IoStatusBlock()
            self.kernel.hooks.win32_call(api, {"handle": self._handle(args["handle"]),
                                               "class": step.compiled["class"],
                                               "length": length})
            status, data = yield from service(handle.file, step.compiled["class"], length, iosb)
            self.kernel.hooks.win32_return(api, {"status": status})
        if data:
            buffer.write(data[:length])
        request.status = status
        request.information = len(data) if data is not None else 0
        return self._returned(request, nt_success(status), len(data or b""))
