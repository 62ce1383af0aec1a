"""IRP_MJ_READ / IRP_MJ_WRITE on a file (stacks-services 4.26).

The I/O manager has already turned a NULL ByteOffset (or {FILE_USE_FILE_POINTER_POSITION,
-1}) of a synchronous file object into its CurrentByteOffset (1.11); what reaches the
file system is an offset, or -1 = {FILE_WRITE_TO_END_OF_FILE, -1}: append. A read that
starts at or after the end of the file is STATUS_END_OF_FILE with nothing read; one
that crosses it is cut short, and succeeds; a write past the end extends the file,
zero-filling any gap. Information is the bytes moved; on a synchronous file object
the file system then moves CurrentByteOffset past them. A zero-length transfer
succeeds and moves nothing. The volume's device does neither buffered nor direct I/O,
so the caller's buffer is used as it is (a kernel caller's is not probed).

Chosen where the sources say nothing: another negative offset is
STATUS_INVALID_PARAMETER; reading or writing a directory STATUS_INVALID_DEVICE_REQUEST
(NTFS's answer). The handle's access is not checked again: a kernel caller's
ObReferenceObjectByHandle never checks it (sync-objects 7.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import IRP_MJ, NTSTATUS
from ..errors import NotModelledError
from ..io.irp import io_get_current_irp_stack_location
from .tree import MAX_FILE_SIZE
from .volume import complete, vcb_of

if TYPE_CHECKING:
    from ..io.device import DeviceObject
    from ..io.irp import Irp

S = NTSTATUS
WRITE_TO_END_OF_FILE = -1       # ByteOffset {FILE_WRITE_TO_END_OF_FILE, -1}


def fs_read_write(device: "DeviceObject", irp: "Irp") -> Generator[Any, Any, int]:
    """The file system's IRP_MJ_READ and IRP_MJ_WRITE dispatch routine."""
    loc = io_get_current_irp_stack_location(irp)
    write = loc.major_function == IRP_MJ.IRP_MJ_WRITE
    status, count = transfer(vcb_of(device), loc.file_object, irp.user_buffer, write,
                             loc.parameters.byte_offset, loc.parameters.length)
    return (yield from complete(irp, status, count))


def transfer(vcb: Any, file: Any, buffer: Any, write: bool, offset: int, length: int
             ) -> tuple[int, int]:
    """(status, bytes moved) of one read or write through ``file``."""
    node = file.fs_context
    if node.directory:
        return S.STATUS_INVALID_DEVICE_REQUEST, 0
    if offset < 0 and not (write and offset == WRITE_TO_END_OF_FILE):
        return S.STATUS_INVALID_PARAMETER, 0
    if length == 0:
        return S.STATUS_SUCCESS, 0
    if buffer is None:
        raise NotModelledError("a NULL buffer handed to the file system",
                               f"{'ZwWriteFile' if write else 'ZwReadFile'} of {length} "
                               "bytes with no buffer (the file system's exception handling "
                               "of a bad kernel buffer)")
    buffer.check(0, length)
    data = node.data
    if write:
        if vcb.write_protected:
            return S.STATUS_MEDIA_WRITE_PROTECTED, 0
        if offset == WRITE_TO_END_OF_FILE:
            offset = len(data)
        end = offset + length
        if end > MAX_FILE_SIZE:
            raise NotModelledError("files larger than 64 MiB", f"a write to byte {end} of "
                                   f"{vcb.dos_name(node)} (the model keeps file data in "
                                   "memory)")
        if offset > len(data):
            data.extend(bytes(offset - len(data)))
        data[offset:end] = buffer.read(0, length)
        node.last_write_time = node.change_time = vcb.now()
        count = length
    else:
        if offset >= len(data):
            return S.STATUS_END_OF_FILE, 0
        chunk = bytes(data[offset:offset + length])
        buffer.write(chunk)
        count = len(chunk)
    node.last_access_time = vcb.now()
    if file.synchronous:
        file.current_byte_offset = offset + count
    return S.STATUS_SUCCESS, count
