"""Schema of a devnode's ``bus:`` and ``medium:``: a PDO a bus driver reports, and the
USB mass-storage logical unit behind USBSTOR's (stacks-services §3)."""

from __future__ import annotations

from typing import Any

#: Most blocks a medium may have (16 MiB of 512-byte blocks: the model holds them).
MAX_BLOCKS = 32768


def storage_properties() -> dict[str, Any]:
    piece = {"$ref": "#/$defs/buffer_pattern"}
    return {
        "bus": dict({"$ref": "#/$defs/identifier"}, description=(
            "the scenario driver whose PDO this devnode is: a bus driver reporting a child "
            "of its bus (the built-in USBSTOR for a USB disk's LUN). Without it the PDO is "
            "the root enumerator's.")),
        "medium": {
            "type": "object", "additionalProperties": False,
            "description": "The USB stick's logical unit behind USBSTOR's PDO (needs bus): "
                           "its blocks, its data, its write-protect switch.",
            "properties": {
                "blocks": {"type": "integer", "minimum": 1, "maximum": MAX_BLOCKS,
                           "description": "capacity in blocks (default 2048)"},
                "block_size": {"enum": [512, 1024, 2048, 4096],
                               "description": "bytes per block (default 512)"},
                "data": {"description": "what the medium holds from block 0: a buffer "
                                        "pattern or a list of them, joined (the rest is "
                                        "zero)",
                         "anyOf": [piece, {"type": "array", "minItems": 1, "maxItems": 64,
                                           "items": piece}]},
                "write_protected": {"type": "boolean",
                                    "description": "the stick's write-protect switch: MODE "
                                                   "SENSE reports it and writes get DATA "
                                                   "PROTECT"},
                "latency": dict({"$ref": "#/$defs/duration"}, description=(
                    "what one SCSI command takes on the bus (default 1ms)")),
            }},
    }
