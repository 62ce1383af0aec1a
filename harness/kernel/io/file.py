"""I/O system services: how the I/O manager itself builds and sends IRPs.

NtCreateFile / NtReadFile / NtWriteFile / NtDeviceIoControlFile / NtClose and the
kernel-side IoGetDeviceObjectPointer, following io-core §6.9, §8.12 and kernel-env §7,
§8, §10.6. User requests always go to the CURRENT top of the stack (io-core §10.20).
Read and write use deferred completion: when the driver does not return
STATUS_PENDING the service runs the final phase itself, inline (io-core §10.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (APC_LEVEL, DO_BUFFERED_IO, DO_DEVICE_INITIALIZING, DO_DIRECT_IO,
                         DO_EXCLUSIVE, IRP_MJ, NTSTATUS,
                         IrpFlags, NotificationEvent)
from ..ke.dispatcher import KEvent, ke_clear_event, ke_wait_for_single_object
from ..ke.timers import ke_delay_execution_thread
from ..mm.memory import Buffer, io_allocate_mdl, mm_probe_and_lock_pages
from ..mm.usermem import UnmappedUserPointer
from ..ob.object import ob_dereference_object_inline
from .build import set_up_ioctl_buffers
from .cancel import io_cancel_irp
from .device import (DOE_DELETE_PENDING, DOE_START_PENDING, DOE_UNLOAD_PENDING, DeviceObject,
                     FileObject, io_get_attached_device)
from .loader import iop_device_released
from .pnp import pnp_device_closed
from .iomgr import io_call_driver, iop_complete_request
from .probe import abandon_irp, ioctl_user_buffers, probe_user_buffer, under_seh
from .share import file_generic_mapping
from .vpb import is_direct_device_open
from .irp import Irp, IoStatusBlock, KernelMode, UserMode, io_allocate_irp, io_free_irp

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

STATUS_PENDING = NTSTATUS.STATUS_PENDING
STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
_F = IrpFlags
#: ByteOffset {LowPart FILE_USE_FILE_POINTER_POSITION, HighPart -1} as a LONGLONG (-2)
USE_FILE_POINTER = -2
WRITE_TO_END_OF_FILE = -1           # {FILE_WRITE_TO_END_OF_FILE, -1}


def io_get_related_device_object(file: FileObject) -> DeviceObject:
    """IoGetRelatedDeviceObject: the current top of the file's device stack (§8.11); for
    a file on a mounted volume, of the file system's volume device (stacks-services 1.21)."""
    if file.vpb is not None:
        return io_get_attached_device(file.vpb.device_object)
    return io_get_attached_device(file.device_object)


def _new_irp(kernel: "Kernel", device: DeviceObject, file: FileObject | None, major: int,
             flags: int, requestor_mode: int) -> Irp:
    irp = io_allocate_irp(kernel, device.stack_size, notify=False)
    irp.allocated_by = "I/O manager"
    irp.flags = flags
    irp.thread = kernel.current_thread
    irp.original_file_object = file
    irp.requestor_mode = requestor_mode
    irp.thread.irp_list.insert(0, irp)            # threaded IRP (io-core §1.7)
    loc = irp.stack[irp.stack_count - 1]
    loc.major_function = major
    loc.file_object = file
    kernel.hooks.irp_allocated(irp)
    return irp


def _finish_inline(kernel: "Kernel", irp: Irp) -> None:
    """Run the final phase in the calling thread at APC_LEVEL (deferred completion)."""
    cpu = kernel.cpu
    saved = cpu.irql
    cpu.irql = APC_LEVEL
    iop_complete_request(irp)
    cpu.irql = saved
    kernel.deliver_apcs(cpu.thread)     # e.g. a Zw caller's ApcRoutine (stacks-services 1.15)


def _lock_file(file: FileObject) -> Generator[Any, Any, None]:
    """IopLockFileObject: requests on a FO_SYNCHRONOUS_IO file are serialized by a
    per-file-object lock, granted in arrival order (kernel-env §7.2)."""
    if not file.synchronous:
        return
    if file.lock_busy:
        granted = file.kernel.new_event()
        file.lock_waiters.append(granted)
        yield from file.kernel.current_thread_wait(granted)   # handed over by the owner
    else:
        file.lock_busy = True


