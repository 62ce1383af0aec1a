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
from functools import partial
from typing import Any, Callable, Generator, Iterator, Sequence, cast

from ..blocks.runtime import ScenarioRuntimeError
from ..blocks.runtime import DriverModel
from ..kernel import (DO_BUFFERED_IO, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, BugCheckHalt,
                      DevNode, DriverImage, HardwareDevice, nt_load_driver, pnp_start_devnode,
                      pnp_surprise_remove, pnp_uninstall, pnp_eject, pnp_plug_in,
                      pnp_rebalance, DeviceCapabilities, po_resume, po_standby, Kernel,
                      KernelUsageError, Reaction, Register, MachineFrozen, NotModelledError,
                      copy_io_flags_from,
                      io_attach_device_to_device_stack, io_create_device,
                      io_create_symbolic_link, io_get_device_object_pointer,
                      ob_dereference_file_object_inline)
from ..kernel import constants as C
from ..kernel import ScsiLun, usbstor_report_lun
from ..lang.diagnostics import Diagnostic, ScenarioError
from ..scenario import Scenario
from ..scenario.resolve import DevicePlan, DriverPlan, Program, plan_step, resolve
from ..trace import TraceRecorder, TraceWriter
from ..usermode.scm import START_TYPES, ServiceControlManager
from .app import AppError, Application
from .boot_registry import install_registry
from .boot_volume import install_volume
from .inventory import Inventory, picture
from .raw_input import raw_input_thread
from .result import RunResult


#: Events one run may process: bounds the work of any scenario, whatever its drivers do.
MAX_EVENTS = 20_000_000
#: Events at one simulated instant before the run is declared a livelock.
MAX_EVENTS_PER_INSTANT = 1_000_000


class RunError(Exception):
    """The harness could not run the scenario (not a driver bug: those bug-check)."""


