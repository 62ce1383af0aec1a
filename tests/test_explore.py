"""The explorer (harness/explore): schedules, strategies, minimizing, replay, coverage,
and the shipped races (scenarios/races/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.explore import (RandomWalk, Replay, Schedule, ScheduleError, explore, replay,
                             run_schedule)
from harness.runner import Session
from harness.scenario import load_scenario
from harness.scenario.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
RACE = ROOT / "scenarios/races/cancel_race.yaml"
FIXED = ROOT / "scenarios/races/cancel_race_csq.yaml"



def _program(path: Path):
    return resolve(load_scenario(str(path)))


class _Zero:
    def choose(self, kind: str, count: int, what: str) -> int:
        return 0


@pytest.mark.parametrize("name", ["book/ch09_start_io_test.yaml", "book/ch09_cancel_irp.yaml",
                                  "races/cancel_race.yaml"])
def test_all_default_choices_give_the_unexplored_trace_byte_for_byte(name):
    """Choice 0 everywhere is the model's own schedule: the identical trace."""
    program = _program(ROOT / "scenarios" / name)
    plain = Session(program).run_app()
    chosen = Session(program, chooser=_Zero()).run_app()
    assert chosen.text() == plain.text() and chosen.outcome == plain.outcome


def test_the_cancel_race_is_not_seen_under_the_models_own_order():
    assert Session(_program(RACE)).run_app().outcome == "OK"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_walk_finds_the_cancel_race_as_0x44(seed):
    """io-core §5.1: StartIo completing an IRP the cancel routine already completed."""
    found = explore(_program(RACE), 5000, seed=seed)
    assert found.first is not None
    assert found.first.signature == "MULTIPLE_IRP_COMPLETE_REQUESTS"


@pytest.mark.parametrize("strategy", ["pct", "dfs"])
def test_pct_and_dfs_find_the_cancel_race(strategy):
    found = explore(_program(RACE), 2000, seed=1, strategy=strategy, preemptions=2)
    assert found.first is not None and found.first.result.bugcheck.code == 0x44


def test_the_cancel_safe_queue_version_never_fails_but_the_cancel_does_land():
    """pnp-hardware §7.5: with a CSQ every interleaving completes the read exactly once;
    some schedules do cancel it (the race window is explored, not avoided)."""
    program = _program(FIXED)
    found = explore(program, 400, seed=1, stop_at_first=False)
    assert found.explored == 400 and found.failing == 0
    statuses = {run_schedule(program, RandomWalk(s)).result.requests["r1"].status_name
                for s in range(60)}
    assert statuses == {"STATUS_SUCCESS", "STATUS_CANCELLED"}


def test_minimized_schedule_is_one_preemption_and_replays_the_identical_trace():
    program = _program(RACE)
    found = explore(program, 5000, seed=4, minimize=True)
    schedule = found.first.schedule
    assert schedule.preemptions <= 2          # ddmin: 1-minimal, each one needed
    taken = [label for c, label in zip(schedule.choices, schedule.labels) if c]
    assert any("t1 at IoAcquireCancelSpinLock" in label for label in taken)
    traces = {replay(program, schedule).text() for _ in range(5)}
    assert traces == {found.first.result.text()}


def test_schedule_file_round_trip_and_strict_replay_refuses_a_foreign_schedule(tmp_path):
    schedule = Schedule([0, 2, 1], ["order: x", "order: y", "preempt: z"], "s.yaml", 0, "random")
    path = tmp_path / "s.json"
    schedule.save(path)
    assert Schedule.load(path).choices == [0, 2, 1]
    with pytest.raises(ScheduleError, match="only"):
        run_schedule(_program(RACE), Replay([9] * 40))
    (tmp_path / "bad.json").write_text("{\"choices\": [1]}")
    with pytest.raises(ScheduleError, match="not a schedule file"):
        Schedule.load(tmp_path / "bad.json")


def test_coverage_sees_cancel_and_read_in_flight_together():
    found = explore(_program(RACE), 200, seed=1, stop_at_first=False, coverage=True)
    assert "\\Device\\MyDDKDevice: CANCEL + READ" in found.coverage.report()


def test_correct_book_drivers_do_not_fail_under_exploration():
    """No artefact failures: the book's cancel driver (no StartIo) survives 150 schedules."""
    found = explore(_program(ROOT / "scenarios/book/ch09_cancel_irp.yaml"), 150, seed=1)
    assert found.failing == 0 and found.explored == 150


def test_cli_explore_saves_and_run_schedule_replays(tmp_path):
    runner = CliRunner()
    saved = tmp_path / "race.json"
    out = runner.invoke(cli, ["explore", str(RACE), "--schedules", "5000", "--seed", "1",
                              "--save", str(saved)])
    assert out.exit_code == 1, out.output
    last = out.output.strip().splitlines()[-1]
    assert last.startswith("explored=") and " failing=1 schedules_per_s=" in last
    assert json.loads(saved.read_text())["schedule"] == 1
    rerun = runner.invoke(cli, ["run", str(RACE), "--schedule", str(saved), "-f", "dbgview"])
    assert rerun.exit_code == 1 and "MULTIPLE_IRP_COMPLETE_REQUESTS" in rerun.output
    assert "Schedule: " in rerun.output
    # the bug check's rerun command repeats the run under the schedule, not the default one
    assert f"rerun: irp-harness run {RACE} --schedule {saved}" in rerun.output
    clean = runner.invoke(cli, ["explore", str(FIXED), "-n", "50"])
    assert clean.exit_code == 0 and "failing=0" in clean.output