def _unlock_file(file: FileObject) -> None:
    """IopUnlockFileObject: hand the lock to the next waiter, if any."""
    if not file.synchronous:
        return
    if file.lock_waiters:
        file.lock_waiters.pop(0).succeed()
    else:
        file.lock_busy = False


def _wait_synchronous(file: FileObject, status: int) -> Generator[Any, Any, int]:
    """IopPerformSynchronousRequest: a pended request on a synchronous file waits."""
    if status == STATUS_PENDING and file.synchronous:
        yield from ke_wait_for_single_object(file.event)
        return file.final_status
    return status


def _send_file_request(kernel: "Kernel", file: FileObject, device: DeviceObject, irp: Irp
                       ) -> Generator[Any, Any, int]:
    """Send a file object's request as the deferred-completion services do: the IRP
    references the file (dropped in the final phase), an inline status runs the final
    phase here, and a synchronous file object waits for a pended one."""
    file.reference_count += 1
    status = yield from io_call_driver(device, irp)
    if status != STATUS_PENDING:
        _finish_inline(kernel, irp)
    return (yield from _wait_synchronous(file, status))


def nt_create_file(kernel: "Kernel", name: str, synchronous: bool = True,
                   requestor_mode: int = UserMode, tag: Any = None,
                   iosb: IoStatusBlock | None = None, options: int = 0, disposition: int = 1,
                   share_access: int = 0, desired_access: int = 0, file_attributes: int = 0
                   ) -> Generator[Any, Any, tuple[Any, ...]]:
    """NtCreateFile on a device name: (status, file object or None) (io-core §8.12).
    ``tag`` rides on the IRP_MJ_CREATE IRP for observers, as for reads and writes.

    The driver sees Parameters.Create.Options = (Disposition << 24) | CreateOptions and
    the ShareAccess; neither changes anything for a plain device (stacks-services 1.5,
    1.6). ``iosb`` receives what the driver left in IoStatus (its Information, usually 0,
    reads as FILE_SUPERSEDED whatever was asked). A name on a mounted volume
    (``\\??\\C:\\1.log``) goes to the volume's file system instead, which does
    interpret them (stacks-services 4.25); a failed open then still hands back the
    file system's Information (FILE_EXISTS, ...) with the status, as IoCreateFile does."""
    status, device, rest = kernel.namespace.parse(name)
    if device is None:
        return status, None
    if not isinstance(device, DeviceObject):
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None
    # IopCheckDeviceAndDriver; a PnP stack that has not completed START_DEVICE yet
    # carries DOE_START_PENDING (pnp-hardware §3.2, §3.4)
    if device.flags & DO_DEVICE_INITIALIZING or device.doe_flags & (
            DOE_DELETE_PENDING | DOE_UNLOAD_PENDING | DOE_START_PENDING):
        return NTSTATUS.STATUS_NO_SUCH_DEVICE, None
    if device.flags & DO_EXCLUSIVE and device.reference_count > 0:
        return NTSTATUS.STATUS_ACCESS_DENIED, None
    top = io_get_attached_device(device)
    file = FileObject(kernel, device, synchronous, name, rest)
    if device.vpb is not None and not is_direct_device_open(rest, desired_access):
        file.vpb = device.vpb                     # IopParseDevice: to the file system
        top = io_get_attached_device(device.vpb.device_object)
    irp = _new_irp(kernel, top, file, IRP_MJ.IRP_MJ_CREATE,
                   _F.IRP_CREATE_OPERATION | _F.IRP_SYNCHRONOUS_API | _F.IRP_DEFER_IO_COMPLETION,
                   requestor_mode)
    irp.tag = tag
    iosb = irp.user_iosb = iosb if iosb is not None else IoStatusBlock()
    params = irp.stack[irp.stack_count - 1].parameters
    params.other = {"Options": (disposition << 24) | (options & 0x00FFFFFF),
                    "ShareAccess": share_access,
                    "DesiredAccess": file_generic_mapping(desired_access),
                    "FileAttributes": file_attributes}
    ke_clear_event(file.event)
    status = yield from io_call_driver(top, irp)
    if status == STATUS_PENDING:
        yield from ke_wait_for_single_object(file.event)
        status = iosb.status
    else:
        information = irp.io_status.information
        _finish_inline(kernel, irp)
        if status >= 0x80000000:          # IoCreateFile copies the open packet's
            iosb.status, iosb.information = status, information   # result, failure too
    if status >= 0x80000000:
        return status, None
    device.reference_count += 1
    file.handle_count = 1
    file.reference_count = 1
    return status, file


