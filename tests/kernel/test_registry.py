"""Rules of the configuration manager: keys, values, queries and the Rtl helpers
(stacks-services 4.17-4.24)."""

from __future__ import annotations

import struct

import pytest

from harness.kernel import (DELETE, DISPATCH_LEVEL, KEY_ALL_ACCESS, KEY_QUERY_VALUE, KEY_READ,
                            NTSTATUS, OBJ_KERNEL_HANDLE, REG_BINARY, REG_CREATED_NEW_KEY,
                            REG_DWORD, REG_MULTI_SZ, REG_OPENED_EXISTING_KEY,
                            REG_OPTION_OPEN_LINK, REG_OPTION_VOLATILE, REG_QWORD, REG_SZ,
                            RTL_QUERY_REGISTRY_DELETE, RTL_QUERY_REGISTRY_DIRECT,
                            RTL_QUERY_REGISTRY_REQUIRED, RTL_QUERY_REGISTRY_SUBKEY,
                            RTL_REGISTRY_ABSOLUTE, RTL_REGISTRY_CONTROL, RTL_REGISTRY_HANDLE,
                            RTL_REGISTRY_OPTIONAL, RTL_REGISTRY_SERVICES, RTL_REGISTRY_USER,
                            BugCheckCode, BugCheckHalt, Buffer, KeyBasicInformation,
                            KeyFullInformation, KeyNameInformation, KeyNodeInformation,
                            KeyValueBasicInformation, KeyValueFullInformation,
                            KeyValuePartialInformation, NotModelledError, QueryEntry,
                            ex_allocate_pool, registry_path, rtl_check_registry_key,
                            rtl_create_registry_key, rtl_delete_registry_value,
                            rtl_query_registry_values, rtl_write_registry_value,
                            run_nonblocking, zw_close,
                            zw_create_key, zw_delete_key, zw_delete_value_key,
                            zw_enumerate_key, zw_enumerate_value_key, zw_flush_key,
                            zw_open_key, zw_query_key, zw_query_value_key, zw_set_value_key)
from harness.kernel.cm.keys import UserMode
from harness.kernel.ob.handle import handle_table

S = NTSTATUS
ZHANGFAN = "\\Registry\\Machine\\Software\\Zhangfan"
SERVICES = "\\Registry\\Machine\\System\\CurrentControlSet\\Services"


