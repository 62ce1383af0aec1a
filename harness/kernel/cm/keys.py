"""The Zw registry services a driver calls (stacks-services 4.17-4.22).

A driver's Zw call runs the Nt service with previous mode KernelMode, so as for the
file services: handles from the calling process's table unless OBJ_KERNEL_HANDLE, and
no access check when a handle is referenced (ObReferenceObjectByHandle allows every
access to a KernelMode caller, sync-objects 7.3): KEY_SET_VALUE for ZwSetValueKey
(4.19) and DELETE for ZwDeleteKey (4.22) are enforced for a UserMode previous mode
only, which is what the ``previous_mode`` arguments are for. Every service is
PASSIVE_LEVEL code (the CM is pageable and takes its lock as an ERESOURCE).

A key handle refers to a :class:`KeyBody`; after ZwDeleteKey every handle to the key
stays in its table (ZwClose it as usual) and every other service through it gives
STATUS_KEY_DELETED (4.22). Results are data, not driver memory: each query returns the
bytes the service writes at the start of the caller's buffer (never more than Length)
and ResultLength; the caller's block puts them where the driver's pointer points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..constants import (DELETE, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE,
                         KEY_ALL_ACCESS, KEY_EXECUTE, KEY_QUERY_VALUE, KEY_READ,
                         KEY_SET_VALUE, KEY_WRITE, MAXIMUM_ALLOWED, NTSTATUS,
                         REG_CREATED_NEW_KEY, REG_OPENED_EXISTING_KEY,
                         REG_OPTION_BACKUP_RESTORE, REG_OPTION_CREATE_LINK,
                         REG_OPTION_OPEN_LINK, REG_OPTION_VOLATILE,
                         KeyCachedInformation, KeyFlagsInformation, KeyNameInformation,
                         KeyValueFullInformationAlign64, KeyValuePartialInformationAlign64)
from ..errors import NotModelledError
from ..ke.machine import require_passive
from ..ob.handle import handle_table, ob_reference_object_by_handle
from .hive import ROOT_NAME, KeyBody, KeyNode
from .info import key_information, value_information

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
KernelMode, UserMode = 0, 1
#: Information classes XP has that the model does not produce.
_KEY_CLASSES_NOT_MODELLED = {KeyNameInformation: "KeyNameInformation",
                             KeyCachedInformation: "KeyCachedInformation",
                             KeyFlagsInformation: "KeyFlagsInformation"}
_VALUE_CLASSES_NOT_MODELLED = {
    KeyValueFullInformationAlign64: "KeyValueFullInformationAlign64",
    KeyValuePartialInformationAlign64: "KeyValuePartialInformationAlign64"}


def map_key_access(access: int) -> int:
    """The key type's GENERIC_MAPPING (KEY_READ / KEY_WRITE / KEY_EXECUTE /
    KEY_ALL_ACCESS); MAXIMUM_ALLOWED is granted all of it (no security descriptors)."""
    granted = access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL
                         | MAXIMUM_ALLOWED)
    for generic, specific in ((GENERIC_READ, KEY_READ), (GENERIC_WRITE, KEY_WRITE),
                              (GENERIC_EXECUTE, KEY_EXECUTE), (GENERIC_ALL, KEY_ALL_ACCESS),
                              (MAXIMUM_ALLOWED, KEY_ALL_ACCESS)):
        if access & generic:
            granted |= specific
    return granted


def key_from_handle(kernel: "Kernel", handle: int, access: int = 0,
                    previous_mode: int = KernelMode) -> tuple[int, KeyNode | None]:
    """The key a handle names: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH (not
    a key), STATUS_ACCESS_DENIED (UserMode only), STATUS_KEY_DELETED (4.22)."""
    status, body = ob_reference_object_by_handle(kernel, handle, "Key", access,
                                                 previous_mode == UserMode, count=False)
    if body is None:
        return status, None
    if body.node.deleted:
        return NTSTATUS.STATUS_KEY_DELETED, None
    return STATUS_SUCCESS, body.node


def _parse(kernel: "Kernel", name: str, root: int, previous_mode: int
           ) -> tuple[int, KeyNode | None, list[str]]:
    """ObpLookupObjectName + CmpParseKey's split: (status, the key to start from, the
    components still to walk). A name without RootDirectory must be absolute and under
    \\Registry (the Key object in the root directory); with one it must be relative."""
    if root:
        if name.startswith("\\"):
            return NTSTATUS.STATUS_OBJECT_PATH_SYNTAX_BAD, None, []
        status, start = key_from_handle(kernel, root, 0, previous_mode)
        if start is None:
            return status, None, []
        parts = name.split("\\") if name else []
    else:
        if not name.startswith("\\"):
            return NTSTATUS.STATUS_OBJECT_PATH_SYNTAX_BAD, None, []
        parts = name.split("\\")
        top = kernel.namespace.lookup(ROOT_NAME)
        if len(parts) < 2 or parts[1].upper() != "REGISTRY" or not isinstance(top, KeyBody):
            status, obj, _ = kernel.namespace.parse(name)
            if obj is not None:          # a device, a link's target...: not a key
                return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None, []
            return status, None, []
        start, parts = top.node, parts[2:]
    if any(part == "" for part in parts):
        return NTSTATUS.STATUS_OBJECT_NAME_INVALID, None, []
    return STATUS_SUCCESS, start, parts


def zw_create_key(kernel: "Kernel", name: str, desired_access: int, root: int = 0,
                  create_options: int = 0, class_name: str = "", kernel_handle: bool = False,
                  previous_mode: int = KernelMode) -> tuple[int, int, int | None]:
    """ZwCreateKey (4.18): (status, handle or 0, Disposition or None on failure).

    Opens or creates ONE level: every component but the last must exist
    (STATUS_OBJECT_NAME_NOT_FOUND otherwise). An existing key is opened whatever the
    options (REG_OPENED_EXISTING_KEY); a new one is REG_CREATED_NEW_KEY, volatile with
    REG_OPTION_VOLATILE, and a non-volatile key under a volatile one is
    STATUS_CHILD_MUST_BE_VOLATILE."""
    require_passive(kernel, "ZwCreateKey")
    for flag, what in ((REG_OPTION_CREATE_LINK, "REG_OPTION_CREATE_LINK"),
                       (REG_OPTION_OPEN_LINK, "REG_OPTION_OPEN_LINK"),
                       (REG_OPTION_BACKUP_RESTORE, "REG_OPTION_BACKUP_RESTORE")):
        if create_options & flag:
            raise NotModelledError("ZwCreateKey", f"{what}: link keys and backup "
                                   "semantics are not modelled")
    status, start, parts = _parse(kernel, name, root, previous_mode)
    if start is None:
        return status, 0, None
    cm = kernel.registry
    parent, used = cm.walk(start, parts[:-1])
    if used < len(parts) - 1:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, 0, None
    node, found = (parent, 1) if not parts else cm.walk(parent, parts[-1:])
    if parts and not found:
        volatile = bool(create_options & REG_OPTION_VOLATILE)
        if parent.volatile and not volatile:
            return NTSTATUS.STATUS_CHILD_MUST_BE_VOLATILE, 0, None
        node = cm.add_subkey(parent, parts[-1], volatile, class_name)
        disposition = REG_CREATED_NEW_KEY
    else:
        disposition = REG_OPENED_EXISTING_KEY
    handle = handle_table(kernel, kernel_handle=kernel_handle).insert(
        KeyBody(kernel, node), map_key_access(desired_access))
    return STATUS_SUCCESS, handle, disposition


def zw_open_key(kernel: "Kernel", name: str, desired_access: int, root: int = 0,
                kernel_handle: bool = False, previous_mode: int = KernelMode
                ) -> tuple[int, int]:
    """ZwOpenKey (4.18): (status, handle or 0); a missing key (or a missing component
    on the way) is STATUS_OBJECT_NAME_NOT_FOUND."""
    require_passive(kernel, "ZwOpenKey")
    status, start, parts = _parse(kernel, name, root, previous_mode)
    if start is None:
        return status, 0
    node, used = kernel.registry.walk(start, parts)
    if used < len(parts):
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, 0
    return STATUS_SUCCESS, handle_table(kernel, kernel_handle=kernel_handle).insert(
        KeyBody(kernel, node), map_key_access(desired_access))


def zw_set_value_key(kernel: "Kernel", handle: int, value_name: str, value_type: int,
                     data: bytes, previous_mode: int = KernelMode) -> int:
    """ZwSetValueKey (4.19): creates or replaces; "" is the key's default value. The
    data is stored as given: no check of the type against the bytes (a REG_SZ whose
    size leaves out the NUL stays unterminated)."""
    require_passive(kernel, "ZwSetValueKey")
    status, node = key_from_handle(kernel, handle, KEY_SET_VALUE, previous_mode)
    if node is None:
        return status
    kernel.registry.set_value(node, value_name, value_type & 0xFFFFFFFF, bytes(data))
    return STATUS_SUCCESS


def zw_query_value_key(kernel: "Kernel", handle: int, value_name: str, info_class: int,
                       length: int, previous_mode: int = KernelMode
                       ) -> tuple[int, bytes | None, int | None]:
    """ZwQueryValueKey (4.20): (status, the bytes written or None, ResultLength or None
    when it is not written). A missing value is STATUS_OBJECT_NAME_NOT_FOUND and
    ResultLength is left as it was (the book's QueryRegTest tests the status first)."""
    require_passive(kernel, "ZwQueryValueKey")
    if info_class in _VALUE_CLASSES_NOT_MODELLED:
        raise NotModelledError("ZwQueryValueKey", _VALUE_CLASSES_NOT_MODELLED[info_class])
    status, node = key_from_handle(kernel, handle, KEY_QUERY_VALUE, previous_mode)
    if node is None:
        return status, None, None
    value = node.value(value_name)
    if value is None:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, None, None
    return value_information(value, info_class, length)


def _key_class(routine: str, info_class: int) -> None:
    if info_class in _KEY_CLASSES_NOT_MODELLED:
        raise NotModelledError(routine, _KEY_CLASSES_NOT_MODELLED[info_class])


def zw_query_key(kernel: "Kernel", handle: int, info_class: int, length: int,
                 previous_mode: int = KernelMode) -> tuple[int, bytes | None, int | None]:
    """ZwQueryKey (4.21): KeyBasic / Node / FullInformation of the key itself
    (KeyFullInformation's SubKeys and Values are what the book's loops count to)."""
    require_passive(kernel, "ZwQueryKey")
    _key_class("ZwQueryKey", info_class)
    status, node = key_from_handle(kernel, handle, 0, previous_mode)
    if node is None:
        return status, None, None
    return key_information(node, info_class, length)


def zw_enumerate_key(kernel: "Kernel", handle: int, index: int, info_class: int,
                     length: int, previous_mode: int = KernelMode
                     ) -> tuple[int, bytes | None, int | None]:
    """ZwEnumerateKey (4.21): the index-th subkey in alphabetical (case-insensitive)
    order; index >= the count is STATUS_NO_MORE_ENTRIES (0x8000001A, a warning)."""
    require_passive(kernel, "ZwEnumerateKey")
    _key_class("ZwEnumerateKey", info_class)
    status, node = key_from_handle(kernel, handle, 0, previous_mode)
    if node is None:
        return status, None, None
    subkeys = node.sorted_subkeys()
    if not 0 <= index < len(subkeys):
        return NTSTATUS.STATUS_NO_MORE_ENTRIES, None, None
    return key_information(subkeys[index], info_class, length)


def zw_enumerate_value_key(kernel: "Kernel", handle: int, index: int, info_class: int,
                           length: int, previous_mode: int = KernelMode
                           ) -> tuple[int, bytes | None, int | None]:
    """ZwEnumerateValueKey (4.21): the index-th value in creation order; index >= the
    count is STATUS_NO_MORE_ENTRIES."""
    require_passive(kernel, "ZwEnumerateValueKey")
    if info_class in _VALUE_CLASSES_NOT_MODELLED:
        raise NotModelledError("ZwEnumerateValueKey", _VALUE_CLASSES_NOT_MODELLED[info_class])
    status, node = key_from_handle(kernel, handle, KEY_QUERY_VALUE, previous_mode)
    if node is None:
        return status, None, None
    values = list(node.values.values())
    if not 0 <= index < len(values):
        return NTSTATUS.STATUS_NO_MORE_ENTRIES, None, None
    return value_information(values[index], info_class, length)


def zw_delete_key(kernel: "Kernel", handle: int, previous_mode: int = KernelMode) -> int:
    """ZwDeleteKey (4.22): a key with subkeys is STATUS_CANNOT_DELETE (no recursive
    delete), as is a hive's root; otherwise the key leaves the namespace at once and
    every handle to it is left valid-but-deleted, still to be closed."""
    require_passive(kernel, "ZwDeleteKey")
    status, node = key_from_handle(kernel, handle, DELETE, previous_mode)
    if node is None:
        return status
    if node.subkeys or node.no_delete:
        return NTSTATUS.STATUS_CANNOT_DELETE
    kernel.registry.delete(node)
    return STATUS_SUCCESS


def zw_delete_value_key(kernel: "Kernel", handle: int, value_name: str,
                        previous_mode: int = KernelMode) -> int:
    """ZwDeleteValueKey (4.22): a missing value is STATUS_OBJECT_NAME_NOT_FOUND; the
    values after it keep their order."""
    require_passive(kernel, "ZwDeleteValueKey")
    status, node = key_from_handle(kernel, handle, KEY_SET_VALUE, previous_mode)
    if node is None:
        return status
    if node.values.pop(value_name.upper(), None) is None:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND
    return STATUS_SUCCESS


def zw_flush_key(kernel: "Kernel", handle: int) -> int:
    """ZwFlushKey: the hive is written to disk; here every key is already where the
    next boot reads it (the registry: section's snapshot), so only the handle matters."""
    require_passive(kernel, "ZwFlushKey")
    return key_from_handle(kernel, handle)[0]

