"""Plan the ``registry:`` section: the keys and values the machine boots with
(stacks-services 4.17-4.19).

Each key's path is a full kernel name under \\Registry\\Machine or \\Registry\\User
(one form; HKLM is \\Registry\\Machine); missing parents are created as an installer
creates them. A key may be volatile; a non-volatile key cannot be under a volatile
one (STATUS_CHILD_MUST_BE_VOLATILE, 4.18): the roots \\Registry\\Machine and
\\Registry\\User and the HARDWARE hive are volatile, so keys are declared inside a
hive (Software, System, ...). A path through CurrentControlSet names ControlSet001.
Value data is written by type: an integer for REG_DWORD / REG_QWORD, a string for
REG_SZ / REG_EXPAND_SZ (stored UTF-16LE with its NUL), a list of strings for
REG_MULTI_SZ, a buffer pattern for REG_BINARY / REG_NONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ..kernel import CURRENT_CONTROL_SET, REG_BINARY, REG_DWORD, REG_EXPAND_SZ, \
    REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ
from ..kernel.cm.hive import BOOT_KEYS, CONTROL_SET
from ..lang.units import parse_buffer_pattern

_TYPES = {"REG_NONE": REG_NONE, "REG_SZ": REG_SZ, "REG_EXPAND_SZ": REG_EXPAND_SZ,
          "REG_BINARY": REG_BINARY, "REG_DWORD": REG_DWORD, "REG_MULTI_SZ": REG_MULTI_SZ,
          "REG_QWORD": REG_QWORD}
#: Volatile keys at boot (the roots and HARDWARE): nothing non-volatile goes under them.
_VOLATILE = {path.lower() for path, volatile in BOOT_KEYS if volatile} | {"\\registry"}


@dataclass(frozen=True)
class RegistryKeyPlan:
    """One key of ``registry:``: its path (CurrentControlSet resolved), volatility and
    values ((name, REG_* type, data bytes) in order)."""

    path: str
    volatile: bool
    values: tuple[tuple[str, int, bytes], ...]


def _canonical(path: str) -> str:
    """The path with CurrentControlSet replaced by the control set it links to."""
    link = CURRENT_CONTROL_SET.lower()
    if path.lower() == link or path.lower().startswith(link + "\\"):
        return CONTROL_SET + path[len(link):]
    return path


def _data(value: dict, where: list, report: Callable[..., None]) -> bytes:
    kind, data = value["type"], value.get("data")
    if data is None:
        if kind in ("REG_NONE", "REG_BINARY"):
            return b""
        report(where, f"a {kind} value needs data")
        return b""
    if kind in ("REG_DWORD", "REG_QWORD"):
        bits = 32 if kind == "REG_DWORD" else 64
        if not isinstance(data, int) or isinstance(data, bool) or \
                not -(1 << bits - 1) <= data < (1 << bits):
            report(where + ["data"], f"a {kind} is an integer of {bits} bits")
            return bytes(bits // 8)
        return (data & ((1 << bits) - 1)).to_bytes(bits // 8, "little")
    if kind in ("REG_SZ", "REG_EXPAND_SZ"):
        if not isinstance(data, str):
            report(where + ["data"], f"a {kind} is a string")
            return b"\0\0"
        return data.encode("utf-16-le") + b"\0\0"
    if kind == "REG_MULTI_SZ":
        if not isinstance(data, list):
            report(where + ["data"], "a REG_MULTI_SZ is a list of strings")
            return b"\0\0"
        return b"".join(s.encode("utf-16-le") + b"\0\0" for s in data) + b"\0\0"
    if not isinstance(data, str):
        report(where + ["data"], f"a {kind} is a buffer pattern, e.g. 'FF*10' or "
               "'hex: 01 02'")
        return b""
    try:
        return parse_buffer_pattern(data)
    except ValueError as error:
        report(where + ["data"], str(error))
        return b""


def plan_registry(items: Sequence[dict], report: Callable[..., None]
                  ) -> tuple[RegistryKeyPlan, ...]:
    """Check ``registry:`` and plan it; problems go to ``report(path, message)``."""
    plans: list[RegistryKeyPlan] = []
    declared: dict[str, bool] = {}        # lower-case canonical path -> volatile
    for index, item in enumerate(items):
        where = ["registry", index]
        path = _canonical(item["key"].rstrip("\\") if item["key"] != "\\" else "\\")
        parts = path.split("\\")
        if any(part == "" for part in parts[1:]):
            report(where + ["key"], f"'{item['key']}': an empty name between backslashes")
            continue
        if len(parts) < 4 or parts[2].lower() not in ("machine", "user"):
            report(where + ["key"], f"'{item['key']}': keys are under \\Registry\\Machine "
                   "or \\Registry\\User, inside a hive (e.g. \\Registry\\Machine\\Software\\X)")
            continue
        key = path.lower()
        if key in declared:
            report(where + ["key"], f"'{item['key']}' is listed twice")
            continue
        volatile = bool(item.get("volatile", False))
        ancestors = ["\\".join(parts[:n]).lower() for n in range(len(parts) - 1, 1, -1)]
        parent_volatile = next((declared.get(a, a in _VOLATILE) for a in ancestors
                                if a in declared or a in _VOLATILE
                                or any(a == p.lower() for p, _ in BOOT_KEYS)), False)
        if parent_volatile and not volatile:
            report(where + ["key"], f"'{item['key']}' is under a volatile key: it must be "
                   "volatile too (STATUS_CHILD_MUST_BE_VOLATILE); \\Registry\\Machine itself "
                   "and HARDWARE are volatile, put keys in a hive such as Software")
            continue
        if volatile and any(other.startswith(key + "\\") for other in declared):
            report(where + ["key"], f"'{item['key']}' is volatile but a key under it is "
                   "listed before it: list the parent first")
            continue
        declared[key] = volatile
        values: list[tuple[str, int, bytes]] = []
        names: set[str] = set()
        for v, value in enumerate(item.get("values", [])):
            at = where + ["values", v]
            if value["name"].upper() in names:
                report(at + ["name"], f"value {value['name']!r} is listed twice (names are "
                       "case-insensitive)")
                continue
            names.add(value["name"].upper())
            values.append((value["name"], _TYPES[value["type"]], _data(value, at, report)))
        plans.append(RegistryKeyPlan(path, volatile, tuple(values)))
    return tuple(plans)
