"""Resolve a loaded scenario into a typed :class:`Program`: every name checked once.

The schema (``validate.py``) checks shapes; this pass checks meaning. It parses
durations, constants and struct declarations, compiles every driver routine (blocks,
expressions, log templates), plans the app's steps, and checks every name a run
would look up: requests, handles, threads, routines, variables, struct fields,
constants, NTSTATUS names, template fields, queue, timer and event names. All
problems of a file come back together as one :class:`ScenarioError`, so
``irp-harness validate`` and the runner see the same list; a :class:`Program` that
resolved cannot fail a name lookup while it runs.

The runner builds the machine from the Program alone and never reads the YAML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ..blocks import builtin  # noqa: F401 - registers the blocks
from ..blocks.compiler import (Compiler, DriverSource, Routine, ctl_code_constant,
                               wdk_constants)
from ..blocks.state import VIEW_BUFFERS, DriverNames, StateVar, View, declare_state
from ..kernel import BOOT_SYSTEM_TIME, FILE_DEVICE_UNKNOWN, IRP_MJ, parse_time_zone
from ..lang.diagnostics import Diagnostic, ScenarioError, column_of, did_you_mean
from ..lang.layouts import BUILTIN, LayoutError, Struct, declare_struct, parse_type
from ..lang.units import parse_duration
from .app_plan import AppPlan, AppStep, plan_app
from .app_plan import plan_step as _plan_step
from .loader import Scenario, collector_paused
from .pnp_plan import DevNodePlan, plan_pnp, plan_power
from .registry_plan import RegistryKeyPlan, plan_registry
from .files_plan import VolumePlan, plan_volume
from .input_plan import RawInputPlan, plan_raw_input


@dataclass(frozen=True)
class MachineSpec:
    """``machine:`` with defaults applied and durations in 100 ns units."""

    cpus: int = 1
    clock_tick: int = 156250
    verifier: bool = False
    strict: bool = True
    time_limit: int = 60 * 10_000_000
    seed: int = 0
    boot_time: int = BOOT_SYSTEM_TIME    # KeQuerySystemTime at boot
    time_zone_bias: int = 0              # UTC - local, 100 ns
    debugger: bool = False               # a kernel debugger is attached
    build: str = "checked"               # the drivers' build unless one says otherwise


@dataclass(frozen=True)
class HardwarePlan:
    """One device of ``hardware:``: registers (name -> (size, value, w1c, reactions to
    writes: (value, (latency low, high), {register: value}, edge), {register: bits a
    read clears})), the line
    (vector, irql, mode, shared, cause) and its script ((time, {register: value},
    edge))."""

    name: str
    registers: Mapping[str, tuple[int, int, bool]]
    line: Mapping[str, Any] | None
    events: tuple[tuple[int, Mapping[str, int], bool], ...]


@dataclass(frozen=True)
class DevicePlan:
    name: str | None
    link: str | None
    io: str
    exclusive: bool
    type: int
    attach_to: str | None
    copy_lower_flags: bool
    path: tuple[Any, ...]           # under the scenario root, for messages


@dataclass(frozen=True)
class DriverPlan:
    name: str
    index: int
    load_order: int
    devices: tuple[DevicePlan, ...]
    dispatch: Mapping[int, Routine]
    start_io: Routine | None
    driver_entry: Routine | None
    creates_devices_in_entry: bool
    state: tuple[StateVar, ...]      # globals
    extension: tuple[StateVar, ...]  # each device's extension
    unload: Routine | None = None
    add_device: Routine | None = None    # a PnP (WDM) driver's AddDevice
    start: str = "system"            # the service's Start: boot, system and auto load at boot
    installed: bool = True           # a service key exists (else CreateService makes it)


@dataclass(frozen=True)
class Program:
    """A scenario resolved for running: what the runner needs, nothing raw."""

    scenario: Scenario = field(repr=False)
    id: str
    machine: MachineSpec
    constants: Mapping[str, int]
    structs: Mapping[str, Struct]
    drivers: tuple[DriverPlan, ...]
    app: AppPlan
    hardware: tuple["HardwarePlan", ...] = ()
    registry: tuple[RegistryKeyPlan, ...] = ()      # the keys the machine boots with
    pnp: tuple[DevNodePlan, ...] = ()                # the devnodes the PnP manager starts
    power: tuple[tuple[int, str], ...] = ()         # standby / resume, when
    volume: VolumePlan = VolumePlan()                # C: and its files:
    raw_input: RawInputPlan | None = None            # win32k's raw input thread

    @property
    def path(self) -> Any:
        return self.scenario.path

    @property
    def book(self) -> Mapping[str, Any]:
        return self.scenario.data.get("book", {})

    def locate(self, path: Sequence[Any]) -> tuple[str, int, int]:
        return self.scenario.locate(list(path))


class _Problems:
    """Diagnostics of one resolve, each located in the file that holds it."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.list: list[Diagnostic] = []

    def report(self, path: Sequence[Any], message: str, column_offset: int = 0) -> None:
        file, line, col = self.scenario.locate(list(path))
        self.list.append(Diagnostic(file, line, column_of(file, line, col, column_offset),
                                    "/".join(map(str, path)), message))


