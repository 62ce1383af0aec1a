"""Plan the ``app:`` program: resolve its names and compile its values, once.

Each step becomes an :class:`AppStep` (verb, arguments, the ``as`` name, its place,
and its compiled pieces); the runner's application executes the plan. Checked here:
handles (opened by some ``open ... as``), requests (named by some ``as``), threads
(under ``threads:``), variables (assigned by some ``set``), IOCTL codes, struct
names and fields, ``print`` templates and expressions.

The app's names, for expressions and ``print`` fields:
- a request ``r1``: ``r1.ok``, ``r1.bytes``, ``r1.error``, ``r1.status``,
  ``r1.information``, ``r1.size``, ``r1.buffer[i]`` (a byte of its buffer),
  ``r1.internal`` / ``r1.internal_high`` (its OVERLAPPED now), ``r1.event_signaled``,
  ``r1.error_set`` / ``r1.bytes_set`` (FALSE: the call left them untouched), and, when
  the step says ``struct: NAME``, ``r1.data.Field`` / ``r1.data[i].Field``; in
  ``print`` (and ``open: {path: ...}``) also ``r1.hex``, ``r1.error_name``,
  ``r1.status_name``, ``r1.buffer.address`` and ``r1.path`` (a SetupDi DevicePath);
- a handle ``h`` (its HANDLE value), a variable, a constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..lang.ctype import LONG, LONGLONG, TYPES, ULONG, CType
from ..lang.diagnostics import Diagnostic, ScenarioError, did_you_mean, known_names
from ..lang.expr import Binding, Compiled, ExprError, Ref, compile_expr, compile_text, parse
from ..lang.layouts import LayoutError, Struct, resolve_path
from ..lang.template import TemplateError, parse_template
from ..lang.units import parse_buffer_pattern, parse_duration
from .schema_app import APP_VERBS
from .schema_fileapi import FILE_HANDLE_VERBS, FILE_VERBS, plan_file_step
from .schema_iocp import IOCP_HANDLE_VERBS, IOCP_VERBS, plan_iocp_step

#: Verbs that make a request (a Win32 call whose result ``as`` names).
REQUEST_VERBS = ("open", "read", "write", "ioctl", "cancel_io", "close",
                 "get_overlapped_result", "get_file_size", "create_event", "set_event",
                 "reset_event", "pulse_event", "create_semaphore", "release_semaphore",
                 "create_mutex", "release_mutex", "wait_for", "open_event",
                 "get_exit_code_thread", "open_sc_manager", "create_service", "open_service",
                 "start_service", "control_service", "delete_service",
                 "close_service_handle", "net_start", "net_stop", "setupdi_get_class_devs",
                 "setupdi_enum_device_interfaces", "setupdi_get_device_interface_detail",
                 "setupdi_destroy_device_info_list", "read_file_ex", "sleep_ex",
                 "queue_user_apc", "write_file_ex", "cancel_io_ex",
                 "cancel_synchronous_io") + IOCP_VERBS + FILE_VERBS
#: Verbs whose ``as`` names a handle too.
HANDLE_VERBS = ("open", "create_event", "create_semaphore", "create_mutex", "open_event",
                "open_sc_manager", "create_service", "open_service",
                "setupdi_get_class_devs") + IOCP_HANDLE_VERBS + FILE_HANDLE_VERBS
UCHAR = TYPES["UCHAR"]
HANDLE = TYPES["HANDLE"]

# request field -> (type or None for a string, getter on the Request)
_REQUEST_INTS: dict[str, tuple[CType, Callable[[Any], int]]] = {
    "ok": (TYPES["BOOL"], lambda r: int(bool(r.ok))),
    "bytes": (ULONG, lambda r: r.bytes),
    "error": (ULONG, lambda r: r.last_error),
    "status": (LONG, lambda r: LONG.wrap(r.status or 0)),
    "information": (TYPES["ULONG_PTR"], lambda r: r.information or 0),
    "size": (ULONG, lambda r: r.size or 0),
    "result": (ULONG, lambda r: r.result or 0),
    "key": (TYPES["ULONG_PTR"], lambda r: r.key or 0),          # GetQueuedCompletionStatus
    "overlapped": (TYPES["ULONG_PTR"], lambda r: r.pointer or 0),
    # win32-io 1.1-1.6: the OVERLAPPED as it is now, and what the call wrote
    "internal": (ULONG, lambda r: r.internal or 0),
    "internal_high": (TYPES["ULONG_PTR"], lambda r: r.internal_high or 0),
    "event_signaled": (TYPES["BOOL"], lambda r: int(bool(r.event_signaled))),
    "error_set": (TYPES["BOOL"], lambda r: int(bool(r.error_set))),
    "bytes_set": (TYPES["BOOL"], lambda r: int(bool(r.bytes_set))),
}
_REQUEST_TEXT: dict[str, Callable[[Any], Any]] = {
    "ok": lambda r: "TRUE" if r.ok else "FALSE",
    "hex": lambda r: r.hex,
    "error_name": lambda r: r.error_name,
    "status_name": lambda r: r.status_name or "",
    "buffer.address": lambda r: r.buffer.address if r.buffer is not None else 0,
    "path": lambda r: r.path or "",            # SetupDiGetDeviceInterfaceDetail's DevicePath
    "request": lambda r: r.dequeued or "NULL",  # whose OVERLAPPED a GQCS dequeued
    "internal_name": lambda r: r.internal_name or "",     # Internal as STATUS_X
}


@dataclass
class AppStep:
    """One planned app step.

    Attributes:
        verb: one of APP_VERBS.
        args: the step's value as written (validated by the schema).
        name: its ``as`` name, or None.
        step: the whole step mapping (CreateFile's other arguments live beside the verb).
        where: ``file:line:col`` for run-time messages.
        compiled: what the plan prepared: ``render`` (print), expressions by key,
            ``body``/``orelse`` (nested steps), ``payload`` (an input builder), ...
    """

    verb: str
    args: Any
    name: str | None
    step: Mapping[str, Any]
    where: str
    compiled: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppPlan:
    """The planned app: its threads' steps, and what later single steps (the step
    library's ``When the app reads ...``) are planned against."""

    threads: Mapping[str, tuple[AppStep, ...]]
    spawned: frozenset[str]
    names: "AppNames" = field(repr=False)
    structs: Mapping[str, Struct] = field(repr=False)


class AppNames:
    """Resolves app expression names; the run-time env is the application, with
    ``requests``, ``vars`` and ``handles`` mappings."""

    def __init__(self, constants: Mapping[str, int], requests: Mapping[str, Struct | None],
                 handles: Sequence[str], variables: Mapping[str, CType]) -> None:
        self.constants = constants
        self.requests = requests
        self.handles = set(handles)
        self.variables = variables

    def names(self) -> list[str]:
        return [*self.requests, *self.handles, *self.variables, *self.constants]

    def sizeof(self, name: str, offset: int) -> int:
        raise ExprError(f"sizeof({name}): only built-in types here", offset)

    def resolve(self, ref: Ref, indexes: tuple[Compiled, ...]) -> Binding:
        name = ref.name
        parts = ref.parts
        if name in self.handles and not parts:     # `open ... as h` names both
            return Binding(HANDLE, lambda env: env.handles.get(name, 0xFFFFFFFF) & 0xFFFFFFFF)
        if name in self.requests:
            return self._request(ref, indexes, self.requests[name])
        if parts:
            raise ExprError(f"{name} has no fields", parts[0].offset)
        if name in self.variables:
            return Binding(self.variables[name], lambda env: env.vars.get(name, 0))
        if name in self.constants:
            value = self.constants[name]
            ctype = LONG if LONG.min <= value <= LONG.max else LONGLONG
            wrapped = ctype.wrap(value)
            return Binding(ctype, lambda env: wrapped)
        raise ExprError(f"unknown name {name!r}{did_you_mean(name, self.names())}", ref.offset)

    def _request(self, ref: Ref, indexes: tuple[Compiled, ...], struct: Struct | None
                 ) -> Binding:
        name = ref.name
        parts = ref.parts
        if not parts or parts[0].kind != "field":
            raise ExprError(f"{name} is a request: name a result, e.g. {name}.bytes",
                            ref.offset)
        what = parts[0].name
        rest = parts[1:]
        if what in _REQUEST_INTS and not rest:
            ctype, get = _REQUEST_INTS[what]
            return Binding(ctype, lambda env: get(_request_of(env, name)))
        if what == "buffer" and len(rest) == 1 and rest[0].kind == "index":
            index = indexes[0].fn
            return Binding(UCHAR, lambda env: _byte(_request_of(env, name), index(env)))
        if what == "data":
            if struct is None:
                raise ExprError(f"{name}.data needs 'struct: NAME' on the step that makes "
                                f"{name}", parts[0].offset)
            element: Callable[[Any], int] | None = None     # data[i]: the i-th struct
            if rest and rest[0].kind == "index":
                element, rest, indexes = indexes[0].fn, rest[1:], indexes[1:]
            path: list[Any] = []
            for part in rest:
                if part.kind == "field":
                    path.append(part.name)
                else:
                    if indexes[0].constant is None:
                        raise ExprError("an index inside a struct must be a constant",
                                        part.offset)
                    path.append(indexes[0].constant)
                    indexes = indexes[1:]
            try:
                fref = resolve_path(struct, path)
            except LayoutError as error:
                raise ExprError(f"{ref.text}: {error.message}", ref.offset) from None
            size, stride = fref.ctype.size, struct.size

            def get(env: Any) -> int:
                start = fref.offset + (element(env) * stride if element else 0)
                buffer = _request_of(env, name).buffer
                if buffer is None or start < 0 or start + size > buffer.length:
                    return 0
                return fref.decode(buffer.read(start, size))
            return Binding(fref.ctype, get)
        known = [*_REQUEST_INTS, "buffer[i]", "data"]
        raise ExprError(f"a request has no result {what!r}{did_you_mean(what, known)}",
                        parts[0].offset)


class _NotMade:
    """A request whose step has not run yet: as an uninitialised C variable, but zero."""

    ok = False
    bytes = last_error = 0
    status = information = size = buffer = status_name = result = path = None
    key = pointer = dequeued = None
    hex = error_name = ""


_NOT_MADE = _NotMade()


def _request_of(env: Any, name: str) -> Any:
    return env.requests.get(name, _NOT_MADE)


def _byte(request: Any, index: int) -> int:
    buffer = request.buffer
    if buffer is None or not 0 <= index < buffer.length:
        return 0
    return buffer.read(index, 1)[0]


def _walk(steps: Sequence[Any], path: list) -> Any:
    """Every (step, path) of a step list, nested bodies included."""
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        yield step, path + [i]
        for verb in ("repeat", "while", "if", "read_file_ex", "write_file_ex", "queue_user_apc"):
            body = step.get(verb)
            if isinstance(body, dict):
                for key in ("do", "then", "else", "completion", "apc"):
                    yield from _walk(body.get(key, []), path + [i, verb, key])


def plan_app(app: Any, constants: Mapping[str, int], structs: Mapping[str, Struct],
             report: Callable[..., None],
             locate: Callable[[list], tuple[str, int, int]] | None = None) -> AppPlan:
    """Plan ``app:``; problems go to ``report(path, message, column_offset)``, and
    ``locate`` gives each step the ``file:line:col`` its run-time errors name."""
    if isinstance(app, dict):
        threads = app.get("threads", {})
        roots = {name: ["app", "threads", name] for name in threads}
    else:
        threads, roots = {"main": app}, {"main": ["app"]}
    requests: dict[str, Struct | None] = {}
    handles: list[str] = []
    variables: dict[str, CType] = {}
    spawned = set()
    everything = [(s, p) for name in threads for s, p in _walk(threads[name], roots[name])]
    for step, path in everything:
        verb = _verb(step)
        name = step.get("as")
        if verb in REQUEST_VERBS and name:
            struct_name = step[verb].get("struct") if isinstance(step[verb], dict) else None
            struct = None
            if struct_name:
                struct = structs.get(struct_name)
                if struct is None:
                    report(path + [verb, "struct"], f"unknown struct {struct_name!r}"
                           f"{did_you_mean(struct_name, structs)}")
            requests[name] = struct
            if verb in HANDLE_VERBS:
                handles.append(name)
        if verb == "spawn":
            spawned.add(step["spawn"])
    planner = _Planner(AppNames(constants, requests, handles, variables), structs, report,
                       threads, constants, locate)
    # Variables take the type of the first value assigned to them (C's `auto`), so
    # plan assignments in order first.
    for step, path in everything:
        if _verb(step) == "set":
            for target, value in step["set"].items():
                if target not in variables:
                    compiled = planner.expr(value, path + ["set", target])
                    variables[target] = compiled.ctype
    planned = {name: tuple(planner.steps(threads[name], roots[name])) for name in threads}
    return AppPlan(planned, frozenset(spawned), planner.names, structs)


def plan_step(plan: AppPlan, step: Mapping[str, Any]) -> AppStep:
    """Plan one step given outside the scenario (a Gherkin step); its ``as`` name
    becomes known to the steps after it."""
    problems: list[str] = []
    names = plan.names
    verb = _verb(step)
    name = step.get("as")
    if verb in REQUEST_VERBS and name:
        names.requests[name] = None       # type: ignore[index]
        if verb in HANDLE_VERBS:
            names.handles.add(name)
    planner = _Planner(names, plan.structs, lambda path, message, offset=0:
                       problems.append(message), plan.threads, names.constants)
    planned = planner.step(step, ["step"])
    if problems or planned is None:
        raise ScenarioError([Diagnostic("(step)", 1, 1, verb or "step", message)
                             for message in problems or ["not an app step"]])
    return planned


def _verb(step: Mapping[str, Any]) -> str | None:
    return next((key for key in step if key in APP_VERBS), None)


class _Planner:
    def __init__(self, names: AppNames, structs: Mapping[str, Struct], report: Any,
                 threads: Mapping[str, Any], constants: Mapping[str, int],
                 locate: Callable[[list], tuple[str, int, int]] | None = None) -> None:
        self.names = names
        self.structs = structs
        self.report = report
        self.threads = threads
        self.constants = constants
        self.locate = locate

    def where(self, path: list) -> str:
        """``file:line:col`` of a step (its JSON path when there is no file)."""
        if self.locate is None:
            return "/".join(map(str, path))
        return "{}:{}:{}".format(*self.locate(path))

    def expr(self, value: Any, path: list) -> Compiled:
        text = str(value)
        try:
            return compile_text(text, self.names)
        except ExprError as error:
            offset = error.offset if isinstance(value, str) and "\n" not in value else 0
            self.report(path, f"in expression {text!r}: {error.message}", offset)
            return compile_text("0", self.names)

    def steps(self, steps: Any, path: list) -> list[AppStep]:
        out = []
        for i, step in enumerate(steps if isinstance(steps, list) else []):
            planned = self.step(step, path + [i])
            if planned is not None:
                out.append(planned)
        return out

    def step(self, step: Mapping[str, Any], path: list) -> AppStep | None:
        verb = _verb(step)
        if verb is None:
            return None           # the schema reported it
        args = step[verb]
        here = path + [verb]
        planned = AppStep(verb, args, step.get("as"), step, self.where(path))
        c = planned.compiled
        names = self.names
        if isinstance(args, dict) and "handle" in args:
            self._known(args["handle"], names.handles, "handle", here + ["handle"],
                        "no step opens a handle named")
        if verb in ("cancel_io", "cancel_io_ex", "close", "get_file_size", "set_event",
                    "reset_event", "pulse_event", "release_mutex", "start_service",
                    "delete_service", "close_service_handle",
                    "setupdi_destroy_device_info_list"):
            self._known(args, names.handles, "handle", here, "no step opens a handle named")
        for key in ("manager", "service"):
            if verb in ("create_service", "open_service", "control_service") and key in args:
                self._known(args[key], names.handles, "handle", here + [key],
                            "no step opens a handle named")
        if verb == "wait_for":
            objects = [args] if isinstance(args, str) else args.get("objects", [])
            for i, obj in enumerate(objects):
                self._known(obj, {*names.handles, *self.threads}, "handle or thread",
                            here + ([] if isinstance(args, str) else ["objects", i]),
                            "no step makes a handle, and no thread is, named")
            timeout = None if isinstance(args, str) else args.get("timeout")
            c["ms"] = 0xFFFFFFFF if timeout is None else self._sleep(timeout, here + ["timeout"])
        if verb in ("setupdi_enum_device_interfaces", "setupdi_get_device_interface_detail"):
            self._known(args["info"], names.handles, "handle", here + ["info"],
                        "no step makes an HDEVINFO named")
            for key in ("index", "size"):
                if key in args:
                    c[key] = self.expr(args[key], here + [key])
        if verb == "setupdi_get_device_interface_detail":
            self._known(args["interface"], names.requests, "request", here + ["interface"],
                        "no setupdi_enum_device_interfaces step makes a request named")
        if verb == "open" and isinstance(args, dict):
            c["path"] = self._template(args["path"], here + ["path"])
        if verb == "wait":
            self._known(args, names.requests, "request", here, "no step makes a request named")
        if verb == "get_overlapped_result":
            self._known(args["request"], names.requests, "request", here + ["request"],
                        "no step makes a request named")
            if "timeout" in args:
                c["ms"] = self._sleep(args["timeout"], here + ["timeout"])
            elif "alertable" in args:
                c["ms"] = 0xFFFFFFFF if args.get("wait", True) else 0
        if verb in ("spawn", "join", "get_exit_code_thread", "cancel_synchronous_io"):
            self._known(args, self.threads, "thread", here, "there is no thread named")
        if verb == "queue_user_apc":
            self._known(args["thread"], self.threads, "thread", here + ["thread"],
                        "there is no thread named")
            c["apc"] = self.steps(args.get("apc", []), here + ["apc"])
        if verb == "cancel_io_ex" and isinstance(args, dict) and "request" in args:
            self._known(args["request"], names.requests, "request", here + ["request"],
                        "no step makes a request named")
        if verb == "sleep":
            c["ms"] = self._sleep(args, here)
        if verb == "ioctl":
            code = args["code"]
            if isinstance(code, str) and code not in self.constants:
                self.report(here + ["code"], f"unknown IOCTL code {code!r}; define it under "
                            f"constants:{did_you_mean(code, self.constants)}")
                c["code"] = 0
            else:
                c["code"] = self.constants[code] if isinstance(code, str) else code
        if verb in ("ioctl", "write", "write_file_ex"):
            key = "input" if verb == "ioctl" else "data"
            if key in args:
                c["payload"] = self._payload(args[key], here + [key])
        if verb == "print":
            c["render"] = self._template(args, here)
        if verb == "set":
            c["assign"] = [(target, self.expr(value, here + [target]))
                           for target, value in args.items()]
        if verb in ("if", "while"):
            c["cond"] = self.expr(args["cond"], here + ["cond"])
        if verb == "repeat":
            c["times"] = self.expr(args["times"], here + ["times"])
        if verb in ("read_file_ex", "write_file_ex"):
            c["completion"] = self.steps(args.get("completion", []), here + ["completion"])
        if verb == "sleep_ex":
            c["ms"] = self._sleep(args["ms"], here + ["ms"])
        if verb in IOCP_VERBS:
            plan_iocp_step(self, verb, args, here, c)
        if verb in FILE_VERBS:
            plan_file_step(self, verb, args, here, c)
        if verb in ("if", "while", "repeat"):
            c["body"] = self.steps(args.get("do", args.get("then", [])),
                                   here + ["do" if verb != "if" else "then"])
            c["orelse"] = self.steps(args.get("else", []), here + ["else"])
            c["max"] = args.get("max", 10_000)
        return planned

    def _known(self, name: Any, known: Any, kind: str, path: list, message: str) -> None:
        if isinstance(name, str) and name not in known:
            self.report(path, f"{message} {name!r}{known_names(name, known)}")

    def _sleep(self, value: Any, path: list) -> int:
        if isinstance(value, int):
            return value             # Win32 Sleep's own unit: milliseconds
        try:
            return parse_duration(value) // 10_000
        except ValueError as error:
            self.report(path, str(error))
            return 0

    def _payload(self, value: Any, path: list) -> Callable[[Any], bytes]:
        """Input bytes: a buffer pattern, or {struct: NAME, fields: {F: expression}}."""
        if isinstance(value, str):
            try:
                data = parse_buffer_pattern(value)
            except ValueError as error:
                self.report(path, str(error))
                data = b""
            return lambda env: data
        struct = self.structs.get(value["struct"])
        if struct is None:
            self.report(path + ["struct"], f"unknown struct {value['struct']!r}"
                        f"{did_you_mean(value['struct'], self.structs)}")
            return lambda env: b""
        writes = []
        for fname, expr in value.get("fields", {}).items():
            try:
                fref = resolve_path(struct, fname.split("."))
            except LayoutError as error:
                self.report(path + ["fields", fname], error.message)
                continue
            writes.append((fref, self.expr(expr, path + ["fields", fname])))
        count = value.get("count", 1)

        def build(env: Any) -> bytes:
            data = bytearray(struct.size * count)
            for fref, compiled in writes:
                raw = bytes(data[fref.offset:fref.offset + fref.ctype.size])
                data[fref.offset:fref.offset + fref.ctype.size] = fref.encode(
                    raw, compiled.fn(env))
            return bytes(data)
        return build

    def _template(self, text: str, path: list) -> Callable[[Any], str]:
        try:
            template = parse_template(text)
        except TemplateError as error:
            self.report(path, f"in {text!r}: {error.message}", error.offset)
            return lambda env: ""
        getters: dict[str, Callable[[Any], Any]] = {}
        for fld in template.fields:
            getter = self._field(fld.name)
            if isinstance(getter, str):
                self.report(path, f"in {text!r}: {getter}", fld.offset)
            else:
                getters[fld.name] = getter
        return lambda env: template.render(lambda name: getters[name](env))

    def _field(self, name: str) -> Callable[[Any], Any] | str:
        head, _, rest = name.partition(".")
        if head in self.names.requests and rest in _REQUEST_TEXT:
            get = _REQUEST_TEXT[rest]
            return lambda env: get(_request_of(env, head))
        try:
            node = parse(name)
            if not isinstance(node, Ref):
                return f"unknown field {{{name}}}"
            return compile_expr(node, self.names, name).fn
        except ExprError as error:
            return error.message
