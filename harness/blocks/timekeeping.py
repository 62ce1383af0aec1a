"""Blocks for time (book chapter 10): KeStallExecutionProcessor, the clocks, time
conversions, and executive timers by handle (sync-objects §4.6, §8)."""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (ex_system_time_to_local_time, io_initialize_timer, io_start_timer,
                      io_stop_timer, ke_query_interrupt_time,
                      ke_query_performance_counter, ke_query_system_time, ke_query_tick_count,
                      ke_query_time_increment, ke_stall_execution_processor,
                      rtl_time_fields_to_time, rtl_time_to_time_fields, zw_cancel_timer,
                      zw_create_timer, zw_set_timer)
from ..kernel.ex.time import TIME_FIELDS
from ..lang.ctype import LONG, LONGLONG
from .actions import EXPR, ROUTINE_REF
from .driver_io import FLAGS, LVALUE, TEXT, _out, _struct_var, _value
from .registry import block
from .runtime import Frame
from .sync import REF, _context, _report, _returned


# -- time ---------------------------------------------------------------------------------

@block("stall", summary="KeStallExecutionProcessor(microseconds): busy-wait on this CPU at "
       "the current IRQL (any IRQL); nothing else runs on the CPU meanwhile.",
       params=EXPR, max_irql="DISPATCH_LEVEL", models=("KeStallExecutionProcessor",))
def _stall(params: Any, cc: Any, path: list) -> Any:
    microseconds = cc.expr(params, path).fn

    def step(f: Frame) -> Generator[Any, Any, None]:
        yield from ke_stall_execution_processor(f.kernel, microseconds(f) & 0xFFFFFFFF)
    return step


