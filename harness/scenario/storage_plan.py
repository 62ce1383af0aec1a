"""Plan a devnode's ``bus:`` and ``medium:`` (stacks-services §3): which scenario driver
owns its PDO, and the USB logical unit's blocks, data and write-protect switch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ..kernel import DEFAULT_BLOCK_SIZE, DEFAULT_BLOCKS, DEFAULT_LATENCY
from ..lang.units import parse_buffer_pattern, parse_duration


@dataclass(frozen=True)
class MediumPlan:
    blocks: int
    block_size: int
    data: bytes
    write_protected: bool
    latency: int                       # 100 ns units


def plan_storage(item: Mapping[str, Any], path: list, drivers: Mapping[str, Any],
                 report: Callable[[Sequence[Any], str], None]) -> dict[str, Any]:
    """``bus`` and ``medium`` of one devnode, as DevNodePlan keywords."""
    bus = item.get("bus")
    if bus is not None and bus not in drivers:
        report(path + ["bus"], f"no driver named {bus!r} in this scenario (include "
               "drivers/builtin/usbstor.yaml for USBSTOR)")
    spec = item.get("medium")
    if spec is None:
        return {"bus": bus, "medium": None}
    if bus is None:
        report(path + ["medium"], "a medium sits behind a bus driver's PDO: give the "
               "devnode bus: (USBSTOR)")
    blocks = spec.get("blocks", DEFAULT_BLOCKS)
    size = spec.get("block_size", DEFAULT_BLOCK_SIZE)
    raw = spec.get("data")
    data = bytearray()
    for i, piece in enumerate(raw if isinstance(raw, list) else [] if raw is None else [raw]):
        try:
            data += parse_buffer_pattern(piece)
        except ValueError as error:
            report(path + ["medium", "data"] + ([i] if isinstance(raw, list) else []),
                   str(error))
    if len(data) > blocks * size:
        report(path + ["medium", "data"], f"{len(data)} bytes do not fit in {blocks} "
               f"blocks of {size}")
        data = data[:blocks * size]
    latency = DEFAULT_LATENCY
    if "latency" in spec:
        try:
            latency = parse_duration(spec["latency"])
        except ValueError as error:
            report(path + ["medium", "latency"], str(error))
    return {"bus": bus, "medium": MediumPlan(blocks, size, bytes(data),
                                             bool(spec.get("write_protected", False)),
                                             latency)}