class Session:
    """A booted machine for one resolved scenario (a :class:`Program`)."""

    def __init__(self, program: Program | Scenario, seed: int = 0, chooser: Any = None,
                 trace_file: str | None = None, trace: bool = True) -> None:
        if isinstance(program, Scenario):
            program = resolve(program)
        self.program = program
        self.scenario = program.scenario
        self.seed = seed
        machine = program.machine
        self.time_limit = machine.time_limit
        self.kernel = Kernel(cpus=machine.cpus, clock_tick=machine.clock_tick,
                             verifier=machine.verifier, strict=machine.strict,
                             chooser=chooser)       # harness/explore: the choices made
        self.kernel.boot_system_time = machine.boot_time
        self.kernel.time_zone_bias = machine.time_zone_bias
        self.kernel.debugger = machine.debugger
        for plan in program.hardware:
            self._install_hardware(plan)
        install_registry(self.kernel, program)
        self.volume = install_volume(self.kernel, program)      # C: and its files:
        # trace_file: stream the records to that trace file (trace/tracefile.py) as the
        # run goes, so memory stays bounded; the result's events then read the file
        # trace=False: an outcome-only run (harness/explore runs thousands): no trace is
        # recorded and result() leaves out the end-state snapshots (registry, files) and
        # the wait-for picture of a hang
        self.recorder = None if not trace else TraceRecorder(
            None if trace_file is None else TraceWriter(
                trace_file, {"scenario": program.id, "seed": seed}))
        if self.recorder is not None:
            self.kernel.add_instrument(self.recorder)
        self.scm = ServiceControlManager(self.kernel)
        self.app = Application(self.kernel, program.app, scm=self.scm)
        self.inventory = Inventory()
        if trace:       # an outcome-only run leaves out the wait-for picture as well
            self.kernel.add_instrument(self.inventory)
        self.models: dict[str, DriverModel] = {}
        self.stopped: str | None = None      # why the run stopped before going idle
        self.events_run = 0
        self._main: Any = None
        self._command: Any = None
        self._idle_main = False
        self._raw_input: Any = None    # win32k's raw input thread: waits for keys by design
        order = sorted(program.drivers, key=lambda d: (d.load_order, d.index))
        buses = {node.bus for node in program.pnp}
        for plan in order:
            image = DriverImage(plan.name, partial(self._driver_entry, plan))
            # a PnP driver: AddDevice, or the bus driver of a devnode's PDO
            image.wdm = plan.add_device is not None or plan.name in buses
            self.kernel.images[plan.name] = image
            if plan.installed:      # its key is in the registry already (boot_registry.py)
                self.scm.register(plan.name, plan.name, "", START_TYPES[plan.start])
        loaded = self.kernel.new_event()

        def loader() -> Any:
            # boot, system and auto-start drivers, in load order (the SCM's auto-start
            # pass is folded in): what each DriverEntry returned is in the trace
            for plan in order:
                if plan.installed and plan.start in ("boot", "system", "auto"):
                    yield from nt_load_driver(self.kernel, self.kernel.images[plan.name])
            # then the PnP manager enumerates the root devices and starts them
            for node_plan in program.pnp:
                node = yield from self._devnode(node_plan)
                if node is not None:            # present at boot (else: present_at)
                    yield from pnp_start_devnode(self.kernel, node, self._pnp_load_driver)
            for at, action in program.power:
                self.kernel.call_later(at, partial(self.power_action, action, False),
                                       urgent=False)
            if program.raw_input is not None:     # the Win32 subsystem reads the keyboard
                where = "{}:{}:{}: ".format(*program.locate(["raw_input"]))
                self._raw_input = self.kernel.create_thread(
                    raw_input_thread, self.kernel, program.raw_input, where,
                    name="RawInputThread", process="csrss.exe")
            loaded.succeed()

        self.kernel.create_thread(loader, name="DriverLoader", process="System")
        self._drive(lambda: loaded.triggered)
        if not loaded.triggered and self.kernel.bugcheck is None:
            raise RunError(f"{program.path}: drivers did not finish loading")

    # -- building ------------------------------------------------------------------------
    def _error(self, path: Sequence[Any], message: str) -> ScenarioError:
        file, line, col = self.program.locate(path)
        return ScenarioError([Diagnostic(file, line, col, "/".join(map(str, path)), message)])

    def _driver_entry(self, plan: DriverPlan, driver: Any, registry_path: str) -> Any:
        """A scenario driver's image: its code bound to the driver object the loader
        made, then DriverEntry; its status is the load's (pnp-hardware §1.2-§1.3)."""
        kernel = self.kernel
        model = DriverModel(kernel, plan.name, driver)
        model.image = driver.image
        model.registry_path = registry_path
        driver.image.global_objects = model.globals.values
        for var in plan.state:
            model.globals[var.name] = var.new_value(kernel)
        self.models[plan.name] = model
        for major, routine in plan.dispatch.items():
            driver.major_function[major] = routine.bind(model)
        if plan.start_io is not None:
            driver.driver_start_io = plan.start_io.bind(model)
        if plan.unload is not None:       # DriverUnload(DriverObject): sees the first device
            unload = plan.unload.bind(model)
            driver.driver_unload = lambda drv: unload(drv.device_object)
        devices: list[Any] = []
        if plan.add_device is not None:   # a PnP driver: its devices come with AddDevice
            add_device = plan.add_device.bind(model)
            driver.add_device = partial(self._add_device, plan, model, add_device)
            status = C.NTSTATUS.STATUS_SUCCESS
            if plan.driver_entry is not None:
                status = yield from plan.driver_entry.bind(model)(None)
            return status

        def create_devices() -> Any:
            """CreateDevice (and the filter's attach): once, returns the devices."""
            if model.devices_created:
                return devices
            model.devices_created = True
            for dev in plan.devices:
                device = self._create_device(plan, model, driver, dev)
                if dev.attach_to is not None:
                    yield from self._attach(device, dev)
                devices.append(device)
            return devices

        model.create_devices = create_devices
        # Devices are created before driver_entry runs, unless driver_entry says where
        # (a create_devices step), so its KdPrints can come before and after.
        if not plan.creates_devices_in_entry:
            yield from create_devices()
        status = C.NTSTATUS.STATUS_SUCCESS
        if plan.driver_entry is not None:
            status = yield from plan.driver_entry.bind(model)(devices[0] if devices else None)
        if C.nt_success(status):
            yield from create_devices()
        return status

    def _create_device(self, plan: DriverPlan, model: DriverModel, driver: Any,
                       dev: DevicePlan) -> Any:
        """IoCreateDevice of one declared device, its extension and its link."""
        kernel = self.kernel
        status, device = io_create_device(driver, 0, dev.name, dev.type, 0, dev.exclusive)
        if device is None:
            raise self._error(list(dev.path) + ["name"],
                              f"IoCreateDevice failed: {C.status_name(status)}")
        device.device_extension["model"] = model
        # IoCreateDevice zeroes the extension; declared initial values are set as the
        # driver's AddDevice/DriverEntry would right after.
        device.device_extension["state"] = {
            var.name: var.new_value(kernel) for var in plan.extension}
        device.flags |= {"buffered": DO_BUFFERED_IO, "direct": DO_DIRECT_IO}.get(dev.io, 0)
        if dev.name and dev.link:
            io_create_symbolic_link(kernel, dev.link, dev.name)
            device.device_extension["link"] = dev.link   # the book's ustrSymLinkName
        model.devices[device.label] = device
        return device

    def _add_device(self, plan: DriverPlan, model: DriverModel, routine: Any, driver: Any,
                    pdo: Any) -> Any:
        """AddDevice(DriverObject, PDO): a create_devices step creates the driver's
        devices and attaches each to the top of the PDO's stack, its lower device kept
        in the extension (the book's NextStackDevice), then ready, as the book's
        AddDevice clears DO_DEVICE_INITIALIZING itself (pnp-hardware §2.4)."""
        created: list[Any] = []

        def create_devices() -> Any:
            if created:
                return created
            for dev in plan.devices:
                device = self._create_device(plan, model, driver, dev)
                lower = io_attach_device_to_device_stack(device, pdo)
                device.device_extension["lower"] = lower
                if dev.io == "copy_lower" and lower is not None:
                    # a filter's type, characteristics and I/O flags are those of the
                    # device below it (kernel-env §10.2; the book's #50 GetDeviceTypeToUse)
                    copy_io_flags_from(device, lower)
                device.flags &= ~DO_DEVICE_INITIALIZING
                created.append(device)
            return created
            yield
        model.create_devices = create_devices
        return (yield from routine(driver, pdo))

    def _devnode(self, plan: Any) -> Any:
        """A ``pnp:`` devnode reported by the root enumerator - or by its ``bus:`` driver,
        loaded first, for a LUN of its medium (stacks-services 3.1) - its events
        scheduled."""
        for (at, action), hold in zip(plan.events, plan.holds or [0] * len(plan.events)):
            self.kernel.call_later(at, partial(self.devnode_event, plan.instance, action,
                                               hold, False), urgent=False)
        if plan.present_at is not None:       # absent at boot: plugged in later (§2.2)
            self.kernel.call_later(plan.present_at, partial(
                self.devnode_event, plan.instance, "plug_in", 0, False), urgent=False)
            return None
        node = self._new_devnode(plan)
        if plan.bus is None:
            self.kernel.pnp.report_root_device(node)
        else:
            yield from self._bus_device(plan, node)
        return node

    def _new_devnode(self, plan: Any) -> Any:
        return DevNode(plan.instance, plan.hardware_ids, plan.service, plan.lower_filters,
                       plan.upper_filters, plan.description, plan.compatible_ids,
                       resources=plan.resources,
                       capabilities=DeviceCapabilities.declared(dict(plan.capabilities or {})))

    def _bus_device(self, plan: Any, node: Any) -> Any:
        """The bus driver (a scenario driver, e.g. the built-in USBSTOR) is loaded and
        reports the devnode's PDO: a USB LUN's, with the ``medium:`` behind it. Its
        routines run for the PDO with the driver's extension variables."""
        driver = yield from self._pnp_load_driver(plan.bus)
        if driver is None:
            raise RunError(f"{self.program.path}: the bus driver {plan.bus} of "
                           f"{plan.instance} did not load")
        medium = plan.medium
        lun = ScsiLun() if medium is None else ScsiLun(
            medium.blocks, medium.block_size, medium.data, medium.write_protected,
            medium.latency)
        pdo = usbstor_report_lun(self.kernel, driver, node, lun)
        model = self.models[plan.bus]
        driver_plan = next(d for d in self.program.drivers if d.name == plan.bus)
        pdo.device_extension["model"] = model
        pdo.device_extension["state"] = {var.name: var.new_value(self.kernel)
                                         for var in driver_plan.extension}
        model.devices[pdo.label] = pdo

    def power_action(self, action: str, drive: bool = True) -> None:
        """A standby or a resume, run by the power manager's worker (a System thread)."""
        body = {"standby": po_standby, "resume": po_resume}[action]
        thread = self.kernel.create_thread(body, self.kernel, name="PoWorker",
                                           process="System")
        if drive:
            self._drive(lambda: not thread.alive or self.kernel.bugcheck is not None)

    def pnp_action(self, node: Any, action: str, drive: bool = True, hold: int = 0) -> None:
        """Device Manager's Uninstall, the device pulled, a rebalance (``hold``: how long
        it stays stopped) or an eject: queued to the PnP worker (a System thread);
        ``drive`` runs the machine until the worker has nothing left to do."""
        bodies: dict[str, Callable[..., Generator[Any, Any, Any]]] = {
            "uninstall": pnp_uninstall, "surprise_remove": pnp_surprise_remove,
            "rebalance": pnp_rebalance, "stop": pnp_rebalance, "eject": pnp_eject}
        body = bodies[action]
        args = (hold,) if body is pnp_rebalance else ()
        thread = self.kernel.pnp.queue(None, body, node, *args)
        if drive:
            self._drive(lambda: not thread.alive or self.kernel.bugcheck is not None)

    def devnode_event(self, instance: str, action: str, hold: int = 0,
                      drive: bool = True) -> None:
        """A ``pnp:`` event or a step on the devnode ``instance``: plug_in makes it from
        its declaration; the others act on the devnode present now."""
        pnp = self.kernel.pnp
        node = pnp.devnode(instance)
        if action == "plug_in":
            plan = next((p for p in self.program.pnp if p.instance.lower() == instance.lower()),
                        None)
            if plan is None or plan.bus is not None:
                raise RunError(f"{self.program.path}: {instance} is no root-enumerated "
                               "devnode of this scenario: it cannot be plugged in")
            if node is not None:
                raise RunError(f"{self.program.path}: {instance} is already present at "
                               f"{self.kernel.now / 10_000_000:g} s: it cannot be plugged in")
            thread = pnp_plug_in(self.kernel, self._new_devnode(plan), self._pnp_load_driver)
            if drive:
                self._drive(lambda: not thread.alive or self.kernel.bugcheck is not None)
            return
        if node is None:
            raise RunError(f"{self.program.path}: there is no devnode {instance} at "
                           f"{self.kernel.now / 10_000_000:g} s to {action}")
        self.pnp_action(node, action, drive, hold)

    def _pnp_load_driver(self, service: str) -> Any:
        """The PnP manager loads a devnode's driver once (pnp-hardware §2.4): the driver
        object, or None when there is no such image or its DriverEntry failed."""
        kernel = self.kernel
        driver = kernel.namespace.lookup(f"\\Driver\\{service}")
        if driver is not None:
            return driver
        image = kernel.images.get(service)
        if image is None:
            return None
        status = yield from nt_load_driver(kernel, image)
        return kernel.namespace.lookup(f"\\Driver\\{service}") if C.nt_success(status) \
            else None

    def _install_hardware(self, plan: Any) -> None:
        """A ``hardware:`` device on the machine, its script scheduled (what the device
        does at its times runs before the threads of that instant, as an interrupt
        would)."""
        registers = {name: Register(name, size, value, w1c,
                                    tuple(Reaction(*reaction) for reaction in reactions),
                                    clears)
                     for name, (size, value, w1c, reactions, clears)
                     in plan.registers.items()}
        device = HardwareDevice(plan.name, registers, plan.line, self.seed)
        device.schedule = lambda delay, fn: self.kernel.call_later(delay, fn, urgent=True)
        self.kernel.hardware[plan.name] = device
        for at, sets, edge in plan.events:
            def happen(sets: Any = sets, edge: bool = edge) -> None:
                for register, value in sets.items():
                    device.set(register, value)
                if edge:
                    device.interrupt()
            self.kernel.call_later(at, happen, urgent=True)

    def _attach(self, device: Any, dev: DevicePlan) -> Any:
        """The book's filter pattern: IoGetDeviceObjectPointer, attach, copy, dereference."""
        status, file, target = yield from io_get_device_object_pointer(
            self.kernel, cast(str, dev.attach_to))      # only called with attach_to set
        if target is None:
            raise self._error(list(dev.path) + ["attach_to"], f"cannot open {dev.attach_to}: "
                              f"{C.status_name(status)}")
        lower = io_attach_device_to_device_stack(device, target)
        if lower is None:
            raise self._error(list(dev.path) + ["attach_to"], f"IoAttachDeviceToDeviceStack "
                              f"onto {dev.attach_to} failed (device initializing or going "
                              "away)")
        device.device_extension["lower"] = lower
        if dev.copy_lower_flags:
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
        instant, at_instant = env.now, 0
        try:
            while not done():
                if env.peek() > limit:
                    if until is None and env.peek() != math.inf:
                        self.stopped = (f"the time limit ({limit / 10_000_000:g} s) was "
                                        "reached with work still scheduled")
                    break
                env.step()
                self.events_run += 1
                if env.now != instant:
                    instant, at_instant = env.now, 0
                    continue
                at_instant += 1
                if at_instant > MAX_EVENTS_PER_INSTANT:
                    self.stopped = (f"simulated time stopped advancing at "
                                    f"{env.now / 10_000_000:.7f} s: {MAX_EVENTS_PER_INSTANT} "
                                    "events ran without it moving on (a livelock)")
                    break
                if self.events_run > MAX_EVENTS:
                    self.stopped = f"the run's budget of {MAX_EVENTS} events was used up"
                    break
        except (BugCheckHalt, MachineFrozen):
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
        plan = self.program.app
        for name in plan.threads:
            if name not in plan.spawned:       # the others start when a step spawns them
                self.app.start_thread(name)
        self._drive(lambda: self.kernel.bugcheck is not None
                    or all(not t.alive for t in self.app.threads.values())
                    and self.kernel.env.peek() == math.inf)
        if self.recorder is not None:    # a streamed trace ends with the app (trace_file)
            self.recorder.close()
        return self.result()

    def call(self, step: dict) -> Any:
        """Run one app step on the persistent main thread; returns when the call does.

        The step is planned against this scenario's names first, so a mistake in it is
        a ScenarioError naming the problem (not a failure deep in the run).
        """
        planned = plan_step(self.program, step)
        if self._main is None:
            self._command = self.kernel.new_event()
            self._main = self.kernel.create_thread(self._main_loop, name="main",
                                                   process="test.exe", user=True)
        done = self.kernel.new_event()
        self._command.succeed((planned, done))
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
        blocked = [t for t in self.kernel.threads
                   if t.alive and not (t is self._main and self._idle_main)
                   and t is not self._raw_input]
        kernel = self.kernel
        active = [] if kernel.bugcheck is not None or self.recorder is None else picture(
            kernel, self.inventory, blocked)
        return RunResult(
            scenario_id=self.program.id, path=str(self.program.path),
            seed=self.seed, events=[] if self.recorder is None else self.recorder.events(),
            requests=self.app.requests,
            bugcheck=kernel.bugcheck, hung_threads=[t.name for t in blocked],
            end_time=kernel.now, app_output=list(self.app.output), frozen=kernel.frozen,
            stopped=self.stopped, active=active,
            registry={} if self.recorder is None else kernel.registry.snapshot(),
            files={} if self.recorder is None else self.volume.snapshot())


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


