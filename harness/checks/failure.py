"""What a false claim raises: the claim, the run's outcome, the trace excerpt that
matters, the IRP's stack locations as WinDbg's ``!irp`` shows them, and the one command
that reruns this very run (runner/replay.py)."""

from __future__ import annotations

from typing import Sequence

from ..runner import RunResult
from ..trace import TraceEvent, irp_table, render_text


class CheckFailed(AssertionError):
    """A check's claim about a run is false (pytest shows it as a failed assertion)."""


def explain(result: RunResult, message: str, rerun: str, irp: int | None = None,
            events: Sequence[TraceEvent] | None = None) -> str:
    """The text of a failure: ``message``, the outcome when it is not a clean end, the
    events of IRP ``irp`` (else ``events``, else the last 40) and the rerun command."""
    if events is None:
        events = result.irp_events(irp) if irp is not None else result.events[-40:]
    heading = f"trace of IRP#{irp}" if irp is not None else "last events of the trace"
    outcome = ""
    if result.bugcheck is not None:
        outcome = f"\nthe machine bug-checked: {result.bugcheck}"
    elif result.outcome != "OK" or result.active:
        outcome = "\n" + "\n".join([f"outcome: {result.outcome}"] + [
            f"  {line}" for line in result.active])
    # the IRP's stack locations as `!irp` shows them, at its last event (irpview.py)
    table = f"\n\n!irp at its last event:\n{irp_table(result.events, irp)}" \
        if irp is not None else ""
    return (f"{message}{outcome}\n\n{heading}:\n{render_text(events)}"
            f"{table}\n\nrerun: {rerun}")
