"""A sequence diagram of a run (or of one request), as a standalone SVG.

Lanes, left to right: the application, the System threads (the loader, the PnP
manager), the drivers in stack order (top-down: a driver that calls another with
IoCallDriver stands left of it; ties keep the order of first appearance), then per CPU
a DPC/timer lane and an ISR lane. Rows follow the trace. Every arrow starts from the
code that really acted: each execution strand (a thread, a CPU's DPC, a CPU's ISR) keeps
its own stack of frames (IoCallDriver, completion and cancel routines, DriverEntry /
AddDevice / DriverUnload), so a completion routine called by IoCompleteRequest in a DPC
is drawn from that CPU's DPC lane, and an IRP a driver sends from DriverEntry from that
driver's lane. A completion or cancel routine runs on the strand its CPU was running.

Boot-time activity (everything before the application's first Win32 call) is folded
into one row unless ``fold_boot=False``. ``irp=n`` draws one request: the events of
IRP#n, what ran in the frames serving it, the DPC that completed it and the Win32 call
that issued it. Left of the time axis, an IRQL strip per CPU colours each row by the
CPU's IRQL at that event. Lane headers repeat every ``HEADER_EVERY`` rows, so a long
diagram stays readable at 100 % without scrolling back up; a note longer than its lane
is cut with an ellipsis and keeps its full text as a tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Iterable, Sequence

from ..kernel import IRP_MJ, IRP_MN
from .ctlcode import format_ctl_code
from .events import TraceEvent

APP, SYSTEM = "Application", "System"
LANE_W, ROW_H, TOP, STRIP_W = 170, 22, 64, 12
HEADER_EVERY = 40
_CALLBACKS = ("DriverEntry", "AddDevice", "DriverUnload")
#: IRQL strip colours: PASSIVE, APC, DISPATCH, device levels, and above
_IRQL_COLOURS = ((0, "#f6f8fa"), (1, "#fff1a8"), (2, "#ffb347"), (27, "#e5534b"),
                 (32, "#8b0000"))


def dpc_lane(cpu: int) -> str:
    return f"CPU{cpu} DPC/timer"


def isr_lane(cpu: int) -> str:
    return f"CPU{cpu} ISR"


@dataclass
class Row:
    """One row of the diagram: an arrow (``dst`` set) or a note on lane ``src``."""

    seq: int
    time: int
    kind: str
    src: str
    dst: str | None
    label: str
    color: str = "#333"
    dashed: bool = False
    irp: int | None = None
    irql: tuple[int, ...] = ()       # each CPU's IRQL at this row


@dataclass
class SequenceModel:
    """What the SVG draws: lanes in order, rows, and how many boot events were folded."""

    lanes: list[str]
    rows: list[Row]
    cpus: int
    folded: int = 0
    boot: list[str] = field(default_factory=list)   # what the folded part did


class _Strand:
    __slots__ = ("base", "frames", "request")

    def __init__(self, base: str) -> None:
        self.base = base
        self.frames: list[tuple[str, int | None]] = []   # (lane, IRP it serves)
        self.request: int | None = None                  # the IRP of the current Win32 call

    @property
    def actor(self) -> str:
        return self.frames[-1][0] if self.frames else self.base

    @property
    def serving(self) -> int | None:
        for _lane, irp in reversed(self.frames):
            if irp is not None:
                return irp
        return None

    def pop(self, lane: str | None) -> None:
        if self.frames and (lane is None or self.frames[-1][0] == lane):
            self.frames.pop()


def _short(name: str) -> str:
    return name.rsplit("\\", 1)[-1]


def _function(e: TraceEvent) -> str:
    name = e.major_name or "?"
    minor = e.details.get("minor") if e.kind == "IoCallDriver" else None
    if e.major == IRP_MJ.IRP_MJ_PNP and minor is not None:
        try:
            return f"{name}/{IRP_MN(minor).name}"
        except ValueError:
            return f"{name}/0x{minor:X}"
    return name


def stack_order(events: Sequence[TraceEvent]) -> list[str]:
    """Drivers top-down: callers of IoCallDriver before their callees (Kahn's order,
    ties by first appearance; a cycle, a driver calling up its own stack, keeps first
    appearance)."""
    first: list[str] = []
    below: dict[str, set[str]] = {}
    strands: dict[object, _Strand] = {}
    cpu_strand: dict[int, object] = {}
    for e in events:
        if e.driver and e.driver not in first:
            first.append(e.driver)
        if e.kind == "ServiceCall" and e.details.get("api") in _CALLBACKS:
            name = _short(str(e.details.get("driver", "")))
            if name and name not in first:
                first.append(name)
        strand = _strand_of(e, strands, cpu_strand)
        if e.kind == "IoCallDriver" and e.driver:
            caller = strand.actor
            if caller in first and caller != e.driver:
                below.setdefault(caller, set()).add(e.driver)
        _track(e, strand)
    indegree = {d: 0 for d in first}
    for callees in below.values():
        for callee in callees:
            indegree[callee] += 1
    order: list[str] = []
    ready = [d for d in first if indegree[d] == 0]
    while len(order) < len(first):
        if not ready:   # a cycle: take the earliest remaining driver
            ready = [next(d for d in first if d not in order)]
        driver = ready.pop(0)
        if driver in order:
            continue
        order.append(driver)
        for callee in sorted(below.get(driver, ()), key=first.index):
            indegree[callee] -= 1
            if indegree[callee] <= 0 and callee not in order and callee not in ready:
                ready.append(callee)
        ready.sort(key=first.index)
    return order


def _strand_of(e: TraceEvent, strands: dict, cpu_strand: dict) -> _Strand:
    """The execution strand ``e`` ran on (see the module docstring)."""
    context = e.context
    if e.kind == "Interrupt":       # recorded as the CPU takes it, before the ISR runs
        context = "isr"
    if context == "dpc":
        key: tuple[str, object] = ("dpc", e.cpu)
    elif context == "isr":
        key = ("isr", e.cpu)
    elif context in ("completion", "cancel"):
        key = cpu_strand.get(e.cpu, ("thread", e.thread))
    else:
        key = ("thread", e.thread)
    if context != "completion" and context != "cancel":
        cpu_strand[e.cpu] = key
    strand = strands.get(key)
    if strand is None:
        if key[0] == "dpc":
            base = dpc_lane(e.cpu)
        elif key[0] == "isr":
            base = isr_lane(e.cpu)
        else:
            base = SYSTEM if e.process == "System" else APP
        strand = strands[key] = _Strand(base)
    return strand


def _track(e: TraceEvent, strand: _Strand) -> None:
    """Push and pop the strand's frames for ``e``."""
    kind = e.kind
    if kind == "IoCallDriver" and e.driver:
        strand.frames.append((e.driver, e.irp))
    elif kind == "DispatchReturn":
        strand.pop(e.driver)
    elif kind in ("CompletionRoutine", "CancelRoutine"):
        strand.frames.append((e.driver or strand.actor, e.irp))
    elif kind in ("CompletionReturn", "CancelReturn"):
        strand.pop(None)
    elif kind in ("DpcRoutine", "Interrupt"):
        strand.frames.clear()
    elif kind == "ServiceCall" and e.details.get("api") in _CALLBACKS:
        strand.frames.append((_short(str(e.details.get("driver", ""))) or strand.actor, None))
    elif kind == "ServiceReturn" and e.details.get("api") in _CALLBACKS:
        strand.pop(None)