def nt_read_file(file: FileObject, buffer: Buffer | None, length: int,
                 byte_offset: int | None = 0,
                 event: KEvent | None = None, iosb: IoStatusBlock | None = None,
                 requestor_mode: int = UserMode, tag: Any = None,
                 apc: tuple[Any, Any] | None = None) -> Generator[Any, Any, int]:
    """NtReadFile: buffering by the top device's flags (kernel-env §8.1). ``apc`` is
    (ApcRoutine, ApcContext); ``byte_offset`` None is a NULL ByteOffset (5.5)."""
    return (yield from _read_write(file, IRP_MJ.IRP_MJ_READ, buffer, length, byte_offset,
                                   event, iosb, requestor_mode, tag, apc))


def nt_write_file(file: FileObject, buffer: Buffer | None, length: int,
                  byte_offset: int | None = 0,
                  event: KEvent | None = None, iosb: IoStatusBlock | None = None,
                  requestor_mode: int = UserMode, tag: Any = None,
                  apc: tuple[Any, Any] | None = None) -> Generator[Any, Any, int]:
    """NtWriteFile: buffered writes copy the caller's data in at request time."""
    return (yield from _read_write(file, IRP_MJ.IRP_MJ_WRITE, buffer, length, byte_offset,
                                   event, iosb, requestor_mode, tag, apc))


def _read_write(file: FileObject, major: int, buffer: Buffer | None, length: int,
                byte_offset: int | None, event: KEvent | None, iosb: IoStatusBlock | None,
                requestor_mode: int, tag: Any, apc: tuple[Any, Any] | None = None
                ) -> Generator[Any, Any, int]:
    """NtReadFile / NtWriteFile in win32-io 5.4's order: probe, APC/port check, offset
    check, caller's event, sync lock, offset selection, file event, IRP and buffers."""
    kernel = file.kernel
    read = major == IRP_MJ.IRP_MJ_READ
    if requestor_mode == UserMode:
        # 6.1 / 6.2: ProbeForWrite of a read's buffer, ProbeForRead of a write's, before
        # any IRP: a NULL or never-mapped pointer with a length fails here (kernel32:
        # ERROR_NOACCESS); ProbeForRead of a NULL passes (it checks only the range)
        status = probe_user_buffer(kernel, buffer, length, read)
        if status != STATUS_SUCCESS:
            return status
    if apc is not None and apc[0] is not None and file.completion_context is not None:
        return NTSTATUS.STATUS_INVALID_PARAMETER   # win32-io 2.7: APC or port, not both
    if byte_offset is not None and byte_offset < 0 and byte_offset not in (
            (USE_FILE_POINTER,) if read else (USE_FILE_POINTER, WRITE_TO_END_OF_FILE)):
        # 5.5: the only negative offsets are -2 and, for a write, -1
        return NTSTATUS.STATUS_INVALID_PARAMETER
    if event is not None:
        ke_clear_event(event)                     # kernel-env §7.5, win32-io 5.4
    yield from _lock_file(file)
    if byte_offset is None or byte_offset == USE_FILE_POINTER:
        # 5.5: a NULL ByteOffset (or FILE_USE_FILE_POINTER_POSITION) on a synchronous
        # file is its CurrentByteOffset; an asynchronous one has none to use
        if not file.synchronous:
            _unlock_file(file)
            return NTSTATUS.STATUS_INVALID_PARAMETER
        byte_offset = file.current_byte_offset
    device = io_get_related_device_object(file)
    flags = (_F.IRP_READ_OPERATION if read else _F.IRP_WRITE_OPERATION) | _F.IRP_DEFER_IO_COMPLETION
    ke_clear_event(file.event)
    irp = _new_irp(kernel, device, file, major, flags, requestor_mode)
    irp.tag = tag
    irp.user_iosb = iosb
    irp.user_event = event
    if apc is not None:
        irp.user_apc_routine, irp.user_apc_context = apc
    status = under_seh(kernel, lambda: _set_up_transfer(irp, device, read, buffer, length))
    if status != STATUS_SUCCESS:
        abandon_irp(irp)                          # 5.4: both events stay reset
        _unlock_file(file)
        return status
    loc = irp.stack[irp.stack_count - 1]
    loc.parameters.length = length
    loc.parameters.byte_offset = byte_offset
    status = yield from _send_file_request(kernel, file, device, irp)
    _unlock_file(file)
    return status


