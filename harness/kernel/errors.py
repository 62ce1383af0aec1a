"""Errors of the simulated machine.

Two very different things can go wrong in a run:

* the *simulated driver* does something Windows punishes: that is a bug check, recorded
  as an outcome of the run (:class:`BugCheck`), never a Python traceback;
* the *harness* is asked for something it does not model: :class:`NotModelledError`
  names the routine, because a routine that silently "succeeds" would be a false pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import BugCheckCode


class NotModelledError(Exception):
    """A WDK routine or behaviour the simulator does not model was used."""

    def __init__(self, routine: str, detail: str = "") -> None:
        # args stay (routine, detail): SimPy re-raises process errors as type(e)(*e.args)
        super().__init__(routine, detail)
        self.routine = routine
        self.detail = detail

    def __str__(self) -> str:
        msg = f"{self.routine} is not modelled by irp-harness"
        return f"{msg}: {self.detail}" if self.detail else msg


class KernelUsageError(Exception):
    """The harness itself called the kernel wrongly (a harness bug, not a driver bug)."""


@dataclass(frozen=True)
class BugCheck:
    """A bug check: the machine stopped. Parameters as in the WDK bug check pages."""

    code: int
    p1: int = 0
    p2: int = 0
    p3: int = 0
    p4: int = 0
    reason: str = ""
    time: int = 0

    @property
    def name(self) -> str:
        try:
            return BugCheckCode(self.code).name
        except ValueError:
            return f"0x{self.code:X}"

    def __str__(self) -> str:
        params = ", ".join(f"0x{p:X}" for p in (self.p1, self.p2, self.p3, self.p4))
        return f"*** STOP 0x{self.code:08X} {self.name} ({params}) {self.reason}".rstrip()


class BugCheckHalt(BaseException):
    """Unwinds every simulated call stack once the machine has bug-checked.

    A BaseException so that no driver-level ``except Exception`` can swallow it.
    """

    def __init__(self, bugcheck: BugCheck) -> None:
        super().__init__(str(bugcheck))
        self.bugcheck = bugcheck


class MachineFrozen(BaseException):
    """Unwinds every simulated call stack once a CPU can never leave DISPATCH_LEVEL on a
    machine without a DPC watchdog (the book's XP): the machine hangs, nothing runs.

    Attributes:
        reason: what froze it (which DPC kept requeueing, on which CPU).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BufferOverrun(NotModelledError):
    """Driver code wrote or read past the end of a buffer. In Windows that corrupts or
    reads whatever pool lies next (or faults, with special pool): not modelled."""

    def __init__(self, detail: str) -> None:
        super().__init__("a buffer overrun", detail)
        self.args = (detail,)        # SimPy re-raises as type(e)(*e.args)


class StatusRaised(Exception):
    """ExRaiseStatus inside an exception handler (an NT service's own __try): unwinds
    to that handler, which returns ``status``. Without a handler the raise is a bug
    check instead (Machine.raise_status)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"0x{status:08X}")
        self.status = status
