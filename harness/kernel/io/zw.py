"""The Zw* services a driver calls, and the object routines around them (stacks-services §1).

A Zw call from a driver runs the Nt service with previous mode KernelMode: no parameter
or access checks (1.1, 1.18), handles from the caller's process table unless
OBJ_KERNEL_HANDLE (1.8). What the file object is decides whether a read blocks: opened
with FILE_SYNCHRONOUS_IO_* it is synchronous and ZwReadFile waits for a pended IRP;
otherwise ZwReadFile returns STATUS_PENDING and the caller learns of the completion
through its event, its APC routine or the file object's own event (1.9-1.16). A name
on the C: volume (``\\??\\C:\\1.log``) reaches the volume's file system through its
VPB (harness.kernel.fs); the information classes are checked here first (4.27, 4.28).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (FILE_NO_INTERMEDIATE_BUFFERING, FILE_SYNCHRONOUS_IO_ALERT,
                         FILE_SYNCHRONOUS_IO_NONALERT, FILE_USE_FILE_POINTER_POSITION,
                         NTSTATUS, FileRenameInformation)
from ..ke.machine import require_passive
from ..ob.handle import handle_table, ob_close_handle
from ..ob.namespace import SymbolicLink
from .device import FO_ALERTABLE_IO, DeviceObject, DriverObject, FileObject
from .file import (nt_close, nt_create_file, nt_device_io_control_file, nt_read_file,
                   nt_write_file)
from .fileinfo import read_file_rename_information
from .irp import IoStatusBlock, KernelMode
from .userfile import FO_NO_INTERMEDIATE_BUFFERING, iop_query_information, iop_set_information

if TYPE_CHECKING:
    from ..ke.dispatcher import KEvent
    from ..ke.machine import Machine as Kernel
    from ..mm.memory import Buffer

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
#: ByteOffset {LowPart FILE_USE_FILE_POINTER_POSITION, HighPart -1} as a LONGLONG
USE_FILE_POINTER = -(1 << 32) + FILE_USE_FILE_POINTER_POSITION


def zw_create_file(kernel: "Kernel", name: str, desired_access: int, iosb: IoStatusBlock,
                   share_access: int = 0, disposition: int = 1, create_options: int = 0,
                   kernel_handle: bool = False, tag: Any = None, file_attributes: int = 0
                   ) -> Generator[Any, Any, tuple[int, int]]:
    """ZwCreateFile on a device, link or file name: (status, handle; 0 on failure).

    The file object is synchronous iff a FILE_SYNCHRONOUS_IO_* option is given; from a
    kernel caller that holds without SYNCHRONIZE in the access (1.1, 1.9)."""
    require_passive(kernel, "ZwCreateFile")
    synchronous = bool(create_options & (FILE_SYNCHRONOUS_IO_ALERT
                                         | FILE_SYNCHRONOUS_IO_NONALERT))
    status, file = yield from nt_create_file(
        kernel, name, synchronous, KernelMode, tag, iosb=iosb, options=create_options,
        disposition=disposition, share_access=share_access, desired_access=desired_access,
        file_attributes=file_attributes)
    if file is None:
        iosb.status = status
        return status, 0
    if create_options & FILE_SYNCHRONOUS_IO_ALERT:
        file.flags |= FO_ALERTABLE_IO             # alertable waits: not modelled (1.9)
    if create_options & FILE_NO_INTERMEDIATE_BUFFERING:
        file.flags |= FO_NO_INTERMEDIATE_BUFFERING
    handle = handle_table(kernel, kernel_handle=kernel_handle).insert(file, desired_access)
    return status, handle


def zw_open_file(kernel: "Kernel", name: str, desired_access: int, iosb: IoStatusBlock,
                 share_access: int = 0, open_options: int = 0, kernel_handle: bool = False
                 ) -> Generator[Any, Any, tuple[int, int]]:
    """ZwOpenFile: ZwCreateFile with FILE_OPEN and nothing else (1.8)."""
    return (yield from zw_create_file(kernel, name, desired_access, iosb, share_access, 1,
                                      open_options, kernel_handle))


def _file_of(kernel: "Kernel", handle: int) -> tuple[int, FileObject | None]:
    """The file object a handle names, without a new reference (the service's IRP takes
    the one the handle lookup would)."""
    entry = handle_table(kernel, handle).lookup(handle)
    if entry is None:
        return NTSTATUS.STATUS_INVALID_HANDLE, None
    if not isinstance(entry[0], FileObject):
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None
    return STATUS_SUCCESS, entry[0]


def zw_read_file(kernel: "Kernel", handle: int, event: "KEvent | None", apc_routine: Any,
                 apc_context: Any, iosb: IoStatusBlock | None, buffer: "Buffer | None",
                 length: int, byte_offset: int | None, write: bool = False
                 ) -> Generator[Any, Any, int]:
    """ZwReadFile / ZwWriteFile from a driver (1.10-1.15).

    ``byte_offset`` None is a NULL ByteOffset: a synchronous file object then uses its
    current position; an asynchronous one fails at once with STATUS_INVALID_PARAMETER
    and nothing reaches the driver (1.11). ``event`` is the (already referenced) event
    object of the Event handle; it is reset first."""
    require_passive(kernel, "ZwWriteFile" if write else "ZwReadFile")
    status, file = _file_of(kernel, handle)
    if file is None:
        return status
    if byte_offset is None or (file.synchronous and byte_offset == USE_FILE_POINTER):
        # NULL, or {FILE_USE_FILE_POINTER_POSITION, -1} on a synchronous file: the
        # file's current position (1.11)
        if not file.synchronous:
            return NTSTATUS.STATUS_INVALID_PARAMETER
        byte_offset = file.current_byte_offset
    apc = (apc_routine, apc_context) if apc_routine is not None else None
    service = nt_write_file if write else nt_read_file
    return (yield from service(file, buffer, length, byte_offset, event, iosb, KernelMode,
                               None, apc))


def zw_device_io_control_file(kernel: "Kernel", handle: int, event: "KEvent | None",
                              apc_routine: Any, apc_context: Any, iosb: IoStatusBlock | None,
                              code: int, input_buffer: "Buffer | None", input_length: int,
                              output_buffer: "Buffer | None", output_length: int
                              ) -> Generator[Any, Any, int]:
    """ZwDeviceIoControlFile: the same synchronous/asynchronous rules, no offset; the
    code's access bits are not checked for a kernel caller (1.18)."""
    require_passive(kernel, "ZwDeviceIoControlFile")
    status, file = _file_of(kernel, handle)
    if file is None:
        return status
    apc = (apc_routine, apc_context) if apc_routine is not None else None
    return (yield from nt_device_io_control_file(
        file, code, input_buffer, input_length, output_buffer, output_length, event, iosb,
        requestor_mode=KernelMode, apc=apc))


