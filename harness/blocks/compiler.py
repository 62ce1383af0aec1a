"""Turns a scenario routine (a list of steps) into driver code for the kernel.

A step compiles to a generator function ``step(frame)``; a routine is a list of
steps run in order until one returns STOP. Compilation happens once, when the
scenario is resolved, and needs no machine: a :class:`Routine` is bound to a run's
:class:`DriverModel` only when the kernel is about to call it, so one resolved
scenario can boot many machines. Role wrappers give a bound routine the signature
the kernel calls: DRIVER_DISPATCH ``(device, irp)``, IO_COMPLETION_ROUTINE
``(device, irp, context)``, KDEFERRED_ROUTINE ``(dpc, context, arg1, arg2)``.

Every problem a compile function finds is *reported* (``cc.report``) and compiling
goes on, so ``irp-harness validate`` lists all of a file's problems in one run.
"""

from __future__ import annotations

import builtins     # Compiler.list hides the built-in name in the class's annotations
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Generator, Iterable, Mapping, Sequence

from ..kernel import (DISPATCH_LEVEL, IRP_MJ, NTSTATUS, BugCheckCode, NotModelledError,
                      ctl_code, iop_dead_code)
from ..kernel import constants as C
from ..lang.diagnostics import Diagnostic, column_of, did_you_mean
from ..lang.expr import Compiled, ExprError, IntegerFault, compile_text
from ..lang.template import TemplateError, parse_template
from ..lang.units import parse_duration
from .registry import REGISTRY
from .runtime import STOP, DriverModel, Frame, ScenarioRuntimeError
from .state import argument_key, counted_text, fault, pointer_text

Step = Callable[[Frame], Generator[Any, Any, Any]]


class Routine:
    """A compiled routine for one role; :meth:`bind` makes it callable by the kernel."""

    __slots__ = ("role", "name", "where", "steps")

    def __init__(self, role: str, name: str, where: str, steps: list[Step]) -> None:
        self.role, self.name, self.where, self.steps = role, name, where, steps

    def bind(self, model: DriverModel) -> Callable[..., Any]:
        """The kernel-callable routine of this driver model (one per run)."""
        fn = model.bound.get(self)
        if fn is None:
            fn = model.bound[self] = wrap(self.role, model, self.steps, self.name, self.where)
        return fn

    def __repr__(self) -> str:
        return f"<routine {self.name} ({self.role}) at {self.where}>"


@dataclass
class DriverSource:
    """What a compiler needs to know about the driver it compiles.

    Attributes:
        spec: the driver's validated YAML data.
        locate: JSON path under the driver -> (file, line, col).
        constants: the scenario's named values plus the WDK's.
        names: resolves expression names (state, views, IRP fields) for this driver.
        diagnostics: where reported problems go.
    """

    name: str
    spec: Mapping[str, Any]
    locate: Callable[[Sequence[Any]], tuple[str, int, int]]
    prefix: str           # how messages spell the driver's path, e.g. "drivers/1"
    constants: Mapping[str, int]
    names: Any
    diagnostics: list[Diagnostic] = field(default_factory=list)
    uses: list[tuple[str, str, str, tuple]] = field(default_factory=list)