def resolve(scenario: Scenario, machine: Mapping[str, Any] | None = None) -> Program:
    """Check every name of ``scenario`` and build its :class:`Program`.

    Args:
        scenario: a loaded (schema-valid) scenario.
        machine: ``machine:`` settings to override (the step library's
            ``with machine.strict=false``).

    Raises:
        ScenarioError: every problem found, located.
    """
    with collector_paused():
        return _resolve(scenario, machine)


def _resolve(scenario: Scenario, machine: Mapping[str, Any] | None) -> Program:
    data = scenario.data
    problems = _Problems(scenario)
    spec = _machine({**data.get("machine", {}), **(machine or {})}, problems)
    constants = _constants(data.get("constants", {}), problems)
    structs = _structs(data.get("structs", {}), problems)
    drivers = tuple(_driver(scenario, index, constants, structs, problems, spec.build)
                    for index in range(len(data.get("drivers", []))))
    app = plan_app(data.get("app", []), constants, structs, problems.report,
                   lambda path: scenario.locate(list(path)))
    hardware = tuple(_hardware(item, ["hardware", index], problems)
                     for index, item in enumerate(data.get("hardware", [])))
    registry = plan_registry(data.get("registry", []), problems.report)
    volume = plan_volume(data.get("files", []), data.get("volume", {}), problems.report)
    pnp = plan_pnp(data.get("pnp", []), {d.name: d for d in drivers}, problems.report)
    power = plan_power(data.get("power", []), problems.report)
    if problems.list:
        raise ScenarioError(problems.list)
    return Program(scenario, data["scenario"], spec, constants, structs, drivers, app,
                   hardware, registry=registry, volume=volume, pnp=pnp, power=power,
                   raw_input=plan_raw_input(data.get("raw_input")))


