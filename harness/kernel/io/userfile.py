"""The other file services an application calls on a device handle (win32-io §5):
NtQueryInformationFile, NtSetInformationFile, NtQueryVolumeInformationFile,
NtFlushBuffersFile and NtDuplicateObject of a file handle.

What the I/O manager answers itself never reaches the driver: the position of a
FO_SYNCHRONOUS_IO file object (query and set, 5.5 / stacks-services 4.27-4.28) and
FileFsDeviceInformation (its DeviceType and Characteristics - chosen after the NT
design in which the executive answers it from the device object; the spec does not
name it). Everything else becomes an IRP to the top of the stack
(IRP_MJ_QUERY_INFORMATION, IRP_MJ_SET_INFORMATION, IRP_MJ_QUERY_VOLUME_INFORMATION,
IRP_MJ_FLUSH_BUFFERS), which a driver without that dispatch fails with
STATUS_INVALID_DEVICE_REQUEST (IopInvalidDeviceRequest). A duplicate handle is one more
handle on the SAME file object (5.7): IRP_MJ_CLEANUP waits for the last handle,
IRP_MJ_CLOSE for the last reference.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Generator

from ..constants import (DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, FILE_APPEND_DATA,
                         FILE_WRITE_DATA, IRP_MJ, NTSTATUS, FilePositionInformation,
                         IrpFlags, nt_error)
from ..errors import NotModelledError
from ..ke.dispatcher import ke_clear_event
from ..ob.handle import handle_table
from .device import FileObject
from .file import (_buffered_query, _lock_file, _new_irp, _send_file_request, _unlock_file,
                   _wait_synchronous, io_get_related_device_object, nt_close,
                   nt_query_information_file, nt_set_information_file)
from .fileinfo import check_information_class, large_integer, read_large_integer
from .iomgr import io_call_driver
from .irp import IoStatusBlock, UserMode

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
STATUS_PENDING = NTSTATUS.STATUS_PENDING
_F = IrpFlags
FO_NO_INTERMEDIATE_BUFFERING = 0x8

#: FS_INFORMATION_CLASS (XP): FileFsVolumeInformation 1 .. FileFsDriverPathInformation 9
FileFsVolumeInformation, FileFsSizeInformation, FileFsDeviceInformation = 1, 3, 4
FileFsAttributeInformation, FileFsFullSizeInformation = 5, 7
FILE_FS_MAXIMUM_INFORMATION = 10
#: the classes the model queries, and their fixed size (IopQueryFsOperationLength, x86)
FS_QUERY_LENGTHS = {FileFsVolumeInformation: 24, FileFsSizeInformation: 24,
                    FileFsDeviceInformation: 8, FileFsAttributeInformation: 12,
                    FileFsFullSizeInformation: 32}
_FS_SET_ONLY = frozenset((2, 6))      # FileFsLabelInformation, FileFsControlInformation [query
#                                       of 6 exists on NTFS; taken as not modelled below]


def iop_query_information(file: FileObject, information_class: int, length: int,
                          iosb: IoStatusBlock, requestor_mode: int, routine: str
                          ) -> Generator[Any, Any, tuple[int, bytes | None]]:
    """NtQueryInformationFile / ZwQueryInformationFile after the handle (4.27, 5.5a):
    (status, the bytes returned, or None on failure). The class and length checks come
    first (no IRP, nothing written); a synchronous file's FilePositionInformation is
    the I/O manager's own answer; the rest is IRP_MJ_QUERY_INFORMATION. A failure
    completed inline writes no IOSB."""
    status = check_information_class(information_class, length, False, routine)
    if status != STATUS_SUCCESS:
        return status, None
    if information_class == FilePositionInformation and file.synchronous:
        data = large_integer(file.current_byte_offset)
        iosb.status, iosb.information = STATUS_SUCCESS, len(data)
        return STATUS_SUCCESS, data
    status, data = yield from nt_query_information_file(file, information_class, length,
                                                        iosb, requestor_mode)
    if nt_error(status):
        return status, None
    return status, data[:iosb.information]


def iop_set_information(file: FileObject, information_class: int, data: bytes,
                        iosb: IoStatusBlock, requestor_mode: int, routine: str,
                        replace_if_exists: bool = False) -> Generator[Any, Any, int]:
    """NtSetInformationFile / ZwSetInformationFile after the handle (4.28, 5.5): the
    checks, then a synchronous file's FilePositionInformation set by the I/O manager
    (a negative offset, or with FILE_NO_INTERMEDIATE_BUFFERING one not a multiple of
    the sector size, is STATUS_INVALID_PARAMETER). On an asynchronous file object the
    position is an IRP_MJ_SET_INFORMATION to the driver (5.5, [uncertain]: an old
    ReactOS answered STATUS_ACCESS_DENIED instead; the spec's documented behaviour is
    modelled)."""
    status = check_information_class(information_class, len(data), True, routine)
    if status != STATUS_SUCCESS:
        return status
    if information_class == FilePositionInformation and file.synchronous:
        offset = read_large_integer(data)
        sector = io_get_related_device_object(file).sector_size or 1
        if offset < 0 or (file.flags & FO_NO_INTERMEDIATE_BUFFERING and offset % sector):
            return NTSTATUS.STATUS_INVALID_PARAMETER
        file.current_byte_offset = offset
        iosb.status, iosb.information = STATUS_SUCCESS, 0
        return STATUS_SUCCESS
    return (yield from nt_set_information_file(file, information_class, data, iosb,
                                               requestor_mode, replace_if_exists))


def nt_query_volume_information_file(file: FileObject, information_class: int, length: int,
                                     iosb: IoStatusBlock, requestor_mode: int = UserMode
                                     ) -> Generator[Any, Any, tuple[int, bytes | None]]:
    """NtQueryVolumeInformationFile on a device: (status, the bytes returned or None).

    A class out of FS_INFORMATION_CLASS (or a set-only one) is STATUS_INVALID_INFO_CLASS,
    a short buffer STATUS_INFO_LENGTH_MISMATCH, both before any IRP; FileFsDeviceInformation
    is answered from the device object; the other classes the model knows go to the
    driver as IRP_MJ_QUERY_VOLUME_INFORMATION (buffered, copied back on success)."""
    if not 0 < information_class < FILE_FS_MAXIMUM_INFORMATION \
            or information_class in _FS_SET_ONLY:
        return NTSTATUS.STATUS_INVALID_INFO_CLASS, None
    if information_class not in FS_QUERY_LENGTHS:
        raise NotModelledError("NtQueryVolumeInformationFile", f"FsInformationClass "
                               f"{information_class} (the model answers "
                               f"{', '.join(map(str, sorted(FS_QUERY_LENGTHS)))})")
    if length < FS_QUERY_LENGTHS[information_class]:
        return NTSTATUS.STATUS_INFO_LENGTH_MISMATCH, None
    if information_class == FileFsDeviceInformation:
        device = file.device_object
        data = struct.pack("<II", device.device_type, device.characteristics)
        iosb.status, iosb.information = STATUS_SUCCESS, len(data)
        return STATUS_SUCCESS, data
    kernel = file.kernel
    yield from _lock_file(file)
    device, irp, out = _buffered_query(file, IRP_MJ.IRP_MJ_QUERY_VOLUME_INFORMATION, length,
                                       iosb, requestor_mode)
    irp.stack[-1].parameters.other = {"FsInformationClass": information_class}
    status = yield from _send_file_request(kernel, file, device, irp)
    _unlock_file(file)
    if nt_error(status):
        return status, None
    return status, out.read(0, min(iosb.information, length))


def nt_flush_buffers_file(file: FileObject, iosb: IoStatusBlock, granted_access: int,
                          requestor_mode: int = UserMode) -> Generator[Any, Any, int]:
    """NtFlushBuffersFile (FlushFileBuffers): a user caller's handle needs
    FILE_WRITE_DATA or FILE_APPEND_DATA (else STATUS_ACCESS_DENIED, no IRP); then an
    IRP_MJ_FLUSH_BUFFERS with no buffer, waited for on a synchronous file object."""
    if requestor_mode == UserMode and not granted_access & (FILE_WRITE_DATA | FILE_APPEND_DATA):
        return NTSTATUS.STATUS_ACCESS_DENIED
    kernel = file.kernel
    yield from _lock_file(file)
    device = io_get_related_device_object(file)
    ke_clear_event(file.event)
    irp = _new_irp(kernel, device, file, IRP_MJ.IRP_MJ_FLUSH_BUFFERS, 0, requestor_mode)
    irp.user_iosb = iosb
    file.reference_count += 1
    status = yield from io_call_driver(device, irp)
    status = yield from _wait_synchronous(file, status)
    _unlock_file(file)
    return status


def nt_duplicate_object(kernel: "Kernel", source_handle: int, access: int, options: int
                        ) -> Generator[Any, Any, tuple[int, int]]:
    """NtDuplicateObject(NtCurrentProcess(), h, NtCurrentProcess(), &new, access, 0,
    options) on the caller's table: (status, the new handle). A file object gains a
    handle and a reference (5.7); with DUPLICATE_CLOSE_SOURCE the source handle is
    closed afterwards, which sends nothing: the count is back where it was."""
    table = handle_table(kernel, source_handle)
    entry = table.lookup(source_handle & 0xFFFFFFFF)
    if entry is None:
        return NTSTATUS.STATUS_INVALID_HANDLE, 0
    obj, granted = entry
    new = table.insert(obj, granted if options & DUPLICATE_SAME_ACCESS else access)
    if isinstance(obj, FileObject):
        obj.handle_count += 1                     # ObpIncrementHandleCount
        obj.reference_count += 1
    if options & DUPLICATE_CLOSE_SOURCE:
        table.remove(source_handle & 0xFFFFFFFF)
        if isinstance(obj, FileObject):
            yield from nt_close(obj)
    return STATUS_SUCCESS, new
