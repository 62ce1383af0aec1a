"""The application's completion-port verbs (win32-io §3), mixed into Application.

``create_io_completion_port`` (a new port, or a handle associated with one under a
key), ``get_queued_completion_status``, ``post_queued_completion_status`` and
``set_file_completion_notification_modes``; ``close`` closes a port like any handle.

What a ``get_queued_completion_status ... as g`` request holds (print and assert):
``g.ok`` / ``g.result`` the BOOL; ``g.bytes`` *lpNumberOfBytes; ``g.key``
*lpCompletionKey; ``g.overlapped`` *lpOverlapped as a pointer (0 = NULL);
``g.request`` the name of the request whose OVERLAPPED that is ("NULL", or the value
in hex for a posted pointer that is none); ``g.error`` GetLastError; ``g.status`` the
dequeued packet's status. When nothing was dequeued (timeout, port closed, bad
handle) bytes and key are not written and keep 0, as a zeroed C variable would.
"""

from __future__ import annotations

from typing import Any

from ..usermode import INVALID_HANDLE_VALUE, Overlapped
from .app_helpers import AppBase, Verb

#: sizeof(OVERLAPPED) on x86: the app's OVERLAPPEDs get a user address of their own
_OVERLAPPED_SIZE = 20


class CompletionPortVerbs(AppBase):
    """``_do_<verb>`` for the completion-port verbs (Application's helpers)."""

    def _overlapped_address(self, overlapped: Any) -> int:
        """The address of an OVERLAPPED of this app (allocated the first time it is
        needed, so runs stay identical); an opaque posted value is its own address."""
        if not isinstance(overlapped, Overlapped):
            return int(overlapped or 0)
        # id() is safe as a key: the table keeps the OVERLAPPED alive beside its address
        table: dict[int, tuple[Any, int]] = self.__dict__.setdefault("_ov_addresses", {})
        entry = table.get(id(overlapped))
        if entry is None:
            entry = table[id(overlapped)] = (
                overlapped, self.win32.alloc(_OVERLAPPED_SIZE, 0).address)
        return entry[1]

    def _owner_of(self, overlapped: Any) -> str:
        """The request whose OVERLAPPED a packet carries (win32-io 1.3: ApcContext)."""
        if overlapped is None or overlapped == 0:
            return "NULL"
        for name, request in self.requests.items():
            if request.overlapped is overlapped and request.api != "GetQueuedCompletionStatus":
                return name
        return f"0x{self._overlapped_address(overlapped):08X}"

    def _do_create_io_completion_port(self, args: dict, name: str | None, step: Any,
                                      thread: str) -> Verb:
        c = step.compiled
        file_handle = (self._handle(args["handle"]) if "handle" in args
                       else INVALID_HANDLE_VALUE)
        port = self._handle(args["port"]) if "port" in args else 0
        request = self._request(name, "CreateIoCompletionPort", thread, args.get("handle"))
        key = c["key"].fn(self) if "key" in c else 0
        value = yield from self.win32.create_io_completion_port(
            file_handle, port, key & 0xFFFFFFFF, args.get("concurrency", 0))
        if name is not None:
            self.handles[name] = value        # NULL when it failed
        request.result = value
        return self._returned(request, value != 0, 0)

    def _do_get_queued_completion_status(self, args: dict, name: str | None, step: Any,
                                         thread: str) -> Verb:
        request = self._request(name, "GetQueuedCompletionStatus", thread, args["port"])
        got = yield from self.win32.get_queued_completion_status(
            self._handle(args["port"]), step.compiled["ms"])
        request.key = got.key if got.key is not None else 0
        request.overlapped = got.overlapped
        request.pointer = self._overlapped_address(got.overlapped)
        request.dequeued = self._owner_of(got.overlapped)
        request.result = int(got.ok)
        request.status = got.status
        owner = self.requests.get(request.dequeued)
        if owner is not None:
            request.buffer = owner.buffer     # {g.hex}: the data of the dequeued request
        return self._returned(request, got.ok, got.bytes or 0)

    def _do_post_queued_completion_status(self, args: dict, name: str | None, step: Any,
                                          thread: str) -> Verb:
        c = step.compiled
        request = self._request(name, "PostQueuedCompletionStatus", thread, args["port"])
        if "overlapped_of" in c:                  # that request's OVERLAPPED
            target = self.requests.get(c["overlapped_of"])
            overlapped = target.overlapped if target is not None else None
        else:
            overlapped = c["overlapped"].fn(self) if "overlapped" in c else 0
        ok = self.win32.post_queued_completion_status(
            self._handle(args["port"]), c["bytes"].fn(self) if "bytes" in c else 0,
            (c["key"].fn(self) if "key" in c else 0) & 0xFFFFFFFF, overlapped or None)
        request.result = int(ok)
        return self._returned(request, ok, 0)
        yield

    def _do_set_file_completion_notification_modes(self, args: dict, name: str | None,
                                                   step: Any, thread: str) -> Verb:
        request = self._request(name, "SetFileCompletionNotificationModes", thread,
                                args["handle"])
        flags = 0
        for flag in args.get("flags", []):
            flags |= _MODES[flag] if isinstance(flag, str) else flag
        ok = self.win32.set_file_completion_notification_modes(self._handle(args["handle"]),
                                                              flags)
        request.result = int(ok)
        return self._returned(request, ok, 0)
        yield


_MODES = {"FILE_SKIP_COMPLETION_PORT_ON_SUCCESS": 1, "FILE_SKIP_SET_EVENT_ON_HANDLE": 2}
