"""What was still going on when a run ended: the wait-for picture of a hang.

An instrument that keeps the IRPs alive and notes, as they happen, the mistakes whose
consequence is a hang (a dispatch routine returning STATUS_PENDING without
IoMarkIrpPending). :func:`picture` then describes, for a run that hung or reached its
time limit: each blocked thread, what it waits on and since when, and who could
signal it; each IRP still pending, which driver holds it, its current location and
pending bit; armed timers and queued DPCs; and a diagnosis where one is certain.
"""

from __future__ import annotations

from typing import Any

from ..kernel import IRP_MJ, NTSTATUS, SL_PENDING_RETURNED
from ..kernel.io.verifier import CallTracker, CompletionCall, DispatchCall

STATUS_PENDING = NTSTATUS.STATUS_PENDING


def _seconds(hns: int) -> str:
    return f"{hns / 10_000_000:.7f} s"


class Inventory(CallTracker):
    """Live IRPs, by id, and certain diagnoses noted while the run went on."""

    def __init__(self) -> None:
        super().__init__()
        self.irps: dict[int, Any] = {}
        self.diagnoses: list[str] = []

    def irp_allocated(self, irp: Any) -> None:
        self.irps[irp.id] = irp

    def irp_freed(self, irp: Any) -> None:
        self.irps.pop(irp.id, None)

    def returned(self, call: DispatchCall, status: int) -> None:
        if status == STATUS_PENDING and call.pends_unmarked and not call.irp.freed:
            self.diagnoses.append(
                f"{call.device.driver_object.short_name}'s dispatch routine returned "
                f"STATUS_PENDING for IRP#{call.irp.id} without IoMarkIrpPending: when the IRP "
                "completes the I/O manager does not know it was pending, so a synchronous "
                "caller waiting for it may wait forever (io-core §4.4)")

    def pending_lost(self, done: CompletionCall, device: Any, routine: Any) -> None:
        self.diagnoses.append(
            f"the completion routine {getattr(routine, '__name__', '?')} of "
            f"{device.driver_object.short_name} saw PendingReturned for IRP#{done.irp.id} and "
            "did not call IoMarkIrpPending: the pending bit is lost above it, so the "
            "originator may wait forever (io-core §4.4)")


def _holder(irp: Any) -> str:
    loc = irp.current_location
    if loc == irp.stack_count + 1:
        return "no driver: not sent yet"
    if loc > irp.stack_count + 1:
        return "no driver: completed, its final phase not run"
    stack = irp.stack[loc - 1]
    device = stack.device_object
    pending = "pending bit set" if stack.control & SL_PENDING_RETURNED else "pending bit clear"
    name = device.label if device is not None else "?"
    driver = device.driver_object.short_name if device is not None else "?"
    return f"{driver} ({name}), location {loc}/{irp.stack_count}, {pending}"


def picture(kernel: Any, inventory: Inventory, threads: list[Any]) -> list[str]:
    """Lines describing what is still active (empty when nothing is)."""
    lines: list[str] = []
    live = [irp for irp in inventory.irps.values() if not irp.freed]
    for thread in threads:
        if not thread.blocked:           # cut off while running (a frozen CPU)
            lines.append(f"thread {thread.name} ({thread.process}) was running on "
                         f"CPU{thread.cpu.index} when it stopped")
            continue
        objects = thread.waiting_on or ()
        what = ", ".join(_object(obj, live) for obj in objects) or "an event of its own"
        lines.append(f"thread {thread.name} ({thread.process}) blocked since "
                     f"{_seconds(thread.blocked_since)} waiting on {what}")
    for irp in live:
        lines.append(f"IRP#{irp.id} {_major(irp)} pending in {_holder(irp)}")
    for timer in kernel.armed_timers.values():
        dpc = f", DPC {timer.dpc.name}" if timer.dpc is not None else ""
        period = f", every {timer.period_ms} ms" if timer.period_ms else ""
        lines.append(f"timer {timer.name or '#' + str(timer.id)} armed, due at "
                     f"{_seconds(timer.due)}{period}{dpc}")
    for cpu in kernel.cpus:
        for dpc in cpu.dpc_queue:
            lines.append(f"DPC {dpc.name} queued on CPU{cpu.index}")
    lines.extend(f"diagnosis: {text}" for text in dict.fromkeys(inventory.diagnoses))
    return lines


def _major(irp: Any) -> str:
    try:
        return IRP_MJ(irp.major).name
    except ValueError:
        return f"major 0x{irp.major:02X}"


def _object(obj: Any, live: list[Any]) -> str:
    cls = type(obj).__name__                               # KEvent -> KEVENT
    kind = cls.upper() if cls.startswith("K") else cls
    text = f"{kind} '{getattr(obj, 'name', '') or '#' + str(getattr(obj, 'id', '?'))}'"
    signalers = [irp for irp in live
                 if irp.user_event is obj or (irp.original_file_object is not None
                                              and irp.original_file_object.event is obj)]
    if signalers:
        text += " (set when " + ", ".join(
            f"IRP#{irp.id} completes, pending in {_holder(irp)}" for irp in signalers) + ")"
    return text
