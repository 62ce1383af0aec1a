"""harness/runner/result.py: how a run's outcome is named (the report's categories and
the exit status of `irp-harness run` both read it), and the rerun command."""

from __future__ import annotations

import pytest

from harness.kernel import BugCheck
from harness.runner.result import RunResult


def _result(**changes) -> RunResult:
    fields = dict(scenario_id="s", path="scenarios/s.yaml", seed=3, events=[], requests={},
                  bugcheck=None, hung_threads=[], end_time=0)
    fields.update(changes)
    return RunResult(**fields)


@pytest.mark.parametrize(("changes", "outcome"), [
    ({}, "OK"),
    ({"bugcheck": BugCheck(0x44, 1)}, "BUGCHECK"),
    ({"bugcheck": BugCheck(0x44), "hung_threads": ["main"]}, "BUGCHECK"),  # the stop wins
    ({"hung_threads": ["main"]}, "HANG"),
    ({"frozen": "CPU 0 never left DISPATCH_LEVEL"}, "HANG"),
    ({"stopped": "machine.time_limit"}, "TIME_LIMIT"),
    ({"stopped": "machine.time_limit", "hung_threads": ["main"]}, "TIME_LIMIT"),
])
def test_outcome_names_bug_check_then_hang_then_time_limit(changes, outcome):
    assert _result(**changes).outcome == outcome


def test_repr_is_short_and_names_the_bug_check():
    """Allure records step arguments with repr(): one line, the outcome at the end."""
    assert repr(_result(bugcheck=BugCheck(0x44))) == \
        "RunResult(s, 0 events, MULTIPLE_IRP_COMPLETE_REQUESTS)"
    assert repr(_result(hung_threads=["main"])) == "RunResult(s, 0 events, hang)"


def test_rerun_command_names_path_and_seed():
    assert _result().rerun_command() == "irp-harness run scenarios/s.yaml --seed 3"
