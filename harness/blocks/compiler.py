"""Turns a scenario routine (a list of steps) into driver code for the kernel.

A step compiles to a generator function ``step(frame)``; a routine is a list of
steps run in order until one returns STOP. Role wrappers give the routine the
signature the kernel calls: DRIVER_DISPATCH ``(device, irp)``, IO_COMPLETION_ROUTINE
``(device, irp, context)``, KDEFERRED_ROUTINE ``(dpc, context, arg1, arg2)``.
Named routines (``routines:``) are compiled once per role, on first reference, so
routines may refer to each other in any order.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, Sequence

from ..kernel import NTSTATUS, ctl_code
from ..kernel import constants as C
from ..lang.diagnostics import Diagnostic, ScenarioError
from .registry import REGISTRY
from .runtime import STOP, DriverModel, Frame

Step = Callable[[Frame], Generator[Any, Any, Any]]


class ScenarioRuntimeError(Exception):
    """The scenario asked for something impossible while running (e.g. a dispatch
    routine that ended without deciding a status). Names the YAML place."""


def run_steps(steps: Sequence[Step], frame: Frame) -> Generator[Any, Any, Any]:
    for step in steps:
        if (yield from step(frame)) is STOP:
            return STOP
    return None


class Compiler:
    """Compiles the routines of one driver of a scenario."""

    def __init__(self, scenario: Any, model: DriverModel, driver_index: int,
                 constants: dict[str, int]) -> None:
        self.scenario = scenario
        self.model = model
        self.index = driver_index
        self.spec = scenario.data["drivers"][driver_index]
        self.constants = constants
        self._named: dict[tuple[str, str], Callable[..., Any]] = {}

    # -- errors and places ---------------------------------------------------------------
    def where(self, path: Sequence[Any]) -> str:
        file, line, col = self.scenario.locate(["drivers", self.index, *path])
        return f"{file}:{line}:{col}"

    def error(self, path: Sequence[Any], message: str) -> ScenarioError:
        full = ["drivers", self.index, *path]
        file, line, col = self.scenario.locate(full)
        return ScenarioError([Diagnostic(file, line, col, "/".join(map(str, full)), message)])

    # -- values --------------------------------------------------------------------------
    def status(self, value: Any, path: Sequence[Any]) -> int:
        if isinstance(value, int):
            return value
        try:
            return NTSTATUS[value]
        except KeyError:
            raise self.error(path, f"unknown NTSTATUS {value!r}") from None

    def constant(self, value: Any, path: Sequence[Any]) -> int:
        if isinstance(value, int):
            return value
        if value in self.constants:
            return self.constants[value]
        if hasattr(C, value) and isinstance(getattr(C, value), int):
            return int(getattr(C, value))
        raise self.error(path, f"unknown constant {value!r}; define it under constants:")

    # -- routines ------------------------------------------------------------------------
    def steps(self, value: Any, path: Sequence[Any]) -> list[Step]:
        items = value if isinstance(value, list) else [value]
        base = list(path)
        out = []
        for i, item in enumerate(items):
            where = base + [i] if isinstance(value, list) else base
            if isinstance(item, str):
                name, params = item, None
            else:
                (name, params), = item.items()
            out.append(REGISTRY[name].compile(params, self, where + ([] if isinstance(item, str)
                                                                    else [name])))
        return out

    def named(self, name: str, role: str, path: Sequence[Any]) -> Callable[..., Any]:
        """The routine ``name`` from ``routines:``, wrapped for ``role``."""
        key = (name, role)
        if key not in self._named:
            routines = self.spec.get("routines", {})
            if name not in routines:
                from difflib import get_close_matches
                hint = get_close_matches(name, list(routines), 1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                raise self.error(path, f"no routine named {name!r} in this driver{extra}")
            placeholder: list[Step] = []
            self._named[key] = wrap(role, self.model, placeholder, name,
                                    self.where(["routines", name]))
            placeholder.extend(self.steps(routines[name], ["routines", name]))
        return self._named[key]

    def routine(self, value: Any, role: str, label: str, path: Sequence[Any]
                ) -> Callable[..., Any]:
        """An inline routine or a reference to a named one, wrapped for ``role``."""
        if isinstance(value, str) and value not in REGISTRY:
            return self.named(value, role, path)
        return wrap(role, self.model, self.steps(value, path), label, self.where(path))


def wrap(role: str, model: DriverModel, steps: list[Step], name: str, where: str
         ) -> Callable[..., Any]:
    """Give compiled steps the signature the kernel calls for ``role``."""
    if role == "dispatch":
        def routine(device: Any, irp: Any) -> Generator[Any, Any, int]:
            frame = Frame(model, device, irp)
            yield from run_steps(steps, frame)
            if frame.result is None:
                raise ScenarioRuntimeError(
                    f"{where}: dispatch routine {name} ended without a status "
                    "(add 'complete', 'pend', 'forward' or 'return')")
            return frame.result
    elif role == "completion":
        def routine(device: Any, irp: Any, context: Any) -> Generator[Any, Any, int]:
            frame = Frame(model, device, irp, context)
            yield from run_steps(steps, frame)
            return NTSTATUS.STATUS_SUCCESS if frame.result is None else frame.result
    elif role == "dpc":
        def routine(dpc: Any, context: Any, arg1: Any, arg2: Any) -> Generator[Any, Any, None]:
            # DeferredContext is the device; the IRP is the one the driver stored when it
            # queued the DPC or armed its timer (the book's currentPendingIRP field).
            frame = Frame(model, context, model.vars.get(f"dpc_irp:{dpc.name}"), context)
            yield from run_steps(steps, frame)
    elif role in ("start_io", "cancel"):
        def routine(device: Any, irp: Any) -> Generator[Any, Any, None]:   # VOID routines
            frame = Frame(model, device, irp)
            yield from run_steps(steps, frame)
    elif role == "thread":
        def routine(device: Any = None) -> Generator[Any, Any, None]:
            frame = Frame(model, device, None)
            yield from run_steps(steps, frame)
    else:
        raise ValueError(role)
    routine.__name__ = name
    routine.__qualname__ = f"{model.name}.{name}"
    return routine


def ctl_code_constant(parts: Sequence[Any], resolve: Callable[[Any], int]) -> int:
    """``{ctl_code: [DeviceType, Function, Method, Access]}`` from the constants section."""
    device_type, function, method, access = (resolve(p) for p in parts)
    return ctl_code(device_type, function, method, access)
