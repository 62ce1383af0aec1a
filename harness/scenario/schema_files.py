"""Schema definitions for ``files:`` and ``volume:``: the C: drive's content at boot.

``files:`` lists what is on the volume before the drivers load, one entry per file or
directory (directories on the way are made); ``volume:`` says how the volume behaves.
Paths are DOS paths on C: as a reader of the book writes them (``C:\\1.log``); drivers
reach them as ``\\??\\C:\\1.log``, ``\\DosDevices\\C:\\1.log`` or
``\\Device\\HarddiskVolume1\\1.log``.
"""

from __future__ import annotations

from typing import Any

#: A DOS path on C: with at least one component.
PATH_PATTERN = r"^[Cc]:\\[^\\].*$"


def files_defs() -> dict[str, Any]:
    data_piece = {"$ref": "#/$defs/buffer_pattern"}
    entry = {
        "title": "file", "type": "object", "required": ["path"],
        "additionalProperties": False,
        "properties": {
            "path": {"type": "string", "pattern": PATH_PATTERN, "maxLength": 260,
                     "description": "A path on C:, e.g. 'C:\\1.log' or 'C:\\logs\\a.txt'."},
            "data": {"description": "The file's bytes: a buffer pattern ('AA*1024', "
                                    "'hex: 01 02', 'hello'), or a list of them, joined. "
                                    "Omitted: an empty file.",
                     "anyOf": [data_piece, {"type": "array", "minItems": 1, "maxItems": 64,
                                            "items": data_piece}]},
            "directory": {"type": "boolean",
                          "description": "true: a directory (no data)."},
            "read_only": {"type": "boolean",
                          "description": "FILE_ATTRIBUTE_READONLY: opens for writing are "
                                         "STATUS_ACCESS_DENIED."},
        },
    }
    return {
        "files": {"title": "files", "type": "array", "maxItems": 1000, "items": entry,
                  "description": "Files and directories on the C: volume when the machine "
                                 "starts (the volume is there, empty, without this)."},
        "volume": {"title": "volume", "type": "object", "additionalProperties": False,
                   "properties": {"write_protected": {
                       "type": "boolean", "description": "Every open asking for write "
                       "access, and every create, is STATUS_MEDIA_WRITE_PROTECTED."}},
                   "description": "How the C: volume behaves."},
    }
