"""The pictures a report attaches to a scenario's result besides the whole-run diagram:
the device stacks (stackpic.py) and one sequence diagram per request that made an IRP."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .diagram import render_sequence_svg
from .events import TraceEvent
from .stackpic import device_topology, render_stack_svg

#: Per-request diagrams attached at most (a stress scenario makes thousands of requests).
MAX_REQUEST_DIAGRAMS = 12


def report_pictures(kernel: Any, events: Sequence[TraceEvent],
                    requests: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(attachment name, SVG text) pairs: the device stacks, then IRP sequences per
    request (``requests``: name -> Request with an ``irp``), in the order they were made."""
    out = [("device stacks", render_stack_svg(device_topology(kernel), events))]
    made = [(name, r.irp) for name, r in requests.items() if r.irp is not None]
    for name, irp in made[:MAX_REQUEST_DIAGRAMS]:
        out.append((f"IRP sequence of {name}",
                    render_sequence_svg(events, f"request {name}", irp=irp)))
    return out
