"""A picture of the device stacks, as a standalone SVG, with an IRP's path drawn on it.

Each column is one device stack, drawn as ``!devstack`` lists it: the highest attached
device on top, the bottom device (a PDO for a PnP stack) at the bottom. A box names the
device object, its driver (``\\Driver\\X``) and its role: PDO, FDO (the devnode's
function driver), filter (any other device attached in the stack: a devnode's
upper/lower filter, or a legacy IoAttachDeviceToDeviceStack filter) or device (a
legacy device with nothing attached). Between two boxes: AttachedDevice (up) /
AttachedTo (down). Symbolic links (``\\??\\X``) that resolve to a device are written
above its box. The IRP's path, when one is given, is drawn as numbered steps on the
boxes its IoCallDriver calls reached, in order, with the completion routines that ran.

The topology is read from the kernel when the picture is taken (``device_topology``):
devices deleted before then (an unloaded driver's) are not in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any, Iterable, Sequence

from .events import TraceEvent

BOX_W, BOX_H, GAP, COL_W, TOP = 250, 54, 34, 290, 70


@dataclass
class DeviceBox:
    """One device object of the picture."""

    label: str
    driver: str
    role: str                       # PDO | FDO | filter | device
    links: list[str] = field(default_factory=list)
    devnode: str | None = None


@dataclass
class Topology:
    """The device stacks, each listed bottom-up."""

    stacks: list[list[DeviceBox]]


def device_topology(kernel: Any) -> Topology:
    """Read the device stacks of ``kernel`` (its drivers' device lists, AttachedDevice,
    the PnP manager's devnodes and the \\?? links of the object namespace)."""
    devices = [dev for driver in kernel.drivers for dev in reversed(driver.devices())]
    nodes = {id(node.pdo): node for node in getattr(kernel.pnp, "devnodes", ())
             if node.pdo is not None}
    links: dict[int, list[str]] = {}
    namespace = kernel.namespace
    for name in namespace.names():
        link = namespace.lookup(name, reparse=False)
        target = getattr(link, "target", None)
        if target is None or type(link).__name__ != "SymbolicLink":
            continue
        obj = namespace.lookup(target)
        if obj is not None and type(obj).__name__ == "DeviceObject":
            links.setdefault(id(obj), []).append(link.name)
    stacks = []
    for bottom in (d for d in devices if d.attached_to is None):
        node = nodes.get(id(bottom))
        chain, dev = [], bottom
        while dev is not None:
            chain.append(dev)
            dev = dev.attached_device
        column = []
        for index, dev in enumerate(chain):
            driver = dev.driver_object.short_name
            if index == 0:
                role = "PDO" if node is not None else "device"
            elif node is not None and driver == node.service:
                role = "FDO"
            else:
                role = "filter"
            column.append(DeviceBox(dev.label, driver, role, sorted(links.get(id(dev), [])),
                                    node.instance_path if node is not None and index == 0
                                    else None))
        stacks.append(column)
    return Topology(stacks)


def irp_path(events: Sequence[TraceEvent], irp: int) -> list[tuple[str, str]]:
    """IRP#``irp``'s journey: (device label, what happened there) in trace order."""
    path = []
    for e in events:
        if e.irp != irp or e.device is None:
            continue
        if e.kind == "IoCallDriver":
            path.append((e.device, f"IoCallDriver {e.major_name}"))
        elif e.kind == "IoCompleteRequest":
            path.append((e.device, f"IoCompleteRequest {e.status_name}"))
        elif e.kind == "CompletionRoutine":
            path.append((e.device, f"completion {e.details.get('routine')}"))
    return path


def render_stack_svg(topology: Topology, events: Iterable[TraceEvent] = (),
                     irp: int | None = None, title: str = "") -> str:
    """The stacks of ``topology``; with ``irp``, that IRP's path on them; without, how
    many IRPs each device received in ``events``."""
    events = list(events)
    steps: dict[str, list[str]] = {}
    path = irp_path(events, irp) if irp is not None else []
    for number, (label, what) in enumerate(path, 1):
        steps.setdefault(label, []).append(f"{number}. {what}")
    received: dict[str, int] = {}
    if irp is None:
        for e in events:
            if e.kind == "IoCallDriver" and e.device is not None:
                received[e.device] = received.get(e.device, 0) + 1
    tallest = max((len(s) for s in topology.stacks), default=0)
    col_w = COL_W + (230 if irp is not None else 0)    # the path's steps go right of a box
    width = max(col_w * len(topology.stacks) + 100, 360)
    height = TOP + tallest * (BOX_H + GAP) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">',
           '<defs><marker id="s" markerWidth="8" markerHeight="8" refX="7" refY="3" '
           'orient="auto"><path d="M0,0 L7,3 L0,6 z" fill="#6a8cc7"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">'
           f'{escape(title or "Device stacks")}{f" — IRP#{irp}" if irp is not None else ""}'
           '</text>']
    if not topology.stacks:
        out.append('<text x="10" y="50" fill="#888">no device objects</text>')
    fills = {"PDO": "#eef6ee", "FDO": "#e8eef8", "filter": "#fff5e0", "device": "#e8eef8"}
    for column, stack in enumerate(topology.stacks):
        x = 20 + col_w * column
        for level, box in enumerate(stack):
            y = TOP + (tallest - 1 - level) * (BOX_H + GAP) + 14
            hot = box.label in steps
            stroke = "#cf222e" if hot else "#6a8cc7"
            tip = escape("\n".join(steps.get(box.label, [])) or box.label)
            out.append(f'<g><title>{tip}</title><rect x="{x}" y="{y}" width="{BOX_W}" '
                       f'height="{BOX_H}" rx="5" fill="{fills[box.role]}" stroke="{stroke}" '
                       f'stroke-width="{2 if hot else 1}"/>'
                       f'<text x="{x + 8}" y="{y + 16}" font-weight="bold">'
                       f'{escape(_cut(box.label, 30))}</text>'
                       f'<text x="{x + 8}" y="{y + 31}">\\Driver\\{escape(box.driver)}</text>'
                       f'<text x="{x + BOX_W - 8}" y="{y + 16}" text-anchor="end" '
                       f'fill="#555">{box.role}</text>')
            detail = box.devnode or (f"{received[box.label]} IRPs" if box.label in received
                                     else "")
            if detail:
                out.append(f'<text x="{x + 8}" y="{y + 46}" fill="#555">'
                           f'{escape(_cut(detail, 38))}</text>')
            for line, step in enumerate(steps.get(box.label, [])[:4]):
                out.append(f'<text x="{x + BOX_W + 8}" y="{y + 12 + 13 * line}" '
                           f'fill="#cf222e">{escape(_cut(step, 32))}</text>')
            out.append("</g>")
            if box.links:
                out.append(f'<text x="{x}" y="{y - 4}" fill="#9a6700">'
                           f'{escape(_cut(", ".join(box.links) + " →", 40))}</text>')
            if level:   # the attachment to the device below
                below = y + BOX_H + GAP
                mid = x + BOX_W // 2
                out.append(f'<line x1="{mid}" y1="{y + BOX_H}" x2="{mid}" y2="{below - 2}" '
                           f'stroke="#6a8cc7" marker-end="url(#s)"/>'
                           f'<text x="{mid + 6}" y="{y + BOX_H + GAP // 2 + 4}" fill="#6a8cc7">'
                           f'AttachedTo ↓ / AttachedDevice ↑</text>')
    out.append("</svg>")
    return "\n".join(out)


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"
