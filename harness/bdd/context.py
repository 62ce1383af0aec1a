"""The state a Gherkin scenario works on: one scenario's Session and its results.

Steps stay thin: each turns its text into one call here. Assertion helpers raise
AssertionError messages that show the trace excerpt of the IRP concerned and the one
command that reruns the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..kernel import IRQL, WIN32_ERROR_NAMES, NTSTATUS
from ..lang.diagnostics import did_you_mean
from ..runner import Request, RunResult, Session
from ..runner.replay import Replay
from ..scenario import load_scenario
from ..scenario.resolve import resolve
from ..trace import TraceEvent, irp_table, render_text


class IrpScenario:
    """A loaded scenario plus its booted machine."""

    def __init__(self, root: Path, relative: str, seed: int = 0,
                 machine: dict[str, Any] | None = None) -> None:
        self.path = (root / relative) if not Path(relative).is_absolute() else Path(relative)
        self.scenario = load_scenario(self.path)
        self.program = resolve(self.scenario, machine)
        self.seed = seed
        self.session = Session(self.program, seed)
        # what the steps did, so a failure's rerun command repeats this very run
        self.replay = Replay(str(self.path.resolve()), seed, dict(machine or {}))

    def __repr__(self) -> str:   # short: Allure records step arguments with repr()
        return f"IrpScenario({self.path.name})"

    @property
    def book(self) -> Any:
        return self.program.book

    # -- actions -------------------------------------------------------------------------
    def run_app(self) -> RunResult:
        self.replay.actions.append("run_app")
        return self.session.run_app()

    def call(self, step: dict) -> Any:
        self.replay.actions.append({"call": step})
        return self.session.call(step)

    def advance(self, hns: int) -> None:
        self.replay.actions.append({"advance_100ns": hns})
        self.session.advance(hns)

    def devnode_event(self, instance: str, action: str) -> None:
        self.replay.actions.append({"devnode": {"instance": instance, "action": action}})
        self.session.devnode_event(instance, action)

    def power_action(self, action: str) -> None:
        self.replay.actions.append({"power": action})
        self.session.power_action(action)

    def rerun_command(self) -> str:
        """The command that repeats this run: the scenario and seed, or, when steps
        changed the machine or drove it, a replay file written now (runner/replay.py)."""
        if not self.replay.step_driven:
            return f"irp-harness run {self.path} --seed {self.seed}"
        return f"irp-harness run {self.replay.save()}"

    # -- observations --------------------------------------------------------------------
    @property
    def result(self) -> RunResult:
        return self.session.result()

    def request(self, name: str) -> Request:
        requests = self.result.requests
        if name not in requests:
            self.fail(f"the app made no request named {name!r} (it made: "
                      f"{', '.join(requests) or 'none'})")
        return requests[name]

    def device(self, name: str) -> Any:
        """The device object named ``name`` (``\\Device\\X``, any case)."""
        for driver in self.session.kernel.drivers:
            for device in driver.devices():
                if device.name and device.name.lower() == name.lower():
                    return device
        raise StepError(f"no device named {name!r}")

    def printed_value(self, prefix: str) -> int:
        """The hex number that follows ``prefix`` on the first DbgView line starting
        with it: a pointer a driver printed (``DriverB:pNewIrp:%x``)."""
        __tracebackhide__ = True
        for line in self.result.debug_lines:
            if line.startswith(prefix):
                try:
                    return int(line[len(prefix):].split()[0], 16)
                except (ValueError, IndexError):
                    break
        self.fail(f"no debug line starts with {prefix!r} followed by a hex number")

    def parameter_value(self, text: str) -> int:
        """A bug-check parameter as a feature writes it (see the step's docstring)."""
        text = text.strip()
        kind, _, rest = text.partition(" ")
        name = rest.strip().strip('"').replace("\\\\", "\\")
        kernel = self.session.kernel
        if text.startswith("pointer printed after "):
            return self.printed_value(text[len("pointer printed after "):].strip().strip('"'))
        if kind == "IRP" and rest.startswith("of "):
            return self.request(rest[3:].strip().strip('"')).irp
        if kind == "device":
            return self.device(name).id
        if kind == "routine":
            for routine, address in kernel.routine_addresses.items():
                if (getattr(routine, "__name__", None) or getattr(routine, "name", None)) == name:
                    return address
            raise StepError(f"no routine {name!r} has an address in this run")
        if kind == "IRQL":
            return int(IRQL[name])
        if kind == "status":
            return status_value(name)
        return int(text, 0)

    def fail(self, message: str, irp: int | None = None,
             events: list[TraceEvent] | None = None) -> None:
        """Raise an AssertionError with the relevant trace excerpt and a rerun command."""
        __tracebackhide__ = True
        result = self.result
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
        raise AssertionError(f"{message}{outcome}\n\n{heading}:\n{render_text(events)}"
                             f"{table}\n\nrerun: {self.rerun_command()}")


def status_value(text: str) -> int:
    """An NTSTATUS written in a step: a name or a number. A misspelt name fails the
    step with a suggestion (pytest-bdd shows the step)."""
    text = text.strip()
    if text[:1].isdigit():
        return int(text, 0)
    if text not in NTSTATUS.__members__:
        raise StepError(f"unknown NTSTATUS {text!r}{did_you_mean(text, NTSTATUS.__members__)}")
    return NTSTATUS[text]


class StepError(ValueError):
    """A Gherkin step names something that does not exist (a status, an error)."""


def win32_error_value(text: str) -> int:
    text = text.strip()
    if text[:1].isdigit():
        return int(text, 0)
    for value, name in WIN32_ERROR_NAMES.items():
        if name == text:
            return value
    raise StepError(f"unknown Win32 error {text!r}"
                    f"{did_you_mean(text, WIN32_ERROR_NAMES.values())}")


def seconds_to_hns(number: str, unit: str) -> int:
    scale = {"s": 10_000_000, "ms": 10_000, "us": 10}[unit]
    return round(float(number) * scale)


def event_field(event: TraceEvent, field: str, scenario: IrpScenario) -> str:
    """The text a trace table cell is compared with."""
    if field == "major":
        return event.major_name or ""
    if field == "status":
        return event.status_name or ""
    if field == "irql":
        return event.irql_name
    if field == "text":
        return event.text or ""
    if field == "irp_of":
        for name, request in scenario.result.requests.items():
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


TRACE_FIELDS = ("kind", "driver", "device", "major", "status", "context", "irql", "thread",
                "irp_of", "text", "pending_returned", "routine", "information", "api", "cpu",
                "process")
