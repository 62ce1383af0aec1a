"""Small actions: one or two WDK calls each. The book's recipes are in recipes.py."""

from __future__ import annotations

import re
from typing import Any, Callable, Generator

from ..kernel import (DISPATCH_LEVEL, IRQL, KERNEL_STACK_CALL_LEVELS, NTSTATUS, BugCheckCode,
                      DispatcherObject, FastMutex, GuardedMutex, IoRemoveLock, KDpc, KEvent,
                      KMutant, KSemaphore, KSpinLock, KTimer,
                      NotModelledError, dbg_print, io_call_driver,
                      io_complete_request, io_copy_current_irp_stack_location_to_next,
                      io_get_current_irp_stack_location, io_mark_irp_pending,
                      io_set_completion_routine, io_skip_current_irp_stack_location,
                      ke_cancel_timer, ke_delay_execution_thread, ke_insert_queue_dpc,
                      ke_preemption_point,
                      ke_set_event, ke_set_importance_dpc, ke_set_target_processor_dpc,
                      ke_set_timer_ex, ke_wait_for_single_object)
from ..lang.ctype import LONGLONG
from .registry import block
from .runtime import STOP, Frame, ScenarioRuntimeError, run_steps
from .state import WAITABLE_OBJECTS, deref, fault, view_buffer

STATUS = {"$ref": "#/$defs/ntstatus"}
DURATION = {"$ref": "#/$defs/duration"}
ROUTINE = {"$ref": "#/$defs/routine"}
ROUTINE_REF = {"anyOf": [{"$ref": "#/$defs/identifier"}, ROUTINE],
               "description": "steps, or the name of a routine under routines:"}
NAME = {"$ref": "#/$defs/identifier"}
EXPR = {"$ref": "#/$defs/expression"}
COUNT = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF},
                   {"enum": ["length", "output_length", "input_length", "mdl_count",
                             "keep"]}, EXPR],
         "description": "bytes: a number, the request's length / output_length / "
                        "input_length, the MDL's byte count (MmGetMdlByteCount), keep "
                        "(leave IoStatus.Information as it is), or an expression"}
BYTE = {"type": "integer", "minimum": 0, "maximum": 255}


COUNT_WORDS = ("length", "output_length", "input_length", "mdl_count", "keep")


def count_param(cc: Any, value: Any, path: list) -> Any:
    """A COUNT parameter: a fixed number, one of COUNT_WORDS, or a compiled expression."""
    if isinstance(value, str) and value not in COUNT_WORDS:
        return cc.expr(value, path)
    return value


def _count(f: Frame, value: Any) -> int:
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return value.fn(f)          # a compiled expression
    if value == "keep":
        return f.irp.io_status.information
    if value == "mdl_count":
        return f.irp.mdl_address.byte_count if f.irp.mdl_address is not None else 0
    params = io_get_current_irp_stack_location(f.irp).parameters
    return {"length": params.length, "output_length": params.output_buffer_length,
            "input_length": params.input_buffer_length}[value]


def complete_irp(f: Frame, status: int | None, information: Any, boost: int = 0
                 ) -> Generator[Any, Any, None]:
    """IoStatus + IoCompleteRequest; cancels a timeout_dpc timer armed for this IRP."""
    irp = f.irp
    if status is not None:
        irp.io_status.status = status
    irp.io_status.information = _count(f, information)
    timer = f.model.timeouts.pop(irp.id, None)
    if timer is not None:
        ke_cancel_timer(timer)
    final = irp.io_status.status
    yield from io_complete_request(irp, boost)
    f.result = final      # the routine returns what it completed with (also after forward)


@block("complete", bare=True, summary="Set IoStatus and call IoCompleteRequest; the routine "
       "then returns that status unless told otherwise.",
       params={"type": "object", "additionalProperties": False, "properties": {
           "status": {"anyOf": [STATUS, {"const": "keep"}]}, "information": COUNT,
           "boost": {"type": "integer", "minimum": 0, "maximum": 127}}},
       models=("IoCompleteRequest",))
