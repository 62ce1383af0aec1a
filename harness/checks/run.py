"""One run of a scenario to check claims against: the machine, what drove it, and the
views the checks read (requests, the trace, DbgView, the bug check).

A Run loads and boots the scenario; :meth:`Run.run_app` runs its ``app:`` script, or
the test drives it step by step (:meth:`Run.call`, :meth:`Run.advance`, ...) as a
feature's When-steps do. Every driving call is recorded, so a failed check prints a
command that repeats exactly this run (runner/replay.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn, Sequence

from ..runner import RunResult, Session
from ..runner.replay import Replay
from ..scenario import load_scenario
from ..scenario.resolve import resolve
from ..trace import TraceEvent
from .bugcheck import BugCheckView
from .debug import AppOutput, DebugOutput
from .failure import CheckFailed, explain
from .requests import RequestView
from .trace import CompletionRoutines, TraceView
from .values import UnknownName, moment


class Run:
    """A booted scenario and the checks over what it did.

    Args:
        path: the scenario file.
        seed: the run's seed.
        machine: ``machine:`` settings to override (``{"cpus": 2}``).
    """

    def __init__(self, path: str | Path, seed: int = 0,
                 machine: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.scenario = load_scenario(self.path)
        self.program = resolve(self.scenario, machine)
        self.seed = seed
        self.session = Session(self.program, seed)
        # what drove the machine, so a failure's rerun command repeats this very run
        self.replay = Replay(str(self.path.resolve()), seed, dict(machine or {}))

    def __repr__(self) -> str:
        return f"Run({self.path.name}, seed={self.seed})"

    @property
    def book(self) -> Any:
        return self.program.book

    # -- driving the machine -----------------------------------------------------------
    def run_app(self) -> RunResult:
        """Run the scenario's ``app:`` script to its end."""
        self.replay.actions.append("run_app")
        return self.session.run_app()

    def call(self, step: dict[str, Any]) -> Any:
        """One app step, as the ``app:`` list writes it: ``{"read": {...}, "as": "r1"}``."""
        self.replay.actions.append({"call": step})
        return self.session.call(step)

    def advance(self, time: str | int) -> None:
        """Let simulated time pass: ``"3 s"``, ``"500 ms"`` or 100 ns units."""
        hns = moment(time)[0]
        self.replay.actions.append({"advance_100ns": hns})
        self.session.advance(hns)

    def devnode_event(self, instance: str, action: str) -> None:
        """A PnP action on a devnode (``surprise_remove``, ``uninstall``, ...)."""
        self.replay.actions.append({"devnode": {"instance": instance, "action": action}})
        self.session.devnode_event(instance, action)

    def power_action(self, action: str) -> None:
        """``standby`` or ``resume``."""
        self.replay.actions.append({"power": action})
        self.session.power_action(action)

    def rerun_command(self) -> str:
        """The command that repeats this run: the scenario and seed, or, when the run
        changed the machine or drove it step by step, a replay file written now."""
        if not self.replay.step_driven:
            return f"irp-harness run {self.path} --seed {self.seed}"
        return f"irp-harness run {self.replay.save()}"

    # -- what the run did --------------------------------------------------------------
    @property
    def result(self) -> RunResult:
        """The run so far: trace, requests, outcome."""
        return self.session.result()

    @property
    def outcome(self) -> str:
        """OK, BUGCHECK, HANG or TIME_LIMIT (RunResult.outcome)."""
        return self.result.outcome

    def request(self, name: str) -> RequestView:
        """The app's call named ``name`` (its ``as:``), with the checks about it."""
        requests = self.result.requests
        if name not in requests:
            self.fail(f"the app made no request named {name!r} (it made: "
                      f"{', '.join(requests) or 'none'})")
        return RequestView(self, requests[name])

    @property
    def trace(self) -> TraceView:
        """Every event of the run."""
        return TraceView(self, self.result.events)

    def irp_of(self, name: str) -> TraceView:
        """The events of the IRP behind request ``name``."""
        target = self.request(name).irp
        return TraceView(self, [e for e in self.result.events if e.irp == target],
                         irp=target, label=f"IRP of {name}")

    def completion_routines(self, driver: str) -> CompletionRoutines:
        """The completion routines of ``driver`` that ran."""
        return CompletionRoutines(self, driver)

    @property
    def debug_output(self) -> DebugOutput:
        """The DbgView log: DbgPrint lines in order."""
        return DebugOutput(self)

    @property
    def app_output(self) -> AppOutput:
        """What the application printed (its ``print:`` steps)."""
        return AppOutput(self)

    @property
    def bugcheck(self) -> BugCheckView:
        """The bug check (or its absence)."""
        return BugCheckView(self)

    # -- checks about the end of the run ----------------------------------------------
    def outcome_is(self, outcome: str) -> None:
        """The run ended OK, with a BUGCHECK, a HANG or at its TIME_LIMIT."""
        __tracebackhide__ = True
        if self.outcome != outcome:
            self.fail(f"expected the outcome {outcome}, got {self.outcome}")

    def thread_is_blocked(self, thread: str) -> None:
        __tracebackhide__ = True
        hung = self.result.hung_threads
        if thread not in hung:
            self.fail(f"thread {thread!r} is not blocked (blocked: {', '.join(hung) or 'none'})")

    def no_thread_is_blocked(self) -> None:
        __tracebackhide__ = True
        if self.result.hung_threads:
            self.fail(f"threads still blocked: {', '.join(self.result.hung_threads)}")

    # -- objects of the machine ---------------------------------------------------------
    def device(self, name: str) -> Any:
        """The device object named ``name`` (``\\Device\\X``, any case)."""
        for driver in self.session.kernel.drivers:
            for device in driver.devices():
                if device.name and device.name.lower() == name.lower():
                    return device
        raise UnknownName(f"no device named {name!r}")

    def fail(self, message: str, irp: int | None = None,
             events: Sequence[TraceEvent] | None = None) -> NoReturn:
        """Raise CheckFailed: ``message`` with the trace excerpt (of IRP ``irp``, else
        ``events``, else the last events), the ``!irp`` table and the rerun command."""
        __tracebackhide__ = True
        raise CheckFailed(explain(self.result, message, self.rerun_command(), irp, events))


def run(path: str | Path, seed: int = 0, machine: dict[str, Any] | None = None) -> Run:
    """Load a scenario, run its ``app:`` to the end, and return the Run to check."""
    checked = Run(path, seed, machine)
    checked.run_app()
    return checked