def sz(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\0\0"


def dword(value: int) -> bytes:
    return value.to_bytes(4, "little")


def create(kernel, name: str = ZHANGFAN, root: int = 0, options: int = 0) -> int:
    status, handle, _ = zw_create_key(kernel, name, KEY_ALL_ACCESS, root, options)
    assert status == S.STATUS_SUCCESS
    return handle


def close(kernel, handle: int) -> int:
    return run_nonblocking(zw_close(kernel, handle), "ZwClose")


# -- 4.17 names and roots ----------------------------------------------------------------

def test_4_17_registry_is_a_key_object_in_the_namespace(kernel):
    """4.17: \\REGISTRY is a named object; the machine's hives hang under it."""
    root = kernel.namespace.lookup("\\Registry")
    assert type(root).__name__ == "KeyBody"
    assert kernel.registry.lookup("\\REGISTRY\\MACHINE\\SOFTWARE") is not None


def test_4_17_current_control_set_is_a_link_to_control_set_001(kernel):
    """4.17: CurrentControlSet links to ControlSet00N; a key made through it is there."""
    handle = create(kernel, SERVICES + "\\HelloDDK")
    assert kernel.registry.lookup("\\Registry\\Machine\\System\\ControlSet001\\Services"
                                  "\\HelloDDK") is not None
    close(kernel, handle)


def test_4_17_rtl_relative_to_roots(kernel):
    """4.17: the RelativeTo roots; RTL_REGISTRY_USER is \\Registry\\User\\.Default here."""
    assert registry_path(RTL_REGISTRY_SERVICES, "HelloDDK") == SERVICES + "\\HelloDDK"
    assert registry_path(RTL_REGISTRY_CONTROL, "X") == \
        "\\Registry\\Machine\\System\\CurrentControlSet\\Control\\X"
    assert registry_path(RTL_REGISTRY_USER, "X") == "\\Registry\\User\\.Default\\X"
    assert registry_path(RTL_REGISTRY_ABSOLUTE, ZHANGFAN) == ZHANGFAN
    assert registry_path(RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL, "\\X") == \
        SERVICES + "\\X"
    assert registry_path(6, "X") is None


def test_4_17_registry_services_at_dispatch_level_are_violations(kernel, recorder):
    """4.17: PASSIVE_LEVEL only; above it the violation is in the trace."""
    kernel.raise_irql(DISPATCH_LEVEL)
    zw_open_key(kernel, ZHANGFAN, KEY_READ)
    assert [v[0] for v in recorder.of("violation")] == ["PASSIVE_LEVEL"]


def test_4_17_registry_service_at_dispatch_under_verifier_is_0xa():
    """4.17: with Driver Verifier the pageable CM code faults: 0xA."""
    from harness.kernel import Kernel
    kernel = Kernel(verifier=True)
    kernel.raise_irql(DISPATCH_LEVEL)
    with pytest.raises(BugCheckHalt):
        zw_create_key(kernel, ZHANGFAN, KEY_ALL_ACCESS)
    assert kernel.bugcheck.code == BugCheckCode.IRQL_NOT_LESS_OR_EQUAL


def test_4_17_a_name_outside_registry_is_not_a_key(kernel):
    """4.17: a name the object manager resolves to another object: OBJECT_TYPE_MISMATCH;
    a relative name without a root: OBJECT_PATH_SYNTAX_BAD."""
    kernel.namespace.insert("\\Device\\X", object())
    assert zw_open_key(kernel, "\\Device\\X", KEY_READ) == (S.STATUS_OBJECT_TYPE_MISMATCH, 0)
    assert zw_open_key(kernel, "\\Device\\Y", KEY_READ) == (S.STATUS_OBJECT_NAME_NOT_FOUND, 0)
    assert zw_open_key(kernel, "Software", KEY_READ) == (S.STATUS_OBJECT_PATH_SYNTAX_BAD, 0)
    assert zw_open_key(kernel, "\\Registry\\\\Machine", KEY_READ) == (
        S.STATUS_OBJECT_NAME_INVALID, 0)


# -- 4.18 ZwCreateKey / ZwOpenKey -----------------------------------------------------------

def test_4_18_create_key_new_then_existing_disposition(kernel):
    """4.18: REG_CREATED_NEW_KEY the first time, REG_OPENED_EXISTING_KEY after."""
    first = zw_create_key(kernel, ZHANGFAN, KEY_ALL_ACCESS)
    second = zw_create_key(kernel, ZHANGFAN.upper(), KEY_ALL_ACCESS)
    assert (first[0], first[2]) == (S.STATUS_SUCCESS, REG_CREATED_NEW_KEY)
    assert (second[0], second[2]) == (S.STATUS_SUCCESS, REG_OPENED_EXISTING_KEY)
    assert first[1] != second[1]


def test_4_18_create_key_makes_one_level_only(kernel):
    """4.18: the parent must exist: STATUS_OBJECT_NAME_NOT_FOUND, nothing created."""
    status, handle, disposition = zw_create_key(kernel, ZHANGFAN + "\\A\\B", KEY_ALL_ACCESS)
    assert (status, handle, disposition) == (S.STATUS_OBJECT_NAME_NOT_FOUND, 0, None)
    assert kernel.registry.lookup(ZHANGFAN) is None


def test_4_18_create_key_relative_to_a_root_handle(kernel):
    """4.18: OBJECT_ATTRIBUTES.RootDirectory: SubItem under the handle's key; an
    absolute name with a root is OBJECT_PATH_SYNTAX_BAD."""
    parent = create(kernel)
    status, _, disposition = zw_create_key(kernel, "SubItem", KEY_ALL_ACCESS, root=parent)
    assert (status, disposition) == (S.STATUS_SUCCESS, REG_CREATED_NEW_KEY)
    assert kernel.registry.lookup(ZHANGFAN + "\\subitem").name == "SubItem"
    assert zw_create_key(kernel, ZHANGFAN, KEY_ALL_ACCESS, root=parent)[0] == \
        S.STATUS_OBJECT_PATH_SYNTAX_BAD


def test_4_18_child_of_a_volatile_key_must_be_volatile(kernel):
    """4.18: STATUS_CHILD_MUST_BE_VOLATILE; a volatile child is fine."""
    parent = create(kernel, options=REG_OPTION_VOLATILE)
    assert zw_create_key(kernel, "Child", KEY_ALL_ACCESS, root=parent)[0] == \
        S.STATUS_CHILD_MUST_BE_VOLATILE
    assert zw_create_key(kernel, "Child", KEY_ALL_ACCESS, root=parent,
                         create_options=REG_OPTION_VOLATILE)[0] == S.STATUS_SUCCESS


def test_4_18_hardware_hive_is_volatile(kernel):
    """4.18: HARDWARE is rebuilt at every boot: a non-volatile key under it fails."""
    assert zw_create_key(kernel, "\\Registry\\Machine\\Hardware\\DeviceMap\\X",
                         KEY_ALL_ACCESS)[0] == S.STATUS_CHILD_MUST_BE_VOLATILE


def test_4_18_volatile_keys_are_gone_after_a_reboot(kernel):
    """4.18: REG_OPTION_VOLATILE keys are lost at reboot (the persistent snapshot)."""
    create(kernel, options=REG_OPTION_VOLATILE)
    create(kernel, "\\Registry\\Machine\\Software\\Kept")
    persistent = kernel.registry.snapshot(persistent=True)
    assert ZHANGFAN not in persistent
    assert "\\Registry\\Machine\\Software\\Kept" in persistent
    assert ZHANGFAN in kernel.registry.snapshot()


def test_4_18_open_key_missing_is_name_not_found(kernel):
    """4.18: ZwOpenKey of a missing key (or a missing component) fails, no handle."""
    assert zw_open_key(kernel, ZHANGFAN, KEY_READ) == (S.STATUS_OBJECT_NAME_NOT_FOUND, 0)
    assert zw_open_key(kernel, ZHANGFAN + "\\Sub", KEY_READ) == (
        S.STATUS_OBJECT_NAME_NOT_FOUND, 0)


def test_4_18_kernel_handle_has_the_top_bit(kernel):
    """4.18 / 1.8: OBJ_KERNEL_HANDLE puts the key handle in the kernel table."""
    status, handle, _ = zw_create_key(kernel, ZHANGFAN, KEY_ALL_ACCESS, kernel_handle=True)
    assert status == S.STATUS_SUCCESS and handle & 0x80000000
    assert OBJ_KERNEL_HANDLE == 0x200


def test_4_18_link_options_are_not_modelled(kernel):
    """4.18: REG_OPTION_OPEN_LINK / CREATE_LINK raise NotModelledError."""
    with pytest.raises(NotModelledError):
        zw_create_key(kernel, ZHANGFAN, KEY_ALL_ACCESS, create_options=REG_OPTION_OPEN_LINK)


# -- 4.19 ZwSetValueKey -----------------------------------------------------------------------

def test_4_19_set_value_creates_then_replaces_in_place(kernel):
    """4.19: a new value goes last; setting it again keeps its place, new type/data."""
    key = create(kernel)
    for name in ("A", "B", "C"):
        assert zw_set_value_key(kernel, key, name, REG_DWORD, dword(1)) == S.STATUS_SUCCESS
    zw_set_value_key(kernel, key, "a", REG_SZ, sz("x"))
    values = kernel.registry.snapshot()[ZHANGFAN]
    assert list(values) == ["A", "B", "C"]
    assert values["A"] == (REG_SZ, sz("x"))


def test_4_19_empty_name_is_the_default_value(kernel):
    """4.19: "" names the key's default value."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "", REG_SZ, sz("default"))
    assert kernel.registry.snapshot()[ZHANGFAN][""] == (REG_SZ, sz("default"))


def test_4_19_no_content_validation(kernel):
    """4.19: a REG_SZ without its NUL and a 3-byte REG_DWORD are stored as given."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "s", REG_SZ, "ab".encode("utf-16-le"))
    zw_set_value_key(kernel, key, "d", REG_DWORD, b"\1\2\3")
    assert kernel.registry.snapshot()[ZHANGFAN] == {"s": (REG_SZ, b"a\0b\0"),
                                                    "d": (REG_DWORD, b"\1\2\3")}


def test_4_19_key_set_value_access_checked_for_user_mode_only(kernel):
    """4.19: a KEY_READ handle: STATUS_ACCESS_DENIED for a UserMode caller; a driver's
    Zw call (KernelMode) is not access-checked (ObReferenceObjectByHandle)."""
    create(kernel)
    _, handle = zw_open_key(kernel, ZHANGFAN, KEY_READ)
    assert zw_set_value_key(kernel, handle, "v", REG_DWORD, dword(1),
                            previous_mode=UserMode) == S.STATUS_ACCESS_DENIED
    assert zw_set_value_key(kernel, handle, "v", REG_DWORD, dword(1)) == S.STATUS_SUCCESS


def test_4_19_set_value_on_a_handle_that_is_no_key(kernel):
    """4.19: a handle to something else than a key: STATUS_OBJECT_TYPE_MISMATCH; no
    handle at all: STATUS_INVALID_HANDLE."""
    other = handle_table(kernel).insert(object(), 0)
    assert zw_set_value_key(kernel, other, "v", REG_DWORD, dword(1)) == \
        S.STATUS_OBJECT_TYPE_MISMATCH
    assert zw_set_value_key(kernel, 0x1234, "v", REG_DWORD, dword(1)) == \
        S.STATUS_INVALID_HANDLE


# -- 4.20 ZwQueryValueKey ---------------------------------------------------------------------

def test_4_20_query_value_partial_two_call_pattern(kernel):
    """4.20: Length 0 -> BUFFER_TOO_SMALL with ResultLength 12 + DataLength; then the
    full structure: TitleIndex 0, Type, DataLength, Data at offset 12."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "REG_SZ value", REG_SZ, sz("hello world"))
    status, data, size = zw_query_value_key(kernel, key, "REG_SZ value",
                                            KeyValuePartialInformation, 0)
    assert (status, data, size) == (S.STATUS_BUFFER_TOO_SMALL, None, 36)
    status, data, size = zw_query_value_key(kernel, key, "REG_SZ value",
                                            KeyValuePartialInformation, size)
    assert status == S.STATUS_SUCCESS and size == 36
    assert struct.unpack("<III", data[:12]) == (0, REG_SZ, 24)
    assert data[12:] == sz("hello world")


def test_4_20_query_value_partial_buffer_overflow(kernel):
    """4.20: 12 <= Length < needed: STATUS_BUFFER_OVERFLOW, the header filled and the
    data cut to Length - 12; ResultLength the full size."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "v", REG_SZ, sz("hello world"))
    status, data, size = zw_query_value_key(kernel, key, "v", KeyValuePartialInformation, 16)
    assert (status, size, len(data)) == (S.STATUS_BUFFER_OVERFLOW, 36, 16)
    assert struct.unpack("<III", data[:12]) == (0, REG_SZ, 24)
    assert data[12:] == "he".encode("utf-16-le")
    assert S.STATUS_BUFFER_OVERFLOW & 0xC0000000 == 0x80000000   # a warning


def test_4_20_query_value_below_the_header_writes_nothing(kernel):
    """4.20: Length < 12 is STATUS_BUFFER_TOO_SMALL and nothing is written."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "v", REG_DWORD, dword(1000))
    assert zw_query_value_key(kernel, key, "v", KeyValuePartialInformation, 11) == (
        S.STATUS_BUFFER_TOO_SMALL, None, 16)


def test_4_20_query_missing_value_leaves_result_length(kernel):
    """4.20: a missing value is STATUS_OBJECT_NAME_NOT_FOUND; ResultLength not written."""
    key = create(kernel)
    assert zw_query_value_key(kernel, key, "nope", KeyValuePartialInformation, 100) == (
        S.STATUS_OBJECT_NAME_NOT_FOUND, None, None)


def test_4_20_query_value_basic_information(kernel):
    """4.20: KEY_VALUE_BASIC_INFORMATION: Type, NameLength, the name (no NUL)."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "Name", REG_DWORD, dword(7))
    status, data, size = zw_query_value_key(kernel, key, "name", KeyValueBasicInformation, 64)
    assert (status, size) == (S.STATUS_SUCCESS, 20)
    assert struct.unpack("<III", data[:12]) == (0, REG_DWORD, 8)
    assert data[12:] == "Name".encode("utf-16-le")
    assert zw_query_value_key(kernel, key, "name", KeyValueBasicInformation, 14)[0] == \
        S.STATUS_BUFFER_OVERFLOW


def test_4_20_query_value_full_information_aligns_the_data(kernel):
    """4.20: KEY_VALUE_FULL_INFORMATION: the data after the name at a ULONG boundary;
    DataOffset 0xFFFFFFFF when there is no data."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "abc", REG_DWORD, dword(0x11223344))
    status, data, size = zw_query_value_key(kernel, key, "abc", KeyValueFullInformation, 64)
    title, kind, offset, length, name_length = struct.unpack("<IIIII", data[:20])
    assert (status, kind, offset, length, name_length) == (S.STATUS_SUCCESS, REG_DWORD, 28,
                                                            4, 6)
    assert size == 32 and data[offset:offset + 4] == dword(0x11223344)
    zw_set_value_key(kernel, key, "empty", REG_BINARY, b"")
    _, data, _ = zw_query_value_key(kernel, key, "empty", KeyValueFullInformation, 64)
    assert struct.unpack("<I", data[8:12]) == (0xFFFFFFFF,)


def test_4_20_unknown_value_class_is_invalid_parameter(kernel):
    """4.20: an information class that does not exist: STATUS_INVALID_PARAMETER."""
    key = create(kernel)
    zw_set_value_key(kernel, key, "v", REG_DWORD, dword(1))
    assert zw_query_value_key(kernel, key, "v", 9, 64)[0] == S.STATUS_INVALID_PARAMETER


# -- 4.21 enumeration -------------------------------------------------------------------------

def test_4_21_query_key_full_information_counts(kernel):
    """4.21: KeyFullInformation's SubKeys, Values and the longest names/data in bytes."""
    key = create(kernel)
    for name in ("b", "Alpha"):
        create(kernel, name, root=key)
    zw_set_value_key(kernel, key, "REG_SZ value", REG_SZ, sz("hello world"))
    status, data, size = zw_query_key(kernel, key, KeyFullInformation, 0)
    assert (status, size) == (S.STATUS_BUFFER_TOO_SMALL, 44)
    _, data, _ = zw_query_key(kernel, key, KeyFullInformation, size)
    (_, _, class_offset, class_length, subkeys, max_name, _, values, max_value_name,
     max_data) = struct.unpack("<QIIIIIIIII", data)
    assert (class_offset, class_length, subkeys, values) == (0xFFFFFFFF, 0, 2, 1)
    assert (max_name, max_value_name, max_data) == (10, 24, 24)


def test_4_21_enumerate_key_is_alphabetical_case_insensitive(kernel):
    """4.21: subkeys in up-cased alphabetical order, whatever order they were made in."""
    key = create(kernel)
    for name in ("zeta", "Beta", "alpha"):
        create(kernel, name, root=key)
    names = []
    for index in range(3):
        status, data, size = zw_enumerate_key(kernel, key, index, KeyBasicInformation, 64)
        length = struct.unpack("<I", data[12:16])[0]
        names.append(data[16:16 + length].decode("utf-16-le"))
        assert size == 16 + length
    assert names == ["alpha", "Beta", "zeta"]


def test_4_21_enumerate_past_the_end_is_no_more_entries(kernel):
    """4.21: index >= count: STATUS_NO_MORE_ENTRIES, a warning (not NT_SUCCESS)."""
    key = create(kernel)
    assert zw_enumerate_key(kernel, key, 0, KeyBasicInformation, 64) == (
        S.STATUS_NO_MORE_ENTRIES, None, None)
    assert zw_enumerate_value_key(kernel, key, 0, KeyValueBasicInformation, 64)[0] == \
        S.STATUS_NO_MORE_ENTRIES
    assert S.STATUS_NO_MORE_ENTRIES == 0x8000001A


def test_4_21_enumerate_value_key_in_creation_order(kernel):
    """4.21: values in the order they were created (not alphabetical)."""
    key = create(kernel)
    for name, kind in (("REG_DWORD value", REG_DWORD), ("REG_SZ value", REG_SZ),
                       ("REG_BINARY value", REG_BINARY)):
        zw_set_value_key(kernel, key, name, kind, b"\xFF" * 4)
    seen = []
    for index in range(3):
        _, data, _ = zw_enumerate_value_key(kernel, key, index, KeyValueBasicInformation, 64)
        _, kind, length = struct.unpack("<III", data[:12])
        seen.append((data[12:12 + length].decode("utf-16-le"), kind))
    assert seen == [("REG_DWORD value", REG_DWORD), ("REG_SZ value", REG_SZ),
                    ("REG_BINARY value", REG_BINARY)]


def test_4_21_names_are_not_nul_terminated(kernel):
    """4.21: KEY_BASIC_INFORMATION.Name is NameLength bytes, nothing after it."""
    key = create(kernel)
    create(kernel, "SubItem", root=key)
    _, data, size = zw_enumerate_key(kernel, key, 0, KeyBasicInformation, 100)
    assert len(data) == size == 16 + 14
    assert data.endswith("SubItem".encode("utf-16-le"))


def test_4_21_key_node_information_and_overflow(kernel):
    """4.21: KeyNodeInformation: the fixed 24 bytes, then the name; a short buffer gets
    STATUS_BUFFER_OVERFLOW, below 24 STATUS_BUFFER_TOO_SMALL."""
    key = create(kernel)
    create(kernel, "SubItem", root=key)
    status, data, size = zw_enumerate_key(kernel, key, 0, KeyNodeInformation, 100)
    assert (status, size) == (S.STATUS_SUCCESS, 38)
    assert struct.unpack("<IIII", data[8:24]) == (0, 0xFFFFFFFF, 0, 14)
    assert zw_enumerate_key(kernel, key, 0, KeyNodeInformation, 30)[0] == \
        S.STATUS_BUFFER_OVERFLOW
    assert zw_enumerate_key(kernel, key, 0, KeyNodeInformation, 23)[:2] == (
        S.STATUS_BUFFER_TOO_SMALL, None)


def test_4_21_key_name_information_is_not_modelled(kernel):
    """4.21: KeyNameInformation exists in XP and is not modelled."""
    key = create(kernel)
    with pytest.raises(NotModelledError):
        zw_query_key(kernel, key, KeyNameInformation, 100)


# -- 4.22 deleting ---------------------------------------------------------------------------

def test_4_22_delete_key_with_subkeys_cannot_delete(kernel):
    """4.22: no recursive delete: STATUS_CANNOT_DELETE while SubItem exists."""
    key = create(kernel)
    sub = create(kernel, "SubItem", root=key)
    assert zw_delete_key(kernel, key) == S.STATUS_CANNOT_DELETE
    assert zw_delete_key(kernel, sub) == S.STATUS_SUCCESS
    assert zw_delete_key(kernel, key) == S.STATUS_SUCCESS
    assert kernel.registry.lookup(ZHANGFAN) is None


def test_4_22_deleted_key_handles_give_key_deleted(kernel):
    """4.22: the key leaves the namespace at once; every handle to it stays valid for
    ZwClose and gives STATUS_KEY_DELETED to everything else."""
    key = create(kernel)
    other = create(kernel)
    assert zw_delete_key(kernel, key) == S.STATUS_SUCCESS
    assert zw_open_key(kernel, ZHANGFAN, KEY_READ)[0] == S.STATUS_OBJECT_NAME_NOT_FOUND
    assert zw_set_value_key(kernel, other, "v", REG_DWORD, dword(1)) == S.STATUS_KEY_DELETED
    assert zw_query_key(kernel, other, KeyFullInformation, 64)[0] == S.STATUS_KEY_DELETED
    assert zw_enumerate_key(kernel, key, 0, KeyBasicInformation, 64)[0] == \
        S.STATUS_KEY_DELETED
    assert zw_delete_key(kernel, key) == S.STATUS_KEY_DELETED
    assert zw_create_key(kernel, "Child", KEY_ALL_ACCESS, root=key)[0] == S.STATUS_KEY_DELETED
    assert close(kernel, key) == S.STATUS_SUCCESS
    assert close(kernel, other) == S.STATUS_SUCCESS
    assert close(kernel, key) == S.STATUS_INVALID_HANDLE


def test_4_22_delete_needs_delete_access_for_user_mode(kernel):
    """4.22: DELETE access, checked for a UserMode caller only."""
    create(kernel)
    _, handle = zw_open_key(kernel, ZHANGFAN, KEY_QUERY_VALUE)
    assert zw_delete_key(kernel, handle, previous_mode=UserMode) == S.STATUS_ACCESS_DENIED
    _, handle = zw_open_key(kernel, ZHANGFAN, DELETE)
    assert zw_delete_key(kernel, handle, previous_mode=UserMode) == S.STATUS_SUCCESS


def test_4_22_hive_roots_cannot_be_deleted(kernel):
    """4.22: a hive's root key (SOFTWARE) is STATUS_CANNOT_DELETE even when empty."""
    _, handle = zw_open_key(kernel, "\\Registry\\User\\.Default", KEY_ALL_ACCESS)
    assert zw_delete_key(kernel, handle) == S.STATUS_CANNOT_DELETE


def test_4_22_delete_value_key(kernel):
    """4.22: ZwDeleteValueKey; a missing value is STATUS_OBJECT_NAME_NOT_FOUND; the
    others keep their order."""
    key = create(kernel)
    for name in ("A", "B", "C"):
        zw_set_value_key(kernel, key, name, REG_DWORD, dword(1))
    assert zw_delete_value_key(kernel, key, "b") == S.STATUS_SUCCESS
    assert zw_delete_value_key(kernel, key, "b") == S.STATUS_OBJECT_NAME_NOT_FOUND
    assert list(kernel.registry.snapshot()[ZHANGFAN]) == ["A", "C"]


def test_4_22_flush_key_checks_the_handle(kernel):
    """ZwFlushKey: STATUS_SUCCESS on a key, STATUS_KEY_DELETED after a delete."""
    key = create(kernel)
    assert zw_flush_key(kernel, key) == S.STATUS_SUCCESS
    zw_delete_key(kernel, key)
    assert zw_flush_key(kernel, key) == S.STATUS_KEY_DELETED


# -- 4.23 RtlQueryRegistryValues ---------------------------------------------------------------

class Scalar:
    """An EntryContext for a ULONG variable."""

    def __init__(self, value: int = 0, length: int = 4) -> None:
        self.data, self.length = bytearray(value.to_bytes(length, "little")), length

    def read(self, start: int = 0, count: int | None = None) -> bytes:
        return bytes(self.data[start:] if count is None else self.data[start:start + count])

    def write(self, payload: bytes, start: int = 0) -> None:
        self.data[start:start + len(payload)] = payload

    @property
    def value(self) -> int:
        return int.from_bytes(self.data, "little")


def services_key(kernel, values: dict) -> None:
    node = kernel.registry.ensure(SERVICES + "\\HelloDDK\\Zhangfan")
    for name, (kind, data) in values.items():
        kernel.registry.set_value(node, name, kind, data)


def test_4_23_query_direct_dword(kernel):
    """4.23: DIRECT + REG_DWORD: the ULONG lands in EntryContext."""
    services_key(kernel, {"DWORD_Value": (REG_DWORD, dword(100))})
    target = Scalar()
    status = rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                       [QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "DWORD_Value",
                                                   target)])
    assert (status, target.value) == (S.STATUS_SUCCESS, 100)