def _win32_text(e: TraceEvent) -> str:
    details = dict(e.details)
    api = details.pop("api", "")
    if isinstance(details.get("code"), int):
        details["code"] = format_ctl_code(details["code"])
    args = ", ".join(f"{k}={v}" for k, v in details.items())
    return f"{api}({args})" if e.kind == "Win32Call" else f"{api} → {args}"


def layout(events: Sequence[TraceEvent], irp: int | None = None,
           fold_boot: bool = True) -> SequenceModel:
    """The diagram's lanes and rows (see the module docstring)."""
    cpus = 1 + max((e.cpu for e in events), default=0)
    irql = [0] * cpus
    boot_end = next((e.seq for e in events if e.kind == "Win32Call"), None)
    if not fold_boot or irp is not None or boot_end is None:
        boot_end = -1
    strands: dict[object, _Strand] = {}
    cpu_strand: dict[int, object] = {}
    top_driver: dict[int, str] = {}          # the first driver each IRP was sent to
    waiting: dict[int, list[Row]] = {}        # rows of a DPC / ISR not yet tied to an IRP
    rows: list[Row] = []
    boot: list[str] = []
    folded = 0
    for e in events:
        irql[e.cpu] = e.irql
        strand = _strand_of(e, strands, cpu_strand)
        actor = strand.actor
        row = _row(e, strand, actor, top_driver)
        if e.kind == "IoCallDriver" and e.irp is not None:
            top_driver.setdefault(e.irp, e.driver or actor)
        _track(e, strand)
        if e.kind == "Win32Call":             # which IRP the app's current call made
            strand.request = None
        elif e.kind == "IoAllocateIrp" and strand.request is None:
            strand.request = e.irp
        if e.seq < boot_end:
            folded += 1
            if e.kind == "ServiceCall" and e.details.get("api") in _CALLBACKS:
                boot.append(f"{e.details['api']} {_short(str(e.details.get('driver', '')))}")
            continue
        if row is None:
            continue
        row.irql = tuple(irql)
        # which request the row belongs to
        if row.irp is None:
            row.irp = strand.serving
        if e.kind == "Win32Return" and row.irp is None:
            row.irp = strand.request
        # A DPC's or an ISR's rows belong to the first IRP it then acts on; a timer's
        # expiry is the start of the DPC it queues.
        key = id(strand)
        if e.kind in ("TimerExpired", "Interrupt") or (
                e.kind == "DpcRoutine" and not (waiting.get(key) and
                                                waiting[key][-1].kind == "TimerExpired")):
            waiting[key] = []
        if row.irp is None and strand.base not in (APP, SYSTEM):
            waiting.setdefault(key, []).append(row)
        elif row.irp is not None:
            for early in waiting.pop(key, []):
                early.irp = row.irp
        rows.append(row)
    # Win32Call rows before the IRP exists: tie them to the request allocated after them
    for index, row in enumerate(rows):
        if row.kind == "Win32Call" and row.irp is None:
            for later in rows[index + 1:]:
                if later.kind in ("Win32Call",) and later.src == row.src:
                    break
                if later.irp is not None and later.kind == "IoCallDriver":
                    row.irp = later.irp
                    break
    if irp is not None:
        rows = [r for r in rows if r.irp == irp]
    used = {r.src for r in rows} | {r.dst for r in rows if r.dst}
    lanes = [APP] + ([SYSTEM] if SYSTEM in used else [])
    lanes += [d for d in stack_order(events) if d in used]
    for cpu in range(cpus):
        lanes += [lane for lane in (dpc_lane(cpu), isr_lane(cpu)) if lane in used]
    lanes += sorted(lane for lane in used if lane not in lanes)
    return SequenceModel(lanes, rows, cpus, folded, boot)


