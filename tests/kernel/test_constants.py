"""The WDK constants the kernel speaks (io-core §1.5, §1.6, §6.8, §8.2, §9; kernel-env §0,
§1.1). Expected values are written out from the spec, not read back from the model."""

from __future__ import annotations

import pytest

from harness.kernel import (DO_BUFFERED_IO, DO_DEVICE_HAS_NAME, DO_DEVICE_INITIALIZING,
                            DO_DIRECT_IO, DO_EXCLUSIVE, DO_POWER_PAGABLE, IRP_MJ, IRQL, NTSTATUS,
                            SL_ERROR_RETURNED, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR,
                            SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED, BugCheckCode, IrpFlags,
                            ctl_code, nt_error, nt_success, rtl_nt_status_to_dos_error,
                            status_name)

# kernel-env §0: NTSTATUS -> Win32 (RtlNtStatusToDosError)
NT_TO_WIN32 = [
    (0x00000000, 0),      # SUCCESS
    (0x00000103, 997),    # PENDING -> ERROR_IO_PENDING
    (0xC0000120, 995),    # CANCELLED -> ERROR_OPERATION_ABORTED
    (0xC0000010, 1),      # INVALID_DEVICE_REQUEST -> ERROR_INVALID_FUNCTION
    (0xC0000002, 1),      # NOT_IMPLEMENTED
    (0xC0000001, 31),     # UNSUCCESSFUL -> ERROR_GEN_FAILURE
    (0xC0000023, 122),    # BUFFER_TOO_SMALL -> ERROR_INSUFFICIENT_BUFFER
    (0x80000005, 234),    # BUFFER_OVERFLOW -> ERROR_MORE_DATA
    (0xC0000016, 234),    # MORE_PROCESSING_REQUIRED
    (0xC0000011, 38),     # END_OF_FILE -> ERROR_HANDLE_EOF
    (0x00000102, 1460),   # TIMEOUT -> ERROR_TIMEOUT
    (0xC00000B5, 121),    # IO_TIMEOUT -> ERROR_SEM_TIMEOUT
    (0xC000000D, 87),     # INVALID_PARAMETER
    (0xC0000022, 5),      # ACCESS_DENIED
    (0xC0000056, 5),      # DELETE_PENDING
    (0xC000009A, 1450),   # INSUFFICIENT_RESOURCES -> ERROR_NO_SYSTEM_RESOURCES
    (0xC0000017, 8),      # NO_MEMORY -> ERROR_NOT_ENOUGH_MEMORY
    (0xC00000A2, 19),     # MEDIA_WRITE_PROTECTED -> ERROR_WRITE_PROTECT
    (0xC00000A3, 21),     # DEVICE_NOT_READY -> ERROR_NOT_READY
    (0x80000011, 170),    # DEVICE_BUSY -> ERROR_BUSY
    (0xC00000BB, 50),     # NOT_SUPPORTED
    (0xC000000E, 2),      # NO_SUCH_DEVICE -> ERROR_FILE_NOT_FOUND
    (0xC0000034, 2),      # OBJECT_NAME_NOT_FOUND -> ERROR_FILE_NOT_FOUND
    (0xC0000008, 6),      # INVALID_HANDLE
    (0xC0000005, 998),    # ACCESS_VIOLATION -> ERROR_NOACCESS
    (0xC0000046, 288),    # MUTANT_NOT_OWNED -> ERROR_NOT_OWNER
]


@pytest.mark.parametrize("status, win32", NT_TO_WIN32, ids=[f"0x{s:08X}" for s, _ in NT_TO_WIN32])
def test_nt_status_to_win32_mapping(status, win32):
    """kernel-env §0: the RtlNtStatusToDosError table (verified against Windows by Wine)."""
    assert rtl_nt_status_to_dos_error(status) == win32


