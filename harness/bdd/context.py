"""The state a Gherkin scenario works on: a :class:`harness.checks.Run`.

Steps stay thin: each turns its text into one call of the checks API (harness/checks/),
whose failures show the trace excerpt of the IRP concerned and the one command that
reruns the scenario. The names below are kept for the steps and for projects' own step
modules written against them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..checks import Run, UnknownName
from ..checks import event_field as _event_field
from ..checks import parameter_value as _parameter_value
from ..checks.trace import TRACE_FIELDS  # noqa: F401
from ..checks.values import seconds_to_hns, status_value, win32_error_value  # noqa: F401
from ..trace import TraceEvent

#: A step names something that does not exist (a status, an error, a column).
StepError = UnknownName


class IrpScenario(Run):
    """A loaded scenario plus its booted machine, found under a scenarios root."""

    def __init__(self, root: Path, relative: str, seed: int = 0,
                 machine: dict[str, Any] | None = None) -> None:
        super().__init__((root / relative) if not Path(relative).is_absolute()
                         else Path(relative), seed, machine)

    def __repr__(self) -> str:   # short: Allure records step arguments with repr()
        return f"IrpScenario({self.path.name})"

    def printed_value(self, prefix: str) -> int:
        """The hex number after ``prefix`` on the first DbgView line starting with it."""
        __tracebackhide__ = True
        return self.debug_output.value_after(prefix)

    def parameter_value(self, text: str) -> int | None:   # None: a request that made no IRP
        """A bug-check parameter as a feature writes it (checks/bugcheck.py)."""
        return _parameter_value(self, text)


def event_field(event: TraceEvent, field: str, scenario: IrpScenario) -> str:
    """The text a trace table cell is compared with (checks/trace.py)."""
    return _event_field(event, field, scenario)