def _hardware(item: Mapping[str, Any], path: list, problems: _Problems) -> HardwarePlan:
    """A ``hardware:`` device: registers sized, the line's cause a register, the script's
    times durations and its registers declared."""
    registers: dict[str, tuple] = {}
    declared = item.get("registers", {})
    for name, decl in declared.items():
        if isinstance(decl, int):
            registers[name] = (decl, 0, False, (), {})
            continue
        for target in decl.get("read_clears", {}):
            if target not in declared:
                problems.report(path + ["registers", name, "read_clears", target],
                                f"no register {target!r} under registers:"
                                f"{did_you_mean(target, declared)}")
        reactions = []
        for i, spec in enumerate(decl.get("on_write", [])):
            where = path + ["registers", name, "on_write", i]
            for target in spec.get("set", {}):
                if target not in declared:
                    problems.report(where + ["set", target], f"no register {target!r} under "
                                    f"registers:{did_you_mean(target, declared)}")
            after = spec.get("after", "0s")
            try:
                low, high = ((parse_duration(after["uniform"][0]),
                              parse_duration(after["uniform"][1]))
                             if isinstance(after, dict) else (parse_duration(after),) * 2)
            except ValueError as error:
                problems.report(where + ["after"], str(error))
                low = high = 0
            if high < low:
                problems.report(where + ["after"], "uniform: [low, high] needs low <= high")
                high = low
            reactions.append((spec.get("value"), (low, high), dict(spec.get("set", {})),
                              bool(spec.get("interrupt"))))
        registers[name] = (decl["size"], decl.get("value", 0) & ((1 << 8 * decl["size"]) - 1),
                           decl.get("w1c", False), tuple(reactions),
                           {k: v for k, v in decl.get("read_clears", {}).items()
                            if k in declared})
    line = None
    if "interrupt" in item:
        spec = item["interrupt"]
        cause = spec.get("cause")
        if cause is not None and cause not in registers:
            problems.report(path + ["interrupt", "cause"], f"no register {cause!r} under "
                            f"registers:{did_you_mean(cause, registers)}")
            cause = None
        mode = spec.get("mode", "LevelSensitive")
        if mode == "LevelSensitive" and cause is None:
            problems.report(path + ["interrupt"], "a LevelSensitive line needs a cause "
                            "register (it is asserted while that register is non-zero)")
        line = {"vector": spec["vector"], "irql": spec["irql"],
                "mode": 1 if mode == "Latched" else 0, "shared": spec.get("shared", False),
                "cause": cause}
    events = []
    for index, event in enumerate(item.get("events", [])):
        where = path + ["events", index]
        try:
            at = parse_duration(event["at"])
        except ValueError as error:
            problems.report(where + ["at"], str(error))
            continue
        for name in event.get("set", {}):
            if name not in registers:
                problems.report(where + ["set", name], f"no register {name!r} under "
                                f"registers:{did_you_mean(name, registers)}")
        if event.get("interrupt") and (line is None or line["mode"] != 1):
            problems.report(where + ["interrupt"], "an interrupt edge needs a Latched line "
                            "(a LevelSensitive one follows its cause register: set it)")
        events.append((at, dict(event.get("set", {})), bool(event.get("interrupt"))))
    return HardwarePlan(item["name"], registers, line, tuple(events))


def plan_step(program: Program, step: Mapping[str, Any]) -> AppStep:
    """Plan one app step against ``program``'s names (see ``app_plan.plan_step``)."""
    return _plan_step(program.app, step)


def _machine(settings: Mapping[str, Any], problems: _Problems) -> MachineSpec:
    values: dict[str, Any] = {}
    for key in ("cpus", "verifier", "strict", "seed", "debugger", "build"):
        if key in settings:
            values[key] = settings[key]
    for key in ("clock_tick", "time_limit"):
        if key in settings:
            value = settings[key]
            if key == "time_limit" and isinstance(value, int):
                problems.report(["machine", key], f"a duration needs a unit: did you mean "
                                f"'{value}s'?")
                continue
            try:
                values[key] = parse_duration(value)   # clock_tick: 100 ns units allowed
            except ValueError as error:
                problems.report(["machine", key], str(error))
                continue
            if values[key] == 0:
                problems.report(["machine", key], f"{key} must be longer than 0")
                del values[key]
    if "timezone" in settings:
        try:
            values["time_zone_bias"] = parse_time_zone(str(settings["timezone"]))
        except ValueError as error:
            problems.report(["machine", "timezone"], str(error))
    if "boot_time" in settings:
        try:
            values["boot_time"] = _system_time(str(settings["boot_time"]))
        except ValueError as error:
            problems.report(["machine", "boot_time"], str(error))
    return MachineSpec(**values)