class Compiler:
    """Compiles the routines of one driver of a scenario.

    The methods below are the interface a block's compile function uses (custom
    blocks too): ``status``, ``constant``, ``duration``, ``expr``, ``lvalue``,
    ``template``, ``steps``, ``routine``, ``report`` and ``use``.
    """

    def __init__(self, source: DriverSource) -> None:
        self.source = source
        self.name = source.name
        self.spec = source.spec
        self._named: dict[tuple[str, str], Routine] = {}
        self.pageable = set(source.spec.get("pageable", []))   # #pragma alloc_text(PAGE)

    # -- errors and places ---------------------------------------------------------------
    def where(self, path: Sequence[Any]) -> str:
        file, line, col = self.source.locate(path)
        return f"{file}:{line}:{col}"

    def report(self, path: Sequence[Any], message: str, column_offset: int = 0) -> None:
        """Record a problem at ``path`` (under this driver); compiling goes on."""
        file, line, col = self.source.locate(path)
        self.source.diagnostics.append(Diagnostic(
            file, line, column_of(file, line, col, column_offset), self._path(path), message))

    def _path(self, path: Sequence[Any]) -> str:
        return "/".join([self.source.prefix, *map(str, path)])

    def use(self, kind: str, name: str, role: str, path: Sequence[Any]) -> None:
        """Note that a step uses the driver object ``name`` of ``kind`` (an event, a
        timer, a queue) as ``role`` (``"produce"`` or ``"consume"``) for the
        cross-checks that run once the whole driver is compiled."""
        self.source.uses.append((kind, name, role, tuple(path)))

    # -- values --------------------------------------------------------------------------
    def status(self, value: Any, path: Sequence[Any]) -> int:
        if isinstance(value, int):
            return value
        if value in NTSTATUS.__members__:
            return NTSTATUS[value]
        self.report(path, f"unknown NTSTATUS {value!r}"
                    f"{did_you_mean(value, NTSTATUS.__members__)}")
        return 0

    def constant(self, value: Any, path: Sequence[Any]) -> int:
        if isinstance(value, int):
            return value
        if value in self.source.constants:
            return self.source.constants[value]
        self.report(path, f"unknown constant {value!r}; define it under constants:"
                    f"{did_you_mean(value, self.source.constants)}")
        return 0

    def duration(self, value: Any, path: Sequence[Any]) -> int:
        """A duration in 100 ns units; a bare integer is an error (units are explicit)."""
        if isinstance(value, int) and not isinstance(value, bool):
            self.report(path, f"a duration needs a unit: did you mean '{value}s' or "
                        f"'{value}ms'?")
            return 0
        try:
            return parse_duration(value)
        except ValueError as error:
            self.report(path, str(error))
            return 0

    def expr(self, value: Any, path: Sequence[Any]) -> Compiled:
        """An integer expression (an int or expression text) for this driver's code."""
        text = str(value).lower() if isinstance(value, bool) else str(value)
        try:
            compiled = compile_text(text, self.source.names)
        except ExprError as error:
            self.report(path, f"in expression {text!r}: {error.message}",
                        _offset(value, error.offset))
            return compile_text("0", self.source.names)
        if compiled.constant is not None:
            return compiled
        fn = compiled.fn

        def guarded(f: Any) -> int:
            # A divide error in driver code is a CPU fault: the bug check Windows raises.
            try:
                return fn(f)
            except IntegerFault as fault_:
                fault(f, 0, False, fault_.status)
                raise
        return replace(compiled, fn=guarded)

    def lvalue(self, text: str, path: Sequence[Any]) -> Any:
        """Where an assignment stores: a state variable, an element or a field."""
        try:
            return self.source.names.lvalue(text)
        except ExprError as error:
            message = error.message
            self.report(path, message if text in message else f"cannot assign to {text!r}: "
                        f"{message}")
            return None

    def kernel_object(self, kind: str, name: str, path: Sequence[Any]) -> Callable[[Any], Any]:
        """The KSPIN_LOCK or KDEVICE_QUEUE a block names (under state: or extension:)."""
        names = self.source.names
        var = names.state.get(name)
        if var is None or var.object != kind:
            known = [v.name for v in names.state.values() if v.object == kind]
            self.report(path, f"{name!r} is not a {kind} declared under state: or "
                        f"extension:{did_you_mean(name, known)}")
            return lambda f: None
        store = names.store_of(var)
        return lambda f: store(f)[name]

    def memory(self, name: str, path: Sequence[Any]) -> Callable[[Any], Any]:
        """The buffer a view or a memory variable names."""
        try:
            return self.source.names.memory(name)
        except ExprError as error:
            self.report(path, error.message)
            return lambda f: None

    def template(self, text: str, path: Sequence[Any], extra: Iterable[str] = ()
                 ) -> Callable[..., str]:
        """A log line, parsed now with every field checked: returns ``render(frame,
        **extra_values)``. ``extra`` names fields the block itself supplies."""
        try:
            template = parse_template(text)
        except TemplateError as error:
            self.report(path, f"in {text!r}: {error.message}", _offset(text, error.offset))
            return lambda f, **values: ""
        getters: dict[str, Callable[[Any], Any]] = {}
        extra = tuple(extra)
        for fld in template.fields:
            if fld.name in extra:
                continue
            found = self.source.names.field(fld.name)
            if isinstance(found, str):
                self.report(path, f"in {text!r}: {found}", _offset(text, fld.offset))
                continue
            kind, getters[fld.name] = found
            if kind == "ptr" and fld.kind == "str" and fld.conv in ("s", "S", "ws"):
                # %s / %S / %ws of a pointer: the string it points at (stacks-services 4.16)
                kind, getters[fld.name] = "str", _pointer_string(getters[fld.name],
                                                                 fld.conv != "s")
            elif kind == "ptr" and fld.kind == "str" and fld.conv in ("wZ", "Z"):
                # %wZ / %Z of a PUNICODE_STRING / PANSI_STRING: the counted string (4.16)
                kind, getters[fld.name] = "str", _counted_string(getters[fld.name],
                                                                 fld.conv == "wZ")
            elif kind == "ptr":
                kind = "int"
            if fld.kind not in ("any", kind):
                self.report(path, f"in {text!r}: {{{fld.name}:{fld.spec}}} formats "
                            f"{'a string' if fld.kind == 'str' else 'an integer'}, but "
                            f"{fld.name} is {'a string' if kind == 'str' else 'an integer'}",
                            _offset(text, fld.offset))
        if template.literal:
            line = template.render(lambda name: "")
            return lambda f, **values: line

        def render(f: Any, **values: Any) -> str:
            return template.render(lambda name: values[name] if name in values
                                   else getters[name](f))
        return render

    def list(self, name: str, role: str, path: Sequence[Any]) -> Callable[[Any], list]:
        """The list a ``queue:`` parameter names: a declared LIST_ENTRY (a global or a
        device-extension field) or, undeclared, a driver-wide list made on first use."""
        names = self.source.names
        var = names.state.get(name)
        if var is not None:
            if var.object != "LIST_ENTRY":
                self.report(path, f"{name} is a {var.object or var.type.text}, not a "
                            "LIST_ENTRY")
            else:
                store = names.store_of(var)
                return lambda f: store(f)[name]
        else:
            self.use("queue", name, role, path)
        return lambda f: f.model.queue(name)

    # -- routines ------------------------------------------------------------------------
    def steps(self, value: Any, path: Sequence[Any]) -> builtins.list[Step]:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            where = list(path) + [i] if isinstance(value, list) else list(path)
            if isinstance(item, str):
                name, params = item, None
            else:
                (name, params), = item.items()
                where.append(name)
            spec = REGISTRY.get(name)
            if spec is None:       # the schema reported it (a registry of other blocks)
                self.report(where, f"unknown block {name!r}{did_you_mean(name, REGISTRY)}")
                continue
            if isinstance(item, str) and not spec.bare:   # e.g. a routine name, a block
                self.report(where, f"block {name!r} needs parameters: write {{{name}: ...}}")
                continue
            out.append(spec.compile(params, self, where))
        return out

    def named(self, name: str, role: str, path: Sequence[Any]) -> Routine:
        """The routine ``name`` from ``routines:``, compiled for ``role``."""
        key = (name, role)
        if key not in self._named:
            routines = self.spec.get("routines", {})
            if name not in routines:
                self.report(path, f"no routine named {name!r} in this driver"
                            f"{did_you_mean(name, routines)}")
                return Routine(role, name, self.where(path), [])
            # Registered before its steps compile, so routines may refer to each other
            # (and to themselves) in any order.
            routine = self._named[key] = Routine(role, name, self.where(["routines", name]), [])
            routine.steps.extend(self._placed(name, self.steps(routines[name],
                                                               ["routines", name])))
        return self._named[key]

    def routine(self, value: Any, role: str, label: str, path: Sequence[Any]) -> Routine:
        """An inline routine or a reference to a named one, compiled for ``role``."""
        if isinstance(value, str) and value not in REGISTRY:
            return self.named(value, role, path)
        where = list(path)
        key = where[1] if where and where[0] == "dispatch" else str(where[0]) if where else ""
        return Routine(role, label, self.where(path), self._placed(key,
                                                                   self.steps(value, path)))

    def _placed(self, key: str, steps: builtins.list[Step]) -> builtins.list[Step]:
        """A routine in a pageable section checks, before each step, that it does not
        run at DISPATCH_LEVEL or above (R78): the code could be paged out."""
        if key not in self.pageable:
            return steps
        out: list[Step] = []
        for step in steps:
            out += [_paged_code_check, step]
        return out

    def compile_unreferenced(self) -> None:
        """Check named routines nothing refers to (as plain steps), so their mistakes
        are reported too."""
        used = {name for name, _ in self._named}
        for name, body in self.spec.get("routines", {}).items():
            if name not in used:
                self.steps(body, ["routines", name])


