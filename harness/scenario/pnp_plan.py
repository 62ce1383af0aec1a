"""Plan the ``pnp:`` section: devnodes with their IDs, the drivers bound to them and
what happens to them when (pnp-hardware §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ..lang.units import parse_duration
from .resources_plan import plan_resources
from .schema_pnp import CAPABILITY_FIELDS
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
    present_at: int | None = None           # plugged in then (None: present at boot)
    capabilities: Mapping[str, bool] | None = None   # DEVICE_CAPABILITIES bit fields
    holds: tuple[int, ...] = ()             # each event's hold (rebalance), 100 ns


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
        events, holds = [], []
        for k, event in enumerate(item.get("events", [])):
            at = _duration(event["at"], path + ["events", k, "at"], report)
            if "hold" in event and event["action"] not in ("rebalance", "stop"):
                report(path + ["events", k, "hold"], "hold is how long a rebalance keeps "
                       "the device stopped: only for rebalance or stop")
            events.append((at, event["action"]))
            holds.append(_duration(event.get("hold", 0), path + ["events", k, "hold"],
                                   report))
        present_at = None
        if "present_at" in item:
            present_at = _duration(item["present_at"], path + ["present_at"], report)
        _check_presence(events, present_at, path, report)
        plans.append(DevNodePlan(instance, tuple(item.get("hardware_ids", [])),
                                 tuple(item.get("compatible_ids", [])),
                                 item.get("description", ""), item.get("service"),
                                 tuple(item.get("lower_filters", [])),
                                 tuple(item.get("upper_filters", [])), tuple(events),
                                 plan_resources(item, path, report),
                                 **plan_storage(item, path, drivers, report),
                                 present_at=present_at,
                                 capabilities={CAPABILITY_FIELDS[key]: value for key, value
                                               in item.get("capabilities", {}).items()},
                                 holds=tuple(holds)))
    return tuple(plans)


def _duration(value: Any, path: list, report: Callable[..., None]) -> int:
    try:
        return parse_duration(value) if isinstance(value, str) else int(value)
    except ValueError as error:
        report(path, str(error))
        return 0


def _check_presence(events: list[tuple[int, str]], present_at: int | None, path: list,
                    report: Callable[..., None]) -> None:
    """Each event must find the device as it needs it (pnp-hardware §2.2, §2.10):
    plug_in an absent one, the others a present one. A removal makes it absent (an
    eject too: a device that cannot eject itself must be pulled and plugged in again)."""
    present = present_at is None
    timeline = sorted([(at, k, action) for k, (at, action) in enumerate(events)]
                      + ([(present_at, -1, "plug_in")] if present_at is not None else []))
    for _at, k, action in timeline:
        where = path + (["present_at"] if k < 0 else ["events", k, "action"])
        if action == "plug_in":
            if present:
                report(where, "the device is already present then: plug_in needs it "
                       "absent (present_at, or an earlier removal)")
            present = True
        elif not present:
            report(where, f"the device is not present then: {action} needs it plugged in")
        elif action in ("uninstall", "surprise_remove", "eject"):
            present = False


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
