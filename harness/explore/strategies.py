"""Schedules and the strategies that produce them.

A *schedule* is the list of choices one run made at the kernel's choice points
(harness/kernel/ke/schedule.py): integers, 0 being the unexplored model's own choice.
A strategy is a chooser: the kernel asks it ``choose(kind, count, what)`` and it answers,
recording every answer, so any run can be saved and replayed exactly.

Strategies (after CHESS and Coyote):

* ``random`` — a random walk: at each choice point a uniformly random option.
* ``pct`` — PCT-style (Burckhardt et al., "A randomized scheduler with probabilistic
  guarantees of finding bugs", 2010): the run follows the model's own order except at
  ``depth`` change points placed uniformly at random over the first ``steps`` choice
  points, where the running work is demoted (a preemption, or another of the events
  due). A bug of depth d is found with probability >= 1/(n * k^(d-1)). Simplified: the
  choice points are the model's (events and preemption points), not every instruction.
* ``dfs`` — bounded exhaustive search: every schedule with at most K non-default
  choices (delay bounding, Emmi, Qadeer and Rakamaric 2011: a deviation from the default
  order is the unit of the bound), in depth-first order, without repeating one. No
  state-hash pruning: part of the model's state is where each thread is in its code
  (live generator frames), which cannot be hashed or compared; hashing only the visible
  data would merge states at different program points and prune branches unexplored
  (unsound). The bound keeps the tree small instead.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator


class ScheduleError(Exception):
    """A schedule file that cannot be read, or a replay that diverged from it."""


@dataclass
class Schedule:
    """The choices of one run, with where each was made (for a reader of the file)."""

    choices: list[int]
    labels: list[str] = field(default_factory=list)
    scenario: str = ""
    seed: int = 0
    strategy: str = ""
    outcome: str = ""

    @property
    def preemptions(self) -> int:
        """The non-default choices: what the bound of ``dfs`` and minimizing count."""
        return sum(1 for c in self.choices if c)

    def to_json(self) -> str:
        steps = [{"choice": c, "at": label} for c, label in
                 zip(self.choices, self.labels or [""] * len(self.choices))]
        text = json.dumps({"schedule": 1, "scenario": self.scenario, "seed": self.seed,
                           "strategy": self.strategy, "outcome": self.outcome,
                           "choices": "@", "steps": steps}, indent=1)
        return text.replace('"@"', json.dumps(self.choices), 1) + "\n"

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Schedule":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ScheduleError(f"{path}: not a schedule file ({error})") from None
        choices = data.get("choices") if isinstance(data, dict) else None
        if data.get("schedule") != 1 or not isinstance(choices, list) or \
                not all(isinstance(c, int) and c >= 0 for c in choices):
            raise ScheduleError(f"{path}: not a schedule file (expected \"schedule\": 1 and "
                                "a list of non-negative integer \"choices\")")
        labels = [step.get("at", "") for step in data.get("steps", [])]
        return cls(list(choices), labels, str(data.get("scenario", "")),
                   int(data.get("seed", 0)), str(data.get("strategy", "")),
                   str(data.get("outcome", "")))


class Recording:
    """The base chooser: subclasses pick; every answer is recorded."""

    name = "recording"

    def __init__(self) -> None:
        self.choices: list[int] = []
        self.asked: list[tuple[str, str]] = []     # (kind, where) of each choice

    def choose(self, kind: str, count: int, what: str) -> int:
        choice = self.pick(kind, count)
        self.choices.append(choice)
        self.asked.append((kind, what))
        return choice

    @property
    def labels(self) -> list[str]:
        """Where each choice was made, as the schedule file says it."""
        return [f"{kind}: {what}" for kind, what in self.asked]

    def pick(self, kind: str, count: int) -> int:
        return 0

    def schedule(self, scenario: str = "", seed: int = 0, outcome: str = "",
                 labels: bool = True) -> Schedule:
        """The schedule of the run so far (``labels``: with where each choice was made;
        a campaign's passing runs leave them out)."""
        return Schedule(list(self.choices), self.labels if labels else [], scenario, seed,
                        self.name,
                        outcome)


class Replay(Recording):
    """Replays a schedule. ``strict``: a choice that does not fit (the run diverged from
    the one recorded) is a ScheduleError; else it is clamped to 0, and choices past the
    end are 0 (what minimizing needs)."""

    name = "replay"

    def __init__(self, choices: list[int], strict: bool = True) -> None:
        super().__init__()
        self.planned = choices
        self.strict = strict

    def pick(self, kind: str, count: int) -> int:
        index = len(self.choices)
        if index >= len(self.planned):
            if self.strict:
                raise ScheduleError(f"the run asked for choice {index + 1}, but the schedule "
                                    f"has {len(self.planned)}: it is not this scenario's")
            return 0
        choice = self.planned[index]
        if choice >= count:
            if self.strict:
                raise ScheduleError(f"choice {index + 1} is {choice}, but only {count} "
                                    "options exist there: the schedule is not this run's")
            return 0
        return choice


class RandomWalk(Recording):
    """A uniformly random option at every choice point."""

    name = "random"

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)

    def pick(self, kind: str, count: int) -> int:
        return int(self.rng.random() * count)        # uniform (cheaper than randrange)


class Pct(Recording):
    """PCT-style: the default order, demoted at ``depth`` random change points among the
    first ``steps`` choice points."""

    name = "pct"

    def __init__(self, seed: int, depth: int = 2, steps: int = 40) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.changes = set(self.rng.sample(range(max(steps, depth)), depth))

    def pick(self, kind: str, count: int) -> int:
        if len(self.choices) in self.changes:
            return self.rng.randrange(1, count)
        return 0


class Dfs:
    """Bounded exhaustive search: yields the prefix of each next schedule to run; after
    the run, :meth:`record` tells it the options that run had at each choice point."""

    name = "dfs"

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.stack: list[tuple[int, int]] = []   # (choice, options) of the last run
        self.done = False

    def prefixes(self) -> Iterator[list[int]]:
        yield []
        while True:
            nxt = self._next()
            if nxt is None:
                return
            yield nxt

    def record(self, chooser: "Recording", counts: list[int]) -> None:
        self.stack = list(zip(chooser.choices, counts))

    def _next(self) -> list[int] | None:
        stack = self.stack
        while stack:
            choice, count = stack.pop()
            used = sum(1 for c, _ in stack if c)
            if choice + 1 < count and used + 1 <= self.bound:
                return [c for c, _ in stack] + [choice + 1]
        return None


class Counting(Replay):
    """A non-strict replay that also notes how many options each choice point had."""

    def __init__(self, choices: list[int]) -> None:
        super().__init__(choices, strict=False)
        self.counts: list[int] = []
        self.name = "dfs"

    def pick(self, kind: str, count: int) -> int:
        self.counts.append(count)
        return super().pick(kind, count)


STRATEGIES = ("random", "pct", "dfs")


def chooser_for(strategy: str, seed: int, **options: Any) -> Recording:
    """A fresh chooser of a seeded strategy (dfs is driven by the explorer)."""
    if strategy == "random":
        return RandomWalk(seed)
    if strategy == "pct":
        return Pct(seed, options.get("depth", 2), options.get("steps", 40))
    raise ValueError(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
