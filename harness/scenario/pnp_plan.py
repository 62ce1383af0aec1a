"""Plan the ``pnp:`` section: devnodes with their IDs, the drivers bound to them and
what happens to them when (pnp-hardware §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ..lang.units import parse_duration
from .resources_plan import plan_resources
from .storage_plan import MediumPlan, plan_storage


@dataclass(frozen=True)
class DevNodePlan:
    instance: str
    hardware_ids: tuple[str, ...]
    compatible_ids: tuple[str, ...]
    description: str
    service: str | None
    lower_filters: tuple[str, ...]
    upper_filters: tuple[str, ...]
    events: tuple[tuple[int, str], ...]     # (time in 100 ns, action)
    resources: Any = None                   # DeviceResources, None: NULL lists at START
    bus: str | None = None                  # the driver whose PDO it is (None: root)
    medium: MediumPlan | None = None        # a USB LUN behind USBSTOR's PDO (§3)


def plan_pnp(items: Sequence[Mapping[str, Any]], drivers: Mapping[str, Any],
             report: Callable[..., None]) -> tuple[DevNodePlan, ...]:
    """Check each devnode's drivers against the scenario's (a function driver needs
    add_device) and each instance path is unique."""
    plans, seen = [], set()
    for i, item in enumerate(items):
        path = ["pnp", i]
        instance = item["instance"]
        if instance.lower() in seen:
            # pnp-hardware §2.3: two PDOs with one instance path is 0xCA (0x1, ...)
            report(path + ["instance"], f"{instance} is already a devnode")
        seen.add(instance.lower())
        bound = [("service", item.get("service"))] + [
            (key, name) for key in ("lower_filters", "upper_filters")
            for name in item.get(key, [])]
        for key, name in bound:
            if name is None:
                continue
            plan = drivers.get(name)
            if plan is None:
                report(path + [key], f"no driver named {name!r} in this scenario")
            elif plan.add_device is None:
                report(path + [key], f"{name} has no add_device: a driver bound to a "
                       "devnode is a PnP (WDM) driver")
        events = []
        for k, event in enumerate(item.get("events", [])):
            try:
                at = parse_duration(event["at"]) if isinstance(event["at"], str) \
                    else int(event["at"])
            except ValueError as error:
                report(path + ["events", k, "at"], str(error))
                at = 0
            events.append((at, event["action"]))
        plans.append(DevNodePlan(instance, tuple(item.get("hardware_ids", [])),
                                 tuple(item.get("compatible_ids", [])),
                                 item.get("description", ""), item.get("service"),
                                 tuple(item.get("lower_filters", [])),
                                 tuple(item.get("upper_filters", [])), tuple(events),
                                 plan_resources(item, path, report),
                                 **plan_storage(item, path, drivers, report)))
    return tuple(plans)


def plan_power(items: Sequence[Mapping[str, Any]], report: Callable[..., None]
               ) -> tuple[tuple[int, str], ...]:
    """The ``power:`` events: (time in 100 ns, standby | resume)."""
    events = []
    for i, event in enumerate(items):
        try:
            at = parse_duration(event["at"]) if isinstance(event["at"], str) else int(event["at"])
        except ValueError as error:
            report(["power", i, "at"], str(error))
            at = 0
        events.append((at, event["action"]))
    return tuple(events)