def test_unknown_status_maps_to_mr_mid_not_found():
    """kernel-env §0 (Windows behaviour): a status missing from the table maps to
    ERROR_MR_MID_NOT_FOUND (317)."""
    assert rtl_nt_status_to_dos_error(0xC0DEC0DE) == 317


# io-core §9.1 / kernel-env §0: NTSTATUS values
STATUS_VALUES = {
    "STATUS_SUCCESS": 0x0, "STATUS_ABANDONED": 0x80, "STATUS_USER_APC": 0xC0,
    "STATUS_KERNEL_APC": 0x100, "STATUS_ALERTED": 0x101, "STATUS_TIMEOUT": 0x102,
    "STATUS_PENDING": 0x103, "STATUS_REPARSE": 0x104, "STATUS_BUFFER_OVERFLOW": 0x80000005,
    "STATUS_DEVICE_BUSY": 0x80000011, "STATUS_VERIFY_REQUIRED": 0x80000016,
    "STATUS_UNSUCCESSFUL": 0xC0000001, "STATUS_NOT_IMPLEMENTED": 0xC0000002,
    "STATUS_ACCESS_VIOLATION": 0xC0000005, "STATUS_INVALID_HANDLE": 0xC0000008,
    "STATUS_INVALID_PARAMETER": 0xC000000D, "STATUS_NO_SUCH_DEVICE": 0xC000000E,
    "STATUS_INVALID_DEVICE_REQUEST": 0xC0000010, "STATUS_END_OF_FILE": 0xC0000011,
    "STATUS_MORE_PROCESSING_REQUIRED": 0xC0000016, "STATUS_ACCESS_DENIED": 0xC0000022,
    "STATUS_BUFFER_TOO_SMALL": 0xC0000023, "STATUS_OBJECT_NAME_NOT_FOUND": 0xC0000034,
    "STATUS_OBJECT_NAME_COLLISION": 0xC0000035, "STATUS_MUTANT_NOT_OWNED": 0xC0000046,
    "STATUS_DELETE_PENDING": 0xC0000056, "STATUS_FILE_INVALID": 0xC0000098,
    "STATUS_INSUFFICIENT_RESOURCES": 0xC000009A, "STATUS_MEDIA_WRITE_PROTECTED": 0xC00000A2,
    "STATUS_DEVICE_NOT_READY": 0xC00000A3, "STATUS_IO_TIMEOUT": 0xC00000B5,
    "STATUS_NOT_SUPPORTED": 0xC00000BB, "STATUS_CANCELLED": 0xC0000120,
}


def test_ntstatus_values():
    """io-core §9.1 / kernel-env §0: the NTSTATUS values."""
    assert {name: int(NTSTATUS[name]) for name in STATUS_VALUES} == STATUS_VALUES
    assert status_name(0xC0000120) == "STATUS_CANCELLED"
    assert status_name(0xC0DEC0DE) == "0xC0DEC0DE"


def test_nt_success_and_nt_error_split_warnings():
    """io-core §5.5 / §9.1: NT_SUCCESS = signed >= 0; NT_ERROR = severity 11; a warning
    (0x8...) is neither success nor error."""
    assert nt_success(0x0) and nt_success(0x103) and not nt_error(0x103)
    assert not nt_success(0x80000005) and not nt_error(0x80000005)
    assert not nt_success(0xC0000001) and nt_error(0xC0000001)


def test_ctl_code_layout():
    """io-core §6.8 / kernel-env §8.2: (DeviceType << 16) | (Access << 14) |
    (Function << 2) | Method; IOCTL_DISK_IS_WRITABLE = 0x70024."""
    code = ctl_code(0x22, 0x801, 2, 3)
    assert code == 0x0022E006
    assert (code >> 16, (code >> 14) & 3, (code >> 2) & 0xFFF, code & 3) == (0x22, 3, 0x801, 2)
    assert ctl_code(7, 9, 0, 0) == 0x70024


