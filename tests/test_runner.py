"""The runner: determinism, outcomes, and clear errors for what it cannot run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.runner import RunError, run_scenario
from harness.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "runner"
BOOK = ROOT / "scenarios" / "book"


def test_same_scenario_and_seed_give_identical_traces_in_one_process():
    first = run_scenario(BOOK / "ch12_completion_pending.yaml").json()
    second = run_scenario(BOOK / "ch12_completion_pending.yaml").json()
    assert first == second


def test_same_scenario_and_seed_give_identical_traces_in_another_process():
    script = ("import sys; from harness.runner import run_scenario; "
              "sys.stdout.write(run_scenario(sys.argv[1]).json())")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = subprocess.run([sys.executable, "-c", script,
                            str(BOOK / "ch12_completion_pending.yaml")],
                           capture_output=True, text=True, env=env, check=True).stdout
    assert other == run_scenario(BOOK / "ch12_completion_pending.yaml").json()


def test_trace_json_names_every_field():
    events = json.loads(run_scenario(BOOK / "ch07_buffered_read.yaml").json())
    call = next(e for e in events if e["kind"] == "IoCallDriver")
    assert {"seq", "time", "cpu", "irql", "thread", "process", "context", "driver", "device",
            "irp", "major"} <= set(call)


def test_dispatch_routine_without_a_status_is_a_located_run_error():
    with pytest.raises(RunError, match=r"no_status.yaml:\d+:\d+: dispatch routine"):
        run_scenario(DATA / "no_status.yaml")


def test_unmodelled_feature_raises_not_modelled_naming_it():
    with pytest.raises(RunError, match="user-buffer access outside the requesting thread "
                                       "is not modelled"):
        run_scenario(DATA / "user_buffer_from_dpc.yaml")


def test_unknown_named_routine_is_a_located_scenario_error_with_suggestion():
    with pytest.raises(ScenarioError) as error:
        run_scenario(DATA / "unknown_routine.yaml")
    message = str(error.value)
    assert "unknown_routine.yaml:11:" in message and "did you mean 'MyCompletion'" in message
