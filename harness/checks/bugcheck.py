"""Checks about the bug check a run ended with (KeBugCheckEx's code and its four
parameters), or its absence.

A parameter may be given as a number or as the text a feature writes: ``IRP of "r1"``,
``device "\\Device\\X"``, ``routine "Name"``, ``IRQL DISPATCH_LEVEL``,
``status STATUS_X``, ``pointer printed after "DriverB:pNewIrp:"``.
"""

from __future__ import annotations

from typing import Sequence, Union

from ..kernel import IRQL, BugCheck
from .values import UnknownName, status_value
from .subject import Subject


Parameter = Union[int, str, None]


def parameter_value(run: Subject, text: Parameter) -> int | None:
    """A bug-check parameter as a check writes it (see the module docstring); None for
    the IRP of a request that made none."""
    if text is None or isinstance(text, int):
        return text
    text = text.strip()
    kind, _, rest = text.partition(" ")
    name = rest.strip().strip('"').replace("\\\\", "\\")
    kernel = run.session.kernel
    if text.startswith("pointer printed after "):
        return run.debug_output.value_after(
            text[len("pointer printed after "):].strip().strip('"'))
    if kind == "IRP" and rest.startswith("of "):
        return run.request(rest[3:].strip().strip('"')).irp
    if kind == "device":
        return run.device(name).id
    if kind == "routine":
        for routine, address in kernel.routine_addresses.items():
            if (getattr(routine, "__name__", None) or getattr(routine, "name", None)) == name:
                return address
        raise UnknownName(f"no routine {name!r} has an address in this run")
    if kind == "IRQL":
        return int(IRQL[name])
    if kind == "status":
        return status_value(name)
    return int(text, 0)


def _hex(value: int | None) -> str:
    return "?" if value is None else f"0x{value:X}"


class BugCheckView:
    """The run's bug check: ``code``, ``name``, ``params`` (None without one)."""

    def __init__(self, run: Subject) -> None:
        self._run = run
        self.bugcheck: BugCheck | None = run.result.bugcheck

    def __bool__(self) -> bool:
        return self.bugcheck is not None

    def __repr__(self) -> str:
        return repr(self.bugcheck)

    @property
    def code(self) -> int | None:
        return None if self.bugcheck is None else self.bugcheck.code

    @property
    def name(self) -> str | None:
        return None if self.bugcheck is None else self.bugcheck.name

    @property
    def params(self) -> tuple[int, int, int, int] | None:
        bc = self.bugcheck
        return None if bc is None else (bc.p1, bc.p2, bc.p3, bc.p4)

    def none(self) -> None:
        """No bug check occurred."""
        __tracebackhide__ = True
        if self.bugcheck is not None:
            self._run.fail("the machine bug-checked")

    def is_(self, code: int | str, name: str | None = None,
            params: Sequence[Parameter] | None = None) -> None:
        """The machine bug-checked with this code (a number or its name: ``0x44`` or
        ``"MULTIPLE_IRP_COMPLETE_REQUESTS"``; both: ``is_(0x44, "MULTIPLE_...")``), and
        with these four parameters when given (None leaves one unchecked)."""
        __tracebackhide__ = True
        bc = self.bugcheck
        number = None if isinstance(code, str) else code
        name = code if isinstance(code, str) else name
        wrong = bc is None or (number is not None and bc.code != number) or \
            (name is not None and bc.name != name)
        if wrong:
            want = " ".join(part for part in (name, f"({_hex(number)})" if number is not None
                                              else None) if part)
            self._run.fail(f"expected bug check {want}, got {bc or 'none'}")
        if params is not None:
            self.parameters_are(params)

    def parameter_is(self, n: int, value: Parameter) -> None:
        """Parameter ``n`` (1-4) is ``value``; the others are left unchecked."""
        __tracebackhide__ = True
        bc = self.bugcheck
        expected = parameter_value(self._run, value)
        if bc is None or getattr(bc, f"p{n}") != expected:
            irp = expected if isinstance(value, str) and value.startswith("IRP of ") else None
            if irp is not None:
                self._run.fail(f"bug check parameter {n} is not IRP#{expected}: "
                               f"{bc or 'no bug check'}", irp)
            self._run.fail(f"bug check parameter {n}: expected {value} = {_hex(expected)}, "
                           f"got {bc or 'no bug check'}")

    def parameters_are(self, params: Sequence[Parameter]) -> None:
        """All four parameters (None leaves one unchecked)."""
        __tracebackhide__ = True
        bc = self.bugcheck
        if bc is None:
            self._run.fail("the machine did not bug-check")
        expected = [parameter_value(self._run, value) for value in params]
        got = [bc.p1, bc.p2, bc.p3, bc.p4]
        # a None given leaves that parameter unchecked; one a text stands for (the IRP
        # of a request that made none) matches nothing
        if len(params) != 4 or any(p is not None and e != g
                                   for p, e, g in zip(params, expected, got)):
            shown = ", ".join(str(v) for v in params)
            self._run.fail(f"bug check parameters: expected {shown} = "
                           f"{', '.join(_hex(v) for v in expected)}, got "
                           f"{', '.join(f'0x{v:X}' for v in got)} ({bc})")


