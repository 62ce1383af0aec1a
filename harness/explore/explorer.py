"""Run one scenario under many schedules and judge each run.

Each schedule is a fresh :class:`~harness.runner.Session` whose kernel has a chooser
(a strategy): the boot, the drivers and the application run as always, but every choice
point asks the chooser. A run fails when its outcome is not OK (a bug check, a hang,
the time limit) or when the ``judge`` (a feature's assertions) says so. The campaign
stops at the first failure (or after N schedules); the failing schedule can be
minimized (minimize.py) and saved, and ``irp-harness run --schedule FILE`` replays it.

``workers`` > 1 spreads the schedules over local processes (concurrent.futures): each
worker loads the scenario itself and explores its own share of seeds. A campaign that
outgrows one machine runs the same :func:`explore_share` on a distributed engine (Ray's
``ray.remote`` or Dask's ``client.map``, see the README): a share is a pure function of
(scenario path, strategy, seeds).
"""

from __future__ import annotations

import gc
import random
import time
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterator

from ..runner import RunResult, Session
from ..scenario import load_scenario
from ..scenario.resolve import Program, resolve
from .coverage import IrpPairCoverage
from .minimize import minimize_trial
from .strategies import Counting, Dfs, Recording, Replay, Schedule, chooser_for

#: A judge: None when the run is acceptable, else why it fails.
Judge = Callable[[RunResult], "str | None"]


@dataclass
class Trial:
    """One run under one schedule."""

    schedule: Schedule
    result: RunResult
    failure: str | None      # None: the run passed
    traced: bool = True      # False: an outcome-only run (no trace in the result)

    @property
    def signature(self) -> str:
        """What kind of failure: the bug check's name, HANG, TIME_LIMIT or the judge's."""
        if self.result.bugcheck is not None:
            return self.result.bugcheck.name
        return self.result.outcome if self.result.outcome != "OK" else (self.failure or "")


@dataclass
class Exploration:
    """What a campaign found."""

    scenario: str
    strategy: str
    seed: int
    explored: int = 0
    failing: int = 0
    seconds: float = 0.0
    first: Trial | None = None       # the first failing run (minimized if asked)
    failures: dict[str, int] = field(default_factory=dict)   # signature -> count
    coverage: IrpPairCoverage | None = None

    @property
    def rate(self) -> float:
        return self.explored / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """The campaign's last line, as the CLI prints it."""
        return f"explored={self.explored} failing={self.failing} " \
               f"schedules_per_s={self.rate:.0f}"


def default_judge(result: RunResult) -> str | None:
    if result.outcome == "OK":
        return None
    if result.bugcheck is not None:
        bc = result.bugcheck
        return f"bug check 0x{bc.code:02X} {bc.name}: {bc.reason}"
    return f"{result.outcome}: {result.stopped or result.frozen or ', '.join(result.hung_threads)}"


def run_schedule(program: Program, chooser: Recording, judge: Judge | None = None,
                 coverage: IrpPairCoverage | None = None, trace: bool = True) -> Trial:
    """Run the scenario once under ``chooser``. ``trace=False``: an outcome-only run (no
    trace, no end-state snapshots; what the campaign's many runs need when no judge
    reads the trace)."""
    seed = program.machine.seed
    session = Session(program, seed, chooser=chooser, trace=trace)
    if coverage is not None:
        session.kernel.add_instrument(coverage.instrument())
    result = session.run_app()
    result.schedule = list(chooser.choices)
    failure = default_judge(result)
    if failure is None and judge is not None:
        failure = judge(result)
    schedule = chooser.schedule(str(program.path), seed, "OK" if failure is None else failure,
                                labels=trace or failure is not None)
    return Trial(schedule, result, failure, trace)


def replay(program: Program, schedule: Schedule) -> RunResult:
    """Run exactly the recorded schedule (a ScheduleError if it does not fit)."""
    return run_schedule(program, Replay(schedule.choices)).result


def traced(program: Program, trial: Trial, judge: Judge | None = None) -> Trial:
    """``trial`` again with its full trace: an outcome-only run's schedule replayed
    strictly (the same choices give the same run, so the same outcome)."""
    if trial.traced:
        return trial
    again = run_schedule(program, Replay(trial.schedule.choices), judge)
    again.schedule.strategy = trial.schedule.strategy
    if again.signature != trial.signature:       # determinism is the model's promise
        raise RuntimeError(f"replaying a schedule of {program.path} did not reproduce "
                           f"its outcome ({trial.signature!r} then {again.signature!r})")
    return again


#: Runs between two collections of the cyclic garbage of finished machines: for a
#: campaign the collector is off and what existed before it is frozen (gc.freeze), so
#: a collection every N runs traverses only those runs' objects (cheaper than the
#: young-generation passes thousands of boots would trigger, and memory stays bounded).
COLLECT_EVERY = 20


@contextmanager
def _campaign_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    gc.freeze()          # what exists now (modules, the Program) is never traversed
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _seeds(seed: int, count: int, share: int = 0) -> list[int]:
    rng = random.Random(seed * 7919 + share)
    return [rng.getrandbits(32) for _ in range(count)]


