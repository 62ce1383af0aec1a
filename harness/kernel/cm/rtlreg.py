"""The Rtl registry helpers (stacks-services 4.17, 4.23, 4.24; RO:rtlreg).

In Windows these are run-time library code over the Zw services: RtlpGetRegistryHandle
turns (RelativeTo, Path) into a kernel handle - ZwCreateKey(KEY_ALL_ACCESS) when the
helper creates, ZwOpenKey(MAXIMUM_ALLOWED) when it only reads - and the helper closes
it again (not a handle the caller passed with RTL_REGISTRY_HANDLE). They live here,
beside the services they call, so the layers keep pointing one way.

RtlQueryRegistryValues is modelled for RTL_QUERY_REGISTRY_DIRECT entries (what the
book and kbdclass use): QueryRoutine callbacks, SUBKEY / TOPKEY / NOVALUE entries and
the expansion of REG_EXPAND_SZ values that hold %variables% raise NotModelledError.
The table ends at the first entry that is neither DIRECT nor SUBKEY (as an entry with
no QueryRoutine ends it in Windows).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..constants import (KEY_ALL_ACCESS, MAXIMUM_ALLOWED, NTSTATUS, REG_EXPAND_SZ,
                         REG_MULTI_SZ, REG_NONE, REG_SZ, RTL_QUERY_REGISTRY_DELETE,
                         RTL_QUERY_REGISTRY_DIRECT, RTL_QUERY_REGISTRY_NOEXPAND,
                         RTL_QUERY_REGISTRY_NOVALUE, RTL_QUERY_REGISTRY_REQUIRED,
                         RTL_QUERY_REGISTRY_SUBKEY, RTL_QUERY_REGISTRY_TOPKEY,
                         RTL_REGISTRY_ABSOLUTE, RTL_REGISTRY_CONTROL, RTL_REGISTRY_DEVICEMAP,
                         RTL_REGISTRY_HANDLE, RTL_REGISTRY_MAXIMUM, RTL_REGISTRY_OPTIONAL,
                         RTL_REGISTRY_SERVICES, RTL_REGISTRY_USER, RTL_REGISTRY_WINDOWS_NT)
from ..errors import BufferOverrun, NotModelledError
from ..ke.machine import require_passive
from ..mm.pool import PagedPool, ex_allocate_pool_with_tag
from ..ob.handle import ob_close_handle
from .hive import CURRENT_CONTROL_SET, SERVICES
from .keys import (key_from_handle, zw_create_key, zw_delete_value_key,
                   zw_open_key, zw_set_value_key)

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
#: The RelativeTo roots (4.17). RTL_REGISTRY_USER is the current user's key; a system
#: thread has no user profile, so it is \Registry\User\.Default (the choice made here).
RTL_ROOTS = {RTL_REGISTRY_ABSOLUTE: "", RTL_REGISTRY_SERVICES: SERVICES,
             RTL_REGISTRY_CONTROL: CURRENT_CONTROL_SET + "\\Control",
             RTL_REGISTRY_WINDOWS_NT: "\\Registry\\Machine\\Software\\Microsoft\\Windows NT"
                                      "\\CurrentVersion",
             RTL_REGISTRY_DEVICEMAP: "\\Registry\\Machine\\Hardware\\DeviceMap",
             RTL_REGISTRY_USER: "\\Registry\\User\\.Default"}
#: RtlpAllocateStringMemory's pool tag, 'grtS' ("Strg" in memory), as the Rtl string
#: routines allocate a DIRECT UNICODE_STRING's buffer (RtlFreeUnicodeString frees it).
STRING_TAG = int.from_bytes(b"grtS", "big")


class RegistryFault(Exception):
    """A pointer in the caller's memory (a UNICODE_STRING's Buffer) names nothing: the
    caller turns it into the access violation of its context."""

    def __init__(self, address: int, write: bool) -> None:
        super().__init__(f"0x{address:08X}")
        self.address, self.write = address, write


class EntryContext(Protocol):
    """The memory an entry's EntryContext points at (a variable of the driver)."""

    length: int

    def read(self, start: int = 0, count: int | None = None) -> bytes: ...

    def write(self, payload: bytes, start: int = 0) -> None: ...


@dataclass
class QueryEntry:
    """One RTL_QUERY_REGISTRY_TABLE entry (QueryRoutine NULL)."""

    flags: int
    name: str | None
    entry_context: EntryContext | None
    default_type: int = REG_NONE
    default_data: bytes | None = None