def _row(e: TraceEvent, strand: _Strand, actor: str, top_driver: dict[int, str]) -> Row | None:
    kind, d = e.kind, e.details
    new = Row
    if kind == "IoCallDriver" and e.driver:
        return new(e.seq, e.time, kind, actor, e.driver, f"IRP#{e.irp} {_function(e)}",
                   irp=e.irp)
    if kind == "DispatchReturn" and e.driver:
        frames = strand.frames
        back = frames[-2][0] if len(frames) >= 2 and frames[-1][0] == e.driver else strand.base
        return new(e.seq, e.time, kind, e.driver, back, e.status_name or "", dashed=True,
                   irp=e.irp)
    if kind == "CompletionRoutine":
        owner = e.driver or actor
        return new(e.seq, e.time, kind, actor, owner,
                   f"{d.get('routine')} PendingReturned="
                   f"{'TRUE' if d.get('pending_returned') else 'FALSE'}",
                   "#1a7f37", irp=e.irp)
    if kind == "CompletionReturn":
        frames = strand.frames
        back = frames[-2][0] if len(frames) >= 2 else strand.base
        return new(e.seq, e.time, kind, actor, back, f"{d.get('routine')} → {e.status_name}",
                   "#1a7f37", dashed=True, irp=e.irp)
    if kind == "CancelRoutine":
        return new(e.seq, e.time, kind, actor, e.driver or actor,
                   f"cancel routine {d.get('routine')}", "#cf222e", irp=e.irp)
    if kind == "CancelReturn":
        frames = strand.frames
        back = frames[-2][0] if len(frames) >= 2 else strand.base
        return new(e.seq, e.time, kind, actor, back, f"{d.get('routine')} returned", "#cf222e",
                   dashed=True, irp=e.irp)
    if kind == "IoSetCompletionRoutine":
        return new(e.seq, e.time, kind, actor, None,
                   f"IoSetCompletionRoutine({d.get('routine')})", "#1a7f37", irp=e.irp)
    if kind in ("IoSkipCurrentIrpStackLocation", "IoCopyCurrentIrpStackLocationToNext"):
        return new(e.seq, e.time, kind, actor, None, kind, "#57606a", irp=e.irp)
    if kind == "IoCompleteRequest":
        return new(e.seq, e.time, kind, actor, None,
                   f"IoCompleteRequest IRP#{e.irp} {e.status_name}", "#0550ae", irp=e.irp)
    if kind == "IoMarkIrpPending":
        return new(e.seq, e.time, kind, e.driver or actor, None, "IoMarkIrpPending", "#9a6700",
                   irp=e.irp)
    if kind == "IopCompleteRequest" and e.irp is not None:
        src = top_driver.get(e.irp, actor)
        return new(e.seq, e.time, kind, src, strand.base,
                   f"IRP#{e.irp} done {e.status_name} ({e.information} bytes)", "#0550ae",
                   dashed=True, irp=e.irp)
    if kind == "IoCancelIrp":
        return new(e.seq, e.time, kind, actor, None, f"IoCancelIrp IRP#{e.irp}", "#cf222e",
                   irp=e.irp)
    if kind == "DpcRoutine":
        return new(e.seq, e.time, kind, strand.base, None, f"DPC {d.get('dpc')}", "#8250df")
    if kind == "TimerExpired":
        return new(e.seq, e.time, kind, dpc_lane(e.cpu), None, f"timer {d.get('timer')} expired",
                   "#8250df")
    if kind == "Interrupt":
        return new(e.seq, e.time, kind, isr_lane(e.cpu), None,
                   f"interrupt {d.get('device')} {d.get('vector')}", "#cf222e")
    if kind == "IsrReturn":
        return new(e.seq, e.time, kind, isr_lane(e.cpu), None,
                   f"{d.get('routine')} → {d.get('claimed')}", "#cf222e")
    if kind == "ServiceCall" and d.get("api") in _CALLBACKS:
        driver = _short(str(d.get("driver", ""))) or actor
        return new(e.seq, e.time, kind, actor, driver, str(d["api"]), "#6639ba")
    if kind == "ServiceReturn" and d.get("api") in _CALLBACKS:
        frames = strand.frames
        back = frames[-2][0] if len(frames) >= 2 else strand.base
        return new(e.seq, e.time, kind, actor, back, f"{d['api']} → {e.status_name or ''}",
                   "#6639ba", dashed=True)
    if kind in ("Win32Call", "Win32Return"):
        return new(e.seq, e.time, kind, APP, None, _win32_text(e), "#333")
    if kind == "DbgPrint":
        return new(e.seq, e.time, kind, actor, None, f"“{e.text}”", "#57606a")
    if kind == "AppPrint":
        return new(e.seq, e.time, kind, APP, None, f"“{e.text}”", "#57606a")
    if kind == "BugCheck":
        return new(e.seq, e.time, kind, actor, None,
                   f"*** STOP 0x{d['code']:X} {d['name']}", "white", irp=e.irp)
    return None


