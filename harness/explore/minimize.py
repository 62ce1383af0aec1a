"""Minimize a failing schedule: delta-debug its preemptions away while it still fails.

A failing schedule from a random walk is mostly noise: dozens of non-default choices of
which one or two matter. ddmin (Zeller and Hildebrandt, 2002) over the non-default
choices: try the schedule with a chunk of them set back to 0 (the model's own choice);
keep the change when the run still fails the same way (same bug check, or the same
outcome), halving the chunks until single choices are tried. A changed choice can make
the run take another path, so each candidate is replayed leniently (a choice that no
longer fits is 0) and what is kept is the choices that run actually made: the result
replays exactly.

Choices are positional: setting an early one back to 0 shifts what the later ones
decide, so ddmin can stop at a schedule that is 1-minimal but not the smallest (an
order swap plus two preemptions where one preemption would do). Before ddmin, every
schedule with a single non-default choice within the failing run's length is tried
(delay bound 1, as the dfs strategy would): when one fails the same way, it is the
answer.
"""

from __future__ import annotations

from typing import Any, Callable

from .strategies import Counting, Replay

#: Replays one minimization may spend (each is a full run of the scenario).
MAX_RUNS = 200
#: ... of which the single-choice pass may spend at most this many.
SINGLE_RUNS = 100


def minimize_trial(program: Any, trial: Any, judge: Any, run: Callable[..., Any]) -> Any:
    """The smallest failing variant found of ``trial`` (a Trial of explorer.py)."""
    if trial.schedule.preemptions > 1:
        single = _single_choice(program, trial, judge, run)
        if single is not None:
            return single
    best = trial
    runs = 0
    chunks = 2
    while runs < MAX_RUNS:
        nonzero = [i for i, c in enumerate(best.schedule.choices) if c]
        if not nonzero:
            break
        size = max(1, len(nonzero) // chunks)
        improved = False
        for start in range(0, len(nonzero), size):
            drop = set(nonzero[start:start + size])
            candidate = [0 if i in drop else c for i, c in enumerate(best.schedule.choices)]
            runs += 1
            attempt = run(program, Replay(candidate, strict=False), judge)
            if attempt.failure is not None and attempt.signature == best.signature:
                attempt.schedule.strategy = best.schedule.strategy
                best = attempt
                improved = True
                break
            if runs >= MAX_RUNS:
                break
        if improved:
            chunks = max(chunks - 1, 2)
        elif size == 1:
            break
        else:
            chunks = min(chunks * 2, len(nonzero))
    # trailing default choices carry nothing: a replay past the end is asked only
    # strictly, so they stay (the saved schedule is exactly what the run asked)
    return best


def _single_choice(program: Any, trial: Any, judge: Any, run: Callable[..., Any]) -> Any:
    """The first schedule with one non-default choice (position, then option order)
    that fails like ``trial``, or None."""
    default = Counting([])
    run(program, default, judge)      # the default run: how many options each point has
    runs = 0
    for index, count in enumerate(default.counts[:len(trial.schedule.choices)]):
        for option in range(1, count):
            if runs >= SINGLE_RUNS:
                return None
            runs += 1
            attempt = run(program, Counting([0] * index + [option]), judge)
            if attempt.failure is not None and attempt.signature == trial.signature:
                attempt.schedule.strategy = trial.schedule.strategy
                return attempt
    return None
