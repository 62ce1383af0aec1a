"""The registry a scenario's machine boots with (stacks-services 4.17; the ``registry:``
section).

Every driver of the scenario is an installed service: its key
``\\Registry\\Machine\\System\\CurrentControlSet\\Services\\<name>`` (DriverEntry's
RegistryPath) exists with what CreateService writes, before any driver loads; then the
section's keys and values are put in, in order, so a listed service key adds to (or
replaces) those values. A driver declared ``installed: false`` has no service key yet.
"""

from __future__ import annotations

from typing import Any

from ..usermode.scm import START_TYPES


def install_registry(kernel: Any, program: Any) -> None:
    """Put the service keys and the ``registry:`` section into ``kernel.registry``."""
    cm = kernel.registry
    for driver in program.drivers:
        if getattr(driver, "installed", True):
            cm.create_service_key(driver.name,
                                  START_TYPES.get(getattr(driver, "start", "demand"), 3))
    for key in program.registry:
        cm.install(key.path, key.volatile, key.values)