def _set_up_transfer(irp: Irp, device: DeviceObject, read: bool, buffer: Buffer | None,
                     length: int) -> None:
    """The IRP's buffers by the device's flags (kernel-env §8.1); a buffered write's
    copy-in and a direct request's MmProbeAndLockPages may fault (6.2)."""
    if device.flags & DO_BUFFERED_IO:             # tested first: buffered wins (§8.1)
        if length:
            irp.system_buffer = Buffer.new(irp.kernel.pool, length)
            irp.flags |= _F.IRP_BUFFERED_IO | _F.IRP_DEALLOCATE_BUFFER
            if read:
                irp.flags |= _F.IRP_INPUT_OPERATION
            else:
                if buffer is None:                # the copy-in reads through NULL
                    buffer = UnmappedUserPointer(irp.kernel, 0, length)
                irp.system_buffer.write(buffer.read(0, length))
        else:
            # 6.3: a zero-length request has no SystemBuffer; a read is still marked
            # BUFFERED | INPUT (nothing to deallocate), a write BUFFERED
            irp.flags |= _F.IRP_BUFFERED_IO | (_F.IRP_INPUT_OPERATION if read else 0)
        irp.user_buffer = buffer
    elif device.flags & DO_DIRECT_IO:
        if length:                                # 6.3: none for a zero-length request
            if buffer is None:
                buffer = UnmappedUserPointer(irp.kernel, 0, length)
            mdl = io_allocate_mdl(irp.kernel, buffer.view(buffer.address, 0, length))
            mm_probe_and_lock_pages(mdl, read)    # IoWriteAccess for a read
            irp.mdl_address = mdl
    else:
        irp.user_buffer = buffer


def nt_device_io_control_file(file: FileObject, code: int, input_buffer: Buffer | None,
                              input_length: int, output_buffer: Buffer | None,
                              output_length: int, event: KEvent | None = None,
                              iosb: IoStatusBlock | None = None, granted_access: int = 3,
                              requestor_mode: int = UserMode,
                              tag: Any = None, apc: tuple[Any, Any] | None = None
                              ) -> Generator[Any, Any, int]:
    """NtDeviceIoControlFile: buffers by method = code & 3 (kernel-env §8.2, io-core §6.8)."""
    kernel = file.kernel
    required = (code >> 14) & 3
    if requestor_mode == UserMode and required & ~granted_access:
        return NTSTATUS.STATUS_ACCESS_DENIED
    if requestor_mode == UserMode:
        status, buffers = ioctl_user_buffers(kernel, code, input_buffer, input_length,
                                             output_buffer, output_length)
        if status != STATUS_SUCCESS:
            return status                         # 6.2: no IRP, events untouched
        input_buffer, input_length, output_buffer, output_length = buffers
    if apc is not None and apc[0] is not None and file.completion_context is not None:
        return NTSTATUS.STATUS_INVALID_PARAMETER   # win32-io 2.7
    if event is not None:
        ke_clear_event(event)                     # 5.4: before the sync lock
    yield from _lock_file(file)
    device = io_get_related_device_object(file)
    ke_clear_event(file.event)
    irp = _new_irp(kernel, device, file, IRP_MJ.IRP_MJ_DEVICE_CONTROL, 0, requestor_mode)
    irp.tag = tag
    irp.user_iosb = iosb
    irp.user_event = event
    if apc is not None:
        irp.user_apc_routine, irp.user_apc_context = apc
    # the input's copy-in and an output MDL's probe-and-lock may fault (6.2, 5.4)
    status = under_seh(kernel, lambda: set_up_ioctl_buffers(
        kernel, irp, code, input_buffer, input_length, output_buffer, output_length))
    if status != STATUS_SUCCESS:
        abandon_irp(irp)
        _unlock_file(file)
        return status
    file.reference_count += 1
    status = yield from io_call_driver(device, irp)
    status = yield from _wait_synchronous(file, status)
    _unlock_file(file)
    return status


