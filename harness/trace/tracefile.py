"""The trace file: a run's records streamed to disk, and read back as a trace view.

Format ``irp-harness-trace`` version 1 (docs/trace-format.md has the full schema):
UTF-8 JSON Lines, conventionally ``*.irpt``. Line 1 is a header object: the format,
the version, what run wrote it and the table of record layouts (kind, whether it has
``irp`` and ``major``, field names and types; records.py). Every later line is one
JSON value. An array is a block of records in the recorder's flat form (one block per
write, encoded by one call of the C encoder): ``layout, time, cpu, irql, thread,
context, [irp, major,] fields...`` one record after the other, the layout's width
telling where the next starts; threads, devices, routines and file objects in it are
symbol numbers. An object is ``{"symbols": [[kind, n, ...], ...]}`` (``T`` thread:
name, process; ``D`` device: label, driver; ``R`` routine: name, qualname; ``F`` file
object: its number), written before the first block that uses them, or the last
line, ``{"end": true, "events": N}``; a file without it was cut short (its blocks up
to the cut still read).

Reading builds stand-ins for the symbols (what the decoders read: a device's label
and driver, a routine's names) so a record read back decodes exactly as it did live.
The fields of the layouts that are not about an IRP (service and Win32 calls, timers,
DPCs, ...) keep their Python types where the renderers show them: an IntEnum value
(NTSTATUS, IRP_MJ, ...) is written ``{"$enum": class, "value": n}``, a tuple
``{"$tuple": [...]}``; any other value that JSON has no type for (bytes, an object)
reads back as its ``str()``, which is what the text and JSON renderers print.
"""

from __future__ import annotations

import json
from enum import IntEnum
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import orjson

from ..kernel import DeviceObject, FileObject, KThread
from ..kernel import constants as _constants
from .events import TraceEvent
from .records import LAYOUTS, context_label, routine_name
from .view import TraceView, event_at

FORMAT = "irp-harness-trace"
VERSION = 1
SUFFIX = ".irpt"


class TraceFileError(Exception):
    """A file that is not a trace file this version can read."""


def layout_table() -> list[list[Any]]:
    """The header's table of layouts: [kind, has irp and major, fields, types,
    constants] (constants: what the layout implies, e.g. PendingReturned)."""
    return [[layout.kind, layout.irp, list(layout.fields), list(layout.types),
             layout.constants] for layout in LAYOUTS]


