"""Blocks for system threads, processes and priorities (book §8.5.2): PsCreateSystemThread,
PsTerminateSystemThread, PsGetCurrentProcess, KeSetPriorityThread (sync-objects §4)."""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (NT_CURRENT_PROCESS, OBJ_KERNEL_HANDLE, ke_query_priority_thread,
                      ke_set_base_priority_thread, ke_set_priority_thread,
                      ps_create_system_thread, ps_get_current_process,
                      ps_get_process_image_file_name, ps_terminate_system_thread)
from ..lang.ctype import LONG
from .actions import EXPR, ROUTINE_REF, STATUS
from .driver_io import FLAGS, LVALUE, _out, _value
from .registry import block
from .runtime import Frame
from .sync import REF, _context, _report, _returned, object_pointer


# -- system threads -----------------------------------------------------------------------

@block("create_system_thread", summary="PsCreateSystemThread(&handle, 0, NULL, process, NULL, "
       "routine, context): process NULL = the System process, NtCurrentProcess = the "
       "caller's; the handle goes to the caller's process unless OBJ_KERNEL_HANDLE is in "
       "attributes (XP). The thread is readied; the caller runs on until it waits.",
       params={"type": "object", "required": ["routine"], "additionalProperties": False,
               "properties": {"routine": ROUTINE_REF, "context": REF,
                              "process": {"enum": ["NULL", "NtCurrentProcess"]},
                              "attributes": FLAGS, "handle": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("PsCreateSystemThread",))
def _create_system_thread(params: dict, cc: Any, path: list) -> Any:
    routine = cc.routine(params["routine"], "start_routine", "SystemThread",
                         path + ["routine"])
    context = _context(cc, params, path)
    process = NT_CURRENT_PROCESS if params.get("process") == "NtCurrentProcess" else 0
    attributes = _value(cc, params, "attributes", path)
    handle_out, status_out = _out(cc, params, "handle", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "PsCreateSystemThread", {"routine": routine.name,
                                            "process": params.get("process", "NULL")})
        status, handle = ps_create_system_thread(
            f.kernel, routine.bind(f.model), context(f), process,
            bool(attributes(f) & OBJ_KERNEL_HANDLE), routine.name)
        if handle:
            handle_out(f, handle)
        status_out(f, status)
        return None
        yield
    return step


@block("terminate_system_thread", summary="PsTerminateSystemThread(status): ends the calling "
       "system thread here; from a thread that is not one it returns "
       "STATUS_INVALID_PARAMETER (into 'result') and nothing ends (sync-objects 4.3).",
       params={"anyOf": [STATUS, {"type": "object", "additionalProperties": False,
                                  "properties": {"status": STATUS, "result": LVALUE}}]},
       bare=True, max_irql="PASSIVE_LEVEL", models=("PsTerminateSystemThread",))
def _terminate_system_thread(params: Any, cc: Any, path: list) -> Any:
    params = params if isinstance(params, dict) else {"status": params or "STATUS_SUCCESS"}
    status = cc.status(params.get("status", "STATUS_SUCCESS"), path + ["status"])
    result_out = _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "PsTerminateSystemThread", {"status": status})
        result = ps_terminate_system_thread(f.kernel, status)
        _returned(f, "PsTerminateSystemThread", status=result)
        result_out(f, result)
        return None
        yield
    return step


@block("get_current_process", summary="PsGetCurrentProcess(): the PEPROCESS of the process "
       "the calling thread belongs to.", params=LVALUE, models=("PsGetCurrentProcess",))
def _get_current_process(params: str, cc: Any, path: list) -> Any:
    target = _out(cc, {"into": params}, "into", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target(f, f.kernel.objects.address_of(ps_get_current_process(f.kernel)))
        return None
        yield
    return step


@block("get_process_image_file_name", summary="PsGetProcessImageFileName(process) copied into "
       "a CHAR array (the 15-character ImageFileName at EPROCESS+0x174 on XP, what the "
       "book's sample prints): 'System', 'test.exe'.",
       params={"type": "object", "required": ["process", "into"], "additionalProperties": False,
               "properties": {"process": EXPR, "into": {"$ref": "#/$defs/identifier"}}},
       models=("PsGetProcessImageFileName",))
def _get_process_image_file_name(params: dict, cc: Any, path: list) -> Any:
    process = object_pointer(cc, params["process"], "EProcess", path + ["process"])
    memory = cc.memory(params["into"], path + ["into"])

    def step(f: Frame) -> Generator[Any, Any, None]:
        name = ps_get_process_image_file_name(process(f)).encode("latin-1") + b"\0"
        buffer = memory(f)
        buffer.write(name[:buffer.length])
        return None
        yield
    return step


@block("get_current_thread", summary="KeGetCurrentThread() / PsGetCurrentThread(): the "
       "PKTHREAD of the calling thread.", params=LVALUE,
       models=("KeGetCurrentThread", "PsGetCurrentThread"))
def _get_current_thread(params: str, cc: Any, path: list) -> Any:
    target = _out(cc, {"into": params}, "into", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target(f, f.kernel.objects.address_of(f.kernel.current_thread))
        return None
        yield
    return step


@block("set_priority_thread", summary="KeSetPriorityThread(thread, priority) (or "
       "KeSetBasePriorityThread with 'increment'); 'previous' gets the old priority (the "
       "old increment). The model's scheduler does not use priorities.",
       params={"type": "object", "required": ["thread"], "additionalProperties": False,
               "properties": {"thread": EXPR, "priority": EXPR, "increment": EXPR,
                              "previous": LVALUE}},
       models=("KeSetPriorityThread", "KeSetBasePriorityThread"))
def _set_priority_thread(params: dict, cc: Any, path: list) -> Any:
    thread = object_pointer(cc, params["thread"], "KThread", path + ["thread"])
    if ("priority" in params) == ("increment" in params):
        cc.report(path, "give exactly one of priority (KeSetPriorityThread) or increment "
                  "(KeSetBasePriorityThread)")
    base = "increment" in params
    value = _value(cc, params, "increment" if base else "priority", path)
    previous = _out(cc, params, "previous", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        call = ke_set_base_priority_thread if base else ke_set_priority_thread
        previous(f, call(thread(f), LONG.wrap(value(f))))
        return None
        yield
    return step


@block("query_priority_thread", summary="KeQueryPriorityThread(thread) into a variable.",
       params={"type": "object", "required": ["thread", "into"], "additionalProperties": False,
               "properties": {"thread": EXPR, "into": LVALUE}},
       models=("KeQueryPriorityThread",))
def _query_priority_thread(params: dict, cc: Any, path: list) -> Any:
    thread = object_pointer(cc, params["thread"], "KThread", path + ["thread"])
    into = _out(cc, params, "into", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        into(f, ke_query_priority_thread(thread(f)))
        return None
        yield
    return step
