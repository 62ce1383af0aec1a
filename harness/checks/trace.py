"""Checks over trace events: a subsequence in order, counts, and what completion
routines saw. An event is matched field by field on the text a reader sees (the
renderer's names: ``major`` IRP_MJ_READ, ``status`` STATUS_SUCCESS, ``irql``
DISPATCH_LEVEL, ``irp_of`` the request whose IRP it is, ``details.<key>``)."""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

from ..trace import TraceEvent
from .values import UnknownName
from .subject import Subject


TRACE_FIELDS = ("kind", "driver", "device", "major", "status", "context", "irql", "thread",
                "irp_of", "text", "pending_returned", "routine", "information", "api", "cpu",
                "process")


def event_field(event: TraceEvent, field: str, run: Subject) -> str:
    """The text a trace column ``field`` of ``event`` is compared with."""
    if field == "major":
        return event.major_name or ""
    if field == "status":
        return event.status_name or ""
    if field == "irql":
        return event.irql_name
    if field == "text":
        return event.text or ""
    if field == "irp_of":
        for name, request in run.result.requests.items():
            if request.irp is not None and request.irp == event.irp:
                return name
        return ""
    if field == "pending_returned":
        value = event.details.get("pending_returned")
        return "" if value is None else ("TRUE" if value else "FALSE")
    if field in ("routine", "api"):
        return str(event.details.get(field, ""))
    if field.startswith("details."):        # e.g. details.spun_100ns
        value = event.details.get(field[len("details."):])
        return "" if value is None else str(value)
    value = getattr(event, field)
    return "" if value is None else str(value)


def check_fields(fields: Sequence[str]) -> None:
    """Raise UnknownName for a column no event has."""
    unknown = [f for f in fields if f not in TRACE_FIELDS and not f.startswith("details.")]
    if unknown:
        raise UnknownName(f"unknown trace column(s) {unknown}; columns: "
                          f"{', '.join(TRACE_FIELDS)}, or details.<key> for one of an "
                          "event's details")


class TraceView:
    """Some events of a run (all of them, or one IRP's) and the claims about them."""

    def __init__(self, run: Subject, events: Sequence[TraceEvent], irp: int | None = None,
                 label: str = "the trace") -> None:
        self._run, self.events, self.irp, self.label = run, events, irp, label

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def _matches(self, event: TraceEvent, wanted: Mapping[str, str]) -> bool:
        return all(event_field(event, f, self._run) == v for f, v in wanted.items())

    def where(self, **fields: str) -> list[TraceEvent]:
        """The events whose columns read as given: ``where(kind="DbgPrint")``."""
        check_fields(list(fields))
        return [e for e in self.events if self._matches(e, fields)]

    def count(self, **fields: str) -> int:
        return len(self.where(**fields))

    def contains_in_order(self, rows: Sequence[Mapping[str, str]]) -> None:
        """Events matching each row, in this order (others may come between): each row
        maps columns to the text they read (``{"kind": "IoCallDriver", "driver": "A"}``)."""
        __tracebackhide__ = True
        for row in rows:
            check_fields(list(row))
        position = 0
        for wanted in rows:
            for index in range(position, len(self.events)):
                if self._matches(self.events[index], wanted):
                    position = index + 1
                    break
            else:
                self._run.fail(f"no event matching {dict(wanted)} after event #{position} of "
                               f"{self.label}", self.irp,
                               self.events if self.irp is None else None)

    def occurs(self, times: int, **fields: str) -> None:
        """Exactly ``times`` events match ``fields``."""
        __tracebackhide__ = True
        found = self.count(**fields)
        if found != times:
            self._run.fail(f"{found} events of {self.label} match {fields}, expected {times}",
                           self.irp)

    def reports_violation(self, text: str) -> None:
        """A rule violation (Driver Verifier's kind of finding) whose rule mentions
        ``text``."""
        __tracebackhide__ = True
        found = [e for e in self.events if e.kind == "Violation"]
        if not any(text in e.details.get("rule", "") for e in found):
            self._run.fail(f"no rule violation mentions {text!r} (reported: "
                           f"{[e.details.get('rule') for e in found] or 'none'})")


class CompletionRoutines:
    """The runs of one driver's completion routines (CompletionRoutine events)."""

    def __init__(self, run: Subject, driver: str) -> None:
        self._run, self.driver = run, driver
        self.events = [e for e in run.result.events
                       if e.kind == "CompletionRoutine" and e.driver == driver]

    def _ran(self) -> None:
        __tracebackhide__ = True
        if not self.events:
            self._run.fail(f"no completion routine of {self.driver} ran")

    def saw_pending_returned(self, value: bool) -> None:
        """Every run saw Irp->PendingReturned == ``value`` (io-core: recomputed per
        level from SL_PENDING_RETURNED)."""
        __tracebackhide__ = True
        self._ran()
        wrong = [e for e in self.events if e.details["pending_returned"] != value]
        if wrong:
            self._run.fail(f"a completion routine of {self.driver} saw PendingReturned "
                           f"{'FALSE' if value else 'TRUE'}", wrong[0].irp)

    def ran_at(self, irql: str) -> None:
        """Every run was at this IRQL (DISPATCH_LEVEL from a DPC, ...)."""
        __tracebackhide__ = True
        self._ran()
        wrong = [e for e in self.events if e.irql_name != irql]
        if wrong:
            self._run.fail(f"a completion routine of {self.driver} ran at "
                           f"{wrong[0].irql_name}", wrong[0].irp)
