"""What the registry steps check: the keys and values a run left (RunResult.registry).

Paths are compared as the registry compares names, ignoring case, and a path through
CurrentControlSet names the control set it links to. Values are written as the
``registry:`` section writes them (scenario/registry_plan.py): an integer for REG_DWORD
and REG_QWORD, a quoted string for REG_SZ / REG_EXPAND_SZ, a buffer pattern for
REG_BINARY.
"""

from __future__ import annotations

from typing import Any

from ..kernel import CURRENT_CONTROL_SET
from ..kernel.cm.hive import CONTROL_SET
from ..lang.units import parse_buffer_pattern

TYPE_NAMES = {0: "REG_NONE", 1: "REG_SZ", 2: "REG_EXPAND_SZ", 3: "REG_BINARY", 4: "REG_DWORD",
              5: "REG_DWORD_BIG_ENDIAN", 6: "REG_LINK", 7: "REG_MULTI_SZ", 11: "REG_QWORD"}


def _canonical(path: str) -> str:
    path = path.rstrip("\\")
    link = CURRENT_CONTROL_SET.lower()
    if path.lower() == link or path.lower().startswith(link + "\\"):
        path = CONTROL_SET + path[len(link):]
    return path.lower()


def find_key(registry: dict[str, Any], path: str) -> tuple[str, dict] | None:
    """(the key's path as stored, its values) or None."""
    wanted = _canonical(path)
    return next(((p, v) for p, v in registry.items() if p.lower() == wanted), None)


def show(value_type: int, data: bytes) -> str:
    """A value as a person reads it (what a failing step reports)."""
    name = TYPE_NAMES.get(value_type, str(value_type))
    if value_type in (4, 11) and len(data) in (4, 8):
        return f"{name} {int.from_bytes(data, 'little')}"
    if value_type in (1, 2):
        return f'{name} "{data.decode("utf-16-le", "replace").rstrip(chr(0))}"' \
               + ("" if data.endswith(b"\0\0") else " (no NUL)")
    return f"{name} hex: {data.hex(' ').upper()}" if data else name


def expected_data(type_name: str, text: str) -> bytes:
    """The bytes a step's expected value stands for.

    Raises:
        ValueError: text that is not a value of that type.
    """
    text = text.strip()
    if type_name in ("REG_DWORD", "REG_QWORD"):
        size = 4 if type_name == "REG_DWORD" else 8
        value = int(text, 0)
        return (value & ((1 << 8 * size) - 1)).to_bytes(size, "little")
    if type_name in ("REG_SZ", "REG_EXPAND_SZ"):
        if not (len(text) >= 2 and text[0] == text[-1] == '"'):
            raise ValueError(f'a {type_name} is written in double quotes: "hello world"')
        return text[1:-1].encode("utf-16-le") + b"\0\0"
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    return parse_buffer_pattern(text)
