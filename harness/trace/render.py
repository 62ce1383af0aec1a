"""Renderers: the trace as text, JSON and a DbgView-style log."""

from __future__ import annotations

import json
from typing import Iterable

from ..kernel import IRP_MJ
from .ctlcode import format_ctl_code
from .events import TraceEvent
from .irpview import irp_table

_IOCTL_MAJORS = (IRP_MJ.IRP_MJ_DEVICE_CONTROL, IRP_MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL)


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
        if e.major_name is not None:          # None exactly when major is
            what.append(e.major_name)
        if e.status_name is not None:         # ... and when status is
            what.append(e.status_name)
        if e.information is not None:
            what.append(f"info={e.information}")
        if e.kind in ("DbgPrint", "AppPrint"):
            what.append(repr(e.text))
        elif e.details:
            what.append(_details(e))
        lines.append(f"{e.seq:5d} {_seconds(e.time)}s CPU{e.cpu} {e.irql_name:<14} "
                     f"{e.context:<10} {e.thread:<16} {e.kind:<18} {' '.join(what)}")
    return "\n".join(lines)


def _details(e: TraceEvent) -> str:
    """An event's details as ``key=value`` words; IOCTL codes in hex with their CTL_CODE,
    Control bytes in hex, and an IoCallDriver's copy of the location (for the `!irp`
    view) only where it says something."""
    d = e.details
    if e.kind == "IoCallDriver":
        words = [f"location={d.get('location')}"]
        for key in ("minor", "flags", "control"):
            if d.get(key):
                words.append(f"{key}=0x{d[key]:X}")
        params = d.get("parameters")
        if params is not None and e.major in _IOCTL_MAJORS:
            words.append(f"code={format_ctl_code(params[5])}")
        return " ".join(words)
    words = []
    for key, value in d.items():
        if key == "code" and isinstance(value, int) and e.kind != "BugCheck":
            value = format_ctl_code(value)
        elif key == "control" and isinstance(value, int):
            value = f"0x{value:02X}"
        words.append(f"{key}={value}")
    return " ".join(words)


def render_irp_at(events: list[TraceEvent], irp: int, at: int | None = None) -> str:
    """The trace of IRP#``irp`` followed by its `!irp` table after event ``at``."""
    mine = [e for e in events if e.irp == irp and (at is None or e.seq <= at)]
    return render_text(mine) + "\n\n" + irp_table(events, irp, at)


def render_json(events: Iterable[TraceEvent]) -> str:
    """The trace as a JSON array (stable key order, one event per element)."""
    return json.dumps([e.to_dict() for e in events], indent=1, default=str)


def render_dbgview(events: Iterable[TraceEvent]) -> str:
    """DbgPrint lines as DebugView shows them: index, seconds, text."""
    lines = []
    for index, e in enumerate(x for x in events if x.kind == "DbgPrint"):
        lines.append(f"{index:08d}\t{_seconds(e.time)}\t{e.text}")
    return "\n".join(lines)
