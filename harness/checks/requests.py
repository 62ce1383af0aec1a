"""Checks about one call of the application: what Win32 returned, what the IRP's final
completion wrote (IoStatus, the OVERLAPPED, the event), the buffer, and when."""

from __future__ import annotations

from typing import Any, NoReturn

from ..lang.units import parse_buffer_pattern
from ..runner import Request
from .values import moment, status_value, win32_error_value
from .subject import Subject


#: a wait's DWORD results by name (win32-io 9.5)
WAIT_RESULTS = {"WAIT_OBJECT_0": 0, "WAIT_ABANDONED": 0x80, "WAIT_ABANDONED_0": 0x80,
                "WAIT_IO_COMPLETION": 0xC0, "WAIT_TIMEOUT": 258, "WAIT_FAILED": 0xFFFFFFFF}


def _seconds(hns: int) -> str:
    return f"{hns / 10_000_000:.7f} s"


class RequestView:
    """A request (runner.Request: its fields read through, ``view.status_name``) and
    the claims about it. Each claim returns None or raises CheckFailed."""

    def __init__(self, run: Subject, request: Request) -> None:
        self._run, self.request = run, request

    def __getattr__(self, name: str) -> Any:
        return getattr(self.request, name)

    def __repr__(self) -> str:
        return repr(self.request)

    def _fail(self, message: str, with_irp: bool = True) -> NoReturn:
        __tracebackhide__ = True
        self._run.fail(message, self.request.irp if with_irp else None)

    # -- the IRP's final completion ----------------------------------------------------
    def completes_with(self, status: str | int, bytes: int, at: str | int | None = None) -> None:
        """IoStatus.Status and .Information at the final completion, and when (``at``:
        ``"3 s"`` within 1 ms, ``"10 us"`` to the 100 ns unit, an int exactly)."""
        __tracebackhide__ = True
        r = self.request
        if r.completed_at is None:
            self._fail(f"{r.name} never completed")
        if r.status != status_value(status) or r.information != bytes:
            self._fail(f"{r.name}: expected {status} and {bytes} bytes, got {r.status_name} "
                       f"and {r.information} bytes")
        if at is not None:
            expected, slack, shown = moment(at)
            if abs(r.completed_at - expected) > slack:
                self._fail(f"{r.name}: expected completion at {shown}, it completed at "
                           f"{_seconds(r.completed_at)}")

    def has_not_completed(self) -> None:
        __tracebackhide__ = True
        r = self.request
        if r.completed_at is not None:
            self._fail(f"{r.name} completed at {_seconds(r.completed_at)} with {r.status_name}")

    # -- what the call returned --------------------------------------------------------
    def returned(self, ok: bool | None = None, bytes: int | None = None,
                 at: str | int | None = None) -> None:
        """The BOOL the call returned with its byte count, and/or when it returned."""
        __tracebackhide__ = True
        r = self.request
        if ok is not None or bytes is not None:
            if r.returned_at is None:
                self._fail(f"{r.name} has not returned")
            if (ok is not None and r.ok != ok) or (bytes is not None and r.bytes != bytes):
                want = ("TRUE" if ok else "FALSE") if ok is not None else "any BOOL"
                want += f" with {bytes} bytes" if bytes is not None else ""
                self._fail(f"{r.name}: expected {want}, got "
                           f"{'TRUE' if r.ok else 'FALSE'} with {r.bytes} bytes "
                           f"(GetLastError {r.error_name})")
        if at is not None:
            expected, slack, shown = moment(at)
            if r.returned_at is None or abs(r.returned_at - expected) > slack:
                got = "has not returned" if r.returned_at is None else \
                    f"returned at {_seconds(r.returned_at)}"
                self._fail(f"{r.name}: expected to return at {shown}, it {got}")

    def returned_error(self, error: str | int) -> None:
        """FALSE with this GetLastError (a name or a number)."""
        __tracebackhide__ = True
        r = self.request
        expected = win32_error_value(error)
        if r.returned_at is None or r.ok or r.last_error != expected:
            got = "nothing (still blocked)" if r.returned_at is None else (
                f"{'TRUE' if r.ok else 'FALSE'} with GetLastError {r.error_name}")
            self._fail(f"{r.name}: expected FALSE with {error}, got {got}")

    def returned_value(self, value: int) -> None:
        """A call's DWORD result (ReleaseSemaphore's previous count, ...)."""
        __tracebackhide__ = True
        if self.request.result != value:
            self._fail(f"{self.request.name}: expected {value}, got {self.request.result}",
                       with_irp=False)

    def returned_wait(self, result: str, index: int = 0) -> None:
        """A wait's result: ``returned_wait("WAIT_OBJECT_0", 1)`` is WAIT_OBJECT_0 + 1."""
        __tracebackhide__ = True
        if result not in WAIT_RESULTS:
            raise ValueError(f"unknown wait result {result}; one of {', '.join(WAIT_RESULTS)}")
        r = self.request
        wanted = WAIT_RESULTS[result] + index
        if r.result != wanted:
            self._fail(f"{r.name}: expected {result}{f' + {index}' if index else ''} "
                       f"(0x{wanted:X}), got {r.result if r.result is None else hex(r.result)}",
                       with_irp=False)

    def left_last_error(self, error: str | int) -> None:
        """GetLastError right after the call; ``"untouched"``: the call did not write it
        (win32-io 1.1: a TRUE return)."""
        __tracebackhide__ = True
        r = self.request
        if error == "untouched":
            if r.returned_at is None or r.error_set is not False:
                self._fail(f"{r.name}: expected the last error untouched, " + (
                    "it has not returned" if r.returned_at is None else
                    f"the call set it to {r.error_name}"))
            return
        if r.error_name != error and r.last_error != error:
            self._fail(f"{r.name}: GetLastError() is {r.error_name}, expected {error}",
                       with_irp=False)

    def left_bytes_untouched(self) -> None:
        """The call did not write its byte-count out-parameter (win32-io 1.2, 1.5, 1.6)."""
        __tracebackhide__ = True
        r = self.request
        if r.returned_at is None or r.bytes_set is not False:
            self._fail(f"{r.name}: expected the byte count untouched, " + (
                "it has not returned" if r.returned_at is None else
                "the call has no byte count" if r.bytes_set is None else
                f"the call wrote {r.bytes}"))

    # -- the OVERLAPPED, its event, the buffer ------------------------------------------
    def overlapped_holds(self, status: str | int, bytes: int) -> None:
        """OVERLAPPED.Internal / InternalHigh at the end of the run (win32-io 1.3, 1.4)."""
        __tracebackhide__ = True
        r = self.request
        if r.overlapped is None:
            self._fail(f"{r.name} has no OVERLAPPED")
        if (r.internal, r.internal_high) != (status_value(status), bytes):
            self._fail(f"{r.name}: expected the OVERLAPPED to hold {status} and {bytes} bytes, "
                       f"it holds {r.internal_name} and {r.internal_high}")

    def event_is_signaled(self, signaled: bool = True) -> None:
        """The state of the OVERLAPPED's hEvent at the end of the run."""
        __tracebackhide__ = True
        r = self.request
        if r.event_signaled is None:
            self._fail(f"{r.name}'s OVERLAPPED has no hEvent")
        if r.event_signaled != signaled:
            self._fail(f"{r.name}: expected its event "
                       f"{'signaled' if signaled else 'not signaled'}, it is "
                       f"{'signaled' if r.event_signaled else 'not signaled'}")

    def buffer_holds(self, pattern: str | bytes) -> None:
        """The call's buffer starts with these bytes (a buffer pattern: ``"AA*10"``)."""
        __tracebackhide__ = True
        r = self.request
        expected = parse_buffer_pattern(pattern) if isinstance(pattern, str) else pattern
        got = r.buffer.read(0, len(expected)) if r.buffer is not None else b""
        if got != expected:
            self._fail(f"buffer of {r.name}: expected {expected.hex(' ').upper()}, "
                       f"got {got.hex(' ').upper()}")

    # -- GetQueuedCompletionStatus ------------------------------------------------------
    def dequeued_packet_of(self, request: str | None, key: int, bytes: int) -> None:
        """*lpOverlapped is ``request``'s OVERLAPPED (None: NULL, a posted packet),
        with *lpCompletionKey and *lpNumberOfBytes (win32-io 3.3)."""
        __tracebackhide__ = True
        r = self.request
        wanted = (request or "NULL", key, bytes)
        got = (r.dequeued, r.key, r.bytes)
        if r.status is None or got != wanted:
            self._fail(f"{r.name}: expected the packet of {wanted[0]} with key {key} and "
                       f"{bytes} bytes, got " + ("nothing dequeued" if r.status is None else
                                                 f"{got[0]} with key {got[1]} and {got[2]} "
                                                 "bytes"), with_irp=False)

    def dequeued_nothing(self) -> None:
        """FALSE with *lpOverlapped NULL (win32-io 3.3): a timeout or a closed port."""
        __tracebackhide__ = True
        r = self.request
        if r.returned_at is None or r.status is not None or r.pointer:
            self._fail(f"{r.name}: expected nothing dequeued, got "
                       + ("no return" if r.returned_at is None else
                          f"the packet of {r.dequeued}"), with_irp=False)
