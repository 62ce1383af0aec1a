"""Systematic concurrency exploration: run a scenario under many schedules (the choices
at the kernel's choice points, harness/kernel/ke/schedule.py), find a failing one,
minimize it, save it, replay it exactly."""

from .coverage import IrpPairCoverage  # noqa: F401
from .explorer import (Exploration, Trial, default_judge, explore, explore_share,  # noqa: F401
                       replay, run_schedule)
from .strategies import (STRATEGIES, Pct, RandomWalk, Replay, Schedule,  # noqa: F401
                         ScheduleError, chooser_for)