def _offset(value: Any, offset: int) -> int:
    """Column offset of a character of a YAML scalar: only exact for plain one-line
    scalars, so anything else points at the scalar's start."""
    return offset if isinstance(value, str) and "\n" not in value else 0


# -- the kernel-callable routine -----------------------------------------------------------
# One signature per role: what the kernel passes (its PDRIVER_DISPATCH, PIO_COMPLETION_ROUTINE,
# ... arguments) becomes the Frame the steps see, and the Frame what the routine returns.

def _dpc_frame(model: DriverModel, dpc: Any, context: Any, arg1: Any, arg2: Any) -> Frame:
    # DeferredContext is the device; the IRP is the one the driver stored when it queued
    # the DPC or armed its timer (the book's currentPendingIRP field).
    return Frame(model, context, model.vars.get(f"dpc_irp:{dpc.name}"), context)


def _apc_frame(model: DriverModel, context: Any, iosb: Any = None) -> Frame:
    # PIO_APC_ROUTINE(ApcContext, IoStatusBlock, Reserved): Context is ApcContext.
    return Frame(model, None, None, context)


def _isr_frame(model: DriverModel, interrupt: Any, context: Any = None) -> Frame:
    # BOOLEAN Isr(PKINTERRUPT, ServiceContext): TRUE when its device interrupted
    return Frame(model, context if _is_device(context) else None, None, context)