# -- SVG ---------------------------------------------------------------------------------------

def _irql_colour(irql: int) -> str:
    for ceiling, colour in _IRQL_COLOURS:
        if irql <= ceiling:
            return colour
    return _IRQL_COLOURS[-1][1]


def render_sequence_svg(events: Iterable[TraceEvent], title: str = "", irp: int | None = None,
                        fold_boot: bool = True) -> str:
    """The diagram of ``events`` (all of them, or IRP#``irp``'s request) as SVG text."""
    events = list(events)
    model = layout(events, irp=irp, fold_boot=fold_boot)
    strip = STRIP_W * model.cpus
    left = 78 + strip + 8
    x = {lane: left + LANE_W * i + LANE_W // 2 for i, lane in enumerate(model.lanes)}
    rows = model.rows
    extra = 1 if model.folded else 0
    headers = [i for i in range(0, len(rows), HEADER_EVERY) if i]
    width = left + LANE_W * len(model.lanes) + 160   # room for the last lane's notes
    height = TOP + ROW_H * (len(rows) + extra + len(headers) + 1) + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">',
           '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="3" '
           'orient="auto"><path d="M0,0 L7,3 L0,6 z" fill="#555"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    heading = title or "IRP sequence"
    if irp is not None:
        heading += f" — IRP#{irp}"
    out.append(f'<text x="10" y="18" font-size="14" font-weight="bold">{escape(heading)}</text>')
    out.append(_legend(left))
    for cpu in range(model.cpus):
        out.append(f'<text x="{78 + STRIP_W * cpu + STRIP_W // 2}" y="{TOP - 12}" '
                   f'font-size="8" text-anchor="middle">{cpu}</text>')
    for cx in x.values():
        out.append(f'<line x1="{cx}" y1="{TOP - 8}" x2="{cx}" y2="{height - 10}" '
                   f'stroke="#bbb" stroke-dasharray="2,3"/>')
    out.append(_header(x, TOP - 30))
    y = TOP
    if model.folded:
        y += ROW_H
        what = ", ".join(model.boot) or "system start"
        out.append(f'<rect x="{left}" y="{y - 14}" width="{width - left - 20}" height="18" '
                   f'fill="#f0f0f0" stroke="#ccc"/><text x="{left + 6}" y="{y}" fill="#555">'
                   f'{escape(_cut(f"boot: {what} ({model.folded} events folded)", 160))}</text>')
    for index, row in enumerate(rows):
        if index and index % HEADER_EVERY == 0:    # repeated lane headers
            y += ROW_H
            out.append(_header(x, y - 14))
        y += ROW_H
        out.append(f'<text x="6" y="{y + 4}" fill="#888">{row.time / 1e7:.4f}s</text>')
        for cpu, level in enumerate(row.irql):
            out.append(f'<rect x="{78 + STRIP_W * cpu}" y="{y - ROW_H // 2}" width="{STRIP_W - 2}" '
                       f'height="{ROW_H}" fill="{_irql_colour(level)}"><title>CPU{cpu} IRQL '
                       f'{level}</title></rect>')
        out.append(_draw(row, x, y, left, width))
    out.append("</svg>")
    return "\n".join(out)


def _legend(left: int) -> str:
    parts = [f'<text x="{left}" y="34" fill="#555">IRQL:</text>']
    for i, (label, level) in enumerate((("PASSIVE", 0), ("APC", 1), ("DISPATCH", 2),
                                        ("DIRQL", 5), ("HIGH", 31))):
        lx = left + 44 + 92 * i
        parts.append(f'<rect x="{lx}" y="25" width="10" height="10" fill="{_irql_colour(level)}" '
                     f'stroke="#999"/><text x="{lx + 14}" y="34" fill="#555">{label}</text>')
    return "".join(parts)


def _header(x: dict[str, int], y: int) -> str:
    return "".join(
        f'<rect x="{cx - LANE_W // 2 + 6}" y="{y}" width="{LANE_W - 12}" height="20" rx="4" '
        f'fill="#e8eef8" stroke="#6a8cc7"/><text x="{cx}" y="{y + 14}" text-anchor="middle">'
        f'{escape(_cut(lane, LANE_W // 7))}</text>' for lane, cx in x.items())


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:max(chars - 1, 1)] + "…"


