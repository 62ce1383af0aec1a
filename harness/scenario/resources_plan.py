"""Plan a devnode's ``resources:`` (pnp-hardware §2.5): each item checked for the keys
its kind takes, with the defaults a bus gives, into the kernel's raw descriptors."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..kernel import (CM_RESOURCE_INTERRUPT_LATCHED, CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE,
                      CM_RESOURCE_PORT_IO, INTERFACE_TYPES, SHARE_DISPOSITIONS,
                      CmPartialResource, CmResourceShareDeviceExclusive,
                      CmResourceShareShared, CmResourceTypeDma, CmResourceTypeInterrupt,
                      CmResourceTypeMemory, CmResourceTypePort, DeviceResources)
from .schema_resources import RESOURCE_KINDS

#: The keys each kind takes besides its own.
_COMPANIONS = {"port": ("length", "share", "flags"), "memory": ("length", "share", "flags"),
               "interrupt": ("vector", "affinity", "mode", "share"),
               "dma": ("dma_port", "share", "flags")}


def plan_resources(item: Mapping[str, Any], path: Sequence[Any],
                   report: Callable[..., None]) -> DeviceResources | None:
    """The devnode's raw resources, or None when it declares none (both START lists
    NULL, §2.5 item 2). Problems go to ``report`` at the item or key they are about."""
    items = item.get("resources")
    if not items:
        return None
    raw = []
    for index, spec in enumerate(items):
        where = [*path, "resources", index]
        kinds = [kind for kind in RESOURCE_KINDS if kind in spec]
        if len(kinds) != 1:
            report(where, "a resource is one of port, memory, interrupt or dma"
                   + (f", not {' and '.join(kinds)} at once" if kinds else ""))
            continue
        kind = kinds[0]
        stray = [key for key in spec if key != kind and key not in _COMPANIONS[kind]]
        if stray:
            report([*where, stray[0]], f"{stray[0]} does not go with a {kind} resource "
                   f"(it takes {', '.join(_COMPANIONS[kind])})")
            continue
        descriptor = _descriptor(kind, spec, where, report)
        if descriptor is not None:
            raw.append(descriptor)
    instance = item["instance"]
    default = "PCIBus" if instance.upper().startswith("PCI\\") else "Internal"
    return DeviceResources(raw, INTERFACE_TYPES[item.get("interface_type", default)],
                           item.get("bus_number", 0))


def _descriptor(kind: str, spec: Mapping[str, Any], where: list,
                report: Callable[..., None]) -> CmPartialResource | None:
    share = SHARE_DISPOSITIONS.get(spec.get("share", ""))
    if kind in ("port", "memory"):
        if "length" not in spec:
            report(where, f"a {kind} range needs a length")
            return None
        start, length = spec[kind], spec["length"]
        if kind == "port" and start + length > 0x10000:
            # x86 I/O space is 64 KiB
            report([*where, "length"], f"ports 0x{start:X}..0x{start + length - 1:X} run "
                   "past the I/O space's end (0xFFFF)")
            return None
        if start + length > 1 << 64:
            report([*where, "length"], "the range runs past the 64-bit physical space")
            return None
        return CmPartialResource(
            CmResourceTypePort if kind == "port" else CmResourceTypeMemory,
            CmResourceShareDeviceExclusive if share is None else share,
            spec.get("flags", CM_RESOURCE_PORT_IO if kind == "port" else 0),
            start=start, length=length)
    if kind == "interrupt":
        latched = spec.get("mode") == "Latched"
        if share is None:
            share = CmResourceShareDeviceExclusive if latched else CmResourceShareShared
        level = spec["interrupt"]
        # ReactOS's arbiters assign Level = Vector = the IRQ and Affinity (KAFFINITY)-1
        return CmPartialResource(
            CmResourceTypeInterrupt, share, CM_RESOURCE_INTERRUPT_LATCHED if latched
            else CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE, level=level,
            vector=spec.get("vector", level), affinity=spec.get("affinity", 0xFFFFFFFF))
    return CmPartialResource(CmResourceTypeDma,
                             CmResourceShareDeviceExclusive if share is None else share,
                             spec.get("flags", 0), channel=spec["dma"],
                             port=spec.get("dma_port", 0))
