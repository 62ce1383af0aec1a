"""Blocks for named kernel objects and handles to them (book §8.5.4, §8.5.5):
IoCreateNotificationEvent, ZwCreateEvent and its kin, ZwDuplicateObject (sync-objects §7)."""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (NT_CURRENT_PROCESS, NotificationEvent, SynchronizationEvent,
                      io_create_event, zw_clear_event, zw_create_event, zw_duplicate_object,
                      zw_open_event, zw_set_event, zw_wait_for_single_object)
from ..lang.ctype import LONGLONG
from .actions import EXPR
from .driver_io import FLAGS, LVALUE, TEXT, _out, _value
from .registry import block
from .runtime import Frame
from .sync import _report, _returned


# -- named events and event handles ----------------------------------------------------------

def _io_create_event(name: str, api: str, event_type: int) -> None:
    @block(name, summary=f"{api}(name, &handle): the PKEVENT of \\BaseNamedObjects\\X (or any "
           "name), created SIGNALED if new, else the existing event unchanged; NULL on "
           "failure. A kernel handle; the pointer holds no reference of its own.",
           params={"type": "object", "required": ["name", "event"],
                   "additionalProperties": False,
                   "properties": {"name": TEXT, "event": LVALUE, "handle": LVALUE}},
           max_irql="PASSIVE_LEVEL", models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        event_out, handle_out = _out(cc, params, "event", path), _out(cc, params, "handle", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            _report(f, api, {"name": params["name"]})
            event, handle = io_create_event(f.kernel, params["name"], event_type)
            event_out(f, f.kernel.objects.address_of(event))
            handle_out(f, handle)
            _returned(f, api, event=event.name if event is not None else "NULL",
                      state=event.signal_state if event is not None else None)
            return None
            yield
        return step


_io_create_event("create_notification_event", "IoCreateNotificationEvent", NotificationEvent)
_io_create_event("create_synchronization_event", "IoCreateSynchronizationEvent",
                 SynchronizationEvent)


@block("zw_create_event", summary="ZwCreateEvent(&handle, access, attributes+name, type, "
       "initial_state): a name taken opens it with OBJ_OPENIF (STATUS_OBJECT_NAME_EXISTS) "
       "and fails STATUS_OBJECT_NAME_COLLISION without.",
       params={"type": "object", "required": ["handle"], "additionalProperties": False,
               "properties": {"name": TEXT, "access": FLAGS, "attributes": FLAGS,
                              "type": {"enum": ["NotificationEvent", "SynchronizationEvent"]},
                              "initial_state": EXPR, "handle": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwCreateEvent",))
def _zw_create_event(params: dict, cc: Any, path: list) -> Any:
    access, attributes = _value(cc, params, "access", path), _value(cc, params, "attributes",
                                                                     path)
    state = _value(cc, params, "initial_state", path)
    event_type = (SynchronizationEvent if params.get("type") == "SynchronizationEvent"
                  else NotificationEvent)
    handle_out, status_out = _out(cc, params, "handle", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "ZwCreateEvent", {"name": params.get("name")})
        status, handle, _event = zw_create_event(f.kernel, access(f), params.get("name"),
                                                 attributes(f), event_type, bool(state(f)))
        if handle:
            handle_out(f, handle)
        status_out(f, status)
        _returned(f, "ZwCreateEvent", status=status, handle=handle)
        return None
        yield
    return step


@block("zw_open_event", summary="ZwOpenEvent(&handle, access, attributes+name): an existing "
       "event (STATUS_OBJECT_NAME_NOT_FOUND otherwise).",
       params={"type": "object", "required": ["name", "handle"], "additionalProperties": False,
               "properties": {"name": TEXT, "access": FLAGS, "attributes": FLAGS,
                              "handle": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwOpenEvent",))
def _zw_open_event(params: dict, cc: Any, path: list) -> Any:
    access, attributes = _value(cc, params, "access", path), _value(cc, params, "attributes",
                                                                     path)
    handle_out, status_out = _out(cc, params, "handle", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        status, handle, _event = zw_open_event(f.kernel, access(f), params["name"],
                                               attributes(f))
        if handle:
            handle_out(f, handle)
        status_out(f, status)
        _returned(f, "ZwOpenEvent", status=status, handle=handle)
        return None
        yield
    return step


@block("zw_set_event", summary="ZwSetEvent(handle, &previous) / ZwClearEvent(handle) with "
       "clear: true.",
       params={"type": "object", "required": ["handle"], "additionalProperties": False,
               "properties": {"handle": EXPR, "clear": {"type": "boolean"},
                              "previous": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwSetEvent", "ZwClearEvent"))
def _zw_set_event(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    previous, status_out = _out(cc, params, "previous", path), _out(cc, params, "status", path)
    clear = params.get("clear", False)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = handle(f) & 0xFFFFFFFF
        if clear:
            status, before = zw_clear_event(f.kernel, value), 0
        else:
            status, before = zw_set_event(f.kernel, value)
            previous(f, before)
        status_out(f, status)
        return None
        yield
    return step


@block("zw_wait_for_single_object", summary="ZwWaitForSingleObject(handle, FALSE, timeout) on "
       "the handle's object (a file's own event); STATUS_INVALID_HANDLE for a bad handle.",
       params={"type": "object", "required": ["handle"], "additionalProperties": False,
               "properties": {"handle": EXPR, "timeout_100ns": EXPR, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwWaitForSingleObject",))
def _zw_wait(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    timeout = (cc.expr(params["timeout_100ns"], path + ["timeout_100ns"]).fn
               if "timeout_100ns" in params else (lambda f: None))
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        due = timeout(f)
        status = yield from zw_wait_for_single_object(
            f.kernel, handle(f) & 0xFFFFFFFF, None if due is None else LONGLONG.wrap(due))
        status_out(f, status)
    return step




@block("zw_duplicate_object", summary="ZwDuplicateObject(NtCurrentProcess(), source, "
       "NtCurrentProcess(), &target, access, attributes, options) within the current "
       "process: e.g. an app's handle into a kernel handle (OBJ_KERNEL_HANDLE) for a "
       "system thread; DUPLICATE_SAME_ACCESS, DUPLICATE_CLOSE_SOURCE.",
       params={"type": "object", "required": ["source", "target"], "additionalProperties": False,
               "properties": {"source": EXPR, "target": LVALUE, "access": FLAGS,
                              "attributes": FLAGS, "options": FLAGS, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwDuplicateObject",))
def _zw_duplicate_object(params: dict, cc: Any, path: list) -> Any:
    source = _value(cc, params, "source", path)
    access, attributes = _value(cc, params, "access", path), _value(cc, params, "attributes",
                                                                     path)
    options = _value(cc, params, "options", path)
    target, status_out = _out(cc, params, "target", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        status, handle = zw_duplicate_object(f.kernel, NT_CURRENT_PROCESS, source(f),
                                             NT_CURRENT_PROCESS, access(f), attributes(f),
                                             options(f))
        if handle:
            target(f, handle)
        status_out(f, status)
        _returned(f, "ZwDuplicateObject", status=status, handle=handle)
        return None
        yield
    return step
