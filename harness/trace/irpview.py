"""`!irp`-style views: an IRP's stack-location table at any event of the trace.

The debugger's ``!irp`` (verifier-rules §2.1) prints a header (how many locations, which
is current), then one block per stack location from location 1 (the array start: the
LOWEST driver) up to StackCount (the first driver called), the current one marked
``>``: ``[major, minor]``, then flags, control byte, device, file object and the
completion routine-context pair with the Control bits decoded (``Success Error Cancel``
when the routine will be called, ``pending`` for SL_PENDING_RETURNED), then the owning
driver, then ``Args:`` four words of the Parameters union (an IOCTL's third is its
control code). A completion routine shown in a location was put there by the driver on
the line below it (IoSetCompletionRoutine writes the NEXT location, io-core §3.6).

The table is rebuilt by replaying the IRP's trace events (the recorder keeps no copy of
the stack per event, which would cost on every hook): IoAllocateIrp, the location moves
(IoSetNextIrpStackLocation, IoSkip.../IoCopy...), IoSetCompletionRoutine, IoCallDriver
(which records what its caller wrote into the location), IoMarkIrpPending and the
completion walk of io-core §5.2. The walk is replayed as the kernel runs it: levels
whose routine is not invoked leave no event, so between two recorded routines (or after
the last) the replay clears those levels and propagates their pending bit (§4.3), as
IopClearStackLocation does. Model simplifications shown as they are: no addresses (the
device's name, ``FileObject#n``, routine names), and a field a driver writes into a
location directly shows from the next IoCallDriver of that location on.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Sequence

from ..kernel import IRP_MJ, IRP_MN, NTSTATUS, status_name
from ..kernel.constants import (SL_ERROR_RETURNED, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR,
                                SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED)
from .ctlcode import format_ctl_code
from .events import TraceEvent

_IOCTL_MAJORS = (IRP_MJ.IRP_MJ_DEVICE_CONTROL, IRP_MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL)
_SMPR = NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED


@dataclass
class Location:
    """One IO_STACK_LOCATION as the trace knows it."""

    major: int = 0
    minor: int = 0
    flags: int = 0
    control: int = 0
    device: str | None = None
    driver: str | None = None
    file: str | None = None
    routine: str | None = None
    context: str | None = None
    parameters: tuple | None = None   # (Length, Key, ByteOffset, OutLen, InLen, IoControlCode)

    def clear(self) -> None:
        """IopClearStackLocation (io-core §5.2.5): Control keeps only SL_ERROR_RETURNED."""
        self.minor = self.flags = 0
        self.parameters = self.file = None
        self.control &= SL_ERROR_RETURNED


@dataclass
class IrpState:
    """The IRP header fields the view prints, and its locations (index 0 = location 1)."""

    irp: int
    stack_count: int
    current: int
    locations: list[Location]
    thread: str = ""
    at: int = -1                      # seq of the last event replayed
    status: int | None = None
    information: int | None = None
    pending_returned: bool = False
    cancel: bool = False
    freed: bool = False

    def location(self, number: int) -> Location | None:
        return self.locations[number - 1] if 1 <= number <= self.stack_count else None


def irp_state(events: Sequence[TraceEvent], irp: int, at: int | None = None) -> IrpState | None:
    """The state of IRP#``irp`` right after event ``at`` (its seq; None: the last event),
    or None when the trace has no allocation of it."""
    state: IrpState | None = None
    for e in events:
        if at is not None and e.seq > at:
            break
        if e.irp != irp:
            continue
        if e.kind == "IoAllocateIrp":
            count = e.details.get("stack_count", 1)
            state = IrpState(irp, count, count + 1, [Location() for _ in range(count)],
                             thread=e.thread)
            if e.major is not None:   # what the builder / I/O manager wrote in the top one
                state.locations[-1].major = e.major
        elif state is not None:
            _apply(state, e, events)
        if state is not None:
            state.at = e.seq
    return state


def _apply(state: IrpState, e: TraceEvent, events: Sequence[TraceEvent]) -> None:
    kind, d = e.kind, e.details
    if kind == "IoSetNextIrpStackLocation":
        state.current -= 1
    elif kind == "IoSkipCurrentIrpStackLocation":
        state.current += 1
    elif kind == "IoCopyCurrentIrpStackLocationToNext":
        src, dst = state.location(state.current), state.location(state.current - 1)
        if src is not None and dst is not None:   # §3.5: all before CompletionRoutine
            dst.major, dst.minor, dst.flags = src.major, src.minor, src.flags
            dst.parameters, dst.device, dst.driver, dst.file = (src.parameters, src.device,
                                                                src.driver, src.file)
            dst.control = 0
    elif kind == "IoSetCompletionRoutine":
        loc = state.location(state.current - 1)
        if loc is not None:
            loc.routine, loc.context, loc.control = d["routine"], d["context"], d["control"]
    elif kind == "IoCallDriver":
        state.current = d["location"]
        loc = state.location(state.current)
        if loc is not None:
            loc.major, loc.device, loc.driver = e.major or 0, e.device, e.driver
            loc.minor, loc.flags, loc.control = d["minor"], d["flags"], d["control"]
            loc.file, loc.parameters = d["file"], d.get("parameters")
    elif kind == "IoMarkIrpPending":
        loc = state.location(state.current)
        if loc is not None:
            loc.control |= SL_PENDING_RETURNED
    elif kind == "IoCompleteRequest":
        state.status, state.information = e.status, e.information
        if state.current > state.stack_count:    # §5.2: the creator's view: no walk
            state.current = state.stack_count + 2
        else:
            _walk(state, state.current, events, e.seq)
    elif kind == "CompletionRoutine":
        level = d["location"] - 1
        loc = state.location(level)
        state.current = level + 1
        state.pending_returned = d["pending_returned"]
        state.status = e.status
        if loc is not None:
            loc.clear()
    elif kind == "CompletionReturn":
        if e.status != _SMPR:                      # §5.2.5: SMPR stops the walk
            _walk(state, state.current, events, e.seq)
    elif kind == "IopCompleteRequest":
        state.status, state.information = e.status, e.information
        state.pending_returned = bool(d.get("pending_returned"))
    elif kind == "IoCancelIrp":
        state.cancel = True
    elif kind == "IoFreeIrp":
        state.freed = True


def _walk(state: IrpState, level: int, events: Sequence[TraceEvent], seq: int) -> None:
    """Pass the levels from ``level`` up whose routine is not invoked (io-core §5.2): they
    run no code, so the next event is the next invoked routine of this IRP, if any."""
    following = _event(events, seq + 1)
    stop = state.stack_count + 1
    if (following is not None and following.kind == "CompletionRoutine"
            and following.irp == state.irp):
        stop = following.details["location"] - 1
    for number in range(level, min(stop, state.stack_count + 1)):
        loc = state.locations[number - 1]
        pending = bool(loc.control & SL_PENDING_RETURNED)
        state.pending_returned = pending                      # §4.3, per level
        if pending and number < state.stack_count:            # §4.3: propagate up
            state.locations[number].control |= SL_PENDING_RETURNED
        loc.clear()
        state.current = number + 1
    if stop > state.stack_count:
        state.current = state.stack_count + 2                 # §0.3: the walk ran out


def _event(events: Sequence[TraceEvent], seq: int) -> TraceEvent | None:
    """The event numbered ``seq`` (the whole trace is indexed by seq; an excerpt is not)."""
    if seq < len(events) and events[seq].seq == seq:
        return events[seq]
    index = bisect_left(events, seq, key=lambda e: e.seq)
    return events[index] if index < len(events) and events[index].seq == seq else None


# -- rendering -------------------------------------------------------------------------------

def _function(value: int, major: int | None = None) -> str:
    if major is None:
        try:
            return f"{IRP_MJ(value).name}({value:x})"
        except ValueError:
            return f"N/A({value:x})"
    if major == IRP_MJ.IRP_MJ_PNP:
        try:
            return f"{IRP_MN(value).name}({value:x})"
        except ValueError:
            pass
    return f"N/A({value:x})"


def _decoded(control: int) -> str:
    words = [name for bit, name in ((SL_INVOKE_ON_SUCCESS, "Success"),
                                    (SL_INVOKE_ON_ERROR, "Error"),
                                    (SL_INVOKE_ON_CANCEL, "Cancel"),
                                    (SL_PENDING_RETURNED, "pending")) if control & bit]
    return " ".join(words)


def _args(loc: Location) -> tuple[str, str | None]:
    """The four Args words of the Parameters union and, for an IOCTL, its decoding."""
    p = loc.parameters
    if p is None:
        return "00000000 00000000 00000000 00000000", None
    length, key, offset, out_len, in_len, code = p
    if loc.major in _IOCTL_MAJORS:   # OutputBufferLength, InputBufferLength, code, Type3
        return (f"{out_len:08x} {in_len:08x} {code:#08x} 00000000",
                format_ctl_code(code))
    # Read/Write: Length, Key, ByteOffset (LowPart, HighPart)
    return (f"{length:08x} {key:08x} {offset & 0xFFFFFFFF:08x} "
            f"{(offset >> 32) & 0xFFFFFFFF:08x}", None)


def render_irp(state: IrpState) -> str:
    """The `!irp` layout (verifier-rules §2.1) of ``state``."""
    count, current = state.stack_count, state.current
    if state.freed:
        head = f"Irp#{state.irp} has been freed"
    elif current > count + 1:
        head = f"Irp#{state.irp} is completed with {count} stacks (CurrentLocation {current})"
    elif current == count + 1:
        head = f"Irp#{state.irp} is active with {count} stacks, none is current yet"
    else:
        head = f"Irp#{state.irp} is active with {count} stacks {current} is current"
    status = "" if state.status is None else f" IoStatus: {status_name(state.status)}"
    info = "" if state.information is None else f", {state.information}"
    lines = [f"{head} (after event #{state.at})",
             f" Thread {state.thread or 'NULL'}:{status}{info} PendingReturned "
             f"{'TRUE' if state.pending_returned else 'FALSE'}"
             f"{' Cancel TRUE' if state.cancel else ''}  Irp stack trace.",
             "     cmd  flg cl Device   File     Completion-Context"]
    for number in range(1, count + 1):
        loc = state.locations[number - 1]
        mark = ">" if number == current else " "
        unused = loc.device is None and loc.major == 0      # Windows prints N/A(0)
        major = "N/A(0)" if unused else _function(loc.major)
        lines.append(f"{mark}[{major}, {_function(loc.minor, loc.major)}]")
        pair = f"{loc.routine or '00000000'}-{loc.context or '00000000'}"
        lines.append(f"            {loc.flags:x} {loc.control:2x} {loc.device or '00000000'} "
                     f"{loc.file or '00000000'} {pair} {_decoded(loc.control)}".rstrip())
        owner = f"\\Driver\\{loc.driver}" if loc.driver else ""
        lines.append(f"\t       {owner}")
        words, ioctl = _args(loc)
        lines.append(f"\t\t\tArgs: {words}" + (f"  ({ioctl})" if ioctl else ""))
    return "\n".join(lines)


def irp_table(events: Sequence[TraceEvent], irp: int, at: int | None = None) -> str:
    """``!irp`` of IRP#``irp`` right after event ``at`` (None: at the end of the trace)."""
    state = irp_state(events, irp, at)
    if state is None:
        return f"IRP#{irp}: no allocation of it in the trace"
    return render_irp(state)
