"""The typed trace as a lazy view over compact records.

:class:`TraceView` is what a run's ``events`` is: a read-only sequence of
:class:`~harness.trace.events.TraceEvent` (``len``, indexing, slices, iteration) whose
events are decoded from the records (records.py) when they are read, so a long run
keeps only its records in memory (measured: benchmarks/README.md). Iteration decodes
as it goes; indexing first builds an index of where each record starts (one machine
word per event). A short trace (at most :data:`CACHE_EVENTS` events) keeps its decoded
events once built: steps and renderers walk it many times, and a few thousand events
cost little; a longer one decodes on every read.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator, Sequence
from typing import Any, overload

from .events import TraceEvent
from .records import VIOLATION, Layout

#: A trace of at most this many events keeps its decoded events once read.
CACHE_EVENTS = 20_000


def event_at(raw: Any, i: int, seq: int) -> TraceEvent:
    """Decode the record at ``raw[i]`` as event number ``seq``."""
    layout: Layout = raw[i]
    time, cpu, irql, thread, context, *fields = raw[i + 1:i + layout.width]
    driver, device, irp, major, status, info, details = layout.decode(*fields)
    return TraceEvent(seq, time, cpu, irql, thread.name, thread.process, context, layout.kind,
                      driver, device, irp, major, status, info, details)


class TraceView(Sequence[TraceEvent]):
    """The events of a record list (which may still grow: the view follows it)."""

    def __init__(self, raw: list[Any]) -> None:
        self._raw = raw
        self._starts = array("q")        # where each record starts, built on demand
        self._scanned = 0                # raw position the index reached
        self._cache: list[TraceEvent] | None = None

    @property
    def raw(self) -> list[Any]:
        """The records (records.py) the view decodes."""
        return self._raw

    def _index(self) -> array:
        raw = self._raw
        end = len(raw)
        if self._scanned < end:
            starts = self._starts
            i = self._scanned
            append = starts.append
            while i < end:
                append(i)
                i += raw[i].width
            self._scanned = i
        return self._starts

    def _events(self) -> list[TraceEvent] | None:
        """The decoded events when the trace is short enough to keep them."""
        starts = self._index()
        if len(starts) > CACHE_EVENTS:
            return None
        cache = self._cache
        if cache is None or len(cache) != len(starts):
            raw = self._raw
            cache = self._cache = [event_at(raw, i, n) for n, i in enumerate(starts)]
        return cache

    def __len__(self) -> int:
        return len(self._index())

    @overload
    def __getitem__(self, index: int) -> TraceEvent: ...

    @overload
    def __getitem__(self, index: slice) -> list[TraceEvent]: ...

    def __getitem__(self, index: int | slice) -> TraceEvent | list[TraceEvent]:
        cache = self._events()
        if cache is not None:
            return cache[index]
        starts = self._starts
        raw = self._raw
        if isinstance(index, slice):
            return [event_at(raw, starts[n], n) for n in range(*index.indices(len(starts)))]
        n = index + len(starts) if index < 0 else index
        if not 0 <= n < len(starts):
            raise IndexError("trace event index out of range")
        return event_at(raw, starts[n], n)

    def __iter__(self) -> Iterator[TraceEvent]:
        cache = self._events()
        if cache is not None:
            yield from cache
            return
        raw = self._raw
        i, seq = 0, 0
        while i < len(raw):
            event = event_at(raw, i, seq)
            i += raw[i].width
            seq += 1
            yield event

    def select(self, kinds: Collection[str] | None = None,
               irp: int | None = None) -> list[TraceEvent]:
        """The events of these kinds and/or of IRP#``irp``, decoding only those."""
        cache = self._events()
        if cache is not None:
            return [e for e in cache if (kinds is None or e.kind in kinds)
                    and (irp is None or e.irp == irp)]
        raw = self._raw
        out = []
        for seq, i in enumerate(self._starts):
            layout = raw[i]
            if kinds is not None and layout.kind not in kinds:
                continue
            if irp is not None and not (raw[i + 6] == irp if layout.irp else
                                        layout is VIOLATION and raw[i + 6] == irp):
                continue
            out.append(event_at(raw, i, seq))
        return out

    def kinds(self) -> Iterator[str]:
        """The kind of every event, in order, without decoding the events."""
        raw = self._raw
        for i in self._index():
            yield raw[i].kind

    def __repr__(self) -> str:
        return f"<trace of {len(self)} events>"