def _synch_frame(model: DriverModel, context: Any = None) -> Frame:
    # BOOLEAN SynchCritSection(SynchronizeContext), under the interrupt spin lock
    return Frame(model, context if _is_device(context) else None, None, context)


def _dpc_for_isr_frame(model: DriverModel, dpc: Any, device: Any, irp: Any, context: Any
                       ) -> Frame:
    # DpcForIsr(Dpc, DeviceObject, Irp, Context): what IoRequestDpc passed
    return Frame(model, device, irp, context)


def _io_timer_frame(model: DriverModel, device: Any, context: Any = None) -> Frame:
    # PIO_TIMER_ROUTINE(DeviceObject, Context), at DISPATCH_LEVEL once a second
    return Frame(model, device, None, context)


def _thread_frame(model: DriverModel, device: Any = None) -> Frame:
    # DriverEntry / DriverUnload: the routine sees the driver's first device
    return Frame(model, device, None)


def _add_device_frame(model: DriverModel, driver: Any, pdo: Any) -> Frame:
    # AddDevice(DriverObject, PhysicalDeviceObject) -> NTSTATUS (pnp-hardware §2.4)
    return Frame(model, None, None, pdo)


def _context_frame(model: DriverModel, context: Any = None) -> Frame:
    # KSTART_ROUTINE(StartContext): Context is what PsCreateSystemThread was given
    return Frame(model, None, None, context)


