"""Build a scenario's machine, boot its drivers, and run its application.

:class:`Session` is the one place that drives the SimPy loop for a scenario. It can
run the whole ``app:`` script (:meth:`run_app`) or single Win32 calls on a persistent
"main" thread (:meth:`call`), and advance simulated time (:meth:`advance`); the step
library uses the latter. A run ends when nothing is left to happen, at the scenario's
time limit, or at a bug check.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from ..blocks import builtin  # noqa: F401 - registers the blocks
from ..blocks.compiler import Compiler, ScenarioRuntimeError, ctl_code_constant
from ..blocks.runtime import DriverModel
from ..kernel import (DO_BUFFERED_IO, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, IRP_MJ,
                      FILE_DEVICE_UNKNOWN, BugCheckHalt, Kernel, KernelUsageError,
                      NotModelledError, copy_io_flags_from, io_attach_device_to_device_stack,
                      io_create_device, io_create_driver, io_create_symbolic_link,
                      io_get_device_object_pointer, ob_dereference_file_object_inline)
from ..kernel import constants as C
from ..scenario import Diagnostic, Scenario, ScenarioError
from ..lang.units import parse_duration
from ..trace import TraceRecorder
from .app import AppError, Application
from .result import RunResult


class RunError(Exception):
    """The harness could not run the scenario (not a driver bug: those bug-check)."""


class Session:
    """A booted machine for one scenario."""

    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        self.scenario = scenario
        self.seed = seed
        data = scenario.data
        machine = data.get("machine", {})
        self.time_limit = parse_duration(machine.get("time_limit", "60s"))
        self.kernel = Kernel(cpus=machine.get("cpus", 1),
                             clock_tick=machine.get("clock_tick", 156250),
                             verifier=machine.get("verifier", False),
                             strict=machine.get("strict", True))
        self.recorder = TraceRecorder()
        self.kernel.add_instrument(self.recorder)
        self.constants = self._constants(data.get("constants", {}))
        self.app = Application(self.kernel, self.constants)
        self.models: dict[str, DriverModel] = {}
        self._main: Any = None
        self._command: Any = None
        self._idle_main = False
        order = sorted(range(len(data["drivers"])),
                       key=lambda i: (data["drivers"][i].get("load_order", 0), i))
        loaded = self.kernel.new_event()

        def loader() -> Any:
            for index in order:
                yield from self._load_driver(index)
            loaded.succeed()

        self.kernel.create_thread(loader, name="DriverLoader", process="System")
        self._drive(lambda: loaded.triggered)
        if not loaded.triggered and self.kernel.bugcheck is None:
            raise RunError(f"{scenario.path}: drivers did not finish loading")

    # -- building ------------------------------------------------------------------------
    def _error(self, path: list, message: str) -> ScenarioError:
        file, line, col = self.scenario.locate(path)
        return ScenarioError([Diagnostic(file, line, col, "/".join(map(str, path)), message)])

    def _constants(self, spec: dict) -> dict[str, int]:
        out: dict[str, int] = {}

        def resolve(value: Any) -> int:
            if isinstance(value, int):
                return value
            if value in out:
                return out[value]
            if isinstance(getattr(C, str(value), None), int):
                return int(getattr(C, value))
            raise self._error(["constants"], f"unknown constant {value!r}")

        for name, value in spec.items():
            if isinstance(value, dict):
                out[name] = ctl_code_constant(value["ctl_code"], resolve)
            else:
                out[name] = resolve(value)
        return out

    def _load_driver(self, index: int) -> Any:
        """What the I/O manager and DriverEntry do, for one scenario driver."""
        kernel = self.kernel
        spec = self.scenario.data["drivers"][index]
        driver = io_create_driver(kernel, spec["name"])
        model = DriverModel(kernel, spec["name"], driver)
        self.models[spec["name"]] = model
        cc = Compiler(self.scenario, model, index, self.constants)
        dispatch = spec.get("dispatch", {})
        for major in IRP_MJ:
            name = major.name
            if name in dispatch:
                driver.major_function[major] = cc.routine(
                    dispatch[name], "dispatch", _routine_label(name), ["dispatch", name])
            elif "default_dispatch" in spec:
                driver.major_function[major] = cc.routine(
                    spec["default_dispatch"], "dispatch", "DispatchRoutine",
                    ["default_dispatch"])
        if "start_io" in spec:
            driver.driver_start_io = cc.routine(spec["start_io"], "start_io", "StartIo",
                                                ["start_io"])
        devices: list[Any] = []

        def create_devices() -> Any:
            """CreateDevice (and the filter's attach): once, returns the devices."""
            if model.devices_created:
                return devices
            model.devices_created = True
            for d, dev in enumerate(spec["devices"]):
                status, device = io_create_device(
                    driver, 0, dev.get("name"),
                    cc.constant(dev.get("type", FILE_DEVICE_UNKNOWN), ["devices", d, "type"]),
                    0, dev.get("exclusive", False))
                if device is None:
                    raise self._error(["drivers", index, "devices", d, "name"],
                                      f"IoCreateDevice failed: {C.status_name(status)}")
                device.device_extension.update(dev.get("extension", {}))
                device.device_extension["model"] = model
                io = dev.get("io", "neither")
                device.flags |= {"buffered": DO_BUFFERED_IO, "direct": DO_DIRECT_IO}.get(io, 0)
                if dev.get("name") and dev.get("link"):
                    io_create_symbolic_link(kernel, dev["link"], dev["name"])
                if "attach_to" in dev:
                    yield from self._attach(device, dev, io, ["drivers", index, "devices", d])
                model.devices[device.label] = device
                devices.append(device)
            return devices

        model.create_devices = create_devices
        # Devices are created before driver_entry runs, unless driver_entry says where
        # (a create_devices step), so its KdPrints can come before and after.
        if not _uses_block(spec.get("driver_entry"), "create_devices"):
            yield from create_devices()
        if "driver_entry" in spec:
            entry = cc.routine(spec["driver_entry"], "thread", "DriverEntry", ["driver_entry"])
            yield from entry(devices[0] if devices else None)
        yield from create_devices()
        for device in devices:          # IopReadyDeviceObjects (io-core §8.4)
            device.flags &= ~DO_DEVICE_INITIALIZING

    def _attach(self, device: Any, dev: dict, io: str, path: list) -> Any:
        """The book's filter pattern: IoGetDeviceObjectPointer, attach, copy, dereference."""
        status, file, target = yield from io_get_device_object_pointer(self.kernel,
                                                                       dev["attach_to"])
        if target is None:
            raise self._error(path + ["attach_to"], f"cannot open {dev['attach_to']}: "
                              f"{C.status_name(status)}")
        lower = io_attach_device_to_device_stack(device, target)
        if lower is None:
            raise self._error(path + ["attach_to"], f"IoAttachDeviceToDeviceStack onto "
                              f"{dev['attach_to']} failed (device initializing or going away)")
        device.device_extension["lower"] = lower
        if "io" not in dev or io == "copy_lower":
            copy_io_flags_from(device, lower)
        device.flags &= ~DO_DEVICE_INITIALIZING
        yield from ob_dereference_file_object_inline(file)

    # -- running -------------------------------------------------------------------------
    def _drive(self, done: Callable[[], bool], until: int | None = None) -> None:
        with collector_paused():
            self._step(done, until)

    def _step(self, done: Callable[[], bool], until: int | None) -> None:
        env = self.kernel.env
        limit = self.time_limit if until is None else until
        try:
            while not done():
                if env.peek() > limit:
                    break
                env.step()
        except BugCheckHalt:
            pass
        except Exception as exc:
            # SimPy re-raises a copy of an exception from a process; the original is
            # its cause and keeps the real arguments.
            cause = exc.__cause__
            original = cause if type(cause) is type(exc) else exc
            if isinstance(original, ScenarioError):
                raise original from None
            if isinstance(original, _HARNESS_ERRORS):
                raise RunError(f"{self.scenario.path}: {original}") from original
            raise
        if until is not None and self.kernel.bugcheck is None and env.now < until \
                and (env.peek() == math.inf or env.peek() > until):
            env.run(until=until)

    def run_app(self) -> RunResult:
        """Run the scenario's ``app:`` section to its end (or the time limit)."""
        app = self.scenario.data.get("app", [])
        threads = app["threads"] if isinstance(app, dict) else {"main": app}
        self.app.thread_steps = threads
        spawned = {step["spawn"] for steps in threads.values() for step in steps
                   if "spawn" in step}
        for name in threads:
            if name not in spawned:       # the others start when a step spawns them
                self.app.start_thread(name)
        self._drive(lambda: self.kernel.bugcheck is not None
                    or all(not t.alive for t in self.app.threads.values())
                    and self.kernel.env.peek() == math.inf)
        return self.result()

    def call(self, step: dict) -> Any:
        """Run one app step on the persistent main thread; returns when the call does."""
        if self._main is None:
            self._command = self.kernel.new_event()
            self._main = self.kernel.create_thread(self._main_loop, name="main",
                                                   process="test.exe", user=True)
        done = self.kernel.new_event()
        self._command.succeed((step, done))
        self._drive(lambda: done.triggered or self.kernel.bugcheck is not None)
        return done.value if done.triggered else None

    def _main_loop(self) -> Any:
        while True:
            self._idle_main = True
            step, done = yield from self.kernel.current_thread_wait(self._command)
            self._idle_main = False
            self._command = self.kernel.new_event()
            result = yield from self.app.run_step(step, "main")
            done.succeed(result)

    def advance(self, duration: int) -> None:
        """Let ``duration`` (100 ns units) of simulated time pass."""
        self._drive(lambda: self.kernel.bugcheck is not None, until=self.kernel.now + duration)

    def result(self) -> RunResult:
        hung = [t.name for t in self.kernel.threads
                if t.alive and not (t is self._main and self._idle_main)]
        return RunResult(
            scenario_id=self.scenario.data["scenario"], path=str(self.scenario.path),
            seed=self.seed, events=self.recorder.events(), requests=self.app.requests,
            bugcheck=self.kernel.bugcheck, hung_threads=hung, end_time=self.kernel.now,
            app_output=list(self.app.output))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic GC off while the machine runs (benchmarks/README.md, "GC policy").

    The kernel's hot path creates no reference cycles, so reference counting frees
    everything; the collector would only traverse the growing trace. Left as it was
    afterwards; nothing is collected here, so short scenario steps stay cheap.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_HARNESS_ERRORS = (NotModelledError, KernelUsageError, ScenarioRuntimeError, AppError)


def _uses_block(steps: Any, name: str) -> bool:
    """Whether a routine's top-level steps include the block ``name``."""
    items = steps if isinstance(steps, list) else [steps]
    return any(item == name or (isinstance(item, dict) and name in item) for item in items)


def _routine_label(major: str) -> str:
    return "Dispatch" + "".join(part.capitalize() for part in major[7:].split("_"))
