"""The files a results directory carries besides the results: categories, environment.

``categories.json`` sorts failures by what went wrong, in Allure's order (the first
rule that matches wins), from the text ``IrpScenario.fail`` writes into every
assertion message:

- **Bug check**: a failed scenario whose simulated machine bug-checked (one the
  feature did not expect, or the wrong code or parameters): the message has
  ``the machine bug-checked: ...``;
- **Hang / time limit**: the run ended with a blocked thread, a frozen CPU or work
  still going on: ``outcome: HANG`` or ``outcome: TIME_LIMIT``;
- **Fidelity mismatch**: any other failed assertion: the trace is not what the
  feature (the book) says;
- **Harness error**: a *broken* result (an exception that is not an assertion): a
  malformed scenario or step, something not modelled (exit 2 of ``irp-harness run``)
  or an internal error of the harness (exit 3).

The file is Allure 2's format; Allure 3 reads the same rules from its configuration
(``allurerc.mjs`` loads this file), so there is one list. ``environment.properties``
records what produced the results: Python, SimPy, the harness and the seeds.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Iterable

from .. import __version__

_ANY = r"[\s\S]*"      # Allure 2 matches the whole message (Java's matches()), 3 searches

CATEGORIES: list[dict[str, object]] = [
    {"name": "Bug check", "matchedStatuses": ["failed"],
     "messageRegex": f"{_ANY}the machine bug-checked{_ANY}",
     "description": "The simulated machine bug-checked where the feature expected "
                    "something else."},
    {"name": "Hang / time limit", "matchedStatuses": ["failed"],
     "messageRegex": f"{_ANY}outcome: (HANG|TIME_LIMIT){_ANY}",
     "description": "A thread stayed blocked, a CPU froze or the run hit its limit."},
    {"name": "Fidelity mismatch", "matchedStatuses": ["failed"],
     "description": "The trace differs from what the feature (the book) says."},
    {"name": "Harness error", "matchedStatuses": ["broken"],
     "description": "Not an assertion: a malformed scenario or step, something not "
                    "modelled, or an internal error of the harness."},
]


def environment(seeds: Iterable[int]) -> dict[str, str]:
    """What produced the results (sorted seeds: the steps' default is 0)."""
    used = sorted(set(seeds))
    return {
        "Python": platform.python_version(),
        "SimPy": _version("simpy"),
        "irp-harness": __version__,
        "pytest-bdd": _version("pytest-bdd"),
        "seed": ", ".join(map(str, used)) if used else "0",
    }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def write_results_metadata(directory: Path, seeds: Iterable[int]) -> None:
    """Write categories.json and environment.properties into a results directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "categories.json").write_text(
        json.dumps(CATEGORIES, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [f"{key}={_escape(value)}" for key, value in environment(seeds).items()]
    (directory / "environment.properties").write_text("\n".join(lines) + "\n",
                                                      encoding="utf-8")


def _escape(value: str) -> str:
    """A .properties value: backslashes and leading blanks escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")
