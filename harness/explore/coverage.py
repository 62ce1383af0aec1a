"""IRP-pair coverage: which pairs of request kinds were in flight together, per device.

The measure Microsoft's driver test teams used for concurrency testing: a driver is
exercised by a pair of requests (a READ and a CLEANUP, a READ and a cancel) only when
both are outstanding at its device at the same time. An instrument watches each run:
an IRP is in flight at a device from IoCallDriver to it until the IRP's final
completion (IopCompleteRequest) or its freeing; a cancel (IoCancelIrp) counts as a
request kind of its own while its IRP is in flight. Across the runs of a campaign the
report gives, for each device and pair, in how many runs the pair overlapped.
"""

from __future__ import annotations

from typing import Any

from ..kernel import IRP_MJ, Instrument


def _kind(major: int) -> str:
    try:
        return IRP_MJ(major).name.removeprefix("IRP_MJ_")
    except ValueError:
        return f"0x{major:02X}"


def _label(device: Any) -> str:
    return str(getattr(device, "label", None) or getattr(device, "name", "?"))


class _Watcher(Instrument):
    """One run's observer: the IRPs in flight per device, the pairs seen."""

    def __init__(self) -> None:
        self.flight: dict[int, tuple[Any, str]] = {}    # IRP id -> (device, kind)
        self.seen: set[tuple[str, str, str]] = set()

    def _enter(self, device: Any, kind: str, irp_id: int | None) -> None:
        label = _label(device)
        for other, (dev, other_kind) in self.flight.items():
            if dev is device and other != irp_id:
                a, b = sorted((kind, other_kind))
                self.seen.add((label, a, b))

    def irp_call(self, irp: Any, device: Any) -> None:
        loc = irp.stack[irp.current_location - 1]
        kind = _kind(loc.major_function)
        self._enter(device, kind, irp.id)
        self.flight[irp.id] = (device, kind)

    def irp_cancel(self, irp: Any, had_routine: bool) -> None:
        where = self.flight.get(irp.id)
        if where is not None:
            self._enter(where[0], "CANCEL", None)
            label = _label(where[0])
            a, b = sorted(("CANCEL", where[1]))
            self.seen.add((label, a, b))

    def irp_final(self, irp: Any, status: Any, info: Any) -> None:
        self.flight.pop(irp.id, None)

    def irp_freed(self, irp: Any) -> None:
        self.flight.pop(irp.id, None)


class IrpPairCoverage:
    """The campaign's coverage: (device, kind, kind) -> runs in which they overlapped."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[str, str, str], int] = {}
        self._last: _Watcher | None = None

    def instrument(self) -> Instrument:
        """A fresh watcher for the next run; the previous run's pairs are counted."""
        self._flush()
        self._last = _Watcher()
        return self._last

    def _flush(self) -> None:
        if self._last is not None:
            for pair in self._last.seen:
                self.pairs[pair] = self.pairs.get(pair, 0) + 1
            self._last = None

    def merge(self, pairs: dict[tuple[str, str, str], int]) -> None:
        self._flush()
        for (device, a, b), count in pairs.items():
            key = (device, a, b)
            self.pairs[key] = self.pairs.get(key, 0) + count

    def report(self) -> str:
        """One line per device and pair: how many runs had both in flight."""
        self._flush()
        if not self.pairs:
            return "IRP-pair coverage: no two requests were ever in flight together"
        lines = ["IRP-pair coverage (device: pair - runs with both in flight):"]
        for (device, a, b), count in sorted(self.pairs.items()):
            lines.append(f"  {device}: {a} + {b} - {count}")
        return "\n".join(lines)
