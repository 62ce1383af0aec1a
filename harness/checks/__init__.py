"""Checks: claims about a run of a scenario, in plain Python.

The Gherkin steps (harness/bdd/steps.py) are thin wrappers over this API, and a plain
pytest test can use it directly::

    from harness import checks

    def test_the_timer_cancels_the_read():
        run = checks.run("scenarios/book/ch12_completion_pending.yaml")
        run.request("r1").completes_with("STATUS_CANCELLED", bytes=0, at="3 s")
        run.debug_output.contains_in_order(["Enter HelloDDKRead", "Leave HelloDDKRead"])
        run.bugcheck.none()

A false claim raises :class:`CheckFailed` (an AssertionError) whose message shows the
trace excerpt of the IRP concerned, its ``!irp`` table and the command that reruns
exactly this run.
"""

from __future__ import annotations

from .bugcheck import BugCheckView, parameter_value  # noqa: F401
from .debug import AppOutput, DebugOutput, line_matches  # noqa: F401
from .failure import CheckFailed  # noqa: F401
from .requests import WAIT_RESULTS, RequestView  # noqa: F401
from .run import Run, run  # noqa: F401
from .trace import TRACE_FIELDS, CompletionRoutines, TraceView, event_field  # noqa: F401
from .values import (UnknownName, moment, seconds_to_hns, status_value,  # noqa: F401
                     win32_error_value)

__all__ = ["AppOutput", "BugCheckView", "CheckFailed", "CompletionRoutines", "DebugOutput",
           "RequestView", "Run", "TRACE_FIELDS", "TraceView", "UnknownName", "WAIT_RESULTS",
           "event_field", "line_matches", "moment", "parameter_value", "run",
           "seconds_to_hns", "status_value", "win32_error_value"]