def _query(name: str, api: str, read: Callable[[Any], int], summary: str) -> None:
    @block(name, summary=summary, params=LVALUE, models=(api,), max_irql="DISPATCH_LEVEL")
    def compile_(params: str, cc: Any, path: list) -> Any:
        target = _out(cc, {"into": params}, "into", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            target(f, read(f.kernel))
            return None
            yield
        return step


_query("query_system_time", "KeQuerySystemTime", ke_query_system_time,
       "KeQuerySystemTime(&t): UTC in 100 ns since 1601, as of the last clock tick.")
_query("query_tick_count", "KeQueryTickCount", ke_query_tick_count,
       "KeQueryTickCount(&n): clock ticks since boot.")
_query("query_time_increment", "KeQueryTimeIncrement", ke_query_time_increment,
       "KeQueryTimeIncrement(): the clock tick in 100 ns.")
_query("query_interrupt_time", "KeQueryInterruptTime", ke_query_interrupt_time,
       "KeQueryInterruptTime(): 100 ns since boot, as of the last clock tick.")


@block("query_performance_counter", summary="KeQueryPerformanceCounter(&frequency): the "
       "count now and its frequency (3,579,545 Hz).",
       params={"type": "object", "additionalProperties": False,
               "properties": {"count": LVALUE, "frequency": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("KeQueryPerformanceCounter",))
def _performance_counter(params: dict, cc: Any, path: list) -> Any:
    count, frequency = _out(cc, params, "count", path), _out(cc, params, "frequency", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value, hz = ke_query_performance_counter(f.kernel)
        count(f, value)
        frequency(f, hz)
        return None
        yield
    return step


@block("system_time_to_local_time", summary="ExSystemTimeToLocalTime(&system, &local) with "
       "the machine's time zone (machine.timezone).",
       params={"type": "object", "required": ["system_time", "local_time"],
               "additionalProperties": False,
               "properties": {"system_time": EXPR, "local_time": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("ExSystemTimeToLocalTime",))
def _to_local_time(params: dict, cc: Any, path: list) -> Any:
    system = _value(cc, params, "system_time", path)
    local = _out(cc, params, "local_time", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        local(f, ex_system_time_to_local_time(f.kernel, system(f)))
        return None
        yield
    return step


@block("time_to_time_fields", summary="RtlTimeToTimeFields(&time, &fields) into a "
       "TIME_FIELDS variable: Year..Milliseconds, Weekday 0 = Sunday.",
       params={"type": "object", "required": ["time", "fields"], "additionalProperties": False,
               "properties": {"time": EXPR, "fields": {"$ref": "#/$defs/identifier"}}},
       max_irql="DISPATCH_LEVEL", models=("RtlTimeToTimeFields",))
def _time_fields(params: dict, cc: Any, path: list) -> Any:
    time = _value(cc, params, "time", path)
    memory = _struct_var(cc, params["fields"], "TIME_FIELDS", path + ["fields"])

    def step(f: Frame) -> Generator[Any, Any, None]:
        fields = rtl_time_to_time_fields(LONGLONG.wrap(time(f)))
        data = b"".join(fields[name].to_bytes(2, "little", signed=True) for name in TIME_FIELDS)
        memory(f).write(data)
        return None
        yield
    return step


@block("time_fields_to_time", summary="RtlTimeFieldsToTime(&fields, &time) from a TIME_FIELDS "
       "variable: 'result' TRUE and the time, or FALSE (time untouched) for a field out of "
       "range; Weekday is ignored.",
       params={"type": "object", "required": ["fields", "time"], "additionalProperties": False,
               "properties": {"fields": {"$ref": "#/$defs/identifier"}, "time": LVALUE,
                              "result": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("RtlTimeFieldsToTime",))
def _fields_time(params: dict, cc: Any, path: list) -> Any:
    memory = _struct_var(cc, params["fields"], "TIME_FIELDS", path + ["fields"])
    time_out, result = _out(cc, params, "time", path), _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        data = memory(f).read(0, 16)
        fields = {name: int.from_bytes(data[2 * i:2 * i + 2], "little", signed=True)
                  for i, name in enumerate(TIME_FIELDS)}
        value = rtl_time_fields_to_time(fields)
        if value is not None:
            time_out(f, value)
        result(f, int(value is not None))
        return None
        yield
    return step


# -- the I/O timer -----------------------------------------------------------------------------

@block("io_initialize_timer", summary="IoInitializeTimer(DeviceObject, routine, NULL): the "
       "device's IoTimer, disabled; its routine runs once a second at DISPATCH_LEVEL while "
       "started (pnp-hardware §6).", params=ROUTINE_REF, max_irql="PASSIVE_LEVEL",
       models=("IoInitializeTimer",))
def _io_initialize_timer(params: Any, cc: Any, path: list) -> Any:
    routine = cc.routine(params, "io_timer", "OnTimer", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "IoInitializeTimer", {"routine": routine.name})
        io_initialize_timer(f.device, routine.bind(f.model), None)
        return None
        yield
    return step


@block("io_start_timer", bare=True, summary="IoStartTimer(DeviceObject): the routine runs at "
       "the next whole second since boot, then every second.", params=None,
       models=("IoStartTimer",))
def _io_start_timer(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "IoStartTimer", {"device": f.device.label})
        io_start_timer(f.device)
        return None
        yield
    return step


@block("io_stop_timer", bare=True, summary="IoStopTimer(DeviceObject): no further calls.",
       params=None, models=("IoStopTimer",))
def _io_stop_timer(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "IoStopTimer", {"device": f.device.label})
        io_stop_timer(f.device)
        return None
        yield
    return step


# -- executive timers ------------------------------------------------------------------------

@block("zw_create_timer", summary="ZwCreateTimer(&handle, access, attributes+name, type): an "
       "executive timer, not set; wait on it with zw_wait_for_single_object.",
       params={"type": "object", "required": ["handle"], "additionalProperties": False,
               "properties": {"name": TEXT, "access": FLAGS, "attributes": FLAGS,
                              "type": {"enum": ["NotificationTimer", "SynchronizationTimer"]},
                              "handle": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwCreateTimer",))
def _zw_create_timer(params: dict, cc: Any, path: list) -> Any:
    access, attributes = _value(cc, params, "access", path), _value(cc, params, "attributes",
                                                                     path)
    timer_type = int(params.get("type") == "SynchronizationTimer")
    handle_out, status_out = _out(cc, params, "handle", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        status, handle, _timer = zw_create_timer(f.kernel, access(f), params.get("name"),
                                                 attributes(f), timer_type)
        if handle:
            handle_out(f, handle)
        status_out(f, status)
        _returned(f, "ZwCreateTimer", status=status, handle=handle)
        return None
        yield
    return step


@block("zw_set_timer", summary="ZwSetTimer(handle, &DueTime, apc, apc_context, FALSE, "
       "period_ms, &previous): the apc routine runs as a normal kernel APC in the calling "
       "thread at each expiry; 'previous' gets the signal state before.",
       params={"type": "object", "required": ["handle", "due_time_100ns"],
               "additionalProperties": False,
               "properties": {"handle": EXPR, "due_time_100ns": EXPR, "apc": ROUTINE_REF,
                              "apc_context": REF, "period_ms": EXPR, "previous": LVALUE,
                              "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwSetTimer",))
def _zw_set_timer(params: dict, cc: Any, path: list) -> Any:
    handle, due = _value(cc, params, "handle", path), _value(cc, params, "due_time_100ns", path)
    period = _value(cc, params, "period_ms", path)
    routine = (cc.routine(params["apc"], "apc", f"{cc.name}.TimerApc", path + ["apc"])
               if "apc" in params else None)
    context = _context(cc, {"context": params["apc_context"]} if "apc_context" in params
                       else {}, path)
    previous, status_out = _out(cc, params, "previous", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = handle(f) & 0xFFFFFFFF
        _report(f, "ZwSetTimer", {"handle": value, "due_time_100ns": LONGLONG.wrap(due(f))})
        apc = routine.bind(f.model) if routine is not None else None
        status, before = zw_set_timer(f.kernel, value, LONGLONG.wrap(due(f)), apc, context(f),
                                      LONG.wrap(period(f)))
        previous(f, before)
        status_out(f, status)
        _returned(f, "ZwSetTimer", status=status, previous=before)
        return None
        yield
    return step


@block("zw_cancel_timer", summary="ZwCancelTimer(handle, &current): 'current' gets the signal "
       "state after the cancel (TRUE if it had expired), not whether it was pending.",
       params={"type": "object", "required": ["handle"], "additionalProperties": False,
               "properties": {"handle": EXPR, "current": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwCancelTimer",))
def _zw_cancel_timer(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    current, status_out = _out(cc, params, "current", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        status, state = zw_cancel_timer(f.kernel, handle(f) & 0xFFFFFFFF)
        current(f, state)
        status_out(f, status)
        _returned(f, "ZwCancelTimer", status=status, current=state)
        return None
        yield
    return step
