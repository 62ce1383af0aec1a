"""Scenarios written as text in a test: load, run, or collect what is wrong with them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from harness.runner import Session
from harness.scenario import ScenarioError, load_scenario_text
from harness.scenario.resolve import resolve


def load(text: str, tmp_path: Path, root: str | None = None) -> Any:
    """The resolved Program of ``text``, saved as ``s.yaml`` (relative includes work;
    ``root="/"`` lets them reach anywhere, e.g. the shipped scenarios)."""
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return resolve(load_scenario_text(text, path, root=root))


def run(text: str, tmp_path: Path) -> Any:
    """Run ``text``'s app to its end: the RunResult."""
    return Session(load(text, tmp_path)).run_app()


def run_app(head: str, app: str, tmp_path: Path) -> Any:
    """Run the scenario ``t`` of ``head`` (its drivers, files or includes, which may point
    anywhere) and ``app`` (the app's steps, indented here): the RunResult."""
    text = ("scenario: t\ntitle: t\n" + head.lstrip("\n")
            + "app:\n" + textwrap.indent(textwrap.dedent(app), "  "))
    return Session(load(text, tmp_path, root="/")).run_app()


def problems(text: str, tmp_path: Path) -> list[str]:
    """The diagnostics loading ``text`` gives, as ``line:col: ...`` without the file."""
    path = tmp_path / "s.yaml"
    with pytest.raises(ScenarioError) as caught:
        load(text, tmp_path)
    return [str(d).replace(f"{path}:", "") for d in caught.value.diagnostics]
