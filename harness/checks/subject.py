"""What a check's view needs from the run it looks at (run.py's Run provides it).

The views (requests, trace, debug, bugcheck) are built by Run and type against this
protocol rather than Run itself, so they need not import the module that imports them.
"""

from __future__ import annotations

from typing import Any, NoReturn, Protocol, Sequence

from ..runner import RunResult, Session
from ..trace import TraceEvent


class Subject(Protocol):
    session: Session

    @property
    def result(self) -> RunResult: ...

    @property
    def debug_output(self) -> Any: ...            # debug.DebugOutput

    def request(self, name: str) -> Any: ...      # requests.RequestView

    def device(self, name: str) -> Any: ...       # the DEVICE_OBJECT named

    def fail(self, message: str, irp: int | None = None,
             events: Sequence[TraceEvent] | None = None) -> NoReturn: ...
