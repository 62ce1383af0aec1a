"""Gherkin steps of the explorer (harness/explore): run the scenario under many schedules
and assert on what was found. A failing assertion shows the schedule and the command that
replays it."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then, when

from ..explore import Exploration, RandomWalk, Trial, explore, run_schedule
from .context import IrpScenario


@when(parsers.re(r"the scenario is explored with (?P<count>\d+) schedules"
                 r"(?: using (?P<strategy>random|pct|dfs))?(?: from seed (?P<seed>\d+))?"),
      target_fixture="exploration")
def when_explored(irp: IrpScenario, count: str, strategy: str | None,
                  seed: str | None) -> Exploration:
    return explore(irp.program, int(count), int(seed or 0), strategy or "random",
                   stop_at_first=False, minimize=True, coverage=True)


def _failing(exploration: Exploration) -> Trial:
    """The first failing schedule, which the Then-step is about; none is a failed step."""
    if exploration.first is None:
        pytest.fail("no schedule failed", pytrace=False)
    return exploration.first


def _replay_hint(found: Exploration, path: str) -> str:
    assert found.first is not None
    schedule = found.first.schedule
    return (f"{found.first.failure}\nschedule ({schedule.preemptions} non-default choices): "
            f"{schedule.choices}\nreplay: save it as a .json file (see `explore --save`) and "
            f"run irp-harness run {path} --schedule FILE")


@then("no schedule fails")
def then_no_schedule_fails(exploration: Exploration, irp: IrpScenario) -> None:
    if exploration.first is not None:
        pytest.fail(_replay_hint(exploration, str(irp.path)), pytrace=False)


@then("no schedule bug-checks")
def then_no_schedule_bugchecks(exploration: Exploration, irp: IrpScenario) -> None:
    first = exploration.first
    if first is not None and first.result.bugcheck is not None:
        pytest.fail(_replay_hint(exploration, str(irp.path)), pytrace=False)


@then(parsers.re(r"some schedule ends with (?P<name>[A-Z_0-9]+) \((?P<code>0x[0-9A-Fa-f]+)\)"))
def then_some_schedule_bugchecks(exploration: Exploration, name: str, code: str) -> None:
    if name not in exploration.failures:
        pytest.fail(f"no schedule of {exploration.explored} ended with {name} ({code}); "
                    f"found: {exploration.failures or 'none'}", pytrace=False)
    first = exploration.first
    if first is not None and first.result.bugcheck is not None and \
            first.result.bugcheck.name == name and first.result.bugcheck.code != int(code, 16):
        pytest.fail(f"{name} is 0x{first.result.bugcheck.code:02X}, not {code}", pytrace=False)


@then(parsers.re(r"the minimized failing schedule has at most (?P<count>\d+) preemptions?"))
def then_minimized(exploration: Exploration, count: str) -> None:
    taken = _failing(exploration).schedule.preemptions
    if taken > int(count):
        pytest.fail(f"the minimized schedule has {taken} non-default choices", pytrace=False)


@then(parsers.re(r'some schedule completes "(?P<name>\w+)" with (?P<status>STATUS_\w+)'))
def then_some_schedule_completes(exploration: Exploration, irp: IrpScenario, name: str,
                                 status: str) -> None:
    seen = set()
    for seed in range(100):
        result = run_schedule(irp.program, RandomWalk(seed), trace=False).result
        seen.add(result.requests[name].status_name)
        if status in seen:
            return
    pytest.fail(f"in 100 schedules {name} completed only with {sorted(map(str, seen))}",
                pytrace=False)



@then(parsers.re(r'the minimized failing schedule preempts "(?P<thread>[^"]+)" at '
                 r'"(?P<routine>[^"]+)"'))
def then_minimized_preempts(exploration: Exploration, thread: str, routine: str) -> None:
    """The minimized schedule's non-default choices include that preemption (where the
    race window is: e.g. "t1" at "a read-modify-write")."""
    schedule = _failing(exploration).schedule
    taken = [label for c, label in zip(schedule.choices, schedule.labels) if c]
    if not any(label.startswith(f"preempt: {thread} at {routine} ") for label in taken):
        pytest.fail(f"the minimized schedule's choices are {taken}", pytrace=False)


@then(parsers.re(r'the failing schedule\'s debug output contains "(?P<text>[^"]*)"'))
def then_failing_debug_output(exploration: Exploration, text: str) -> None:
    lines = _failing(exploration).result.debug_lines
    if not any(text in line for line in lines):
        pytest.fail(f"the failing schedule printed {lines}", pytrace=False)


@then(parsers.parse('the IRP-pair coverage has "{pair}" on "{device}"'))
def then_coverage_has(exploration: Exploration, pair: str, device: str) -> None:
    """A pair of request kinds ("READ + WRITE") was in flight together at the device in
    some explored run."""
    assert exploration.coverage is not None
    report = exploration.coverage.report()
    if f"{device}: {pair} - " not in report:
        pytest.fail(report, pytrace=False)
