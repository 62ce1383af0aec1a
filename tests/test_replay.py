"""A failing Gherkin step's rerun command repeats that very run (runner/replay.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.bdd.context import IrpScenario
from harness.cli import cli
from harness.runner import replay

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CH07 = "book/ch07_buffered_read.yaml"


@pytest.fixture(autouse=True)
def replay_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(replay.REPLAY_DIR_ENV, str(tmp_path / "replays"))
    return tmp_path / "replays"


def _rerun(irp: IrpScenario) -> str:
    with pytest.raises(AssertionError) as failure:
        irp.fail("a step failed")
    return re.search(r"^rerun: (.*)$", str(failure.value), re.M).group(1)


def _cli_trace(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "trace.txt"
    result = CliRunner().invoke(cli, ["run", *args, "-o", str(out)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return out.read_text(encoding="utf-8")


def _step_driven(machine: dict | None) -> IrpScenario:
    irp = IrpScenario(SCENARIOS, CH07, 0, machine)
    irp.call({"open": "\\\\.\\HelloDDK", "as": "h"})
    irp.call({"read": {"handle": "h", "length": 10}, "as": "r1"})
    irp.advance(5_000_000)
    irp.call({"close": "h"})
    return irp


def test_a_plain_run_reruns_as_the_scenario_and_its_seed():
    irp = IrpScenario(SCENARIOS, CH07, 3)
    irp.run_app()
    assert _rerun(irp) == f"irp-harness run {SCENARIOS / CH07} --seed 3"


def test_a_step_driven_run_with_a_machine_override_is_replayed_exactly(tmp_path, replay_dir):
    irp = _step_driven({"cpus": 2})
    command = _rerun(irp)
    path = Path(command.removeprefix("irp-harness run "))
    assert path.parent == replay_dir
    saved = replay.load(path)
    assert saved.machine == {"cpus": 2}
    assert [next(iter(a)) for a in saved.actions] == ["call", "call", "advance_100ns", "call"]
    # the replayed trace is the failing run's, event for event
    assert _cli_trace(tmp_path, str(path)) == irp.result.text() + "\n"


def test_the_replay_differs_from_a_plain_rerun_when_steps_drove_the_machine(tmp_path):
    irp = _step_driven({"cpus": 2})
    plain = _cli_trace(tmp_path, str(SCENARIOS / CH07), "--seed", "0")
    assert plain != irp.result.text() + "\n"      # why the replay file is needed


def test_the_same_failure_writes_the_same_replay_file():
    assert _rerun(_step_driven(None)) == _rerun(_step_driven(None))


def test_a_malformed_replay_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("replay: 1\nscenario: x.yaml\nactions: [{teleport: 1}]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(bad)])
    assert result.exit_code == 2
    assert "actions[0] must be run_app or one of" in result.output
    assert "Traceback" not in result.output
