"""Schema definitions for the ``pnp:`` section: the device tree the PnP manager
enumerates (pnp-hardware §2)."""

from __future__ import annotations

from typing import Any

from .schema_resources import resources_properties
from .schema_storage import storage_properties

_ID = {"type": "string", "minLength": 1, "maxLength": 200,
       "pattern": "^[\\x20-\\x2B\\x2D-\\x7F]+$",
       "description": "a device ID: printable ASCII without ',' (pnp-hardware §2.3)"}
_SERVICES = {"type": "array", "maxItems": 16, "items": {"$ref": "#/$defs/identifier"}}
#: what a devnode's events can do (pnp-hardware §2.2, §2.9, §2.10)
DEVNODE_ACTIONS = {
    "uninstall": "Device Manager's (QUERY_REMOVE, REMOVE)",
    "surprise_remove": "the device is pulled (SURPRISE_REMOVAL; REMOVE after the last close)",
    "plug_in": "the device appears (root BusRelations, then its start)",
    "rebalance": "QUERY_STOP, STOP, START again (CANCEL_STOP on a veto)",
    "stop": "the same as rebalance",
    "eject": "Safely Remove: EjectionRelations, QUERY_REMOVE, REMOVE, then EJECT if "
             "EjectSupported"}
#: capabilities: key -> the DEVICE_CAPABILITIES bit field the root PDO reports (§2.6)
CAPABILITY_FIELDS = {"eject_supported": "EjectSupported", "removable": "Removable",
                     "surprise_removal_ok": "SurpriseRemovalOK",
                     "lock_supported": "LockSupported"}
_CAPABILITIES = {
    "type": "object", "additionalProperties": False,
    "description": "the DEVICE_CAPABILITIES the root PDO reports (QUERY_CAPABILITIES): "
                   "eject_supported makes an eject end with IRP_MN_EJECT",
    "properties": {key: {"type": "boolean", "description": f"{field}"}
                   for key, field in CAPABILITY_FIELDS.items()}}


def pnp_defs() -> dict[str, Any]:
    return {"power": {
        "title": "power", "type": "array", "maxItems": 32,
        "description": "What the power manager does when (pnp-hardware §4.4): standby "
                       "sends QUERY_POWER then SET_POWER(S1) to every started stack, resume "
                       "SET_POWER(S0).",
        "items": {"type": "object", "required": ["at", "action"], "additionalProperties": False,
                  "properties": {"at": {"$ref": "#/$defs/duration"},
                                 "action": {"enum": ["standby", "resume"]}}}},
        "pnp": {
        "title": "pnp", "type": "array", "maxItems": 64,
        "description": "Devnodes of the root enumerator, started at boot in this order: "
                       "the IDs the PDO reports and the drivers the registry binds to it.",
        "items": {"type": "object", "required": ["instance"], "additionalProperties": False,
                  "properties": {
                      "instance": {"type": "string", "maxLength": 200,
                                   "pattern": "^[^\\\\]+\\\\[^\\\\]+\\\\[^\\\\]+$",
                                   "description": "the instance path, e.g. "
                                                  "ROOT\\UNKNOWN\\0000"},
                      "hardware_ids": {"type": "array", "maxItems": 16, "items": _ID},
                      "compatible_ids": {"type": "array", "maxItems": 16, "items": _ID},
                      "description": {"type": "string", "maxLength": 200,
                                      "description": "DeviceDesc (QUERY_DEVICE_TEXT)"},
                      "service": dict({"$ref": "#/$defs/identifier"},
                                      description="the function driver (a scenario driver "
                                                  "with add_device)"),
                      "lower_filters": _SERVICES,
                      "upper_filters": _SERVICES,
                      **resources_properties(),
                      **storage_properties(),
                      "present_at": dict({"$ref": "#/$defs/duration"}, description=(
                          "absent at boot: the device is plugged in then (the root "
                          "enumerator reports it on the next BusRelations and it starts, "
                          "pnp-hardware §2.2)")),
                      "capabilities": _CAPABILITIES,
                      "events": {
                          "type": "array", "maxItems": 16,
                          "description": "what happens to the device later",
                          "items": {"type": "object", "required": ["at", "action"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "at": {"$ref": "#/$defs/duration"},
                                        "action": {"enum": list(DEVNODE_ACTIONS),
                                                   "description": "; ".join(
                                                       f"{k}: {v}" for k, v in
                                                       DEVNODE_ACTIONS.items())},
                                        "hold": dict({"$ref": "#/$defs/duration"},
                                                     description="rebalance: how long the "
                                                     "device stays stopped before START")}}},
                  }}}}
