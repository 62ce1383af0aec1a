"""Schema of a devnode's ``resources:``: what its bus assigns it, raw (bus-relative), one
descriptor per item (pnp-hardware §2.5). The harness translates them as the HAL does.

An item names its kind by one key - ``port``, ``memory`` (the range's start, with
``length``), ``interrupt`` (the bus level, the IRQ) or ``dma`` (the channel) - plus the
keys that kind takes; resources_plan.py checks the combination and says what is wrong.
"""

from __future__ import annotations

from typing import Any

from ..kernel import INTERFACE_TYPES, PIC_LEVELS, SHARE_DISPOSITIONS

_U32 = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF}
#: A PHYSICAL_ADDRESS (64 bits).
_ADDRESS = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFFFFFFFFFF}

#: The keys that say which kind of resource an item is.
RESOURCE_KINDS = ("port", "memory", "interrupt", "dma")

RESOURCE = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "description": "one CM_PARTIAL_RESOURCE_DESCRIPTOR as the bus assigns it, e.g. "
                   "{port: 0xC000, length: 0x100}, {memory: 0xF4000000, length: 0x100}, "
                   "{interrupt: 11}, {dma: 3}",
    "properties": {
        "port": dict(_ADDRESS, maximum=0xFFFF,
                     description="CmResourceTypePort: the first I/O port (u.Port.Start)"),
        "memory": dict(_ADDRESS, description="CmResourceTypeMemory: the bus-relative "
                                             "physical address (u.Memory.Start)"),
        "length": dict(_U32, minimum=1, description="a port or memory range's length"),
        "interrupt": {"type": "integer", "minimum": 0, "maximum": PIC_LEVELS - 1,
                      "description": "CmResourceTypeInterrupt: the bus interrupt level "
                                     "(the IRQ, u.Interrupt.Level)"},
        "vector": dict(_U32, description="the raw u.Interrupt.Vector (default: the level)"),
        "affinity": dict(_U32, description="the raw u.Interrupt.Affinity (default "
                                           "0xFFFFFFFF, (KAFFINITY)-1 as a bus reports it)"),
        "mode": {"enum": ["LevelSensitive", "Latched"],
                 "description": "the interrupt's Flags (default LevelSensitive, as PCI)"},
        "dma": {"type": "integer", "minimum": 0, "maximum": 7,
                "description": "CmResourceTypeDma: the channel (u.Dma.Channel)"},
        "dma_port": dict(_U32, description="u.Dma.Port (default 0)"),
        "share": {"enum": list(SHARE_DISPOSITIONS),
                  "description": "ShareDisposition (default: Shared for a level-sensitive "
                                 "interrupt, DeviceExclusive otherwise)"},
        "flags": {"type": "integer", "minimum": 0, "maximum": 0xFFFF,
                  "description": "a port's, memory range's or DMA channel's Flags (default "
                                 "CM_RESOURCE_PORT_IO for a port, 0 otherwise)"},
    }}


def resources_properties() -> dict[str, Any]:
    """The devnode keys this adds to a ``pnp:`` item."""
    return {
        "resources": {"type": "array", "minItems": 1, "maxItems": 32, "items": RESOURCE,
                      "description": "what the bus assigns the device: QUERY_RESOURCES and "
                                     "QUERY_RESOURCE_REQUIREMENTS report it and START_DEVICE "
                                     "carries it raw and translated; without it both "
                                     "lists are NULL (a root-enumerated fake device)"},
        "interface_type": {"enum": list(INTERFACE_TYPES),
                           "description": "the lists' InterfaceType (default PCIBus for a "
                                          "PCI\\ instance, else Internal)"},
        "bus_number": dict(_U32, description="the lists' BusNumber (default 0)"),
    }