def explore(program: Program, schedules: int, seed: int = 0, strategy: str = "random",
            preemptions: int = 2, judge: Judge | None = None, coverage: bool = False,
            stop_at_first: bool = True, minimize: bool = False, workers: int = 1
            ) -> Exploration:
    """Explore ``schedules`` schedules of ``program`` with ``strategy``.

    The runs are outcome-only unless a ``judge`` reads their results; the first failing
    one is replayed with its full trace (and minimized first if asked)."""
    if workers > 1 and strategy != "dfs":
        return _explore_parallel(program, schedules, seed, strategy, preemptions, coverage,
                                 stop_at_first, minimize, workers, judge)
    found = Exploration(str(program.path), strategy, seed)
    found.coverage = IrpPairCoverage() if coverage else None
    trace = judge is not None
    with _campaign_gc():
        start = time.perf_counter()
        if strategy == "dfs":
            trials = _dfs(program, schedules, preemptions, judge, found.coverage, trace)
        else:
            trials = (run_schedule(program, chooser_for(strategy, s, depth=preemptions),
                                   judge, found.coverage, trace)
                      for s in _seeds(seed, schedules))
        for trial in trials:
            found.explored += 1
            if found.explored % COLLECT_EVERY == 0:
                gc.collect()
            if trial.failure is not None:
                found.failing += 1
                found.failures[trial.signature] = found.failures.get(trial.signature, 0) + 1
                if found.first is None:
                    found.first = trial
                if stop_at_first:
                    break
        found.seconds = time.perf_counter() - start
    if minimize and found.first is not None:
        found.first = minimize_trial(program, found.first, judge,
                                     partial(run_schedule, trace=trace))
    if found.first is not None:
        found.first = traced(program, found.first, judge)
    return found


def _dfs(program: Program, limit: int, bound: int, judge: Judge | None,
         coverage: IrpPairCoverage | None, trace: bool) -> Any:
    search = Dfs(bound)
    for n, prefix in enumerate(search.prefixes()):
        if n >= limit:
            return
        chooser = Counting(prefix)
        trial = run_schedule(program, chooser, judge, coverage, trace)
        search.record(chooser, chooser.counts)
        yield trial


def explore_share(path: str, seeds: list[int], strategy: str, preemptions: int,
                  coverage: bool, stop_at_first: bool) -> dict[str, Any]:
    """One worker's share of a campaign: picklable in and out (for process pools, Ray,
    Dask). Returns counts, the first failing schedule's choices and the coverage."""
    program = resolve(load_scenario(path))
    cov = IrpPairCoverage() if coverage else None
    out: dict[str, Any] = {"explored": 0, "failing": 0, "failures": {}, "first": None}
    with _campaign_gc():
        _share(program, seeds, strategy, preemptions, cov, stop_at_first, out)
    out["coverage"] = cov.pairs if cov is not None else None
    return out


def _share(program: Program, seeds: list[int], strategy: str, preemptions: int,
           cov: IrpPairCoverage | None, stop_at_first: bool, out: dict[str, Any]) -> None:
    for s in seeds:
        trial = run_schedule(program, chooser_for(strategy, s, depth=preemptions), None, cov,
                             trace=False)
        out["explored"] += 1
        if out["explored"] % COLLECT_EVERY == 0:
            gc.collect()
        if trial.failure is not None:
            out["failing"] += 1
            out["failures"][trial.signature] = out["failures"].get(trial.signature, 0) + 1
            if out["first"] is None:
                out["first"] = trial.schedule.choices
            if stop_at_first:
                break


def _explore_parallel(program: Program, schedules: int, seed: int, strategy: str,
                      preemptions: int, coverage: bool, stop_at_first: bool, minimize: bool,
                      workers: int, judge: Judge | None) -> Exploration:
    found = Exploration(str(program.path), strategy, seed)
    found.coverage = IrpPairCoverage() if coverage else None
    seeds = _seeds(seed, schedules)
    shares = [seeds[i::workers] for i in range(workers)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        outs = list(pool.map(explore_share, [str(program.path)] * workers, shares,
                             [strategy] * workers, [preemptions] * workers,
                             [coverage] * workers, [stop_at_first] * workers))
    found.seconds = time.perf_counter() - start
    for out in outs:
        found.explored += out["explored"]
        found.failing += out["failing"]
        for key, count in out["failures"].items():
            found.failures[key] = found.failures.get(key, 0) + count
        if found.coverage is not None and out["coverage"]:
            found.coverage.merge(out["coverage"])
        if found.first is None and out["first"] is not None:
            # replayed here, so the parent holds the run (and the judge sees it)
            found.first = run_schedule(program, Replay(out["first"]), judge)
            found.first.schedule.strategy = strategy
    if minimize and found.first is not None:
        found.first = traced(program, minimize_trial(
            program, found.first, judge, partial(run_schedule, trace=judge is not None)), judge)
    return found
