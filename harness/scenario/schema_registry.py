"""The ``registry:`` section's JSON Schema: the keys and values the machine boots with."""

from __future__ import annotations

from typing import Any

#: The value types a registry: section may declare, and what their data is written as.
VALUE_TYPES = ("REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
               "REG_MULTI_SZ", "REG_QWORD")


def registry_defs() -> dict[str, Any]:
    value = {
        "type": "object", "required": ["name", "type"], "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 1024,
                     "description": "the value's name (\"\" is the key's default value)"},
            "type": {"enum": list(VALUE_TYPES)},
            "data": {"description": (
                "REG_DWORD / REG_QWORD: an integer; REG_SZ / REG_EXPAND_SZ: a string (stored "
                "with its NUL); REG_MULTI_SZ: a list of strings; REG_BINARY / REG_NONE: a "
                "buffer pattern ('FF*10', 'hex: 01 02')"),
                "anyOf": [{"type": "integer", "minimum": -(1 << 63), "maximum": (1 << 64) - 1},
                          {"type": "string", "maxLength": 65536},
                          {"type": "array", "maxItems": 256,
                           "items": {"type": "string", "maxLength": 4096}}]}}}
    return {
        "registry": {
            "title": "registry", "type": "array", "maxItems": 1024,
            "description": "Keys the registry holds when the machine starts (what an earlier "
                           "run or an installer left), each with its values in order. Paths "
                           "are full kernel names: \\Registry\\Machine\\Software\\X (HKLM is "
                           "\\Registry\\Machine, HKU \\Registry\\User); missing parents are "
                           "created. Every driver's service key "
                           "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\<name> "
                           "exists without being listed; list it to add values.",
            "items": {"type": "object", "required": ["key"], "additionalProperties": False,
                      "properties": {
                          "key": {"type": "string", "pattern": r"^\\[Rr][Ee][Gg][Ii][Ss][Tt]"
                                  r"[Rr][Yy]\\", "maxLength": 1024,
                                  "description": "\\Registry\\Machine\\... or "
                                                 "\\Registry\\User\\..."},
                          "volatile": {"type": "boolean", "description": (
                              "REG_OPTION_VOLATILE: gone at the next boot (default false)")},
                          "values": {"type": "array", "maxItems": 1024, "items": value}}}}}
