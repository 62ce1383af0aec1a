"""ntdll: the system-call boundary between the application's process and the kernel.

Everything user mode may ask of the kernel goes through here, under ntdll's names:
the file services (NtCreateFile, NtReadFile, NtWriteFile, NtDeviceIoControlFile,
NtQueryInformationFile, NtCancelIoFile, NtClose), events and waits (NtCreateEvent,
NtSetEvent, NtResetEvent, NtWaitForSingleObject), NtDelayExecution, the process's
virtual memory, and the Rtl helpers ntdll itself exports (RtlNtStatusToDosError).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

# Re-exported for kernel32 (the types and codes a Win32 layer sees), hence noqa.
from ..kernel import (NTSTATUS, Buffer, IoStatusBlock, KEvent, NotModelledError,  # noqa: F401
                      UserMode, ke_delay_execution_thread, ke_reset_event, ke_set_event,
                      ke_wait_for_single_object, nt_close, nt_create_file,
                      nt_device_io_control_file, nt_query_information_file, nt_read_file,
                      nt_success, nt_write_file, rtl_nt_status_to_dos_error)
from ..kernel import PASSIVE_LEVEL, BugCheckCode
from ..kernel import (ERROR_HANDLE_EOF, ERROR_INVALID_HANDLE,  # noqa: F401
                      ERROR_INVALID_PARAMETER, ERROR_IO_INCOMPLETE, FileStandardInformation,
                      NotificationEvent, SynchronizationEvent)
from ..kernel.io.file import nt_cancel_io_file
from ..kernel.mm.memory import USER_BASE, AddressSpace

RtlNtStatusToDosError = rtl_nt_status_to_dos_error


def _system_call(name: str, service: Callable[..., Generator]) -> Callable[..., Generator]:
    """A system call: the kernel service, then the return to user mode, which checks
    that the thread is back at PASSIVE_LEVEL (KiServiceExit). A driver that returned at
    raised IRQL (a spin lock still held) is bug check 0x4A IRQL_GT_ZERO_AT_SYSTEM_SERVICE
    (P1 the service, P2 the IRQL); on an XP-like machine (strict: false) the thread goes
    back to user mode at that IRQL and the trace reports the violation."""
    def call(first: Any, *args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        result = yield from service(first, *args, **kwargs)
        kernel = first if hasattr(first, "cpus") else first.kernel
        irql = kernel.cpu.irql
        if irql != PASSIVE_LEVEL:
            reason = f"{name} returned to user mode at IRQL {irql}"
            if kernel.strict:
                kernel.bug_check(BugCheckCode.IRQL_GT_ZERO_AT_SYSTEM_SERVICE,
                                 kernel.routine_address(call), irql, 0, 0, reason=reason)
            kernel.hooks.violation("IRQL_GT_ZERO_AT_SYSTEM_SERVICE", reason)
        return result
    call.__name__ = name
    return call


NtCreateFile = _system_call("NtCreateFile", nt_create_file)
NtReadFile = _system_call("NtReadFile", nt_read_file)
NtWriteFile = _system_call("NtWriteFile", nt_write_file)
NtDeviceIoControlFile = _system_call("NtDeviceIoControlFile", nt_device_io_control_file)
NtQueryInformationFile = _system_call("NtQueryInformationFile", nt_query_information_file)
NtCancelIoFile = _system_call("NtCancelIoFile", nt_cancel_io_file)
NtClose = _system_call("NtClose", nt_close)


def NtCreateEvent(kernel: Any, notification: bool, initial_state: bool,  # noqa: N802
                  name: str) -> KEvent:
    """NtCreateEvent: the event object itself stands for its handle."""
    return KEvent(kernel, NotificationEvent if notification else SynchronizationEvent,
                  initial_state, name)


def NtSetEvent(event: KEvent) -> int:  # noqa: N802
    """NtSetEvent: returns the previous state."""
    return ke_set_event(event)


def NtResetEvent(event: KEvent) -> int:  # noqa: N802
    """NtResetEvent: returns the previous state."""
    return ke_reset_event(event)


def NtWaitForSingleObject(obj: Any, timeout: int | None = None  # noqa: N802
                          ) -> Generator[Any, Any, int]:
    """NtWaitForSingleObject (UserMode, not alertable): timeout in 100 ns, relative < 0."""
    return (yield from ke_wait_for_single_object(obj, timeout=timeout))


def NtDelayExecution(kernel: Any, interval: int) -> Generator[Any, Any, int]:  # noqa: N802
    """NtDelayExecution (not alertable): interval in 100 ns, relative < 0."""
    return (yield from ke_delay_execution_thread(kernel, UserMode, False, interval))


def new_address_space() -> AddressSpace:
    """A process's user address space (where NtAllocateVirtualMemory finds room)."""
    return AddressSpace(USER_BASE)


def allocate(space: AddressSpace, size: int, fill: int) -> Buffer:
    """NtAllocateVirtualMemory, as the model needs it: ``size`` bytes of ``fill``."""
    return Buffer.new(space, size, fill)
