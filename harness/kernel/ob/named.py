"""Named kernel objects: create-or-open by name, and the handles to them (sync-objects 7.7-7.9).

Events (and later timers, semaphores, mutants) created with a name live in the
namespace, usually under \\BaseNamedObjects. A create that finds the name taken opens the
existing object with OBJ_OPENIF (STATUS_OBJECT_NAME_EXISTS, a success status; the new
object's type and initial state are ignored) and fails with
STATUS_OBJECT_NAME_COLLISION without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..constants import NTSTATUS, OBJ_OPENIF
from .handle import handle_table, object_type_name

if TYPE_CHECKING:
    from ..ke.machine import Machine

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS


def check_name(kernel: "Machine", name: str) -> int:
    """The name checks of ObpLookupObjectName for a create (7.6)."""
    if not name.startswith("\\"):
        return NTSTATUS.STATUS_OBJECT_PATH_SYNTAX_BAD
    if any(part == "" for part in name.split("\\")[1:]):
        return NTSTATUS.STATUS_OBJECT_NAME_INVALID
    if not kernel.namespace.directory_exists(name):
        return NTSTATUS.STATUS_OBJECT_PATH_NOT_FOUND
    return STATUS_SUCCESS


def create_named_object(kernel: "Machine", name: str | None, make: Callable[[], Any],
                        attributes: int, access: int, kernel_handle: bool
                        ) -> tuple[int, int, Any]:
    """ObInsertObject for a new object that may be named: (status, handle, object);
    handle 0 and object None on failure."""
    if not name:
        obj = make()
        return STATUS_SUCCESS, handle_table(kernel, kernel_handle=kernel_handle).insert(
            obj, access), obj
    status = check_name(kernel, name)
    if status != STATUS_SUCCESS:
        return status, 0, None
    status = STATUS_SUCCESS
    existing = kernel.namespace.lookup(name, reparse=False)
    if existing is not None:
        if not attributes & OBJ_OPENIF:
            return NTSTATUS.STATUS_OBJECT_NAME_COLLISION, 0, None
        candidate = make()
        if object_type_name(existing) != object_type_name(candidate):
            return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, 0, None
        obj, status = existing, NTSTATUS.STATUS_OBJECT_NAME_EXISTS
    else:
        obj = make()
        kernel.namespace.insert(name, obj)
    handle = handle_table(kernel, kernel_handle=kernel_handle).insert(obj, access)
    return status, handle, obj


def open_named_object(kernel: "Machine", name: str, type_name: str, access: int,
                      kernel_handle: bool) -> tuple[int, int, Any]:
    """ZwOpenEvent and its kin: (status, handle, object) for an existing object."""
    status = check_name(kernel, name)
    if status != STATUS_SUCCESS:
        return status, 0, None
    obj = kernel.namespace.lookup(name)
    if obj is None:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, 0, None
    if object_type_name(obj) != type_name:
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, 0, None
    return STATUS_SUCCESS, handle_table(kernel, kernel_handle=kernel_handle).insert(
        obj, access), obj
