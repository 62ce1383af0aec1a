"""Plan ``files:`` and ``volume:``: what the C: volume holds when the machine starts
(stacks-services §4.D).

Each entry is a file (its bytes from one buffer pattern or a list of them, joined) or a
directory; directories on the way are made as an installer would, so ``C:\\logs\\a.txt``
alone is enough. Names follow NTFS: case-insensitive, and no ``"*/:<>?|``, ``.`` or
``..`` components. Two entries naming one path, or a path under a file, are errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..kernel import MAX_FILE_SIZE
from ..lang.units import parse_buffer_pattern

_INVALID = set('"*/:<>?|')


@dataclass(frozen=True)
class FilePlan:
    """One entry of ``files:``: the name inside the volume (``\\logs\\a.txt``), its bytes
    (None: a directory) and whether it is read-only."""

    path: str
    data: bytes | None
    read_only: bool = False


@dataclass(frozen=True)
class VolumePlan:
    """The C: volume: ``volume:`` settings and the ``files:`` on it."""

    write_protected: bool = False
    files: tuple[FilePlan, ...] = ()


def plan_volume(files: Sequence[dict], volume: dict,
                report: Callable[[Sequence[Any], str], None]) -> VolumePlan:
    """Check ``files:`` and ``volume:`` (the schema checked their shapes)."""
    plans: list[FilePlan] = []
    seen: dict[str, tuple[int, bool]] = {}      # upper-cased path -> (index, directory)
    for index, entry in enumerate(files):
        where = ["files", index]
        path = entry["path"]
        inside = path[2:]                        # after "C:"
        parts = inside.split("\\")[1:]
        bad = next((p for p in parts if p in ("", ".", "..") or len(p) > 255
                    or any(c in _INVALID or ord(c) < 0x20 for c in p)), None)
        if bad is not None:
            report(where + ["path"], f"{path!r}: {bad!r} is not a name NTFS allows (no "
                   "empty, '.' or '..' parts, none of \" * / : < > ? |)")
            continue
        directory = entry.get("directory", False)
        if directory and "data" in entry:
            report(where + ["data"], f"{path!r} is a directory: it has no data")
            continue
        if directory and entry.get("read_only"):
            report(where + ["read_only"], f"{path!r} is a directory: read_only is for files")
            continue
        data = None if directory else _data(entry.get("data"), where + ["data"], report)
        key = "\\".join(parts).upper()
        if key in seen:
            report(where + ["path"], f"{path!r} is already in files: (entry "
                   f"{seen[key][0]}; names are case-insensitive)")
            continue
        prefix = ""
        for part in parts[:-1]:
            prefix = f"{prefix}\\{part.upper()}" if prefix else part.upper()
            if prefix in seen and not seen[prefix][1]:
                report(where + ["path"], f"{path!r}: entry {seen[prefix][0]} is a file, "
                       "not a directory")
                break
        else:
            seen[key] = (index, directory)
            plans.append(FilePlan(inside, data, bool(entry.get("read_only", False))))
    for plan in plans:                         # a file that a later entry treats as a dir
        upper = plan.path.upper()
        if plan.data is not None and any(p.path.upper().startswith(upper + "\\")
                                         for p in plans):
            report(["files", _index_of(files, plan.path), "path"],
                   f"'C:{plan.path}' is a file, and another entry is inside it")
    if sum(len(p.data or b"") for p in plans) > 4 * MAX_FILE_SIZE:
        report(["files"], "the files hold more than 256 MiB: the model keeps them in memory")
    return VolumePlan(bool(volume.get("write_protected", False)), tuple(plans))


def _index_of(files: Sequence[dict], inside: str) -> int:
    return next(i for i, entry in enumerate(files) if entry["path"][2:] == inside)


def _data(value: Any, where: list, report: Callable[[Sequence[Any], str], None]) -> bytes:
    if value is None:
        return b""
    pieces = value if isinstance(value, list) else [value]
    out = bytearray()
    for i, piece in enumerate(pieces):
        try:
            out += parse_buffer_pattern(piece)
        except ValueError as error:
            report(where + ([i] if isinstance(value, list) else []), str(error))
    if len(out) > MAX_FILE_SIZE:
        report(where, f"{len(out)} bytes: a file holds at most {MAX_FILE_SIZE} bytes here")
    return bytes(out)