def _draw(row: Row, x: dict[str, int], y: int, left: int, width: int) -> str:
    label = escape(row.label)
    if row.kind == "BugCheck":
        return (f'<rect x="{left}" y="{y - 14}" width="{width - left - 20}" height="20" '
                f'fill="#0000aa"/><text x="{left + 8}" y="{y}" fill="white">{label}</text>')
    x1 = x[row.src]
    if row.dst is None or row.dst == row.src:
        if row.dst is None:   # a note: it may run over the lanes to its right, cut at 2
            room = max((width - x1 - 20) // 7, 8)
            shown = escape(_cut(row.label, min(room, 2 * LANE_W // 7)))
            return (f'<text x="{x1 + 6}" y="{y + 4}" fill="{row.color}"><title>{label}'
                    f'</title>{shown}</text>')
        return (f'<path d="M{x1},{y - 6} h30 v10 h-28" fill="none" stroke="{row.color}" '
                f'marker-end="url(#a)"/><text x="{x1 + 34}" y="{y + 4}" fill="{row.color}">'
                f'<title>{label}</title>{escape(_cut(row.label, LANE_W // 7))}</text>')
    x2 = x[row.dst]
    dash = ' stroke-dasharray="5,3"' if row.dashed else ""
    room = abs(x2 - x1) // 7 + 4
    return (f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{row.color}"{dash} '
            f'marker-end="url(#a)"/><text x="{(x1 + x2) // 2}" y="{y - 4}" text-anchor="middle" '
            f'fill="{row.color}"><title>{label}</title>{escape(_cut(row.label, room))}</text>')
