"""What a run produced: the trace, the application's view, and the outcome."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, Sequence, cast

from ..kernel import WIN32_ERROR_NAMES, BugCheck, status_name
from ..trace import TraceEvent, render_dbgview, render_json, render_text


@dataclass
class Request:
    """One Win32 call of the application, as the application (and the IRP) saw it."""

    name: str
    api: str
    thread: str
    handle: str | None = None
    issued_at: int = 0
    returned_at: int | None = None
    ok: bool | None = None
    bytes: int = 0
    last_error: int = 0
    status: int | None = None          # IoStatus.Status at the final completion phase
    information: int | None = None
    completed_at: int | None = None    # when the I/O manager finished the IRP
    irp: int | None = None
    buffer: Any = None
    overlapped: Any = None
    size: int | None = None            # GetFileSize
    result: int | None = None          # a DWORD result: a wait's, a previous count, a handle
    path: str | None = None            # a string result: SetupDi's DevicePath
    key: int | None = None             # GetQueuedCompletionStatus: *lpCompletionKey
    pointer: int | None = None         # ... *lpOverlapped as an address (0 = NULL)
    dequeued: str | None = None        # ... the request whose OVERLAPPED that is, or "NULL"
    #: win32-io 1.1 / 1.2: whether the call wrote the last error / its byte-count
    #: out-parameter (None: a call without one); "untouched" is False
    error_set: bool | None = None
    bytes_set: bool | None = None

    @property
    def data(self) -> builtins.bytes:     # builtins: the field ``bytes`` shadows the type
        """The bytes the call returned in its output buffer (``bytes`` of them)."""
        if self.buffer is None:
            return b""
        return self.buffer.read(0, self.bytes)

    @property
    def internal(self) -> int | None:
        """OVERLAPPED.Internal now (the IOSB's Status the kernel wrote), None without one."""
        return None if self.overlapped is None else self.overlapped.status

    @property
    def internal_high(self) -> int | None:
        """OVERLAPPED.InternalHigh now (the IOSB's Information)."""
        return None if self.overlapped is None else self.overlapped.information

    @property
    def internal_name(self) -> str | None:
        return None if self.internal is None else status_name(self.internal)

    @property
    def event_signaled(self) -> bool | None:
        """Whether the OVERLAPPED's hEvent is signaled now (None: no hEvent)."""
        ov = self.overlapped
        if ov is None or getattr(ov, "h_event", None) is None:
            return None
        return ov.h_event.signal_state > 0

    @property
    def hex(self) -> str:
        return " ".join(f"{b:02X}" for b in self.data)

    @property
    def error(self) -> int:
        return self.last_error

    @property
    def error_name(self) -> str:
        return WIN32_ERROR_NAMES.get(self.last_error, str(self.last_error))

    @property
    def status_name(self) -> str | None:
        return None if self.status is None else status_name(self.status)

    def __repr__(self) -> str:
        return (f"Request({self.name} {self.api} ok={self.ok} bytes={self.bytes} "
                f"error={self.last_error} status={self.status_name})")


@dataclass
class RunResult:
    """The outcome of running a scenario."""

    scenario_id: str
    path: str
    seed: int
    #: the trace: a lazy view over the records (trace/view.py) or a trace file's events
    events: Sequence[TraceEvent]
    requests: dict[str, Request]
    bugcheck: BugCheck | None
    hung_threads: list[str]
    end_time: int
    app_output: list[str] = field(default_factory=list)
    frozen: str | None = None          # a CPU never left DISPATCH_LEVEL (no DPC watchdog)
    stopped: str | None = None         # why the run stopped before the machine went idle
    active: list[str] = field(default_factory=list)   # the wait-for picture (inventory.py)
    #: the registry at the end: key path -> {value name: (REG_* type, data)} (cm/hive.py)
    registry: dict[str, dict[str, tuple[int, bytes]]] = field(default_factory=dict)
    #: the C: volume at the end: DOS path ('C:\\1.log') -> its bytes, None for a directory
    files: dict[str, bytes | None] = field(default_factory=dict)
    #: the scheduling choices the run made (harness/explore), empty for the model's own
    schedule: list[int] = field(default_factory=list)

    def file(self, path: str) -> bytes | None:
        """The bytes of the file at ``path`` on C: at the end of the run (names are
        case-insensitive); KeyError when there is no such file or directory."""
        for name, data in self.files.items():
            if name.upper() == path.upper():
                return data
        raise KeyError(path)

    @property
    def crashed(self) -> bool:
        return self.bugcheck is not None

    @property
    def outcome(self) -> str:
        """OK, BUGCHECK, HANG (a blocked thread or a frozen CPU) or TIME_LIMIT (the run
        stopped with work still going on: its time limit, or a livelock)."""
        if self.bugcheck is not None:
            return "BUGCHECK"
        if self.frozen is not None or (self.hung_threads and self.stopped is None):
            return "HANG"
        if self.stopped is not None:
            return "TIME_LIMIT"
        return "OK"

    @property
    def debug_lines(self) -> list[str]:
        return [cast(str, e.text) for e in self.events if e.kind == "DbgPrint"]  # always set

    def irp_events(self, irp: int) -> list[TraceEvent]:
        return [e for e in self.events if e.irp == irp]

    def text(self) -> str:
        return render_text(self.events)

    def json(self) -> str:
        return render_json(self.events)

    def dbgview(self) -> str:
        return render_dbgview(self.events)

    def rerun_command(self) -> str:
        return f"irp-harness run {self.path} --seed {self.seed}"

    def __repr__(self) -> str:   # short: Allure records step arguments with repr()
        outcome = self.bugcheck.name if self.bugcheck else self.outcome.lower()
        return f"RunResult({self.scenario_id}, {len(self.events)} events, {outcome})"