def test_4_23_query_default_used_when_value_missing(kernel):
    """4.23: a missing value takes DefaultType/DefaultData; REG_NONE skips the entry."""
    services_key(kernel, {})
    target, untouched = Scalar(7), Scalar(9)
    table = [QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "Missing", target, REG_DWORD, dword(42)),
             QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "Missing", untouched, 0, dword(42))]
    assert rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                     table) == S.STATUS_SUCCESS
    assert (target.value, untouched.value) == (42, 9)


def test_4_23_query_required_missing_stops(kernel):
    """4.23: REQUIRED and missing: STATUS_OBJECT_NAME_NOT_FOUND, later entries skipped."""
    services_key(kernel, {"B": (REG_DWORD, dword(5))})
    later = Scalar()
    table = [QueryEntry(RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED, "A", Scalar()),
             QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "B", later)]
    assert rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                     table) == S.STATUS_OBJECT_NAME_NOT_FOUND
    assert later.value == 0


def test_4_23_query_missing_key_unless_optional(kernel):
    """4.23: a missing key: STATUS_OBJECT_NAME_NOT_FOUND, or success with OPTIONAL."""
    table = [QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "A", Scalar())]
    assert rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "Nope", table) == \
        S.STATUS_OBJECT_NAME_NOT_FOUND
    assert rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL,
                                     "Nope", table) == S.STATUS_SUCCESS