def _send_close_operation(file: FileObject, major: int) -> Generator[Any, Any, int]:
    """IRP_MJ_CLEANUP / IRP_MJ_CLOSE: synchronous, the issuer frees the IRP (§5.3.3)."""
    kernel = file.kernel
    device = io_get_related_device_object(file)
    irp = _new_irp(kernel, device, file, major,
                   _F.IRP_CLOSE_OPERATION | _F.IRP_SYNCHRONOUS_API, KernelMode)
    irp.user_event = KEvent(kernel, NotificationEvent, False, f"{IRP_MJ(major).name} event")
    iosb = irp.user_iosb = IoStatusBlock()
    status = yield from io_call_driver(device, irp)
    if status == STATUS_PENDING:
        yield from ke_wait_for_single_object(irp.user_event)
        status = iosb.status
    irp.thread.irp_list.remove(irp)
    io_free_irp(irp)
    return status


def nt_close(file: FileObject) -> Generator[Any, Any, None]:
    """NtClose of a file handle (kernel-env §7.9, §12.23).

    The last handle sends IRP_MJ_CLEANUP at once, even with I/O pending; the last
    reference sends IRP_MJ_CLOSE, which pended IRPs therefore delay. Cleanup and close
    failures are ignored, as CloseHandle does.
    """
    file.handle_count -= 1
    if file.handle_count == 0:
        yield from _send_close_operation(file, IRP_MJ.IRP_MJ_CLEANUP)
        file.cleanup_done = True
    file.reference_count -= 1
    if file.reference_count == 0:
        yield from iop_delete_file(file)


def iop_delete_file(file: FileObject) -> Generator[Any, Any, None]:
    """IopDeleteFile: the last reference is gone, send IRP_MJ_CLOSE."""
    yield from _send_close_operation(file, IRP_MJ.IRP_MJ_CLOSE)
    file.closed = True
    device = file.device_object
    device.reference_count -= 1
    if device.reference_count == 0:           # a deferred delete or unload (pnp-hardware §1.5)
        yield from iop_device_released(device)
        yield from pnp_device_closed(device)      # a surprise-removed devnode's REMOVE


# IopDeleteFile is what the object manager runs when a file object's last reference
# goes (ob/object.py): registered here, where IRP_MJ_CLOSE can be built.
FileObject.object_type.delete_procedure = iop_delete_file


def ob_dereference_file_object_inline(file: FileObject) -> Generator[Any, Any, None]:
    """ObDereferenceObject(FileObject) at PASSIVE_LEVEL in a thread: close inline."""
    yield from ob_dereference_object_inline(file)


def io_get_device_object_pointer(kernel: "Kernel", name: str, access: int = 0
                                 ) -> Generator[Any, Any, tuple[Any, ...]]:
    """IoGetDeviceObjectPointer: (status, file, top device) (kernel-env §10.6, §12.24).

    Opens the device (the target sees IRP_MJ_CREATE), keeps a reference to the file
    object and closes the handle at once (IRP_MJ_CLEANUP now); IRP_MJ_CLOSE comes
    when the caller dereferences the file object.
    """
    # ZwOpenFile(share 0, FILE_NON_DIRECTORY_FILE): no FILE_SYNCHRONOUS_IO_* option, so
    # the file object is asynchronous (stacks-services 1.9, 1.21)
    status, file = yield from nt_create_file(kernel, name, False, KernelMode,
                                             options=0x40, desired_access=access)
    if file is None:
        return status, None, None
    file.reference_count += 1
    yield from nt_close(file)
    return status, file, io_get_related_device_object(file)