_PLAIN = (int, str, float, bool, type(None))
#: orjson writes dataclasses and datetimes itself; json would hand them to the callback:
#: so does orjson with these (the two encoders give the same values)
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def encode_value(value: Any) -> Any:
    """A field value as JSON that :func:`decode_value` turns back (module docstring)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, IntEnum):
        return {"$enum": kind.__name__, "value": int(value)}
    if kind is list:
        return [encode_value(v) for v in value]
    if kind is tuple:
        return {"$tuple": [encode_value(v) for v in value]}
    if kind is dict:
        return {k: encode_value(v) for k, v in value.items()}
    return {"$repr": repr(value), "$str": str(value)}


class _Shown:
    """A value read back that only prints as the original did."""

    __slots__ = ("text", "shown")

    def __init__(self, text: str, shown: str) -> None:
        self.text = text
        self.shown = shown

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.shown


def decode_value(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return [decode_value(v) for v in value]
    if kind is dict:
        if "$enum" in value:
            enum = getattr(_constants, value["$enum"], None)
            number = value["value"]
            return enum(number) if isinstance(enum, type) and issubclass(enum, IntEnum) \
                and number in enum._value2member_map_ else number
        if "$repr" in value:
            return _Shown(value["$repr"], value["$str"])
        if "$tuple" in value:
            return tuple(decode_value(v) for v in value["$tuple"])
        return {k: decode_value(v) for k, v in value.items()}
    return value


class TraceWriter:
    """Writes records to a trace file (the TraceRecorder's ``stream``)."""

    def __init__(self, path: str | Path, run: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self._file = open(self.path, "wb")   # noqa: SIM115 (closed by close); UTF-8 bytes
        self._symbols: dict[int, int] = {}
        self._keep: list[Any] = []        # the objects behind the symbols (ids stay unique)
        self._defined: list[list[Any]] = []   # definitions not written yet
        # The records go through orjson (~6x the standard library's encoder on a trace's
        # records, measured): it writes numbers (a layout tag and the enums are ints),
        # strings, lists and tuples itself and calls back only for an object: a thread,
        # device, routine or file. An integer beyond 64 bits, which orjson refuses, sends
        # its chunk through the standard encoder instead (the same JSON values).
        self._slow = json.JSONEncoder(separators=(",", ":"), check_circular=False,
                                      ensure_ascii=False, default=self._object).encode
        self._plain = json.JSONEncoder(separators=(",", ":"), default=str).encode
        self.events = 0
        self.closed = False
        self._line(self._plain({"format": FORMAT, "version": VERSION, "run": run or {},
                                "layouts": layout_table()}))

    def _line(self, text: str) -> None:
        self._file.write(text.encode() + b"\n")

    def _encode(self, chunk: list[Any]) -> bytes:
        try:
            return orjson.dumps(chunk, default=self._object, option=_PASSTHROUGH)
        except TypeError:             # an integer orjson cannot write (module comment)
            return self._slow(chunk).encode()

    def _object(self, obj: Any) -> Any:
        """The symbol number of an object in a record (defined on first sight)."""
        number = self._symbols.get(id(obj))
        if number is not None:
            return number
        if isinstance(obj, KThread):
            definition: list[Any] = ["T", obj.name, obj.process]
        elif isinstance(obj, DeviceObject):
            definition = ["D", obj.label, obj.driver_object.short_name]
        elif isinstance(obj, FileObject):
            definition = ["F", obj.id]
        elif callable(obj):
            definition = ["R", routine_name(obj), getattr(obj, "__qualname__", "")]
        else:               # not in a field that holds one: printed, not resolved
            return encode_value(obj)
        number = self._symbols[id(obj)] = len(self._keep)
        self._keep.append(obj)
        definition.insert(1, number)
        self._defined.append(definition)
        return number

    def write_records(self, raw: list[Any]) -> None:
        """Append the records of ``raw`` (a recorder's list) to the file: a line of
        symbol definitions if there are new ones, then one line of the records."""
        # The threads, devices and routines become symbol numbers here, in one pass
        # (cheaper than the encoder calling back for each); files and anything
        # unexpected are left to the encoder's callback.
        chunk = raw[:]                   # the recorder's list stays as it is
        known = self._symbols.get
        define = self._object
        last_thread, last_number = None, None
        i, end, count = 0, len(chunk), 0
        while i < end:
            layout = chunk[i]
            thread = chunk[i + 4]
            if thread is not last_thread:
                last_thread = thread
                last_number = known(id(thread))
                if last_number is None:
                    last_number = define(thread)
            chunk[i + 4] = last_number
            for pos in layout.symbols:
                value = chunk[i + pos]
                if value is not None:
                    number = known(id(value))
                    chunk[i + pos] = number if number is not None else define(value)
            if layout.fix:               # fields the encoder must not see as they are
                if not layout.irp:
                    chunk[i + 6:i + layout.width] = [encode_value(v)
                                                     for v in chunk[i + 6:i + layout.width]]
                for pos, kind in layout.objects:
                    value = chunk[i + pos]
                    if kind == "C":
                        chunk[i + pos] = context_label(value)
                    elif kind == "V" and type(value) not in _PLAIN:
                        chunk[i + pos] = encode_value(value)
            i += layout.width
            count += 1
        if not count:
            return
        line = self._encode(chunk)
        if self._defined:
            self._line(self._plain({"symbols": self._defined}))
            self._defined = []
        self._file.write(line + b"\n")
        self.events += count

    def sync(self) -> None:
        """Hand what was written to the file system (a reader may open the file now)."""
        if not self.closed:
            self._file.flush()

    def close(self) -> None:
        if not self.closed:
            self._line(self._plain({"end": True, "events": self.events}))
            self._file.close()
            self.closed = True


# -- reading --------------------------------------------------------------------------------

class _Thread:
    __slots__ = ("name", "process")

    def __init__(self, name: str, process: str) -> None:
        self.name = name
        self.process = process


class _Device:
    """A device as the decoders read it: ``label`` and ``driver_object.short_name``."""

    __slots__ = ("label", "short_name")

    def __init__(self, label: str, driver: str) -> None:
        self.label = label
        self.short_name = driver

    @property
    def driver_object(self) -> "_Device":
        return self


class _Routine:
    def __init__(self, name: str, qualname: str) -> None:
        self.__name__ = name
        self.__qualname__ = qualname


class _Named:
    """A Context read back: its label is its name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _File:
    __slots__ = ("id",)

    def __init__(self, ident: int) -> None:
        self.id = ident


class _Reader:
    """Turns the lines of a trace file back into records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.symbols: dict[int, Any] = {}
        self.header: dict[str, Any] = {}
        self.count: int | None = None     # from the end line

    def lines(self) -> Iterator[list[Any]]:
        """The records of the file, one list each (symbols resolved)."""
        with open(self.path, encoding="utf-8") as file:
            first = file.readline()
            try:
                header = json.loads(first)
            except ValueError:
                header = None
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise TraceFileError(f"{self.path}: not an {FORMAT} file")
            if header.get("version") != VERSION or header.get("layouts") != layout_table():
                raise TraceFileError(f"{self.path}: {FORMAT} version {header.get('version')} "
                                     f"with other layouts; this reader reads version {VERSION}")
            self.header = header
            # json, not orjson: orjson reads an integer beyond 64 bits as a float
            loads = json.loads
            for line in file:
                block = loads(line)
                if type(block) is list:
                    yield from self._records(block)
                elif "symbols" in block:
                    self._define(block["symbols"])
                elif block.get("end"):
                    self.count = block.get("events")

    def _define(self, definitions: list[list[Any]]) -> None:
        symbols = self.symbols
        for kind, number, *values in definitions:
            if kind == "T":
                symbols[number] = _Thread(*values)
            elif kind == "D":
                symbols[number] = _Device(*values)
            elif kind == "F":
                symbols[number] = _File(*values)
            else:
                symbols[number] = _Routine(*values)

    def _records(self, block: list[Any]) -> Iterator[list[Any]]:
        """The records of one line (records.py's flat form: the widths delimit them)."""
        symbols = self.symbols
        i, end = 0, len(block)
        while i < end:
            layout = LAYOUTS[block[i]]
            width = layout.width
            item = block[i:i + width]
            i += width
            item[0] = layout
            item[4] = symbols[item[4]]
            if not layout.irp:
                item[6:] = [decode_value(v) for v in item[6:]]
            for pos, kind in layout.objects:
                value = item[pos]
                if value is None:
                    continue
                if kind == "C":
                    item[pos] = _Named(value)
                elif kind == "V":
                    item[pos] = decode_value(value)
                elif kind == "S":
                    minor, flags, control, file, params = value
                    item[pos] = (minor, flags, control,
                                 None if file is None else symbols[file],
                                 None if params is None else tuple(params))
                else:
                    item[pos] = symbols[value]
            yield item


class TraceFile(Sequence[TraceEvent]):
    """The events of a trace file. Iterating streams the file (bounded memory); ``len``
    reads its end line; indexing loads its records once (as a live trace holds them)."""

    def __init__(self, path: str | Path, count: int | None = None) -> None:
        self.path = Path(path)
        self._count = count
        self._loaded: TraceView | None = None
        self.header: dict[str, Any] = {}
        # fail now on a file that is not a trace
        reader = _Reader(self.path)
        next(iter(reader.lines()), None)
        self.header = reader.header

    def _load(self) -> TraceView:
        if self._loaded is None:
            raw: list[Any] = []
            for record in _Reader(self.path).lines():
                raw.extend(record)
            self._loaded = TraceView(raw)
        return self._loaded

    def __len__(self) -> int:
        if self._count is None:
            self._count = _end_count(self.path)
        if self._count is None:           # cut short: count the records
            self._count = len(self._load())
        return self._count

    @overload
    def __getitem__(self, index: int) -> TraceEvent: ...

    @overload
    def __getitem__(self, index: slice) -> list[TraceEvent]: ...

    def __getitem__(self, index: int | slice) -> TraceEvent | list[TraceEvent]:
        return self._load()[index]

    def select(self, kinds: Any = None, irp: int | None = None) -> list[TraceEvent]:
        """As :meth:`TraceView.select` (the file's records are loaded)."""
        return self._load().select(kinds, irp)

    def __iter__(self) -> Iterator[TraceEvent]:
        if self._loaded is not None:
            yield from self._loaded
            return
        for seq, record in enumerate(_Reader(self.path).lines()):
            yield event_at(record, 0, seq)

    def __repr__(self) -> str:
        return f"<trace file {self.path}>"


def _end_count(path: Path) -> int | None:
    with open(path, "rb") as file:
        file.seek(0, 2)
        size = file.tell()
        file.seek(max(0, size - 256))
        tail = file.read().splitlines()
    if not tail:
        return None
    try:
        end = json.loads(tail[-1])
    except ValueError:
        return None
    return end.get("events") if isinstance(end, dict) and end.get("end") else None


def read_trace(path: str | Path, count: int | None = None) -> TraceFile:
    """The trace in a trace file, as a sequence of events (see :class:`TraceFile`)."""
    return TraceFile(path, count)


def write_trace(source: Any, path: str | Path, run: dict[str, Any] | None = None) -> None:
    """Write the records of a TraceRecorder or a TraceView to a trace file at once."""
    writer = TraceWriter(path, run)
    writer.write_records(source.raw)
    writer.close()
