"""ntdll: the system-call boundary between the application's process and the kernel.

Everything user mode may ask of the kernel goes through here, under ntdll's names:
the PnP manager's interface list (NtPlugPlayControl, for setupapi), the file
services (NtCreateFile, NtReadFile, NtWriteFile, NtDeviceIoControlFile,
NtQueryInformationFile, NtCancelIoFile, NtClose), the synchronization objects by handle
(NtCreateEvent, NtSetEvent, NtResetEvent, NtPulseEvent, NtCreateSemaphore,
NtReleaseSemaphore, NtCreateMutant, NtReleaseMutant, NtWaitForSingleObject,
NtWaitForMultipleObjects), NtDelayExecution, the process's
virtual memory, and the Rtl helpers ntdll itself exports (RtlNtStatusToDosError).
"""

from __future__ import annotations

from typing import Any, Callable, Generator, TypeVar

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
from ..kernel import (EVENT_ALL_ACCESS, KERNEL_HANDLE_BIT,  # noqa: F401 - kernel32's too
                      MUTANT_ALL_ACCESS, OBJ_OPENIF, THREAD_ALL_ACCESS, nt_error,
                      SEMAPHORE_ALL_ACCESS, KSemaphore, StatusRaised, WaitAll, WaitAny,
                      handle_table, ke_initialize_mutant, ke_pulse_event, ke_release_mutant,
                      ke_release_semaphore, ke_wait_for_multiple_objects,
                      ob_reference_object_by_handle, zw_create_event)
from ..kernel import (DRVO_LEGACY_DRIVER, nt_load_driver_service,  # noqa: F401 - the SCM's
                      nt_unload_driver_service)
from ..kernel.constants import (ERROR_DUPLICATE_SERVICE_NAME,  # noqa: F401 - the SCM's
                                ERROR_INVALID_SERVICE_CONTROL, ERROR_SERVICE_ALREADY_RUNNING,
                                ERROR_SERVICE_DISABLED, ERROR_SERVICE_DOES_NOT_EXIST,
                                ERROR_SERVICE_EXISTS, ERROR_SERVICE_MARKED_FOR_DELETE,
                                ERROR_SERVICE_NOT_ACTIVE, ERROR_SUCCESS)
from ..kernel import (DEVICE_INTERFACE_INCLUDE_NONACTIVE, guid_text,  # noqa: F401 - setupapi's
                      io_get_device_interfaces)
from ..kernel.io.file import nt_cancel_io_file
from ..kernel import nt_cancel_io_file_ex, nt_cancel_synchronous_io_file
from ..kernel import (FileCompletionInformation,  # noqa: F401 - kernel32's completion ports
                      FileIoCompletionNotificationInformation, IoCompletion,
                      nt_close_io_completion, nt_create_io_completion, nt_remove_io_completion,
                      nt_set_completion_information, nt_set_completion_notification,
                      nt_set_io_completion)
from ..kernel.ob.named import create_named_object, open_named_object
from ..kernel.mm.memory import USER_BASE
from ..kernel import UnmappedUserPointer, UserAddressSpace, UserBuffer
from ..kernel import (iop_query_information, iop_set_information, nt_duplicate_object,
                      nt_flush_buffers_file, nt_query_volume_information_file)
from ..kernel import ERROR_NEGATIVE_SEEK, FilePositionInformation  # noqa: F401 - kernel32's

RtlNtStatusToDosError = rtl_nt_status_to_dos_error

_R = TypeVar("_R")


def _system_call(name: str, service: Callable[..., Generator[Any, Any, _R]]
                 ) -> Callable[..., Generator[Any, Any, _R]]:
    """A system call: the kernel service, then the return to user mode, which checks
    that the thread is back at PASSIVE_LEVEL (KiServiceExit). A driver that returned at
    raised IRQL (a spin lock still held) is bug check 0x4A IRQL_GT_ZERO_AT_SYSTEM_SERVICE
    (P1 the service, P2 the IRQL); on an XP-like machine (strict: false) the thread goes
    back to user mode at that IRQL and the trace reports the violation."""
    def call(first: Any, *args: Any, **kwargs: Any) -> Generator[Any, Any, _R]:
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
NtLoadDriver = _system_call("NtLoadDriver", nt_load_driver_service)
NtUnloadDriver = _system_call("NtUnloadDriver", nt_unload_driver_service)
NtReadFile = _system_call("NtReadFile", nt_read_file)
NtWriteFile = _system_call("NtWriteFile", nt_write_file)
NtDeviceIoControlFile = _system_call("NtDeviceIoControlFile", nt_device_io_control_file)
NtQueryInformationFile = _system_call("NtQueryInformationFile", nt_query_information_file)
NtCancelIoFile = _system_call("NtCancelIoFile", nt_cancel_io_file)
NtCancelIoFileEx = _system_call("NtCancelIoFileEx", nt_cancel_io_file_ex)
NtCloseFile = _system_call("NtClose", nt_close)


