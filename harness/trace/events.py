"""Typed trace events.

Every event carries where and when it happened (simulated time in 100 ns, sequence
number, CPU, IRQL, thread, execution context) and what it is about (kind = the WDK
routine or kernel activity, driver, device, IRP, major function, status, information,
details). Events are data: only ``render`` formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..kernel.constants import IRP_MJ, irql_name, status_name

# Kinds, named after the WDK routine or kernel activity they record.
KINDS = (
    "IoAllocateIrp", "IoFreeIrp", "IoCallDriver", "DispatchReturn", "IoCompleteRequest",
    "CompletionRoutine", "CompletionReturn", "IopCompleteRequest", "IoCancelIrp",
    "IoMarkIrpPending", "KeInsertQueueDpc", "DpcRoutine", "KeSetTimer", "TimerExpired",
    "KeCancelTimer", "KeSetEvent", "WaitBegin", "WaitEnd", "ThreadStart", "ThreadExit",
    "IrqlChange", "DbgPrint", "ServiceCall", "ServiceReturn", "KernelApc",
    "Win32Call", "Win32Return", "AppPrint", "BugCheck", "Violation",
)


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One thing that happened in the simulated machine."""

    seq: int
    time: int                 # 100 ns units since boot
    cpu: int
    irql: int
    thread: str               # thread name, or IdleN when none (DPC on an idle CPU)
    process: str
    context: str              # thread | dpc | completion | cancel | apc | isr
    kind: str
    driver: str | None = None
    device: str | None = None
    irp: int | None = None
    major: int | None = None
    status: int | None = None
    information: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.time / 10_000_000

    @property
    def major_name(self) -> str | None:
        return None if self.major is None else IRP_MJ(self.major).name

    @property
    def status_name(self) -> str | None:
        return None if self.status is None else status_name(self.status)

    @property
    def irql_name(self) -> str:
        return irql_name(self.irql)

    @property
    def text(self) -> str | None:
        """The line of a DbgPrint or AppPrint event."""
        return self.details.get("text")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: names beside numbers so a reader needs no table."""
        out: dict[str, Any] = {
            "seq": self.seq, "time": self.time, "cpu": self.cpu, "irql": self.irql_name,
            "thread": self.thread, "process": self.process, "context": self.context,
            "kind": self.kind,
        }
        if self.driver is not None:
            out["driver"] = self.driver
        if self.device is not None:
            out["device"] = self.device
        if self.irp is not None:
            out["irp"] = self.irp
        if self.major is not None:
            out["major"] = self.major_name
        if self.status is not None:
            out["status"] = self.status_name
        if self.information is not None:
            out["information"] = self.information
        if self.details:
            out["details"] = self.details
        return out