def _service_callback_frame(model: DriverModel, device: Any, data: Any) -> Frame:
    # PSERVICE_CALLBACK_ROUTINE(DeviceObject, InputDataStart, InputDataEnd,
    # &InputDataConsumed) of kbdmou.h, VOID: Context is the call's input data
    # (stacks-services 2.3); the routine sets how much it consumed there
    return Frame(model, device, None, data)


def _pnp_notification_frame(model: DriverModel, notification: Any, context: Any = None
                            ) -> Frame:
    # DRIVER_NOTIFICATION_CALLBACK_ROUTINE(NotificationStructure, Context) -> NTSTATUS
    # (pnp-hardware §3.3): NotificationStructure is the PnP manager's
    # DEVICE_INTERFACE_CHANGE_NOTIFICATION in paged pool
    frame = Frame(model, None, None, context)
    frame.vars[argument_key("NotificationStructure")] = notification.address
    return frame


def _dispatch_status(frame: Frame, where: str, name: str) -> Any:
    if frame.result is None:
        raise ScenarioRuntimeError(f"{where}: dispatch routine {name} ended without a status "
                                   "(add 'complete', 'pend', 'forward' or 'return')")
    return frame.result


def _status(frame: Frame, where: str, name: str) -> Any:
    """An NTSTATUS routine: what a `return` gave, else STATUS_SUCCESS (a completion
    routine's default; DriverEntry's; the PnP manager ignores a notification's)."""
    return NTSTATUS.STATUS_SUCCESS if frame.result is None else frame.result


def _boolean(frame: Frame, where: str, name: str) -> int:
    return int(bool(frame.result))


def _void(frame: Frame, where: str, name: str) -> None:
    return None


#: role -> (the Frame of the kernel's arguments, the routine's return value); Frame's own
#: (model, device, irp, context) is a dispatch, StartIo, cancel or completion routine's
_ROLES: dict[str, tuple[Callable[..., Frame], Callable[[Frame, str, str], Any]]] = {
    "dispatch": (Frame, _dispatch_status),
    "completion": (Frame, _status),
    "dpc": (_dpc_frame, _void),
    "start_io": (Frame, _void),           # VOID routines
    "cancel": (Frame, _void),
    "apc": (_apc_frame, _void),
    "isr": (_isr_frame, _boolean),
    "synch": (_synch_frame, _boolean),
    "dpc_for_isr": (_dpc_for_isr_frame, _void),
    "io_timer": (_io_timer_frame, _void),
    "thread": (_thread_frame, _status),
    "add_device": (_add_device_frame, _status),
    "start_routine": (_context_frame, _void),
    "service_callback": (_service_callback_frame, _void),
    "pnp_notification": (_pnp_notification_frame, _status),
}


def wrap(role: str, model: DriverModel, steps: list[Step], name: str, where: str
         ) -> Callable[..., Any]:
    """Give compiled steps the signature the kernel calls for ``role``: one generator per
    call, which runs the steps itself (run_steps inlined: a routine call is on every
    IRP's path, and each nested generator is a frame more per call, measured)."""
    if role not in _ROLES:
        raise ValueError(role)
    frame_of, result_of = _ROLES[role]
    image = model.image
    kernel = model.kernel

    def routine(*args: Any) -> Generator[Any, Any, Any]:
        if image is not None and image.unloaded:      # pnp-hardware §1.8
            iop_dead_code(kernel, routine)
        # whose code runs on this thread (a DPC or APC on it restores it when it returns):
        # what Driver Verifier's pool tracking charges an allocation to
        thread = kernel.cpu.thread                    # KeGetCurrentThread
        outer, thread.running_image = thread.running_image, image
        try:
            frame = frame_of(model, *args)
            frame.routine = routine
            try:
                for step in steps:                    # runtime.run_steps
                    if (yield from step(frame)) is STOP:
                        break
                    if image is not None and image.unloaded:
                        iop_dead_code(kernel, routine)
            except AttributeError:
                # A step that dereferences the routine's IRP when it has none (a DPC
                # whose driver stored none, a queue that came back empty) touches a NULL
                # pointer: the access violation Windows raises, not an error of the
                # harness.
                if frame.irp is not None:
                    raise
                fault(frame, 0, False)
                raise
            return result_of(frame, where, name)
        except (NotModelledError, ScenarioRuntimeError) as error:
            raise located(error, where, name) from None
        finally:
            thread.running_image = outer
    routine.__name__ = name
    routine.__qualname__ = f"{model.name}.{name}"
    routine.image = image       # type: ignore[attr-defined]  # the code's home, for 0xCE/0xC7
    return routine