def _system_time(text: str) -> int:
    """``2008-06-02T09:30:00Z`` (UTC) -> a system time (100 ns since 1601-01-01)."""
    try:
        moment = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise ValueError(f"boot_time {text!r}: expected UTC as 2008-06-02T09:30:00Z") from None
    delta = moment - dt.datetime(1601, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * 10_000_000


def _constants(spec: Mapping[str, Any], problems: _Problems) -> dict[str, int]:
    out = wdk_constants()

    def value_of(value: Any, path: list) -> int:
        if isinstance(value, int):
            return value
        if value in out:
            return out[value]
        problems.report(path, f"unknown constant {value!r}{did_you_mean(value, out)}")
        return 0

    for name, value in spec.items():
        path = ["constants", name]
        if isinstance(value, dict):
            parts = value["ctl_code"]
            out[name] = ctl_code_constant(
                [(p, path + ["ctl_code", i]) for i, p in enumerate(parts)],
                lambda item: value_of(*item))
        else:
            out[name] = value_of(value, path)
    return out


def _structs(spec: Mapping[str, Any], problems: _Problems) -> dict[str, Struct]:
    structs: dict[str, Struct] = dict(BUILTIN)
    for name, decl in spec.items():
        path = ["structs", name]
        fields = decl.get("fields", {}) if "fields" in decl else decl
        pack = decl.get("pack", 8) if "fields" in decl else 8
        if name in BUILTIN:
            problems.report(path, f"{name} is a built-in struct; choose another name")
            continue
        try:
            structs[name] = declare_struct(name, list(fields.items()), structs, pack)
        except LayoutError as error:
            where = path + (["fields"] if "fields" in decl else [])
            if error.field is not None:
                where = where + [list(fields)[error.field]]
            problems.report(where, error.message)
    return structs


def _driver(scenario: Scenario, index: int, constants: Mapping[str, int],
            structs: Mapping[str, Struct], problems: _Problems,
            build: str = "checked") -> DriverPlan:
    data = scenario.data["drivers"][index]
    if "build" not in data:              # machine.build: the drivers' build by default
        data = {**data, "build": build}
    base = ["drivers", index]

    def report(path: Sequence[Any], message: str) -> None:
        problems.report(base + list(path), message)

    state = declare_state(data.get("state", {}), "driver", structs, report, ["state"])
    extension = declare_state(data.get("extension", {}), "device", structs, report,
                              ["extension"])
    local = declare_state(data.get("locals", {}), "local", structs, report, ["locals"])
    views = _views(data.get("views", {}), structs, report)
    names = DriverNames(constants, [*state, *extension, *local], views, structs)
    seen: dict[str, str] = {}
    for var in [*state, *extension, *local]:
        where = {"driver": "state", "device": "extension", "local": "locals"}[var.scope]
        if var.name in seen:
            report([where, var.name], f"{var.name} is declared in {seen[var.name]} too")
        seen[var.name] = where
        if var.name in constants:
            report([where, var.name], f"{var.name} is already a constant")
    for name in views:
        if name in seen:
            report(["views", name], f"{name} is already declared in {seen[name]}")

    source = DriverSource(data["name"], data,
                          lambda path: scenario.locate(base + list(path)), f"drivers/{index}",
                          constants, names)
    cc = Compiler(source)
    dispatch: dict[int, Routine] = {}
    table = data.get("dispatch", {})
    for major in IRP_MJ:
        if major.name in table:
            dispatch[major] = cc.routine(table[major.name], "dispatch", _label(major.name),
                                         ["dispatch", major.name])
    if "default_dispatch" in data:
        default = cc.routine(data["default_dispatch"], "dispatch", "DispatchRoutine",
                             ["default_dispatch"])
        for major in IRP_MJ:
            dispatch.setdefault(major, default)
    start_io = (cc.routine(data["start_io"], "start_io", "StartIo", ["start_io"])
                if "start_io" in data else None)
    entry = (cc.routine(data["driver_entry"], "thread", "DriverEntry", ["driver_entry"])
             if "driver_entry" in data else None)
    unload = (cc.routine(data["unload"], "thread", "DriverUnload", ["unload"])
              if "unload" in data else None)
    add_device = (cc.routine(data["add_device"], "add_device", "AddDevice", ["add_device"])
                  if "add_device" in data else None)
    if not data.get("installed", True) and data.get("start", "demand") != "demand":
        cc.report(["installed"], "a driver that is not installed has no Start yet: "
                  "CreateService gives it one (leave 'start' out or make it demand)")
    cc.compile_unreferenced()
    _cross_check(source, cc)
    routine_names = [*table, "start_io", "driver_entry", "default_dispatch", "unload",
                     "add_device",
                     *data.get("routines", {})]
    for i, name in enumerate(data.get("pageable", [])):
        if name not in routine_names:
            cc.report(["pageable", i], f"no routine {name!r} to place in a pageable "
                      f"section{did_you_mean(name, routine_names)}")
    devices = tuple(_device(dev, base + ["devices", d], cc)
                    for d, dev in enumerate(data.get("devices", [])))
    problems.list.extend(source.diagnostics)
    return DriverPlan(data["name"], index, data.get("load_order", 0), devices, dispatch,
                      start_io, entry, _uses_block(data.get("driver_entry"), "create_devices"),
                      tuple(state), tuple(extension), unload=unload, add_device=add_device,
                      start=data.get("start", "system" if data.get("installed", True)
                                     and add_device is None else "demand"),
                      installed=data.get("installed", True))


def _views(spec: Mapping[str, Any], structs: Mapping[str, Struct], report: Any
           ) -> dict[str, View]:
    views = {}
    for name, decl in spec.items():
        path = ["views", name]
        element = decl.get("struct") or decl.get("type") or "UCHAR"
        try:
            parsed = parse_type(element, structs)
        except LayoutError as error:
            report(path + ["struct" if "struct" in decl else "type"], error.message)
            continue
        if parsed.count is not None or parsed.width is not None:
            report(path, "a view's element is one type (the view itself is the array)")
            continue
        if decl.get("buffer", "auto") not in VIEW_BUFFERS:
            continue      # the schema reported it
        views[name] = View(name, decl.get("buffer", "auto"), parsed)
    return views


def _device(dev: Mapping[str, Any], path: list, cc: Compiler) -> DevicePlan:
    io = dev.get("io", "neither")
    return DevicePlan(dev.get("name"), dev.get("link"), io, dev.get("exclusive", False),
                      cc.constant(dev.get("type", FILE_DEVICE_UNKNOWN), path[2:] + ["type"]),
                      dev.get("attach_to"), "io" not in dev or io == "copy_lower",
                      tuple(path))


def _cross_check(source: DriverSource, cc: Compiler) -> None:
    """A queue, timer or event only ever consumed is most likely misspelt: report it
    when a produced one has a close name (else it may be deliberate: a wait that
    times out, an empty queue)."""
    produced: dict[str, set[str]] = {}
    for kind, name, role, _ in source.uses:
        if role == "produce":
            produced.setdefault(kind, set()).add(name)
    for kind, name, role, path in source.uses:
        made = produced.get(kind, set())
        if role == "consume" and name not in made:
            hint = did_you_mean(name, sorted(made))
            if hint:
                verb = {"event": "signals", "timer": "sets", "queue": "puts IRPs in"}[kind]
                cc.report(list(path), f"nothing {verb} the {kind} {name!r}{hint}")


def _uses_block(steps: Any, name: str) -> bool:
    """Whether a routine's top-level steps include the block ``name``."""
    items = steps if isinstance(steps, list) else [steps]
    return any(item == name or (isinstance(item, dict) and name in item) for item in items)


def _label(major: str) -> str:
    return "Dispatch" + "".join(part.capitalize() for part in major[7:].split("_"))