def zw_close(kernel: "Kernel", handle: int) -> Generator[Any, Any, int]:
    """ZwClose: the last handle of a file sends IRP_MJ_CLEANUP at once, the last
    reference IRP_MJ_CLOSE (a pended IRP's reference delays it: 1.17)."""
    require_passive(kernel, "ZwClose")
    status, obj = ob_close_handle(kernel, handle, handle_checks=kernel.verifier)
    if isinstance(obj, FileObject):
        yield from nt_close(obj)
    return status


def zw_open_symbolic_link_object(kernel: "Kernel", name: str, desired_access: int,
                                 kernel_handle: bool = False) -> tuple[int, int]:
    """ZwOpenSymbolicLinkObject: a handle to the LINK itself, not what it names (1.19)."""
    require_passive(kernel, "ZwOpenSymbolicLinkObject")
    obj = kernel.namespace.lookup(name, reparse=False)
    if obj is None:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, 0
    if not isinstance(obj, SymbolicLink):
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, 0
    return STATUS_SUCCESS, handle_table(kernel, kernel_handle=kernel_handle).insert(
        obj, desired_access)


def zw_query_symbolic_link_object(kernel: "Kernel", handle: int, maximum_length: int,
                                  want_returned_length: bool
                                  ) -> tuple[int, str | None, int | None]:
    """ZwQuerySymbolicLinkObject (1.20): (status, the target text or None if untouched,
    ReturnedLength or None).

    The link stores its target with Length = 2 x characters and MaximumLength = Length
    + 2. The copy is MaximumLength bytes when ReturnedLength is asked for, else Length;
    more than the caller's MaximumLength is STATUS_BUFFER_TOO_SMALL and the caller's
    string is left as it was. ReturnedLength always gets the stored MaximumLength."""
    entry = handle_table(kernel, handle).lookup(handle)
    if entry is None:
        return NTSTATUS.STATUS_INVALID_HANDLE, None, None
    link = entry[0]
    if not isinstance(link, SymbolicLink):
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None, None
    length = 2 * len(link.target)
    stored_maximum = length + 2
    needed = stored_maximum if want_returned_length else length
    returned = stored_maximum if want_returned_length else None
    if needed > maximum_length:
        return NTSTATUS.STATUS_BUFFER_TOO_SMALL, None, returned
    return STATUS_SUCCESS, link.target, returned