DPC_RACE = ROOT / "scenarios/races/dpc_counter_race.yaml"
DPC_LOCKED = ROOT / "scenarios/races/dpc_counter_locked.yaml"


def test_an_outcome_only_run_makes_the_same_choices_without_a_trace():
    """trace=False (a campaign's runs): same choices and outcome, no trace recorded."""
    program = _program(RACE)
    for seed in range(8):
        full = run_schedule(program, RandomWalk(seed))
        fast = run_schedule(program, RandomWalk(seed), trace=False)
        assert fast.schedule.choices == full.schedule.choices
        assert fast.signature == full.signature and fast.failure == full.failure
        assert list(fast.result.events) == [] and len(full.result.events) > 0
        assert not fast.traced and full.traced


def test_the_first_failing_schedule_comes_back_with_its_full_trace():
    """The campaign runs outcome-only; its first failure is replayed with the trace."""
    program = _program(RACE)
    found = explore(program, 5000, seed=2)
    assert found.first is not None and found.first.traced
    assert "MULTIPLE_IRP_COMPLETE_REQUESTS" in found.first.result.text()
    assert replay(program, found.first.schedule).text() == found.first.result.text()


def test_kernel_env_1_1_dpc_on_cpu1_loses_the_dispatch_routines_update():
    """kernel-env 1.1, 2.1: raising IRQL masks only the raising CPU; a DPC on CPU1 runs
    between the load and the store of the read routine's unlocked += on CPU0."""
    program = _program(DPC_RACE)
    assert Session(program).run_app().outcome == "OK"     # the model's own order
    for seed in (1, 2, 3):
        found = explore(program, 5000, seed=seed, minimize=True)
        assert found.first is not None
        assert found.first.result.bugcheck.code == 0x1E     # the failed ASSERT
        assert "Hits = 1" in found.first.result.debug_lines
        schedule = found.first.schedule
        assert schedule.preemptions == 1
        taken = [label for c, label in zip(schedule.choices, schedule.labels) if c]
        assert taken[0].startswith("preempt: t1 at a read-modify-write (CPU0")


def test_sync_objects_5_2_the_spin_lock_fixes_the_counter_race():
    """kernel-env 2.1, sync-objects 5.2: with the lock no schedule loses an update, and
    the read and the write really are in flight together in most runs."""
    found = explore(_program(DPC_LOCKED), 400, seed=1, stop_at_first=False, coverage=True)
    assert found.failing == 0 and found.explored == 400
    assert "\\Device\\Counter: READ + WRITE" in found.coverage.report()


def test_minimizing_tries_single_choice_schedules_before_ddmin():
    """Choices are positional: ddmin alone can stop at 3 (an order swap and two
    preemptions); the single-choice pass finds the 1-choice schedule."""
    program = _program(DPC_RACE)
    found = explore(program, 300, seed=0, stop_at_first=False, minimize=True)
    assert found.first.schedule.preemptions == 1


def test_the_allure_result_of_an_exploration_attaches_the_failing_schedule(monkeypatch):
    """harness/bdd/explore_report.py: the schedule JSON, its trace, its diagram, the replay
    command (and the campaign's summary and coverage)."""
    import sys
    import types

    from harness.bdd.explore_report import attach_exploration

    attached: dict[str, str] = {}
    stub = types.SimpleNamespace(
        attach=lambda body, name, attachment_type: attached.__setitem__(name, body),
        attachment_type=types.SimpleNamespace(TEXT="text", JSON="json", SVG="svg"))
    monkeypatch.setitem(sys.modules, "allure", stub)
    found = explore(_program(DPC_RACE), 300, seed=1, minimize=True, coverage=True)
    attach_exploration(found, DPC_RACE)
    assert json.loads(attached["failing schedule.json"])["choices"] == found.first.schedule.choices
    assert f"irp-harness run {DPC_RACE} --schedule schedule.json" in attached["replay command"]
    assert "ASSERT(Hits == 2)" in attached["failing schedule trace.txt"]
    assert attached["failing schedule IRP sequence"].lstrip().startswith("<")
    assert "READ + WRITE" in attached["IRP-pair coverage"]
    assert attached["exploration"].startswith("explored=")


def test_the_program_is_shared_by_a_campaigns_runs_and_not_changed_by_them():
    """A campaign resolves the scenario once: after hundreds of runs (failing ones too)
    the same Program still gives the first run's trace, byte for byte."""
    program = _program(DPC_RACE)
    before = Session(program).run_app().text()
    found = explore(program, 300, seed=5, stop_at_first=False)
    assert found.failing > 0
    assert Session(program).run_app().text() == before