def NtPlugPlayGetInterfaceDeviceList(kernel: Any, class_guid: str,  # noqa: N802
                                     flags: int = 0) -> tuple[int, list[str]]:
    """NtPlugPlayControl(PlugPlayControlGetInterfaceDeviceList): the symbolic links of a
    class's interfaces (IoGetDeviceInterfaces underneath; with
    DEVICE_INTERFACE_INCLUDE_NONACTIVE the disabled ones too). Windows' setupapi asks
    the PnP service (umpnpmgr, through cfgmgr32's RPC), which makes this call: the RPC
    hop is folded in."""
    return io_get_device_interfaces(kernel, class_guid, None, flags)


def new_handle(kernel: Any, obj: Any, access: int) -> int:
    """The handle a creating service hands back (ObInsertObject in the calling process's
    table): NtCreateFile's file handle, the thread handle of NtCreateThread."""
    return handle_table(kernel).insert(obj, access)


def wait_on_object(obj: Any, timeout: int | None = None,
                   alertable: bool = False) -> Generator[Any, Any, int]:
    """A wait kernel32 makes on an object it holds itself (an OVERLAPPED's event, a
    file's event: their handles are not modelled): KeWaitForSingleObject. An alertable
    one is a UserMode wait, which a user APC ends with STATUS_USER_APC (win32-io 2.1)."""
    if alertable:
        return (yield from ke_wait_for_single_object(obj, 0, UserMode, True, timeout))
    return (yield from ke_wait_for_single_object(obj, timeout=timeout))