def registry_path(relative_to: int, path: str) -> str | None:
    """The absolute key path RtlpGetRegistryHandle opens, or None for an invalid root."""
    root = relative_to & ~(RTL_REGISTRY_OPTIONAL | RTL_REGISTRY_HANDLE)
    if root >= RTL_REGISTRY_MAXIMUM:
        return None
    prefix = RTL_ROOTS[root]
    return prefix + ("" if path.startswith("\\") or not prefix else "\\") + path


def _get_handle(kernel: "Kernel", relative_to: int, path: str | int, create: bool
                ) -> tuple[int, int, bool]:
    """RtlpGetRegistryHandle: (status, handle, whether the helper must close it)."""
    if relative_to & RTL_REGISTRY_HANDLE:
        return STATUS_SUCCESS, int(path), False
    full = registry_path(relative_to, str(path))
    if full is None:
        return NTSTATUS.STATUS_INVALID_PARAMETER, 0, False
    if create:
        status, handle, _ = zw_create_key(kernel, full, KEY_ALL_ACCESS, kernel_handle=True)
    else:
        status, handle = zw_open_key(kernel, full, MAXIMUM_ALLOWED, kernel_handle=True)
    return status, handle, bool(handle)


def _close(kernel: "Kernel", handle: int, owned: bool) -> None:
    if owned:
        ob_close_handle(kernel, handle, handle_checks=False)


def rtl_check_registry_key(kernel: "Kernel", relative_to: int, path: str | int) -> int:
    """RtlCheckRegistryKey (4.24): STATUS_SUCCESS if the key opens, else the open's
    status (STATUS_OBJECT_NAME_NOT_FOUND for a missing key)."""
    require_passive(kernel, "RtlCheckRegistryKey")
    status, handle, owned = _get_handle(kernel, relative_to, path, False)
    _close(kernel, handle, owned)
    return status


def rtl_create_registry_key(kernel: "Kernel", relative_to: int, path: str | int) -> int:
    """RtlCreateRegistryKey (4.24): ZwCreateKey's one level (4.18); with
    RTL_REGISTRY_HANDLE the key already exists: nothing to do."""
    require_passive(kernel, "RtlCreateRegistryKey")
    status, handle, owned = _get_handle(kernel, relative_to, path, True)
    _close(kernel, handle, owned)
    return status


def rtl_write_registry_value(kernel: "Kernel", relative_to: int, path: str | int,
                             value_name: str, value_type: int, data: bytes) -> int:
    """RtlWriteRegistryValue (4.24): open the key with create semantics (its last
    component may be missing, an intermediate may not), then ZwSetValueKey."""
    require_passive(kernel, "RtlWriteRegistryValue")
    status, handle, owned = _get_handle(kernel, relative_to, path, True)
    if not handle:
        return status
    status = zw_set_value_key(kernel, handle, value_name, value_type, data)
    _close(kernel, handle, owned)
    return status


def rtl_delete_registry_value(kernel: "Kernel", relative_to: int, path: str | int,
                              value_name: str) -> int:
    """RtlDeleteRegistryValue (4.24): the same open as RtlWriteRegistryValue, then
    ZwDeleteValueKey (STATUS_OBJECT_NAME_NOT_FOUND for a missing value)."""
    require_passive(kernel, "RtlDeleteRegistryValue")
    status, handle, owned = _get_handle(kernel, relative_to, path, True)
    if not handle:
        return status
    status = zw_delete_value_key(kernel, handle, value_name)
    _close(kernel, handle, owned)
    return status


def rtl_query_registry_values(kernel: "Kernel", relative_to: int, path: str | int,
                              table: list[QueryEntry]) -> int:
    """RtlQueryRegistryValues(RelativeTo, Path, QueryTable, NULL, NULL) with DIRECT
    entries (4.23): each value's data goes to its EntryContext; a missing value takes
    the entry's default unless DefaultType is REG_NONE, and a REQUIRED one stops the
    walk with STATUS_OBJECT_NAME_NOT_FOUND. A missing key is that status too, unless
    RTL_REGISTRY_OPTIONAL (then STATUS_SUCCESS and no entry is touched)."""
    require_passive(kernel, "RtlQueryRegistryValues")
    status, handle, owned = _get_handle(kernel, relative_to, path, False)
    if not handle:
        if relative_to & RTL_REGISTRY_OPTIONAL and \
                status == NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND:
            return STATUS_SUCCESS
        return status
    try:
        status, node = key_from_handle(kernel, handle)
        if node is None:
            return status
        for entry in table:
            if entry.flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY
                              | RTL_QUERY_REGISTRY_NOVALUE):
                raise NotModelledError("RtlQueryRegistryValues", "SUBKEY, TOPKEY and "
                                       "NOVALUE entries are not modelled")
            if not entry.flags & RTL_QUERY_REGISTRY_DIRECT:
                break                       # no QueryRoutine, not DIRECT: the table's end
            if entry.name is None:
                raise NotModelledError("RtlQueryRegistryValues", "a DIRECT entry with no "
                                       "Name (every value to a QueryRoutine)")
            value = node.value(entry.name)
            if value is None:
                if entry.flags & RTL_QUERY_REGISTRY_REQUIRED:
                    return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND
                if entry.default_type == REG_NONE or entry.default_data is None:
                    continue
                value_type, data = entry.default_type, entry.default_data
            else:
                value_type, data = value.type, value.data
            status = _direct(kernel, entry, value_type, data)
            if status != STATUS_SUCCESS:
                return status
            if value is not None and entry.flags & RTL_QUERY_REGISTRY_DELETE:
                zw_delete_value_key(kernel, handle, entry.name)
        return STATUS_SUCCESS
    finally:
        _close(kernel, handle, owned)


