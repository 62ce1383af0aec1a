"""Checks over the DbgView log (the DbgPrint lines, in order) and the application's
console output.

An expected DbgView line may hold ``%x`` for a printed pointer (any hex number: its
value is machine-specific, book-experiments.md §4) and ``<&\\Device\\X>`` for the
address of that object as ``%08X`` prints it.
"""

from __future__ import annotations

import difflib
import re
from typing import Sequence

from ..trace import TraceEvent
from .values import moment
from .subject import Subject



def line_matches(expected: str, line: str) -> bool:
    """``line`` is ``expected``, where ``%x`` stands for a hex number."""
    if "%x" not in expected:
        return line == expected
    pattern = "[0-9A-Fa-f]+".join(re.escape(part) for part in expected.split("%x"))
    return re.fullmatch(pattern, line) is not None


def _show(lines: Sequence[str]) -> str:
    return "\n  ".join(lines)


class DebugOutput:
    """The DbgPrint lines of a run and the claims about them."""

    def __init__(self, run: Subject) -> None:
        self._run = run
        self.lines: list[str] = run.result.debug_lines

    def _with_addresses(self, line: str) -> str:
        kernel = self._run.session.kernel

        def address(match: re.Match[str]) -> str:
            name = match.group(1)
            obj = kernel.namespace.lookup(name, reparse=False)
            if obj is None:
                self._run.fail(f"<&{name}>: there is no object named {name}")
            return f"{kernel.objects.address_of(obj):08X}"
        return re.sub(r"<&([^>]+)>", address, line)

    def is_(self, expected: str | Sequence[str]) -> None:
        """The whole log, line by line (a string: its lines)."""
        __tracebackhide__ = True
        wanted = expected.splitlines() if isinstance(expected, str) else list(expected)
        wanted = [self._with_addresses(line) for line in wanted]
        got = self.lines
        if len(got) != len(wanted) or not all(map(line_matches, wanted, got)):
            diff = "\n".join(difflib.unified_diff(wanted, got, "expected", "DbgView",
                                                  lineterm=""))
            self._run.fail(f"the debug output differs:\n{diff}")

    def contains_in_order(self, expected: Sequence[str]) -> None:
        """These lines, in this order, others between them allowed."""
        __tracebackhide__ = True
        got, position = self.lines, 0
        for line in expected:
            found = next((i for i in range(position, len(got)) if line_matches(line, got[i])),
                         None)
            if found is None:
                self._run.fail(f"debug line {line!r} not found (in order) after line "
                               f"{position}; DbgView:\n  {_show(got)}")
            position = found + 1

    def contains(self, text: str, times: int | None = None) -> None:
        """Some line contains ``text`` (with ``times``: exactly that many lines do)."""
        __tracebackhide__ = True
        found = sum(text in line for line in self.lines)
        if times is not None and found != times:
            self._run.fail(f"{text!r} is in {found} debug lines, expected {times}; DbgView:"
                           f"\n  {_show(self.lines)}")
        if times is None and not found:
            self._run.fail(f"the debug output lacks {text!r}; DbgView:\n  {_show(self.lines)}")

    def does_not_contain(self, text: str) -> None:
        __tracebackhide__ = True
        if any(text in line for line in self.lines):
            self._run.fail(f"the debug output has {text!r}; DbgView:\n  {_show(self.lines)}")

    def prints(self, text: str) -> list[TraceEvent]:
        """The DbgPrint events whose line contains ``text``."""
        return [e for e in self._run.result.events
                if e.kind == "DbgPrint" and text in (e.text or "")]

    def printed_at(self, text: str, times: Sequence[str | int]) -> None:
        """The lines containing ``text`` were printed at exactly these simulated times,
        in order (``["1 s", "2 s"]`` or 100 ns units)."""
        __tracebackhide__ = True
        wanted = [moment(t)[0] for t in times]
        found = [e.time for e in self.prints(text)]
        if found != wanted:
            self._run.fail(f"{text!r} was printed at {[f'{t / 10_000:.4f} ms' for t in found]}"
                           f", expected {[f'{t / 10_000:.4f} ms' for t in wanted]}")

    def printed_in(self, text: str, process: str, cpu: int | None = None) -> None:
        """Every line containing ``text`` was printed by a thread of ``process`` (and on
        ``cpu``)."""
        __tracebackhide__ = True
        found = self.prints(text)
        if not found:
            self._run.fail(f"no debug line contains {text!r}")
        wrong = [e for e in found if e.process != process or (cpu is not None and e.cpu != cpu)]
        if wrong:
            self._run.fail(f"{text!r} was printed in process {wrong[0].process!r} on "
                           f"CPU{wrong[0].cpu}, expected {process!r}"
                           f"{'' if cpu is None else f' on CPU{cpu}'}")

    def value_after(self, prefix: str) -> int:
        """The hex number after ``prefix`` on the first line starting with it (a pointer
        a driver printed: ``DriverB:pNewIrp:%x``)."""
        __tracebackhide__ = True
        for line in self.lines:
            if line.startswith(prefix):
                try:
                    return int(line[len(prefix):].split()[0], 16)
                except (ValueError, IndexError):
                    break
        self._run.fail(f"no debug line starts with {prefix!r} followed by a hex number")


class AppOutput:
    """The lines the application printed."""

    def __init__(self, run: Subject) -> None:
        self._run = run
        self.lines: list[str] = run.result.app_output

    def is_(self, expected: str | Sequence[str]) -> None:
        __tracebackhide__ = True
        wanted = expected.splitlines() if isinstance(expected, str) else list(expected)
        if self.lines != wanted:
            self._run.fail(f"the application printed:\n  {_show(self.lines)}"
                           f"\nexpected:\n  {_show(wanted)}")

    def contains(self, text: str) -> None:
        """Some printed line contains ``text``."""
        __tracebackhide__ = True
        if not any(text in line for line in self.lines):
            self._run.fail(f"no application line contains {text!r}; it printed:\n  "
                           f"{_show(self.lines)}")