def test_4_23_query_direct_string_allocates_when_buffer_null(kernel):
    """4.23: REG_SZ into a UNICODE_STRING with a NULL Buffer: PagedPool of the data's
    size, Length without the NUL."""
    services_key(kernel, {"SZ_Value": (REG_SZ, sz("Hello DDK"))})
    string = Buffer.new(kernel.pool, 8)
    assert rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                     [QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "SZ_Value",
                                                 string)]) == S.STATUS_SUCCESS
    length, maximum, address = struct.unpack("<HHI", string.read(0, 8))
    assert (length, maximum) == (18, 20)
    assert kernel.pool_blocks.usage() == {"Strg": (1, 20)}
    assert kernel.objects.at(address).read(0, 20) == sz("Hello DDK")


def test_4_23_query_direct_string_too_small_buffer(kernel):
    """4.23: an existing Buffer whose MaximumLength cannot hold it: BUFFER_TOO_SMALL."""
    services_key(kernel, {"SZ_Value": (REG_SZ, sz("Hello DDK"))})
    memory = ex_allocate_pool(kernel, 1, 8)
    string = Buffer.new(kernel.pool, 8)
    string.write(struct.pack("<HHI", 0, 8, memory.address))
    assert rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                     [QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "SZ_Value",
                                                 string)]) == S.STATUS_BUFFER_TOO_SMALL


