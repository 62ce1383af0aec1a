"""Renderers: the trace as text, JSON and a DbgView-style log."""

from __future__ import annotations

import json
from typing import Iterable

from .events import TraceEvent


def _seconds(time: int) -> str:
    return f"{time / 10_000_000:.7f}"


def render_text(events: Iterable[TraceEvent]) -> str:
    """One aligned line per event, for people."""
    lines = []
    for e in events:
        what = []
        if e.driver:
            what.append(f"{e.driver}")
        if e.device:
            what.append(e.device)
        if e.irp is not None:
            what.append(f"IRP#{e.irp}")
        if e.major is not None:
            what.append(e.major_name)
        if e.status is not None:
            what.append(e.status_name)
        if e.information is not None:
            what.append(f"info={e.information}")
        if e.kind in ("DbgPrint", "AppPrint"):
            what.append(repr(e.text))
        elif e.details:
            what.append(" ".join(f"{k}={v}" for k, v in e.details.items()))
        lines.append(f"{e.seq:5d} {_seconds(e.time)}s CPU{e.cpu} {e.irql_name:<14} "
                     f"{e.context:<10} {e.thread:<16} {e.kind:<18} {' '.join(what)}")
    return "\n".join(lines)


def render_json(events: Iterable[TraceEvent]) -> str:
    """The trace as a JSON array (stable key order, one event per element)."""
    return json.dumps([e.to_dict() for e in events], indent=1, default=str)


def render_dbgview(events: Iterable[TraceEvent]) -> str:
    """DbgPrint lines as DebugView shows them: index, seconds, text."""
    lines = []
    for index, e in enumerate(x for x in events if x.kind == "DbgPrint"):
        lines.append(f"{index:08d}\t{_seconds(e.time)}\t{e.text}")
    return "\n".join(lines)
