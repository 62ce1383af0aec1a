"""The scenario language front end: schema, safe YAML loading, includes, diagnostics.

Load a scenario with :func:`load_scenario`; every problem in it (and in the files it
includes) is raised at once as a :class:`ScenarioError` of located
:class:`Diagnostic` objects.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported lazily so `python -m harness.scenario.schema` does not import the
# schema module twice (once via the package, once as __main__).
_EXPORTS = {
    "Diagnostic": "harness.lang.diagnostics",
    "ScenarioError": "harness.lang.diagnostics",
    "Scenario": "harness.scenario.loader",
    "load_scenario": "harness.scenario.loader",
    "load_scenario_text": "harness.scenario.loader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