def test_4_23_query_direct_binary_negative_size_and_header_forms(kernel):
    """4.23: other data: a negative LONG first = the buffer size, data only; positive =
    ULONG length, ULONG type, then the data; too small: BUFFER_TOO_SMALL."""
    services_key(kernel, {"Bin": (REG_BINARY, b"\xFF" * 10)})
    only = Scalar(-16 & 0xFFFFFFFF, 16)
    only.data[:4] = (-16 & 0xFFFFFFFF).to_bytes(4, "little")
    with_header = Scalar(0, 20)
    with_header.data[:4] = (20).to_bytes(4, "little")
    small = Scalar(0, 8)
    small.data[:4] = (-8 & 0xFFFFFFFF).to_bytes(4, "little")
    run = lambda target: rtl_query_registry_values(  # noqa: E731
        kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
        [QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "Bin", target)])
    assert run(only) == S.STATUS_SUCCESS and only.read(0, 10) == b"\xFF" * 10
    assert run(with_header) == S.STATUS_SUCCESS
    assert struct.unpack("<II", with_header.read(0, 8)) == (10, REG_BINARY)
    assert run(small) == S.STATUS_BUFFER_TOO_SMALL


def test_4_23_query_delete_flag_deletes_after_reading(kernel):
    """4.23: RTL_QUERY_REGISTRY_DELETE: the value is deleted once it was queried."""
    services_key(kernel, {"A": (REG_DWORD, dword(3))})
    target = Scalar()
    rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                              [QueryEntry(RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_DELETE,
                                          "A", target)])
    assert target.value == 3
    assert kernel.registry.snapshot()[SERVICES.replace("CurrentControlSet", "ControlSet001")
                                      + "\\HelloDDK\\Zhangfan"] == {}


