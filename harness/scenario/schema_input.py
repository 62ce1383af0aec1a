"""Schema definitions for the ``raw_input:`` section: the Win32 subsystem's raw input
thread, the reader of the keyboard class device (stacks-services 2.6)."""

from __future__ import annotations

from typing import Any


def input_defs() -> dict[str, Any]:
    settings = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "keyboard": dict({"$ref": "#/$defs/device_name"},
                             description="the keyboard class device it reads (default "
                                         "\\Device\\KeyboardClass0)"),
            "records": {"type": "integer", "minimum": 1, "maximum": 100,
                        "description": "KEYBOARD_INPUT_DATA records per read (default 1)"}},
    }
    return {"raw_input": {
        "title": "raw input",
        "description": "win32k's raw input thread (RIT): once the machine has booted it "
                       "opens the keyboard class device from kernel mode and always keeps "
                       "one read pending, turning each record into a virtual key "
                       "(ProcessKeyboardInput in the trace). true: the defaults.",
        "anyOf": [{"const": True}, settings]}}