def ob_reference_object_by_name(kernel: "Kernel", name: str, object_type: str
                                ) -> tuple[int, Any]:
    """ObReferenceObjectByName (1.23): a driver object by its \\Driver\\ name works; a
    device name goes through IopParseDevice with no open packet, which refuses it with
    STATUS_OBJECT_TYPE_MISMATCH - a device pointer needs a file object."""
    obj = kernel.namespace.lookup(name)
    if obj is None:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, None
    if isinstance(obj, DeviceObject):
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None
    if not isinstance(obj, DriverObject) or object_type != "Driver":
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None
    return STATUS_SUCCESS, obj


def io_get_base_file_system_device_object(file: FileObject) -> DeviceObject:
    """IoGetBaseFileSystemDeviceObject (1.22): the file's VPB device, else the named
    device's VPB device, else the NAMED device - not the top of its stack."""
    if file.vpb is not None:
        device: DeviceObject = file.vpb.device_object
        return device
    if file.device_object.vpb is not None:
        device = file.device_object.vpb.device_object
        return device
    return file.device_object



def zw_query_information_file(kernel: "Kernel", handle: int, iosb: IoStatusBlock, length: int,
                              information_class: int) -> Generator[Any, Any, tuple[Any, ...]]:
    """ZwQueryInformationFile (4.27): (status, the bytes returned, or None).

    The I/O manager checks the class and the length first (STATUS_INVALID_INFO_CLASS,
    STATUS_INFO_LENGTH_MISMATCH: no IRP, nothing written) and answers
    FilePositionInformation of a synchronous file object itself from its
    CurrentByteOffset; everything else is an IRP_MJ_QUERY_INFORMATION to the file's
    driver or file system. A failure writes no IOSB (1.14)."""
    require_passive(kernel, "ZwQueryInformationFile")
    status, file = _file_of(kernel, handle)
    if file is None:
        return status, None
    return (yield from iop_query_information(file, information_class, length, iosb,
                                             KernelMode, "ZwQueryInformationFile"))


def zw_set_information_file(kernel: "Kernel", handle: int, iosb: IoStatusBlock, data: bytes,
                            information_class: int) -> Generator[Any, Any, int]:
    """ZwSetInformationFile (4.28): ``data`` is the caller's record, Length bytes.

    The same class and length checks as a query; FilePositionInformation on a
    synchronous file object is the I/O manager's: a negative offset, or with
    FILE_NO_INTERMEDIATE_BUFFERING one not a multiple of the sector size, is
    STATUS_INVALID_PARAMETER, else CurrentByteOffset is set. The rest goes to the file
    system as IRP_MJ_SET_INFORMATION (a rename's ReplaceIfExists in its parameters)."""
    require_passive(kernel, "ZwSetInformationFile")
    status, file = _file_of(kernel, handle)
    if file is None:
        return status
    # ReplaceIfExists rides in the IRP's parameters for a rename
    replace = (read_file_rename_information(data)[0]
               if information_class == FileRenameInformation and len(data) >= 16 else False)
    return (yield from iop_set_information(file, information_class, data, iosb, KernelMode,
                                           "ZwSetInformationFile", replace))