def test_4_23_table_ends_at_an_entry_without_direct(kernel):
    """4.23: an entry with no QueryRoutine and no DIRECT/SUBKEY ends the table."""
    services_key(kernel, {"A": (REG_DWORD, dword(1)), "B": (REG_DWORD, dword(2))})
    after = Scalar()
    rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                              [QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "A", Scalar()),
                               QueryEntry(0, "A", Scalar()),
                               QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "B", after)])
    assert after.value == 0


def test_4_23_subkey_entries_and_multi_sz_are_not_modelled(kernel):
    """4.23: SUBKEY entries, REG_MULTI_SZ without NOEXPAND: NotModelledError."""
    services_key(kernel, {"M": (REG_MULTI_SZ, sz("a") + b"\0\0")})
    for entry in (QueryEntry(RTL_QUERY_REGISTRY_SUBKEY, "X", None),
                  QueryEntry(RTL_QUERY_REGISTRY_DIRECT, "M", Scalar())):
        with pytest.raises(NotModelledError):
            rtl_query_registry_values(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                      [entry])


# -- 4.24 the other Rtl helpers --------------------------------------------------------------

def test_4_24_check_registry_key(kernel):
    """4.24: STATUS_SUCCESS if the key opens, else STATUS_OBJECT_NAME_NOT_FOUND; the
    helper closes what it opened."""
    kernel.registry.ensure(SERVICES + "\\HelloDDK")
    before = {k: dict(v.entries) for k, v in kernel.handle_tables.items()}
    assert rtl_check_registry_key(kernel, RTL_REGISTRY_SERVICES, "HelloDDK") == S.STATUS_SUCCESS
    assert rtl_check_registry_key(kernel, RTL_REGISTRY_SERVICES, "Nope") == \
        S.STATUS_OBJECT_NAME_NOT_FOUND
    assert {k: dict(v.entries) for k, v in kernel.handle_tables.items()
            if v.entries} == {k: v for k, v in before.items() if v}


