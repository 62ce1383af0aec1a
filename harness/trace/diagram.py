"""A sequence diagram of a run, as a standalone SVG.

Lanes: the application, then each driver in order of first appearance, then the
clock (timers and DPCs). Rows follow the trace: IoCallDriver arrows go down the stack,
dispatch returns come back dashed, completion routines are arrows up to their owner,
DbgPrint lines appear on the lane that printed them, the time runs down the left.
"""

from __future__ import annotations

from html import escape
from typing import Iterable

from .events import TraceEvent

_SHOWN = {"IoCallDriver", "DispatchReturn", "IoCompleteRequest", "CompletionRoutine",
          "CompletionReturn", "IopCompleteRequest", "DpcRoutine", "DbgPrint", "Win32Call",
          "Win32Return", "BugCheck", "IoMarkIrpPending", "AppPrint"}
APP, CLOCK = "Application", "Clock / DPC"
LANE_W, ROW_H, LEFT, TOP = 190, 24, 90, 60


def render_sequence_svg(events: Iterable[TraceEvent], title: str = "") -> str:
    rows = [e for e in events if e.kind in _SHOWN]
    lanes = [APP] + _drivers(rows) + [CLOCK]
    x = {lane: LEFT + LANE_W * i + LANE_W // 2 for i, lane in enumerate(lanes)}
    width = LEFT + LANE_W * len(lanes) + 260   # room for notes on the last lane
    height = TOP + ROW_H * (len(rows) + 1) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="monospace" font-size="11">',
           '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="3" '
           'orient="auto"><path d="M0,0 L7,3 L0,6 z" fill="#333"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<text x="10" y="18" font-size="14" font-weight="bold">{escape(title)}</text>')
    for lane, cx in x.items():
        out.append(f'<rect x="{cx - 80}" y="{TOP - 30}" width="160" height="22" rx="4" '
                   f'fill="#e8eef8" stroke="#6a8cc7"/>'
                   f'<text x="{cx}" y="{TOP - 15}" text-anchor="middle">{escape(lane)}</text>'
                   f'<line x1="{cx}" y1="{TOP - 8}" x2="{cx}" y2="{height - 10}" '
                   f'stroke="#bbb" stroke-dasharray="2,3"/>')
    stack: list[str] = []          # lanes of the frames currently running, innermost last
    for i, e in enumerate(rows):
        y = TOP + ROW_H * (i + 1)
        out.append(f'<text x="6" y="{y + 4}" fill="#888">{e.time / 1e7:.4f}s</text>')
        here = stack[-1] if stack else (CLOCK if e.context == "dpc" else APP)
        if e.kind == "IoCallDriver":
            out.append(_arrow(x[here], x[e.driver], y, f"IRP#{e.irp} {e.major_name}"))
            stack.append(e.driver)
        elif e.kind == "DispatchReturn":
            if stack:
                stack.pop()
            back = stack[-1] if stack else (CLOCK if e.context == "dpc" else APP)
            out.append(_arrow(x[e.driver], x[back], y, e.status_name, dashed=True))
        elif e.kind == "CompletionRoutine":
            label = f"completion PendingReturned={'T' if e.details['pending_returned'] else 'F'}"
            # a creator's own routine (no location, DeviceObject NULL) stays on the lane
            # of whoever completes, e.g. a class driver's routine for its own SRB IRP
            owner = e.driver or here
            out.append(_arrow(x[here], x[owner], y, label, color="#1a7f37"))
            stack.append(owner)
        elif e.kind == "CompletionReturn":
            owner = stack.pop() if stack else here
            out.append(_note(x[e.driver or owner], y, f"returns {e.status_name}", "#1a7f37"))
        elif e.kind == "DpcRoutine":
            stack.clear()
            out.append(_note(x[CLOCK], y, f"DPC {e.details.get('dpc')}", "#8250df"))
        elif e.kind == "IoCompleteRequest":
            out.append(_note(x[e.driver or here], y, f"IoCompleteRequest {e.status_name}",
                             "#0550ae"))
        elif e.kind == "IoMarkIrpPending":
            out.append(_note(x[e.driver or here], y, "IoMarkIrpPending", "#9a6700"))
        elif e.kind == "IopCompleteRequest":
            out.append(_arrow(x[here], x[APP], y, f"IRP#{e.irp} done {e.status_name} "
                              f"({e.information} bytes)", dashed=True, color="#0550ae"))
        elif e.kind in ("Win32Call", "Win32Return"):
            api = e.details.get("api", "")
            text = api if e.kind == "Win32Call" else f"{api} → " + ", ".join(
                f"{k}={v}" for k, v in e.details.items() if k != "api")
            out.append(_note(x[APP], y, text, "#333"))
        elif e.kind in ("DbgPrint", "AppPrint"):
            lane = APP if e.kind == "AppPrint" else here
            out.append(_note(x[lane], y, f"“{e.text}”", "#57606a", italic=True))
        elif e.kind == "BugCheck":
            out.append(f'<rect x="{LEFT}" y="{y - 14}" width="{width - LEFT - 20}" height="20" '
                       f'fill="#0000aa"/><text x="{LEFT + 8}" y="{y}" fill="white">*** STOP '
                       f'0x{e.details["code"]:X} {escape(e.details["name"])}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _drivers(rows: list[TraceEvent]) -> list[str]:
    seen: list[str] = []
    for e in rows:
        if e.driver and e.driver not in seen:
            seen.append(e.driver)
    return seen


def _arrow(x1: int, x2: int, y: int, label: str | None, dashed: bool = False,
           color: str = "#333") -> str:
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    if x1 == x2:   # a call to the same lane: a small loop
        path = f'<path d="M{x1},{y - 6} h30 v10 h-28" fill="none" stroke="{color}"{dash} ' \
               f'marker-end="url(#a)"/>'
        return path + f'<text x="{x1 + 34}" y="{y}" fill="{color}">{escape(label or "")}</text>'
    mid = (x1 + x2) // 2
    return (f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{color}"{dash} '
            f'marker-end="url(#a)"/><text x="{mid}" y="{y - 4}" text-anchor="middle" '
            f'fill="{color}">{escape(label or "")}</text>')


def _note(cx: int, y: int, text: str, color: str, italic: bool = False) -> str:
    style = ' font-style="italic"' if italic else ""
    return f'<text x="{cx + 6}" y="{y + 4}" fill="{color}"{style}>{escape(text)}</text>'
