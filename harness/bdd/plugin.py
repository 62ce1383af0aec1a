"""The pytest plugin of irp-harness (entry point ``irp_harness``).

It registers the step library and the Allure adapter, and adds the ini option
``irp_scenarios_dir`` (default ``scenarios``, relative to the rootdir) that
``Given the scenario "..."`` resolves paths against.
"""

from __future__ import annotations

from typing import Any

pytest_plugins = ["harness.bdd.steps", "harness.bdd.allure_adapter"]


def pytest_addhooks(pluginmanager: Any) -> None:
    from . import hookspecs
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: Any) -> None:
    parser.addini("irp_scenarios_dir", "directory of scenario YAML files, relative to the "
                  "rootdir", default="scenarios")
