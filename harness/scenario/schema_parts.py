"""The pieces the app verbs' JSON schemas are built of (schema_app.py, schema_fileapi.py,
schema_iocp.py): a name, an expression, a DWORD and a verb's object."""

from __future__ import annotations

from typing import Any

NAME = {"$ref": "#/$defs/identifier"}
EXPR = {"$ref": "#/$defs/expression"}
DWORD = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF}


def obj(description: str, required: list[str], **properties: Any) -> dict[str, Any]:
    """A verb's arguments: exactly these properties, ``required`` of them needed."""
    return {"type": "object", "description": description, "required": required,
            "properties": properties, "additionalProperties": False}