def test_irp_major_function_codes():
    """io-core §9.2: IRP_MJ_* values; IRP_MJ_PNP 0x1B is the maximum."""
    expected = {"CREATE": 0x00, "CLOSE": 0x02, "READ": 0x03, "WRITE": 0x04,
                "DEVICE_CONTROL": 0x0E, "INTERNAL_DEVICE_CONTROL": 0x0F, "SHUTDOWN": 0x10,
                "CLEANUP": 0x12, "POWER": 0x16, "SYSTEM_CONTROL": 0x17, "PNP": 0x1B}
    assert {k: int(IRP_MJ["IRP_MJ_" + k]) for k in expected} == expected
    assert max(IRP_MJ) == 0x1B and len(IRP_MJ) == 0x1C


def test_stack_control_and_irp_flag_bits():
    """io-core §1.5 / §1.6: SL_* Control bits and Irp->Flags values."""
    assert (SL_PENDING_RETURNED, SL_ERROR_RETURNED, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_SUCCESS,
            SL_INVOKE_ON_ERROR) == (0x01, 0x02, 0x20, 0x40, 0x80)
    assert {f.name: int(f) for f in IrpFlags} == {
        "IRP_NOCACHE": 0x1, "IRP_PAGING_IO": 0x2, "IRP_SYNCHRONOUS_API": 0x4,
        "IRP_ASSOCIATED_IRP": 0x8, "IRP_BUFFERED_IO": 0x10, "IRP_DEALLOCATE_BUFFER": 0x20,
        "IRP_INPUT_OPERATION": 0x40, "IRP_CREATE_OPERATION": 0x80,
        "IRP_READ_OPERATION": 0x100, "IRP_WRITE_OPERATION": 0x200,
        "IRP_CLOSE_OPERATION": 0x400, "IRP_DEFER_IO_COMPLETION": 0x800}


def test_device_object_flags():
    """io-core §8.2: DO_* values."""
    assert (DO_BUFFERED_IO, DO_EXCLUSIVE, DO_DIRECT_IO, DO_DEVICE_HAS_NAME,
            DO_DEVICE_INITIALIZING, DO_POWER_PAGABLE) == (0x4, 0x8, 0x10, 0x40, 0x80, 0x2000)


def test_irql_levels():
    """kernel-env §1.1: x86 IRQLs."""
    assert {i.name: int(i) for i in IRQL} == {
        "PASSIVE_LEVEL": 0, "APC_LEVEL": 1, "DISPATCH_LEVEL": 2, "PROFILE_LEVEL": 27,
        "CLOCK_LEVEL": 28, "IPI_LEVEL": 29, "POWER_LEVEL": 30, "HIGH_LEVEL": 31}


def test_bug_check_codes():
    """io-core §9.4 / kernel-env §0: bug check codes."""
    expected = {"APC_INDEX_MISMATCH": 0x1, "IRQL_NOT_GREATER_OR_EQUAL": 0x9,
                "IRQL_NOT_LESS_OR_EQUAL": 0xA, "MAXIMUM_WAIT_OBJECTS_EXCEEDED": 0xC,
                "SPIN_LOCK_ALREADY_OWNED": 0xF, "SPIN_LOCK_NOT_OWNED": 0x10,
                "NO_MORE_IRP_STACK_LOCATIONS": 0x35, "MULTIPLE_IRP_COMPLETE_REQUESTS": 0x44,
                "CANCEL_STATE_IN_COMPLETED_IRP": 0x48, "PAGE_FAULT_IN_NONPAGED_AREA": 0x50,
                "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED": 0x7E, "ATTEMPTED_SWITCH_FROM_DPC": 0xB8,
                "BAD_POOL_CALLER": 0xC2, "DRIVER_VERIFIER_DETECTED_VIOLATION": 0xC4,
                "DRIVER_VERIFIER_IOMANAGER_VIOLATION": 0xC9,
                "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS": 0xCE,
                "DRIVER_IRQL_NOT_LESS_OR_EQUAL": 0xD1}
    assert {name: int(BugCheckCode[name]) for name in expected} == expected