def _buffered_query(file: FileObject, major: int, length: int, iosb: IoStatusBlock,
                    requestor_mode: int) -> tuple[DeviceObject, Irp, Buffer]:
    """The IRP of a query the driver answers into a system buffer (IRP_MJ_QUERY_INFORMATION,
    IRP_MJ_QUERY_VOLUME_INFORMATION): buffered, copied back to the caller's buffer (the
    returned Buffer) at completion; Parameters.Length set, the class is the caller's."""
    kernel = file.kernel
    device = io_get_related_device_object(file)
    ke_clear_event(file.event)
    irp = _new_irp(kernel, device, file, major,
                   _F.IRP_BUFFERED_IO | _F.IRP_DEALLOCATE_BUFFER | _F.IRP_INPUT_OPERATION
                   | _F.IRP_DEFER_IO_COMPLETION, requestor_mode)
    irp.system_buffer = Buffer.new(kernel.pool, length)
    out = irp.user_buffer = Buffer.new(kernel.pool, length)
    irp.user_iosb = iosb
    irp.stack[-1].parameters.length = length
    return device, irp, out


def nt_query_information_file(file: FileObject, information_class: int, length: int,
                              iosb: IoStatusBlock, requestor_mode: int = UserMode
                              ) -> Generator[Any, Any, tuple[int, bytes]]:
    """NtQueryInformationFile on a device: always buffered, copied back on success.

    Returns (status, the bytes the driver left in the buffer). The I/O manager answers
    some classes itself for file systems; for a plain device the driver does.
    """
    kernel = file.kernel
    device, irp, out = _buffered_query(file, IRP_MJ.IRP_MJ_QUERY_INFORMATION, length, iosb,
                                       requestor_mode)
    irp.stack[-1].parameters.file_information_class = information_class
    status = yield from _send_file_request(kernel, file, device, irp)
    return status, out.read()


def nt_set_information_file(file: FileObject, information_class: int, data: bytes,
                            iosb: IoStatusBlock, requestor_mode: int = UserMode,
                            replace_if_exists: bool = False) -> Generator[Any, Any, int]:
    """NtSetInformationFile's IRP_MJ_SET_INFORMATION: the caller's record copied into a
    system buffer (Parameters.SetFile.Length, FileInformationClass; ReplaceIfExists for
    a rename). The checks and the position a synchronous file answers itself come first
    (zw.py, stacks-services 4.28)."""
    kernel = file.kernel
    yield from _lock_file(file)
    device = io_get_related_device_object(file)
    ke_clear_event(file.event)
    irp = _new_irp(kernel, device, file, IRP_MJ.IRP_MJ_SET_INFORMATION,
                   _F.IRP_BUFFERED_IO | _F.IRP_DEALLOCATE_BUFFER | _F.IRP_DEFER_IO_COMPLETION,
                   requestor_mode)
    irp.system_buffer = Buffer.new(kernel.pool, len(data))
    irp.system_buffer.write(data)
    irp.user_iosb = iosb
    params = irp.stack[-1].parameters
    params.length = len(data)
    params.file_information_class = information_class
    params.other = {"ReplaceIfExists": replace_if_exists}
    status = yield from _send_file_request(kernel, file, device, irp)
    _unlock_file(file)
    return status


CANCEL_IO_POLL_INTERVAL = -100_000     # 10 ms, relative (kernel-env §7.7)


def nt_cancel_io_file(file: FileObject) -> Generator[Any, Any, int]:
    """NtCancelIoFile (kernel-env §7.7, §12.22): IoCancelIrp on the calling thread's IRPs
    for this file object, then wait until they are gone, polling every 10 ms."""
    kernel = file.kernel
    thread = kernel.current_thread
    mine = [irp for irp in thread.irp_list if irp.original_file_object is file]
    for irp in mine:
        yield from io_cancel_irp(irp)
    while any(irp in thread.irp_list for irp in mine):
        yield from ke_delay_execution_thread(kernel, UserMode, False, CANCEL_IO_POLL_INTERVAL)
    return NTSTATUS.STATUS_SUCCESS