def _complete(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    raw = params.get("status", "STATUS_SUCCESS")
    status = None if raw == "keep" else cc.status(raw, path + ["status"])
    information = count_param(cc, params.get("information", 0 if raw != "keep" else "keep"),
                              path + ["information"])
    boost = params.get("boost", 0)

    def step(f: Frame) -> Generator[Any, Any, None]:
        yield from complete_irp(f, status, information, boost)
    return step


@block("return", summary="Return from the routine with this status (dispatch: what "
       "IoCallDriver returns; completion: STATUS_MORE_PROCESSING_REQUIRED stops the walk). "
       "'lower' = what the forwarded call returned, 'irp' = IoStatus.Status; bare in a VOID "
       "routine (StartIo, cancel, DPC) or to keep the status already decided.",
       params={"anyOf": [STATUS, {"enum": ["lower", "irp", "TRUE", "FALSE"]},
                         {"type": "boolean"}]}, bare=True,
       models=())
def _return(params: Any, cc: Any, path: list) -> Any:
    if params is None:
        def step(f: Frame) -> Generator[Any, Any, Any]:
            return STOP
            yield
        return step
    if isinstance(params, bool) or params in ("TRUE", "FALSE"):
        # a BOOLEAN routine: an ISR, a SynchCritSection (YAML reads TRUE as a boolean)
        value = int(params is True or params == "TRUE")

        def step(f: Frame) -> Generator[Any, Any, Any]:
            f.result = value
            return STOP
            yield
        return step
    if params in ("lower", "irp"):
        def step(f: Frame) -> Generator[Any, Any, Any]:
            f.result = f.lower_status if params == "lower" else f.irp.io_status.status
            return STOP
            yield
        return step
    status = cc.status(params, path)

    def return_status(f: Frame) -> Generator[Any, Any, Any]:
        f.result = status
        return STOP
        yield
    return return_status


@block("log", summary="KdPrint a line (nothing in a free build). {fields} are filled in: "
       "length, major, status, pending_returned, mdl_va, system_address, user_buffer, irql, ...",
       params={"type": "string"}, max_irql="DISPATCH_LEVEL", models=("DbgPrint",))
def _log(params: str, cc: Any, path: list) -> Any:
    render = cc.template(params, path)
    if cc.spec.get("build") == "free":          # KdPrint((...)) is compiled only with DBG
        def nothing(f: Frame) -> Generator[Any, Any, None]:
            return None
            yield
        return nothing

    def step(f: Frame) -> Generator[Any, Any, None]:
        dbg_print(f.kernel, render(f))
        return None
        yield
    return step


@block("dbg_print", summary="DbgPrint a line: printed in a checked and a free build alike.",
       params={"type": "string"}, max_irql="DISPATCH_LEVEL", models=("DbgPrint",))
def _dbg_print(params: str, cc: Any, path: list) -> Any:
    render = cc.template(params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        dbg_print(f.kernel, render(f))
        return None
        yield
    return step


@block("pend", bare=True, summary="IoMarkIrpPending, keep the IRP in a driver queue, and "
       "return STATUS_PENDING. mark: false is the book's pitfall (no IoMarkIrpPending).",
       params={"type": "object", "additionalProperties": False, "properties": {
           "mark": {"type": "boolean"},
           "queue": {"anyOf": [NAME, {"type": "null"}],
                     "description": "driver list to keep the IRP in (null: keep it nowhere, "
                                    "e.g. owned only through its cancel routine)"}}},
       models=("IoMarkIrpPending",))
def _pend(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    mark = params.get("mark", True)
    queue = params.get("queue", "pending")
    pending = None if queue is None else cc.list(queue, "produce", path + ["queue"])

    def step(f: Frame) -> Generator[Any, Any, None]:
        if mark:
            io_mark_irp_pending(f.irp)
        if pending is not None:
            pending(f).insert(0, f.irp)     # InsertHeadList, as the book does
        f.result = NTSTATUS.STATUS_PENDING
        return None
        yield
    return step


@block("forward", summary="Pass the IRP to the device below: skip (default) or copy the "
       "stack location, optionally with a completion routine, then IoCallDriver.",
       params={"type": "object", "additionalProperties": False, "properties": {
           "copy_stack": {"type": "boolean"}, "completion": ROUTINE_REF,
           "invoke": {"type": "array", "items": {"enum": ["success", "error", "cancel"]},
                      "uniqueItems": True}}},
       bare=True,
       models=("IoSkipCurrentIrpStackLocation", "IoCopyCurrentIrpStackLocationToNext",
               "IoSetCompletionRoutine", "IoCallDriver"))
def _forward(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    copy = params.get("copy_stack", False) or "completion" in params
    routine = None
    if "completion" in params:
        routine = cc.routine(params["completion"], "completion",
                             f"{cc.name}.completion", path + ["completion"])
    invoke = set(params.get("invoke", ["success", "error", "cancel"]))

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        if copy:
            io_copy_current_irp_stack_location_to_next(irp)
            if routine is not None:
                io_set_completion_routine(irp, routine.bind(f.model), None, "success" in invoke,
                                          "error" in invoke, "cancel" in invoke)
        else:
            io_skip_current_irp_stack_location(irp)
        status = yield from io_call_driver(f.lower_device(), irp)
        f.lower_status = status
        f.result = status
        f.irp = irp   # (the IRP may be gone: touching it now is the caller's bug)
    return step


@block("propagate_pending", bare=True, summary="In a completion routine: if "
       "Irp->PendingReturned, IoMarkIrpPending (io-core §4.4).", params=None,
       models=("IoMarkIrpPending",))
def _propagate(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        if f.irp.pending_returned:
            io_mark_irp_pending(f.irp)
        return None
        yield
    return step


def _conditional(test: Any) -> Any:
    def compile_(params: Any, cc: Any, path: list) -> Any:
        steps = cc.steps(params, path)

        def step(f: Frame) -> Generator[Any, Any, Any]:
            if test(f):
                return (yield from run_steps(steps, f))
            return None
        return step
    return compile_


block("if_pending", summary="Run these steps when the forwarded IoCallDriver returned "
      "STATUS_PENDING.", params=ROUTINE)(
    _conditional(lambda f: f.lower_status == NTSTATUS.STATUS_PENDING))
block("if_pending_returned", summary="Run these steps when Irp->PendingReturned is TRUE "
      "(in a completion routine).", params=ROUTINE)(
    _conditional(lambda f: f.irp.pending_returned))


#: object kind (as declared under state:) -> the model classes a pointer to it may name
OBJECT_CLASSES: dict[str, tuple[type, ...]] = {
    "KEVENT": (KEvent,), "KSEMAPHORE": (KSemaphore,), "KMUTEX": (KMutant,),
    "KTIMER": (KTimer,), "FAST_MUTEX": (FastMutex,), "KGUARDED_MUTEX": (GuardedMutex,),
    "KSPIN_LOCK": (KSpinLock,), "IO_REMOVE_LOCK": (IoRemoveLock,),
    "DISPATCHER": (DispatcherObject,)}


def object_ref(cc: Any, value: Any, kind: str, path: list) -> Callable[[Frame], Any]:
    """The kernel object a block names, as C code reaches it: a variable declared as that
    object (``&kEvent``), ``Context`` (the routine's context argument), or an expression
    whose value is its address (a PKEVENT from IoCreateNotificationEvent, a PKTHREAD
    from ObReferenceObjectByHandle, ``Pointer_Array[1]``). A pointer that names no such
    object - NULL, garbage, another kind - faults as the CPU would."""
    classes = OBJECT_CLASSES[kind]
    kinds = WAITABLE_OBJECTS if kind == "DISPATCHER" else (kind,)
    if value == "Context":
        def context(f: Frame) -> Any:
            target = f.context
            if isinstance(target, int):
                target = f.kernel.objects.at(target)
            if not isinstance(target, classes):
                fault(f, f.context if isinstance(f.context, int) else 0, False)
            return target
        return context
    var = cc.source.names.state.get(value) if isinstance(value, str) else None
    if var is not None and var.object is not None:
        if var.object not in kinds:
            cc.report(path, f"{value} is a {var.object}, not a {' or '.join(kinds)}")
            return lambda f: None
        store = cc.source.names.store_of(var)
        return lambda f: store(f)[value]
    pointer = cc.expr(value, path).fn

    def pointee(f: Frame) -> Any:
        address = pointer(f)
        target = f.kernel.objects.at(address)
        if not isinstance(target, classes):
            fault(f, address, False)
        return target
    return pointee


def event_ref(cc: Any, name: str, role: str, path: list) -> Any:
    """The KEVENT a block names: see :func:`object_ref` (a local KEVENT is fresh on every
    call); an identifier nothing declares is a driver-wide named event made on first use
    (notification type)."""
    names = cc.source.names
    if name == "Context" or name in names.state or not _IDENTIFIER.fullmatch(name) \
            or name in names.constants:
        return object_ref(cc, name, "KEVENT", path)
    cc.use("event", name, role, path)
    return lambda f: f.model.event(name)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@block("signal", summary="KeSetEvent on an event: a KEVENT variable, Context, a pointer, or a "
       "driver event (created on first use, notification type); wait: true is "
       "KeSetEvent(..., TRUE): back at DISPATCH_LEVEL until the next wait (sync-objects 3.2).",
       params={"anyOf": [NAME, {"type": "object", "required": ["event"],
                                "additionalProperties": False,
                                "properties": {"event": NAME, "wait": {"type": "boolean"},
                                               "previous": {"type": "string"}}}]},
       models=("KeSetEvent",))
def _signal(params: Any, cc: Any, path: list) -> Any:
    params = {"event": params} if isinstance(params, str) else params
    event = event_ref(cc, params["event"], "produce", path)
    wait = params.get("wait", False)
    previous = cc.lvalue(params["previous"], path + ["previous"]) if "previous" in params \
        else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        before = ke_set_event(event(f), 0, wait)
        if previous is not None:
            previous[1](f, before)
        return None
        yield
    return step


@block("wait", summary="KeWaitForSingleObject on an event (a KEVENT variable, Context, a "
       "driver event), on any dispatcher object (object: a KEVENT, KSEMAPHORE, KMUTEX or "
       "KTIMER variable, Context, or a pointer such as a PKTHREAD) or on a file object's "
       "Event (file_object), optionally with a timeout; 'status' gets what the wait "
       "returned (STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_ABANDONED).",
       params={"anyOf": [NAME, {"type": "object", "additionalProperties": False,
                                "properties": {"event": NAME, "object": EXPR,
                                               "file_object": EXPR,
                                               "timeout": DURATION,
                                               "timeout_100ns": dict(EXPR, description=(
                                                   "the Timeout argument itself, in 100 ns "
                                                   "(negative: relative), e.g. "
                                                   "-10000 * Milliseconds")),
                                               "status": {"type": "string"}}}]},
       max_irql="DISPATCH_LEVEL", models=("KeWaitForSingleObject",))
def _wait(params: Any, cc: Any, path: list) -> Any:
    params = {"event": params} if isinstance(params, str) else params
    timeout = None
    timeout_expr = None
    if "timeout" in params:
        timeout = -cc.duration(params["timeout"], path + ["timeout"])
    elif "timeout_100ns" in params:
        timeout_expr = cc.expr(params["timeout_100ns"], path + ["timeout_100ns"]).fn
        timeout = 0     # (a timed wait: not "consumed" for the misspelling check)
    if sum(key in params for key in ("event", "object", "file_object")) > 1:
        cc.report(path, "wait on one of event, object or file_object")
    if "object" in params:
        event = object_ref(cc, params["object"], "DISPATCHER", path + ["object"])
    elif "file_object" in params:
        pointer = cc.expr(params["file_object"], path + ["file_object"])

        def event(f: Frame) -> Any:          # &FileObject->Event
            return deref(f, pointer.fn(f), "FileObject").event
    elif "event" in params:
        # a wait with a timeout may be a deliberate sleep on an idle event
        event = event_ref(cc, params["event"], "consume" if timeout is None else "sleep",
                          path)
    else:
        cc.report(path, "wait needs an event, an object or a file_object")
        return lambda f: iter(())
    status = cc.lvalue(params["status"], path + ["status"]) if "status" in params else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        result = yield from ke_wait_for_single_object(
            event(f), timeout=timeout if timeout_expr is None else timeout_expr(f))
        f.vars["wait_status"] = result
        if status is not None:
            status[1](f, result)
    return step


def _timer_ref(cc: Any, name: str, role: str, path: list) -> Callable[[Frame], Any]:
    """A KTIMER variable (state:, extension:, locals:), else a driver-wide named timer."""
    var = cc.source.names.state.get(name)
    if var is not None:
        return object_ref(cc, name, "KTIMER", path)
    cc.use("timer", name, role, path)
    return lambda f: f.model.timer(name)


@block("set_timer", summary="KeSetTimerEx on a KTIMER variable or a driver-wide named timer: "
       "a relative due time ('after') or DueTime itself (due_time_100ns), an optional "
       "period (ms) and a DPC routine that will see this IRP.",
       params={"type": "object", "additionalProperties": False,
               "properties": {"timer": NAME, "after": DURATION,
                              "due_time_100ns": dict(EXPR, description=(
                                  "KeSetTimerEx's DueTime itself, in its own unit (100 ns): "
                                  "negative is relative, positive an absolute system time; "
                                  "e.g. '-10 * input[0]' for microseconds from the app")),
                              "period_ms": dict(EXPR, description="Period in ms, "
                                                "KeSetTimerEx's own unit (0: one-shot)"),
                              "dpc": ROUTINE_REF}},
       models=("KeSetTimerEx", "KeInitializeDpc"))
def _set_timer(params: dict, cc: Any, path: list) -> Any:
    name = params.get("timer", "timer")
    timer_of = _timer_ref(cc, name, "produce", path)
    if ("after" in params) == ("due_time_100ns" in params):
        cc.report(path, "give the due time as exactly one of 'after' (a duration) or "
                  "'due_time_100ns' (an expression)")
    due = (cc.expr(params["due_time_100ns"], path + ["due_time_100ns"])
           if "due_time_100ns" in params else -cc.duration(params.get("after", "0s"),
                                                           path + ["after"]))
    period = cc.expr(params.get("period_ms", 0), path + ["period_ms"])
    routine = (cc.routine(params["dpc"], "dpc", f"{name}Dpc", path + ["dpc"])
               if "dpc" in params else None)
    def step(f: Frame) -> Generator[Any, Any, None]:
        timer = timer_of(f)
        dpc = None
        if routine is not None:
            dpc = driver_dpc(f, routine)
            f.model.vars[f"dpc_irp:{dpc.name}"] = f.irp   # the "currentPendingIRP" field
        ke_set_timer_ex(timer, due if isinstance(due, int) else LONGLONG.wrap(due.fn(f)),
                        period.fn(f), dpc)
        return None
        yield
    return step


@block("cancel_timer", summary="KeCancelTimer.", params=NAME, models=("KeCancelTimer",))
def _cancel_timer(params: str, cc: Any, path: list) -> Any:
    timer_of = _timer_ref(cc, params, "consume", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        f.vars["cancel_timer_result"] = ke_cancel_timer(timer_of(f))
        return None
        yield
    return step


def driver_dpc(f: Frame, routine: Any) -> KDpc:
    """The driver's one KDPC for a DPC routine (issue: a DPC declared once is one KDPC
    wherever it is queued or armed from, so KeInsertQueueDpc returns FALSE while it is
    queued), kept as a driver keeps its KDPC in its extension; DeferredContext is the
    device that first used it."""
    dpc = f.model.vars.get(routine)
    if dpc is None:
        dpc = f.model.vars[routine] = KDpc(f.kernel, routine.bind(f.model), f.device,
                                           routine.name)
    return dpc


@block("queue_dpc", summary="KeInsertQueueDpc for a named routine; {routine, target, "
       "importance} also KeSetTargetProcessorDpc (the CPU it runs on) and KeSetImportanceDpc.",
       params={"anyOf": [ROUTINE_REF, {"type": "object", "required": ["routine"],
                                       "additionalProperties": False,
                                       "properties": {"routine": ROUTINE_REF,
                                                      "target": {"type": "integer",
                                                                 "minimum": 0, "maximum": 63},
                                                      "importance": {"enum": [
                                                          "LowImportance", "MediumImportance",
                                                          "HighImportance"]}}}]},
       models=("KeInsertQueueDpc", "KeSetTargetProcessorDpc", "KeSetImportanceDpc"))
def _queue_dpc(params: Any, cc: Any, path: list) -> Any:
    options = params if isinstance(params, dict) else {}
    if options:
        params, path = options["routine"], path + ["routine"]
    routine = cc.routine(params, "dpc", "Dpc", path)
    target = options.get("target")
    importance = {"LowImportance": 0, "MediumImportance": 1,
                  "HighImportance": 2}.get(options.get("importance", "MediumImportance"))
    assert importance is not None      # the schema's enum

    def step(f: Frame) -> Generator[Any, Any, None]:
        dpc = driver_dpc(f, routine)
        if target is not None:
            ke_set_target_processor_dpc(dpc, target)
        ke_set_importance_dpc(dpc, importance)
        f.model.vars[f"dpc_irp:{dpc.name}"] = f.irp
        if f.kernel.chooser is not None:        # before the insert (ke/schedule.py)
            yield from ke_preemption_point(f.kernel, "KeInsertQueueDpc")
        ke_insert_queue_dpc(dpc)
    return step


@block("create_devices", bare=True, summary="In driver_entry: create the driver's devices "
       "(IoCreateDevice, IoCreateSymbolicLink; for attach_to: IoGetDeviceObjectPointer, "
       "IoAttachDeviceToDeviceStack, ObDereferenceObject) at this point. Without it they are "
       "created before driver_entry runs.", params=None, max_irql="PASSIVE_LEVEL",
       models=("IoCreateDevice", "IoCreateSymbolicLink", "IoGetDeviceObjectPointer",
               "IoAttachDeviceToDeviceStack"))
def _create_devices(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        if f.model.create_devices is None:
            raise ScenarioRuntimeError(f"{cc.where(path)}: create_devices is only for "
                                       "driver_entry")
        devices = yield from f.model.create_devices()
        if f.device is None and devices:
            f.device = devices[0]
    return step


@block("delay", summary="KeDelayExecutionThread(KernelMode, FALSE, &Interval) for a "
       "relative duration, or Interval itself (interval_100ns: negative relative, positive "
       "an absolute system time); ends at a clock tick (sync-objects 4.5). 'status' gets "
       "what it returned.",
       params={"anyOf": [DURATION, {"type": "object", "additionalProperties": False,
                                    "required": ["interval_100ns"],
                                    "properties": {"interval_100ns": EXPR,
                                                   "status": {"type": "string"}}}]},
       max_irql="APC_LEVEL", models=("KeDelayExecutionThread",))
def _delay(params: Any, cc: Any, path: list) -> Any:
    if isinstance(params, dict):
        interval = cc.expr(params["interval_100ns"], path + ["interval_100ns"]).fn
        status = cc.lvalue(params["status"], path + ["status"]) if "status" in params else None
    else:
        fixed = -cc.duration(params, path)
        interval, status = (lambda f: fixed), None

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = LONGLONG.wrap(interval(f))
        hooks = f.kernel.hooks
        hooks.service_call("KeDelayExecutionThread", {"interval_100ns": value})
        result = yield from ke_delay_execution_thread(f.kernel, 0, False, value)
        hooks.service_return("KeDelayExecutionThread", {"status": result})
        if status is not None:
            status[1](f, result)
    return step


def data_buffer(f: Frame, which: str = "auto", write: bool = True) -> Any:
    """The buffer a driver writes a request's data to, by I/O method (kernel-env §8).

    None of them (a zero-length request, an IOCTL without output) is a NULL pointer:
    touching it faults as the CPU would (see ``state.fault``).
    """
    irp = f.irp
    if which == "mdl_va":                       # the user VA itself (book #46 DriverA)
        buffer = irp.mdl_address.buffer if irp.mdl_address is not None else None
    else:
        buffer = view_buffer(f, which)
    if buffer is None:
        fault(f, 0, write)
    return buffer


@block("fill", summary="Fill the request's data buffer (SystemBuffer, the MDL's system "
       "mapping, or the user buffer, by I/O method) with a byte.",
       params={"type": "object", "required": ["byte"], "additionalProperties": False,
               "properties": {"byte": {"anyOf": [BYTE, EXPR]}, "length": COUNT,
                              "buffer": {"enum": ["auto", "system", "mdl", "mdl_va", "user"]}}},
       models=("RtlFillMemory", "MmGetSystemAddressForMdlSafe"))
def _fill(params: dict, cc: Any, path: list) -> Any:
    value = cc.expr(params["byte"], path + ["byte"])
    length = count_param(cc, params.get("length", "length"), path + ["length"])
    which = params.get("buffer", "auto")

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = data_buffer(f, which)
        if which == "mdl_va" or (target is not None and target is f.irp.user_buffer):
            require_user_context(f)
        target.fill(value.fn(f) & 0xFF, _count(f, length))
        return None
        yield
    return step


def require_user_context(f: Frame) -> None:
    """A raw user pointer (Irp->UserBuffer, an MDL's user VA) is only valid in the
    requesting thread below DISPATCH_LEVEL, not from a DPC or StartIo (kernel-env §12.30)."""
    kernel = f.kernel
    if (kernel.cpu.context not in ("thread", "completion") or kernel.cpu.irql >= DISPATCH_LEVEL
            or kernel.current_thread is not f.irp.thread):
        raise NotModelledError("user-buffer access outside the requesting thread",
                               "the pointer would refer to another address space")


@block("log_bytes", summary="KdPrint each byte of the request's input, one line per byte "
       "(format: a log template with the field {byte}; default '{byte:X}').",
       params={"type": "object", "additionalProperties": False, "properties": {
           "format": {"type": "string"}}},
       bare=True, models=("DbgPrint",))
def _log_bytes(params: dict | None, cc: Any, path: list) -> Any:
    render = cc.template((params or {}).get("format", "{byte:X}"), path + ["format"],
                         extra=("byte",))

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        p = io_get_current_irp_stack_location(irp).parameters
        source = irp.system_buffer if irp.system_buffer is not None else p.type3_input_buffer
        if source is None and p.input_buffer_length:
            fault(f, 0, False)                    # reading through a NULL input pointer
        for byte in source.read(0, p.input_buffer_length) if source is not None else ():
            dbg_print(f.kernel, render(f, byte=byte))
        return None
        yield
    return step


@block("complete_queued", summary="Complete every IRP kept by 'pend' in a queue (newest "
       "first, as RemoveHeadList after InsertHeadList).",
       params={"type": "object", "additionalProperties": False, "properties": {
           "queue": NAME, "status": STATUS, "information": EXPR,
           "order": {"enum": ["lifo", "fifo"]}}},
       bare=True, models=("IoCompleteRequest",))
def _complete_queued(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    pending = cc.list(params.get("queue", "pending"), "consume", path + ["queue"])
    status = cc.status(params.get("status", "STATUS_SUCCESS"), path)
    info = cc.expr(params.get("information", 0), path + ["information"])
    fifo = params.get("order", "lifo") == "fifo"

    def step(f: Frame) -> Generator[Any, Any, None]:
        yield from complete_all(pending(f), status, info.fn(f), fifo)
    return step


def complete_all(pending: list[Any], status: int, information: int = 0, fifo: bool = False
                 ) -> Generator[Any, Any, None]:
    """Complete every queued IRP; ``pend`` inserts at the head, so LIFO pops the head
    (RemoveHeadList after InsertHeadList, as the book's cleanup loop)."""
    while pending:
        irp = pending.pop() if fifo else pending.pop(0)
        irp.io_status.status, irp.io_status.information = status, information
        yield from io_complete_request(irp)


@block("call", summary="Run a named routine of this driver here, as a subroutine: a "
       "`return` in it ends it and comes back here (what it returned is the status the "
       "caller goes on with).",
       params=NAME, models=())
def _call(params: str, cc: Any, path: list) -> Any:
    routine = cc.named(params, "call", path)

    def step(f: Frame) -> Generator[Any, Any, Any]:
        # A subroutine call uses the same kernel stack as nested IoCallDriver levels.
        thread = f.kernel.cpu.thread
        thread.call_depth += 1
        if thread.call_depth > KERNEL_STACK_CALL_LEVELS:
            f.kernel.stack_overflow(thread)
        # The callee gets the caller's IRP as its argument: what it does to its own Irp
        # (remove_device_queue) stays its own, as a C parameter; faults name the callee.
        caller, irp, f.routine = f.routine, f.irp, routine
        yield from run_steps(routine.steps, f)    # a `return` in it returns to the caller
        f.routine, f.irp = caller, irp
        thread.call_depth -= 1
        return None
    return step


@block("set_status", summary="Set Irp->IoStatus without completing the IRP.",
       params={"type": "object", "additionalProperties": False, "properties": {
           "status": STATUS, "information": COUNT}},
       models=())
def _set_status(params: dict, cc: Any, path: list) -> Any:
    status = cc.status(params["status"], path) if "status" in params else None
    # an expression too, e.g. "Irp->IoStatus.Information | PNP_DEVICE_FAILED"
    info = count_param(cc, params["information"], path + ["information"]) \
        if "information" in params else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        if status is not None:
            f.irp.io_status.status = status
        if info is not None:
            f.irp.io_status.information = _count(f, info)
        return None
        yield
    return step


@block("by_ioctl", summary="Dispatch on the IOCTL code: {IOCTL_NAME: steps, ..., default: "
       "steps}. Codes are names from constants: or numbers.",
       params={"type": "object", "minProperties": 1,
               "additionalProperties": {"$ref": "#/$defs/routine"}},
       models=("IoGetCurrentIrpStackLocation",))
def _by_ioctl(params: dict, cc: Any, path: list) -> Any:
    table = {}
    default = None
    for key, routine in params.items():
        steps = cc.steps(routine, path + [key])
        if key == "default":
            default = steps
        else:
            table[cc.constant(key, path + [key])] = steps

    def step(f: Frame) -> Generator[Any, Any, Any]:
        code = io_get_current_irp_stack_location(f.irp).parameters.io_control_code
        steps = table.get(code, default)
        if steps is None:
            yield from complete_irp(f, NTSTATUS.STATUS_INVALID_DEVICE_REQUEST, 0)
            return None
        return (yield from run_steps(steps, f))
    return step


@block("assert_irql", summary="Bug-check like ASSERT/PAGED_CODE in a checked build if the "
       "current IRQL is above the given one.",
       params={"enum": ["PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL"]}, models=("PAGED_CODE",))
def _assert_irql(params: str, cc: Any, path: list) -> Any:
    limit = IRQL[params]

    def step(f: Frame) -> Generator[Any, Any, None]:
        irql = f.kernel.cpu.irql
        if irql > limit:
            code = (BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL if irql >= DISPATCH_LEVEL
                    else BugCheckCode.IRQL_NOT_LESS_OR_EQUAL)
            # An instruction fetch from a paged-out page: P1 the address referenced and
            # P4 the instruction's, both the routine's here; P3 8 = execute.
            address = f.kernel.routine_address(f.routine)
            f.kernel.bug_check(code, address, irql, 8, address,
                               reason=f"code that must run at <= {params} ran at IRQL {irql}")
        return None
        yield
    return step