def _is_device(value: Any) -> bool:
    return type(value).__name__ == "DeviceObject"


def _paged_code_check(f: Frame) -> Generator[Any, Any, None]:
    """Pageable code about to run at DISPATCH_LEVEL or above (verifier-rules R78).

    Driver Verifier's IRQL checking trims pageable memory on every raise, so the
    instruction fetch faults every time: 0xD1 (the routine, the IRQL, 8 = execute, the
    routine). Without it the page is usually resident and the code runs: the model
    then runs it and reports the violation once per routine.
    """
    kernel = f.kernel
    irql = kernel.cpu.irql
    if irql >= DISPATCH_LEVEL:
        address = kernel.routine_address(f.routine)
        name = getattr(f.routine, "__name__", None) or getattr(f.routine, "name", "?")
        if kernel.verifier:
            kernel.bug_check(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, address, irql, 8,
                             address, reason=f"pageable {name} ran at IRQL {irql}")
        reported = f.model.vars.setdefault("paged_code_reported", set())
        if name not in reported:
            reported.add(name)
            kernel.hooks.violation("pageable code at DISPATCH_LEVEL", f"{name} is in a "
                                   f"pageable section and ran at IRQL {irql}", f.irp, None)
    return None
    yield


def located(error: Exception, where: str, name: str) -> Exception:
    """The error with the place of the routine it happened in, unless an inner routine
    already named a place (innermost is most precise)."""
    if isinstance(error, NotModelledError):
        if _LOCATED.match(error.detail):
            return error
        return NotModelledError(error.routine, f"{where}: in {name}: {error.detail}".rstrip(": "))
    text = str(error)
    return error if _LOCATED.match(text) else ScenarioRuntimeError(f"{where}: in {name}: {text}")


_LOCATED = re.compile(r"\S+:\d+:\d+: ")


def ctl_code_constant(parts: Sequence[Any], resolve: Callable[[Any], int]) -> int:
    """``{ctl_code: [DeviceType, Function, Method, Access]}`` from the constants section."""
    device_type, function, method, access = (resolve(p) for p in parts)
    return ctl_code(device_type, function, method, access)


def _pointer_string(address: Callable[[Any], int], wide: bool) -> Callable[[Any], str]:
    return lambda f: pointer_text(f, address(f) & 0xFFFFFFFF, wide)


def _counted_string(address: Callable[[Any], int], wide: bool) -> Callable[[Any], str]:
    return lambda f: counted_text(f, address(f) & 0xFFFFFFFF, wide)


def wdk_constants() -> dict[str, int]:
    """The WDK's named integers a scenario may use without defining them."""
    out = {name: int(value) for name, value in vars(C).items()
           if name[:1].isupper() and isinstance(value, int) and not isinstance(value, bool)}
    out.update({name: int(value) for name, value in NTSTATUS.__members__.items()})
    out.update({name: int(value) for name, value in IRP_MJ.__members__.items()})
    out.update(TRUE=1, FALSE=0, NULL=0)
    return out
