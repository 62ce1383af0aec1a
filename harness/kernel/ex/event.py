"""Event objects by handle: ZwCreateEvent, ZwOpenEvent, ZwSetEvent, ZwClearEvent,
ZwWaitForSingleObject (sync-objects 7.8) and Io's named-event helpers (7.9).

A Zw call from a driver runs with previous mode KernelMode: no access checks, and the
handle goes to the calling thread's process table unless OBJ_KERNEL_HANDLE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, EVENT_ALL_ACCESS,
                         NTSTATUS, OBJ_KERNEL_HANDLE, OBJ_OPENIF, NotificationEvent,
                         SynchronizationEvent)
from ..ke.dispatcher import (DispatcherObject, KEvent, ke_clear_event, ke_reset_event,
                             ke_set_event, ke_wait_for_single_object)
from ..errors import NotModelledError
from ..ob.handle import handle_table, ob_reference_object_by_handle
from ..ob.named import create_named_object, open_named_object

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS


def zw_create_event(kernel: "Kernel", access: int, name: str | None, attributes: int,
                    event_type: int, initial_state: bool) -> tuple[int, int, Any]:
    """ZwCreateEvent: (status, handle, event). A bad EventType is
    STATUS_INVALID_PARAMETER_4; a name follows the create-or-open rules (7.7)."""
    if event_type not in (NotificationEvent, SynchronizationEvent):
        return NTSTATUS.STATUS_INVALID_PARAMETER_4, 0, None
    return create_named_object(kernel, name,
                               lambda: KEvent(kernel, event_type, initial_state, name or ""),
                               attributes, access, bool(attributes & OBJ_KERNEL_HANDLE))


def zw_open_event(kernel: "Kernel", access: int, name: str, attributes: int
                  ) -> tuple[int, int, Any]:
    """ZwOpenEvent: an existing event by name (NAME_NOT_FOUND, PATH_NOT_FOUND,
    OBJECT_TYPE_MISMATCH otherwise)."""
    return open_named_object(kernel, name, "Event", access,
                             bool(attributes & OBJ_KERNEL_HANDLE))


def _event(kernel: "Kernel", handle: int) -> tuple[int, Any]:
    return ob_reference_object_by_handle(kernel, handle, "Event", count=False)


def zw_set_event(kernel: "Kernel", handle: int) -> tuple[int, int]:
    """ZwSetEvent: (status, previous state)."""
    status, event = _event(kernel, handle)
    return (status, 0) if event is None else (STATUS_SUCCESS, ke_set_event(event))


def zw_reset_event(kernel: "Kernel", handle: int) -> tuple[int, int]:
    """ZwResetEvent: (status, previous state)."""
    status, event = _event(kernel, handle)
    return (status, 0) if event is None else (STATUS_SUCCESS, ke_reset_event(event))


def zw_clear_event(kernel: "Kernel", handle: int) -> int:
    """ZwClearEvent."""
    status, event = _event(kernel, handle)
    if event is not None:
        ke_clear_event(event)
    return status


def zw_wait_for_single_object(kernel: "Kernel", handle: int, timeout: int | None = None
                              ) -> Generator[Any, Any, int]:
    """ZwWaitForSingleObject: the wait of KeWaitForSingleObject on the handle's object
    (a file object's embedded event), or STATUS_INVALID_HANDLE."""
    status, obj = ob_reference_object_by_handle(kernel, handle, None, count=False)
    if obj is None:
        return status
    target = getattr(obj, "event", obj) if not isinstance(obj, DispatcherObject) else obj
    if not isinstance(target, DispatcherObject):
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH
    return (yield from ke_wait_for_single_object(target, timeout=timeout))


def io_create_event(kernel: "Kernel", name: str, event_type: int) -> tuple[Any, int]:
    """IoCreateNotificationEvent / IoCreateSynchronizationEvent (7.9): (PKEVENT, handle).
    ZwCreateEvent(EVENT_ALL_ACCESS, OBJ_OPENIF | OBJ_KERNEL_HANDLE, type, TRUE): a new
    event starts SIGNALED; an existing one is returned as it is, with its own type and
    state. Any failure is (NULL, 0). The pointer holds no reference of its own."""
    status, handle, event = zw_create_event(kernel, EVENT_ALL_ACCESS, name,
                                            OBJ_OPENIF | OBJ_KERNEL_HANDLE, event_type, True)
    if event is None or not isinstance(event, KEvent):
        return None, 0
    return event, handle


def zw_duplicate_object(kernel: "Kernel", source_process: int, source_handle: int,
                        target_process: int, access: int, attributes: int, options: int
                        ) -> tuple[int, int]:
    """ZwDuplicateObject (sync-objects 7.11) within the current process: (status, the new
    handle). The driver's recipe: an app handle duplicated into a kernel handle
    (OBJ_KERNEL_HANDLE) that a system thread can use later. Other processes' handles
    (a process handle other than NtCurrentProcess()) are not modelled."""
    current = 0xFFFFFFFF
    if source_process & 0xFFFFFFFF != current or (target_process or current) & 0xFFFFFFFF \
            != current:
        raise NotModelledError("ZwDuplicateObject", "only NtCurrentProcess() to itself")
    table = handle_table(kernel, source_handle)
    entry = table.lookup(source_handle & 0xFFFFFFFF)
    if entry is None:
        return NTSTATUS.STATUS_INVALID_HANDLE, 0
    if not target_process:
        # 7.11: a NULL target means only "close the source"; without
        # DUPLICATE_CLOSE_SOURCE there is nothing to do (chosen: STATUS_INVALID_PARAMETER,
        # which sources do not settle)
        if not options & DUPLICATE_CLOSE_SOURCE:
            return NTSTATUS.STATUS_INVALID_PARAMETER, 0
        table.remove(source_handle & 0xFFFFFFFF)
        return STATUS_SUCCESS, 0
    obj, granted = entry
    new = handle_table(kernel, kernel_handle=bool(attributes & OBJ_KERNEL_HANDLE)).insert(
        obj, granted if options & DUPLICATE_SAME_ACCESS else access)
    if options & DUPLICATE_CLOSE_SOURCE:
        table.remove(source_handle & 0xFFFFFFFF)
    return STATUS_SUCCESS, new
