"""The pytest plugin of irp-harness (entry point ``irp_harness``).

It registers the step library and the Allure adapter, adds the ini option
``irp_scenarios_dir`` (default ``scenarios``, relative to the rootdir) that
``Given the scenario "..."`` resolves paths against, registers every Gherkin tag of
the features as a marker (so ``--strict-markers`` needs no list in the project's
configuration), and discovers the project's custom blocks (``steps/*_blocks.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..blocks.discovery import load_custom_blocks
from . import hookspecs

pytest_plugins = ["harness.bdd.steps", "harness.bdd.explore_steps", "harness.bdd.allure_adapter"]

_TAG = re.compile(r"(?<!\S)@([A-Za-z_][\w.-]*)")


def pytest_addhooks(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: Any) -> None:
    parser.addini("irp_scenarios_dir", "directory of scenario YAML files, relative to the "
                  "rootdir", default="scenarios")


def feature_tags(features: Path) -> set[str]:
    """Every ``@tag`` on a tag line of the ``.feature`` files under ``features``."""
    tags: set[str] = set()
    for path in sorted(features.rglob("*.feature")) if features.is_dir() else ():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("@"):
                tags.update(_TAG.findall(line.split("#", 1)[0]))
    return tags


def pytest_configure(config: Any) -> None:
    base = config.getini("bdd_features_base_dir") if _has_ini(config, "bdd_features_base_dir") \
        else None
    features = Path(config.rootpath) / (base or "features")
    for tag in sorted(feature_tags(features)):
        config.addinivalue_line("markers", f"{tag}: Gherkin tag of features/")
    load_custom_blocks(Path(config.rootpath))


def _has_ini(config: Any, name: str) -> bool:
    try:
        config.getini(name)
    except ValueError:
        return False
    return True