def test_4_24_create_registry_key_one_level(kernel):
    """4.24: RtlCreateRegistryKey creates the last component only (4.18)."""
    kernel.registry.ensure(SERVICES + "\\HelloDDK")
    assert rtl_create_registry_key(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan") == \
        S.STATUS_SUCCESS
    assert rtl_create_registry_key(kernel, RTL_REGISTRY_SERVICES, "Other\\Zhangfan") == \
        S.STATUS_OBJECT_NAME_NOT_FOUND


def test_4_24_write_registry_value_creates_the_last_component(kernel):
    """4.24: RtlWriteRegistryValue opens with create semantics: a missing last component
    is created, a missing intermediate fails."""
    kernel.registry.ensure(SERVICES + "\\HelloDDK")
    assert rtl_write_registry_value(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                    "DWORD_Value", REG_DWORD, dword(100)) == S.STATUS_SUCCESS
    assert kernel.registry.lookup(SERVICES + "\\HelloDDK\\Zhangfan").value(
        "dword_value").data == dword(100)
    assert rtl_write_registry_value(kernel, RTL_REGISTRY_SERVICES, "A\\B", "v", REG_QWORD,
                                    bytes(8)) == S.STATUS_OBJECT_NAME_NOT_FOUND


def test_4_24_write_registry_value_through_a_handle(kernel):
    """4.24: RTL_REGISTRY_HANDLE: Path is a key handle, left open for the caller."""
    key = create(kernel)
    assert rtl_write_registry_value(kernel, RTL_REGISTRY_HANDLE, key, "v", REG_DWORD,
                                    dword(1)) == S.STATUS_SUCCESS
    assert zw_query_value_key(kernel, key, "v", KeyValuePartialInformation, 16)[0] == \
        S.STATUS_SUCCESS


def test_4_24_delete_registry_value(kernel):
    """4.24: RtlDeleteRegistryValue; a missing value: STATUS_OBJECT_NAME_NOT_FOUND."""
    services_key(kernel, {"DWORD_Value": (REG_DWORD, dword(1))})
    assert rtl_delete_registry_value(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                     "DWORD_Value") == S.STATUS_SUCCESS
    assert rtl_delete_registry_value(kernel, RTL_REGISTRY_SERVICES, "HelloDDK\\Zhangfan",
                                     "DWORD_Value") == S.STATUS_OBJECT_NAME_NOT_FOUND


def test_4_24_invalid_relative_to_is_invalid_parameter(kernel):
    """4.24: a RelativeTo beyond RTL_REGISTRY_USER: STATUS_INVALID_PARAMETER."""
    assert rtl_check_registry_key(kernel, 6, "X") == S.STATUS_INVALID_PARAMETER


def test_service_key_exists_with_what_create_service_writes(kernel):
    """A driver's service key (its RegistryPath): Type 1, Start, ErrorControl 1."""
    kernel.registry.create_service_key("HelloDDK", 3)
    values = kernel.registry.snapshot()[
        "\\Registry\\Machine\\System\\ControlSet001\\Services\\HelloDDK"]
    assert values == {"Type": (REG_DWORD, dword(1)), "Start": (REG_DWORD, dword(3)),
                      "ErrorControl": (REG_DWORD, dword(1))}
