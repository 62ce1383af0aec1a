"""Run a scenario: build the machine, boot the drivers, run the application."""

from __future__ import annotations

from pathlib import Path

from ..scenario import Scenario, load_scenario
from .result import Request, RunResult  # noqa: F401
from .session import RunError, Session  # noqa: F401


def run_scenario(scenario: Scenario | str | Path, seed: int = 0) -> RunResult:
    """Load (if given a path) and run a scenario's application to its end."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return Session(scenario, seed).run_app()