def _named(name: str | None) -> str | None:
    """A Win32 object name lives in \\BaseNamedObjects (XP: one session); "Global\\X"
    and "Local\\X" are the same directory there (sync-objects 7.6)."""
    if not name:
        return None
    for prefix in ("Global\\", "Local\\"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return "\\BaseNamedObjects\\" + name


def NtCreateEvent(kernel: Any, manual_reset: bool, initial_state: bool,  # noqa: N802
                  name: str | None = None) -> tuple[int, int]:
    """NtCreateEvent(OBJ_OPENIF, as CreateEvent passes it): (status, handle)."""
    status, handle, _ = zw_create_event(kernel, EVENT_ALL_ACCESS, _named(name), OBJ_OPENIF,
                                        NotificationEvent if manual_reset
                                        else SynchronizationEvent, initial_state)
    return status, handle


def NtOpenEvent(kernel: Any, access: int, name: str) -> tuple[int, int]:  # noqa: N802
    """NtOpenEvent: (status, handle)."""
    status, handle, _ = open_named_object(kernel, _named(name) or "", "Event", access, False)
    return status, handle


def NtCreateSemaphore(kernel: Any, initial: int, maximum: int,  # noqa: N802
                      name: str | None = None) -> tuple[int, int]:
    """NtCreateSemaphore: (status, handle); a count out of 0..maximum (or maximum < 1)
    is STATUS_INVALID_PARAMETER."""
    if maximum <= 0 or not 0 <= initial <= maximum:
        return NTSTATUS.STATUS_INVALID_PARAMETER, 0
    status, handle, _ = create_named_object(
        kernel, _named(name), lambda: KSemaphore(kernel, initial, maximum, name or ""),
        OBJ_OPENIF, SEMAPHORE_ALL_ACCESS, False)
    return status, handle


def NtCreateMutant(kernel: Any, initial_owner: bool,  # noqa: N802
                   name: str | None = None) -> tuple[int, int]:
    """NtCreateMutant: (status, handle); the creator owns a NEW mutant when asked to
    (an existing one is opened as it is, sync-objects 7.7)."""
    status, handle, mutant = create_named_object(
        kernel, _named(name), lambda: ke_initialize_mutant(kernel, False, name or ""),
        OBJ_OPENIF, MUTANT_ALL_ACCESS, False)
    if status == NTSTATUS.STATUS_SUCCESS and initial_owner:
        mutant._satisfy(kernel.current_thread)
    return status, handle


def _object(kernel: Any, handle: int, type_name: str | None) -> tuple[int, Any]:
    """The object a user-mode handle names in the calling process (UserMode checks)."""
    return ob_reference_object_by_handle(kernel, handle, type_name, 0, True, count=False)


def _guarded(kernel: Any, call: Callable[[], int]) -> tuple[int, int]:
    """An NT service's own __try/__except around a Ke routine that raises: (status, the
    routine's result). NtReleaseMutant and NtReleaseSemaphore return the raised status."""
    thread = kernel.current_thread
    thread.exception_handlers += 1
    try:
        return NTSTATUS.STATUS_SUCCESS, call()
    except StatusRaised as raised:
        return raised.status, 0
    finally:
        thread.exception_handlers -= 1


def NtSetEvent(kernel: Any, handle: int) -> tuple[int, int]:  # noqa: N802
    """NtSetEvent: (status, previous state)."""
    return _event_call(kernel, handle, ke_set_event)


def NtResetEvent(kernel: Any, handle: int) -> tuple[int, int]:  # noqa: N802
    """NtResetEvent: (status, previous state)."""
    return _event_call(kernel, handle, ke_reset_event)


def NtPulseEvent(kernel: Any, handle: int) -> tuple[int, int]:  # noqa: N802
    """NtPulseEvent: (status, previous state)."""
    return _event_call(kernel, handle, ke_pulse_event)


def _event_call(kernel: Any, handle: int, call: Callable[[Any], int]) -> tuple[int, int]:
    status, event = _object(kernel, handle, "Event")
    return (status, 0) if event is None else (NTSTATUS.STATUS_SUCCESS, call(event))


def NtReleaseSemaphore(kernel: Any, handle: int, count: int) -> tuple[int, int]:  # noqa: N802
    """NtReleaseSemaphore: (status, previous count)."""
    status, sem = _object(kernel, handle, "Semaphore")
    if sem is None:
        return status, 0
    return _guarded(kernel, lambda: ke_release_semaphore(sem, 1, count))


def NtReleaseMutant(kernel: Any, handle: int) -> tuple[int, int]:  # noqa: N802
    """NtReleaseMutant: (status, previous count); STATUS_MUTANT_NOT_OWNED for a thread
    that does not own it."""
    status, mutant = _object(kernel, handle, "Mutant")
    if mutant is None:
        return status, 0
    return _guarded(kernel, lambda: ke_release_mutant(mutant))


def NtWaitForMultipleObjects(kernel: Any, handles: list[int], wait_all: bool,  # noqa: N802
                             timeout: int | None = None, alertable: bool = False
                             ) -> Generator[Any, Any, int]:
    """NtWaitForMultipleObjects (UserMode): the Ke wait's status, or the handle's error
    (STATUS_INVALID_HANDLE); the same object twice in a wait-all is
    STATUS_INVALID_PARAMETER_MIX (sync-objects 3.6). An alertable one also returns
    STATUS_USER_APC (win32-io 2.2), the APCs still queued for KiUserApcDispatcher."""
    if not 0 < len(handles) <= 64:
        return NTSTATUS.STATUS_INVALID_PARAMETER
    objects = []
    for handle in handles:
        status, obj = _object(kernel, handle, None)
        if obj is None:
            return status
        objects.append(getattr(obj, "event", obj) if type(obj).__name__ == "FileObject"
                       else obj)
    if wait_all and len({id(o) for o in objects}) < len(objects):
        return NTSTATUS.STATUS_INVALID_PARAMETER_MIX
    return (yield from ke_wait_for_multiple_objects(kernel, objects,
                                                    WaitAll if wait_all else WaitAny,
                                                    timeout, True, UserMode, alertable))


def NtWaitForSingleObject(kernel: Any, handle: int,  # noqa: N802
                          timeout: int | None = None, alertable: bool = False
                          ) -> Generator[Any, Any, int]:
    """NtWaitForSingleObject (UserMode): timeout in 100 ns, relative < 0."""
    return (yield from NtWaitForMultipleObjects(kernel, [handle], False, timeout, alertable))


THREAD_TERMINATE, THREAD_SET_CONTEXT = 0x0001, 0x0010


def NtQueueApcThread(kernel: Any, handle: int, routine: Callable[..., Generator],  # noqa: N802
                     context: Any) -> int:
    """NtQueueApcThread (win32-io 2.6): a user APC ``routine(context, None)`` for the
    thread; the handle needs THREAD_SET_CONTEXT. A system thread's handle is
    STATUS_INVALID_HANDLE (ReactOS's check); a thread that is terminating or has
    terminated (handle still open) cannot take an APC: STATUS_UNSUCCESSFUL."""
    status, thread = ob_reference_object_by_handle(kernel, handle, "Thread",
                                                   THREAD_SET_CONTEXT, True, count=False)
    if thread is None:
        return status
    if thread.system:
        return NTSTATUS.STATUS_INVALID_HANDLE
    # 2.6 (uncertain for the already-terminated case; chosen as for a terminating one)
    if thread.terminating or not kernel.queue_user_apc(thread, (routine, context, None)):
        return NTSTATUS.STATUS_UNSUCCESSFUL
    return NTSTATUS.STATUS_SUCCESS


def NtTestAlert(kernel: Any) -> Generator[Any, Any, int]:  # noqa: N802
    """NtTestAlert (win32-io 2.5): deliver the calling thread's pending user APCs, FIFO.
    Returns STATUS_SUCCESS: NtAlertThread is not modelled, so no thread is ever alerted
    (STATUS_ALERTED never arises)."""
    yield from KiUserApcDispatcher(kernel)
    return NTSTATUS.STATUS_SUCCESS


def NtCancelSynchronousIoFile(kernel: Any, handle: int,  # noqa: N802
                              iosb: Any = None) -> Generator[Any, Any, int]:
    """NtCancelSynchronousIoFile (win32-io 4.3): the handle needs THREAD_TERMINATE."""
    status, thread = ob_reference_object_by_handle(kernel, handle, "Thread",
                                                   THREAD_TERMINATE, True, count=False)
    if thread is None:
        return status
    return (yield from nt_cancel_synchronous_io_file(thread, iosb))


STILL_ACTIVE = 259


def NtQueryInformationThread(kernel: Any, handle: int) -> tuple[int, int]:  # noqa: N802
    """NtQueryInformationThread(ThreadBasicInformation).ExitStatus: (status, exit code),
    STATUS_PENDING's value STILL_ACTIVE (259) while the thread runs (win32-io 9.6)."""
    status, thread = _object(kernel, handle, "Thread")
    if thread is None:
        return status, 0
    if thread.alive:
        return NTSTATUS.STATUS_SUCCESS, STILL_ACTIVE
    code = thread.exit_status if isinstance(thread.exit_status, int) else 0
    return NTSTATUS.STATUS_SUCCESS, code & 0xFFFFFFFF


def NtClose(kernel: Any, handle: int) -> Generator[Any, Any, int]:  # noqa: N802
    """NtClose: the handle goes from the process's table; a file's last handle and last
    reference send IRP_MJ_CLEANUP and IRP_MJ_CLOSE."""
    table = handle_table(kernel, handle)
    entry = table.lookup(handle & 0xFFFFFFFF)
    if entry is None or handle & KERNEL_HANDLE_BIT:
        return NTSTATUS.STATUS_INVALID_HANDLE
    obj = table.remove(handle & 0xFFFFFFFF)
    if type(obj).__name__ == "FileObject":
        yield from NtCloseFile(obj)
    elif isinstance(obj, IoCompletion):
        nt_close_io_completion(obj)           # the last handle runs the port down
    return NTSTATUS.STATUS_SUCCESS


def NtDelayExecution(kernel: Any, interval: int, alertable: bool = False  # noqa: N802
                     ) -> Generator[Any, Any, int]:
    """NtDelayExecution: interval in 100 ns, relative < 0; an alertable one returns
    STATUS_USER_APC when a user APC is (or becomes) queued."""
    return (yield from ke_delay_execution_thread(kernel, UserMode, alertable, interval))


def KiUserApcDispatcher(kernel: Any) -> Generator[Any, Any, int]:  # noqa: N802
    """Deliver the current thread's user APCs in order, as the return from an alertable
    wait does (win32-io §2): each is (routine, context, IO_STATUS_BLOCK) of an I/O
    completion (IO_STATUS_BLOCK None for QueueUserAPC's); the routine is user code (a
    generator). 2.3: all of them FIFO, an APC queued by an APC routine too. Returns how
    many ran."""
    thread = kernel.current_thread
    count = 0
    while thread.user_apc_queue:
        routine, context, iosb = thread.user_apc_queue.pop(0)
        yield from routine(context, iosb)
        count += 1
    return count


def new_address_space() -> UserAddressSpace:
    """A process's user address space (where NtAllocateVirtualMemory finds room)."""
    return UserAddressSpace(USER_BASE)


def allocate(space: UserAddressSpace, size: int, fill: int) -> Buffer:
    """NtAllocateVirtualMemory, as the model needs it: ``size`` bytes of ``fill``,
    committed (win32-io 6.4: an overrun past it lands in what follows)."""
    return UserBuffer.allocate(space, size, fill)


def invalid_pointer(kernel: Any, address: int, length: int) -> Buffer:
    """A pointer the process never allocated: NULL, an address in the first 64 KB, or
    one at or above MmUserProbeAddress (win32-io 6.1); touching it faults."""
    return UnmappedUserPointer(kernel, address, length)


# -- I/O completion ports (win32-io §3) ---------------------------------------------------

def NtCreateIoCompletion(kernel: Any, count: int) -> tuple[int, int]:  # noqa: N802
    """NtCreateIoCompletion(&h, IO_COMPLETION_ALL_ACCESS, NULL, Count): (status, handle)."""
    return nt_create_io_completion(kernel, count=count)


def NtSetIoCompletion(kernel: Any, handle: int, key: int, apc_context: Any,  # noqa: N802
                      status: int, information: int) -> int:
    """NtSetIoCompletion: queue a packet to the port."""
    return nt_set_io_completion(kernel, handle, key, apc_context, status, information)


def _remove_io_completion(kernel: Any, handle: int, timeout: int | None
                          ) -> Generator[Any, Any, tuple]:
    return (yield from nt_remove_io_completion(kernel, handle, timeout))


NtRemoveIoCompletion = _system_call("NtRemoveIoCompletion", _remove_io_completion)


def NtSetInformationFile(file: Any, information_class: int,  # noqa: N802
                         information: Any) -> int:
    """NtSetInformationFile for the classes the I/O manager answers itself, as kernel32
    uses them: FileCompletionInformation ((port handle, key)) and
    FileIoCompletionNotificationInformation (the flags). Others are not modelled."""
    if information_class == FileCompletionInformation:
        port, key = information
        return nt_set_completion_information(file, port, key)
    if information_class == FileIoCompletionNotificationInformation:
        return nt_set_completion_notification(file, information)
    raise NotModelledError("NtSetInformationFile", f"class {information_class} from user mode")


# -- the other file services (win32-io §5): harness.kernel.io.userfile ----------------------

def _query_information(file: Any, information_class: int, length: int, iosb: Any
                       ) -> Generator[Any, Any, tuple]:
    return (yield from iop_query_information(file, information_class, length, iosb,
                                             UserMode, "NtQueryInformationFile"))


def _set_information(file: Any, information_class: int, data: bytes, iosb: Any
                     ) -> Generator[Any, Any, int]:
    return (yield from iop_set_information(file, information_class, data, iosb, UserMode,
                                           "NtSetInformationFile"))


def _duplicate(kernel: Any, handle: int, access: int, options: int
               ) -> Generator[Any, Any, tuple]:
    return (yield from nt_duplicate_object(kernel, handle, access, options))


#: NtQueryInformationFile as an application calls it: the class checks first, a
#: synchronous file's position answered by the I/O manager, else the driver's IRP.
NtQueryInformationFileChecked = _system_call("NtQueryInformationFile", _query_information)
#: NtSetInformationFile for the classes that may become an IRP (FilePositionInformation).
NtSetInformationFileIrp = _system_call("NtSetInformationFile", _set_information)
NtQueryVolumeInformationFile = _system_call("NtQueryVolumeInformationFile",
                                            nt_query_volume_information_file)
NtFlushBuffersFile = _system_call("NtFlushBuffersFile", nt_flush_buffers_file)
NtDuplicateObject = _system_call("NtDuplicateObject", _duplicate)