def _direct(kernel: "Kernel", entry: QueryEntry, value_type: int, data: bytes) -> int:
    """RtlpQueryRegistryDirect: where a DIRECT entry's data goes, by its type (4.23)."""
    context = entry.entry_context
    if context is None:
        raise RegistryFault(0, True)                # EntryContext NULL
    if value_type == REG_EXPAND_SZ and not entry.flags & RTL_QUERY_REGISTRY_NOEXPAND \
            and "%" in data.decode("utf-16-le", "replace"):
        raise NotModelledError("RtlQueryRegistryValues", "expanding %variables% of a "
                               "REG_EXPAND_SZ value (the environment is not modelled): "
                               "add RTL_QUERY_REGISTRY_NOEXPAND")
    if value_type == REG_MULTI_SZ and not entry.flags & RTL_QUERY_REGISTRY_NOEXPAND:
        raise NotModelledError("RtlQueryRegistryValues", "a REG_MULTI_SZ value without "
                               "RTL_QUERY_REGISTRY_NOEXPAND (one string at a time)")
    if value_type in (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ):
        # EntryContext is a UNICODE_STRING: a NULL Buffer gets PagedPool the caller
        # frees; else MaximumLength must hold the data, NUL included.
        _within(context, 8)
        length, maximum, buffer = struct.unpack("<HHI", context.read(0, 8))
        if buffer == 0:
            block = ex_allocate_pool_with_tag(kernel, PagedPool, len(data), STRING_TAG)
            buffer, maximum = block.address, len(data)
        elif maximum < len(data):
            return NTSTATUS.STATUS_BUFFER_TOO_SMALL
        _memory_write(kernel, buffer, data)
        context.write(struct.pack("<HHI", max(0, len(data) - 2), maximum, buffer), 0)
        return STATUS_SUCCESS
    if len(data) <= 4:                              # a ULONG (or less): copied as is
        _within(context, len(data))
        context.write(data, 0)
        return STATUS_SUCCESS
    # Other data: the buffer starts with a LONG whose magnitude is its size; negative:
    # only the data is stored; else a ULONG length and a ULONG type come first.
    _within(context, 4)
    size = struct.unpack("<i", context.read(0, 4))[0]
    if size < 0:
        if -size < len(data):
            return NTSTATUS.STATUS_BUFFER_TOO_SMALL
        _within(context, len(data))
        context.write(data, 0)
        return STATUS_SUCCESS
    if size < len(data) + 8:
        return NTSTATUS.STATUS_BUFFER_TOO_SMALL
    _within(context, len(data) + 8)
    context.write(struct.pack("<II", len(data), value_type) + data, 0)
    return STATUS_SUCCESS


def _within(context: Any, count: int) -> None:
    if count > context.length:
        raise BufferOverrun(f"RtlQueryRegistryValues writes {count} bytes to an "
                            f"EntryContext of {context.length}")


def _memory_write(kernel: "Kernel", address: int, data: bytes) -> None:
    """Write at a pointer the caller's UNICODE_STRING holds: into the pool block (or
    registered memory) it points into; a wild pointer is a RegistryFault."""
    block = kernel.pool_blocks.containing(address)
    if block is not None:
        target, offset, size = block.buffer, address - block.buffer.address, block.size
    else:
        target = kernel.objects.at(address)
        if target is None or not hasattr(target, "write"):
            raise RegistryFault(address, True)
        offset, size = 0, target.length
    if offset + len(data) > size:
        raise BufferOverrun(f"{len(data)} bytes at 0x{address:08X} run past the "
                            f"{size}-byte buffer")
    target.write(data, offset)
