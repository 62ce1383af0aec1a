"""Static typing: mypy with the project's configuration (pyproject.toml [tool.mypy]).

The kernel (harness/kernel/) is checked strictly, the rest of the harness with
check_untyped_defs; all of it must stay clean (scripts/test.sh also runs mypy before
pytest). Skipped when mypy is not installed (it is a dev extra).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.kernel.instrument import HOOK_NAMES, Hooks

ROOT = Path(__file__).resolve().parent.parent


def _mypy_errors() -> list[str]:
    api = pytest.importorskip("mypy.api")
    cwd = os.getcwd()
    os.chdir(ROOT)                  # the config names files = ["harness"]
    try:
        stdout, stderr, _status = api.run([])
    finally:
        os.chdir(cwd)
    assert "error: " not in stderr, stderr     # a broken configuration
    return [line for line in stdout.splitlines() if re.match(r"\S+:\d+: error: ", line)]


@pytest.fixture(scope="module")
def mypy_errors() -> list[str]:
    return _mypy_errors()


def test_the_kernel_is_clean_under_strict_mypy(mypy_errors: list[str]) -> None:
    kernel = [line for line in mypy_errors if line.startswith("harness/kernel/")]
    assert kernel == []


def test_the_whole_harness_is_clean_under_mypy(mypy_errors: list[str]) -> None:
    """usermode, runner, bdd, trace, blocks, scenario, ...: zero errors, no module
    excused (the config has no ignore_errors, checked below)."""
    assert mypy_errors == []


def test_mypy_checks_the_whole_harness() -> None:
    """The config's ``files`` is the whole package, so a clean run covers every module."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^files = \["harness"\]$', text, re.M)


def test_the_config_is_strict_for_the_kernel() -> None:
    """The kernel override spells --strict flag by flag (a per-module `strict = true` is
    not honoured by mypy: it turns strict on for every module)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text[text.index('module = ["harness.kernel.*"]'):]
    section = section[:section.index("[[tool.mypy.overrides]]")]
    for flag in ("disallow_any_generics", "disallow_untyped_defs", "disallow_untyped_calls",
                 "disallow_incomplete_defs", "warn_return_any", "strict_equality"):
        assert f"{flag} = true" in section
    assert "implicit_reexport = false" in section
    assert "ignore_errors" not in text


def test_hooks_declares_every_hook_name() -> None:
    """Hooks sets one attribute per HOOK_NAMES entry; its class body declares each for
    the type checker. A hook added to one list and not the other fails here."""
    assert list(Hooks.__annotations__) == list(HOOK_NAMES)
