"""The package as a user installs it: one version, typed, licensed."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

import harness

tomllib = pytest.importorskip("tomllib")     # Python 3.11+; the package supports 3.10

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_once_in_the_package():
    project = _pyproject()
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "harness.__version__"}
    assert metadata.version("irp-harness") == harness.__version__


def test_the_package_says_it_is_typed():
    assert (ROOT / "harness" / "py.typed").is_file()
    assert "py.typed" in _pyproject()["tool"]["setuptools"]["package-data"]["harness"]


def test_a_licence_and_a_changelog_ship_with_the_sources():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert _pyproject()["project"]["license"] == {"file": "LICENSE"}
    assert f"## [{harness.__version__}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
