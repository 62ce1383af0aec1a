"""RtlNtStatusToDosError, win32-io 1.9 row by row and the special cases of 1.9a. The
expected values are written out from the spec's table, not read back from the model."""

from __future__ import annotations

import pytest

from harness.kernel import rtl_nt_status_to_dos_error

# win32-io 1.9: (NTSTATUS, Win32 error)
TABLE_1_9 = [
    (0x00000000, 0),      # STATUS_SUCCESS -> NO_ERROR
    (0x00000103, 997),    # STATUS_PENDING -> ERROR_IO_PENDING
    (0x00000102, 1460),   # STATUS_TIMEOUT -> ERROR_TIMEOUT
    (0x40000000, 183),    # STATUS_OBJECT_NAME_EXISTS -> ERROR_ALREADY_EXISTS
    (0x80000002, 998),    # STATUS_DATATYPE_MISALIGNMENT -> ERROR_NOACCESS
    (0x80000005, 234),    # STATUS_BUFFER_OVERFLOW -> ERROR_MORE_DATA
    (0x80000011, 170),    # STATUS_DEVICE_BUSY -> ERROR_BUSY
    (0x8000001A, 259),    # STATUS_NO_MORE_ENTRIES -> ERROR_NO_MORE_ITEMS
    (0xC0000001, 31),     # STATUS_UNSUCCESSFUL -> ERROR_GEN_FAILURE
    (0xC0000002, 1),      # STATUS_NOT_IMPLEMENTED -> ERROR_INVALID_FUNCTION
    (0xC0000003, 87),     # STATUS_INVALID_INFO_CLASS -> ERROR_INVALID_PARAMETER
    (0xC0000004, 24),     # STATUS_INFO_LENGTH_MISMATCH -> ERROR_BAD_LENGTH
    (0xC0000005, 998),    # STATUS_ACCESS_VIOLATION -> ERROR_NOACCESS
    (0xC0000008, 6),      # STATUS_INVALID_HANDLE -> ERROR_INVALID_HANDLE
    (0xC000000D, 87),     # STATUS_INVALID_PARAMETER
    *[(0xC00000EF + i, 87) for i in range(12)],   # STATUS_INVALID_PARAMETER_1 .. _12
    (0xC0000030, 87),     # STATUS_INVALID_PARAMETER_MIX
    (0xC000000E, 2),      # STATUS_NO_SUCH_DEVICE -> ERROR_FILE_NOT_FOUND
    (0xC0000010, 1),      # STATUS_INVALID_DEVICE_REQUEST -> ERROR_INVALID_FUNCTION
    (0xC0000011, 38),     # STATUS_END_OF_FILE -> ERROR_HANDLE_EOF
    (0xC0000017, 8),      # STATUS_NO_MEMORY -> ERROR_NOT_ENOUGH_MEMORY
    (0xC0000022, 5),      # STATUS_ACCESS_DENIED
    (0xC0000023, 122),    # STATUS_BUFFER_TOO_SMALL -> ERROR_INSUFFICIENT_BUFFER
    (0xC0000024, 6),      # STATUS_OBJECT_TYPE_MISMATCH -> ERROR_INVALID_HANDLE
    (0xC0000034, 2),      # STATUS_OBJECT_NAME_NOT_FOUND -> ERROR_FILE_NOT_FOUND
    (0xC0000035, 183),    # STATUS_OBJECT_NAME_COLLISION -> ERROR_ALREADY_EXISTS
    (0xC000003A, 3),      # STATUS_OBJECT_PATH_NOT_FOUND -> ERROR_PATH_NOT_FOUND
    (0xC0000043, 32),     # STATUS_SHARING_VIOLATION -> ERROR_SHARING_VIOLATION
    (0xC0000046, 288),    # STATUS_MUTANT_NOT_OWNED -> ERROR_NOT_OWNER
    (0xC0000047, 298),    # STATUS_SEMAPHORE_LIMIT_EXCEEDED -> ERROR_TOO_MANY_POSTS
    (0xC0000056, 5),      # STATUS_DELETE_PENDING -> ERROR_ACCESS_DENIED
    (0xC0000061, 1314),   # STATUS_PRIVILEGE_NOT_HELD
    (0xC000007B, 193),    # STATUS_INVALID_IMAGE_FORMAT -> ERROR_BAD_EXE_FORMAT
    (0xC000009A, 1450),   # STATUS_INSUFFICIENT_RESOURCES -> ERROR_NO_SYSTEM_RESOURCES
    (0xC00000A3, 21),     # STATUS_DEVICE_NOT_READY -> ERROR_NOT_READY
    (0xC00000B5, 121),    # STATUS_IO_TIMEOUT -> ERROR_SEM_TIMEOUT
    (0xC00000BB, 50),     # STATUS_NOT_SUPPORTED
    (0xC00000C0, 55),     # STATUS_DEVICE_DOES_NOT_EXIST -> ERROR_DEV_NOT_EXIST
    (0xC000010E, 1056),   # STATUS_IMAGE_ALREADY_LOADED -> ERROR_SERVICE_ALREADY_RUNNING
    (0xC0000120, 995),    # STATUS_CANCELLED -> ERROR_OPERATION_ABORTED
    (0xC0000184, 22),     # STATUS_INVALID_DEVICE_STATE -> ERROR_BAD_COMMAND
    (0xC0000225, 1168),   # STATUS_NOT_FOUND
    (0xC00002B6, 1617),   # STATUS_DEVICE_REMOVED
]


@pytest.mark.parametrize("status, win32", TABLE_1_9, ids=[f"0x{s:08X}" for s, _ in TABLE_1_9])
def test_1_9_status_to_win32_table_row(status, win32):
    assert rtl_nt_status_to_dos_error(status) == win32


# win32-io 1.9a, in the order ntdll applies them
SPECIAL_1_9A = [
    ("customer bit: an error returned unchanged", 0xE0000001, 0xE0000001),
    ("customer bit: a warning returned unchanged", 0xA0000001, 0xA0000001),
    ("customer bit: a success code returned unchanged", 0x20000005, 0x20000005),
    ("0xD folded to 0xC, then the table", 0xD0000120, 995),
    ("0xD folded to 0xC, then the table (EOF)", 0xD0000011, 38),
    ("0xC001xxxx gives its low word", 0xC0010057, 0x57),
    ("0x8007xxxx (HRESULT_FROM_WIN32) gives its low word", 0x80070005, 5),
    ("0xC007xxxx is not unwrapped", 0xC0070005, 317),
    ("a private code without the customer bit", 0xC0DEC0DE, 317),
    ("an unlisted warning", 0x80001234, 317),
]


@pytest.mark.parametrize("why, status, win32", SPECIAL_1_9A, ids=[w for w, _, _ in SPECIAL_1_9A])
def test_1_9a_special_cases(why, status, win32):
    assert rtl_nt_status_to_dos_error(status) == win32
