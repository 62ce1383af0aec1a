"""IRP_MJ_QUERY_INFORMATION / IRP_MJ_SET_INFORMATION on a file (stacks-services 4.27,
4.28).

The I/O manager has checked the class and the length already, and answered
FilePositionInformation itself for a synchronous file object; what is left is the file
system's. Query: FileBasicInformation (the four times and the attributes),
FileStandardInformation (AllocationSize = EndOfFile rounded up to the cluster,
EndOfFile, one link, DeletePending, Directory), FilePositionInformation (an
asynchronous file object's CurrentByteOffset). Set:

* FilePositionInformation: CurrentByteOffset (negative: STATUS_INVALID_PARAMETER);
* FileEndOfFileInformation: the file cut or zero-extended to EndOfFile;
* FileDispositionInformation: DeleteFile TRUE marks the file delete-pending (FALSE
  clears it); it goes when its last open is cleaned up, and until then every new open
  fails with STATUS_DELETE_PENDING. Needs DELETE access (STATUS_ACCESS_DENIED); a
  read-only file is STATUS_CANNOT_DELETE, a directory with entries
  STATUS_DIRECTORY_NOT_EMPTY;
* FileRenameInformation: a full name (``\\??\\C:\\dir\\new.log``) or a bare one (same
  directory); needs DELETE access; an existing target without ReplaceIfExists is
  STATUS_OBJECT_NAME_COLLISION, with it the target goes unless it is a directory or
  open (STATUS_ACCESS_DENIED); another volume is STATUS_NOT_SAME_DEVICE.

Chosen where the sources say nothing: EndOfFile of a directory, and moving a directory
under itself, STATUS_INVALID_PARAMETER; renaming or deleting the root STATUS_ACCESS_DENIED
/ STATUS_CANNOT_DELETE. A rename relative to a RootDirectory handle is not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (DELETE, FILE_ATTRIBUTE_READONLY, IRP_MJ, NTSTATUS,
                         FileBasicInformation, FileDispositionInformation,
                         FileEndOfFileInformation, FilePositionInformation,
                         FileRenameInformation, FileStandardInformation)
from ..errors import NotModelledError
from ..io.fileinfo import (file_basic_information, file_standard_information, large_integer,
                           read_file_rename_information, read_large_integer)
from ..io.irp import io_get_current_irp_stack_location
from .tree import MAX_FILE_SIZE, FsNode, find_parent, split_name
from .volume import Vcb, complete, vcb_of

if TYPE_CHECKING:
    from ..io.device import DeviceObject, FileObject
    from ..io.irp import Irp

S = NTSTATUS


def fs_information(device: "DeviceObject", irp: "Irp") -> Generator[Any, Any, int]:
    """The file system's IRP_MJ_QUERY_INFORMATION and IRP_MJ_SET_INFORMATION routine."""
    loc = io_get_current_irp_stack_location(irp)
    vcb, file = vcb_of(device), loc.file_object
    assert file is not None        # the I/O manager sends these with the file object
    params = loc.parameters
    if loc.major_function == IRP_MJ.IRP_MJ_QUERY_INFORMATION:
        data = query(vcb, file, params.file_information_class)
        irp.system_buffer.write(data)
        return (yield from complete(irp, S.STATUS_SUCCESS, len(data)))
    record = irp.system_buffer.read(0, params.length)
    status = set_information(vcb, file, params.file_information_class, record,
                             bool((params.other or {}).get("ReplaceIfExists")))
    return (yield from complete(irp, status, 0))


def query(vcb: Vcb, file: "FileObject", information_class: int) -> bytes:
    node: FsNode = file.fs_context
    if information_class == FileBasicInformation:
        return file_basic_information(node.creation_time, node.last_access_time,
                                      node.last_write_time, node.change_time,
                                      node.attributes)
    if information_class == FileStandardInformation:
        return file_standard_information(node.allocation_size, len(node.data), 1,
                                         node.delete_pending, node.directory)
    if information_class == FilePositionInformation:
        return large_integer(file.current_byte_offset)
    raise NotModelledError("IRP_MJ_QUERY_INFORMATION", f"class {information_class}")


def set_information(vcb: Vcb, file: "FileObject", information_class: int, record: bytes,
                    replace_if_exists: bool) -> int:
    node: FsNode = file.fs_context
    if information_class == FilePositionInformation:
        offset = read_large_integer(record)
        if offset < 0:
            return S.STATUS_INVALID_PARAMETER
        file.current_byte_offset = offset
        return S.STATUS_SUCCESS
    if information_class == FileEndOfFileInformation:
        return _set_end_of_file(vcb, node, read_large_integer(record))
    if information_class == FileDispositionInformation:
        return _set_disposition(vcb, file, node, record[0] != 0)
    if information_class == FileRenameInformation:
        replace, root, name = read_file_rename_information(record)
        if root:
            raise NotModelledError("a rename relative to RootDirectory",
                                   f"RootDirectory 0x{root:08X}: give the full name")
        return _rename(vcb, file, node, name, replace or replace_if_exists)
    raise NotModelledError("IRP_MJ_SET_INFORMATION", f"class {information_class}")


def _set_end_of_file(vcb: Vcb, node: FsNode, size: int) -> int:
    if size < 0 or node.directory:
        return S.STATUS_INVALID_PARAMETER
    if vcb.write_protected:
        return S.STATUS_MEDIA_WRITE_PROTECTED
    if size > MAX_FILE_SIZE:
        raise NotModelledError("files larger than 64 MiB", f"EndOfFile {size} for "
                               f"{vcb.dos_name(node)}")
    data = node.data
    if size < len(data):
        del data[size:]
    else:
        data.extend(bytes(size - len(data)))
    node.last_write_time = node.change_time = vcb.now()
    return S.STATUS_SUCCESS


def _set_disposition(vcb: Vcb, file: "FileObject", node: FsNode, delete: bool) -> int:
    if not file.fs_context2.granted_access & DELETE:
        return S.STATUS_ACCESS_DENIED
    if delete:
        if vcb.write_protected:
            return S.STATUS_MEDIA_WRITE_PROTECTED
        if node.attributes & FILE_ATTRIBUTE_READONLY or node is vcb.root:
            return S.STATUS_CANNOT_DELETE
        if node.directory and node.children:
            return S.STATUS_DIRECTORY_NOT_EMPTY
    node.delete_pending = delete
    return S.STATUS_SUCCESS


def _rename(vcb: Vcb, file: "FileObject", node: FsNode, name: str, replace: bool) -> int:
    if not file.fs_context2.granted_access & DELETE:
        return S.STATUS_ACCESS_DENIED
    if node is vcb.root:
        return S.STATUS_ACCESS_DENIED
    if name.startswith("\\"):
        status: int
        status, device, rest = vcb.kernel.namespace.parse(name)
        if device is None:
            return status
        if getattr(device, "vpb", None) is None or device.vpb.device_object is not vcb.device:
            return S.STATUS_NOT_SAME_DEVICE
    elif "\\" in name or not name:
        return S.STATUS_OBJECT_NAME_INVALID
    else:
        assert node.parent is not None     # only the root has none (refused above)
        rest = node.parent.path.rstrip("\\") + "\\" + name
    status, parts = split_name(rest)
    if status != S.STATUS_SUCCESS:
        return status
    if not parts:
        return S.STATUS_ACCESS_DENIED             # onto the root
    if vcb.write_protected:
        return S.STATUS_MEDIA_WRITE_PROTECTED
    status, parent = find_parent(vcb.root, parts)
    if parent is None:
        return status
    if node.directory and node.contains(parent):
        return S.STATUS_INVALID_PARAMETER
    target = parent.child(parts[-1])
    if target is not None and target is not node:
        if not replace:
            return S.STATUS_OBJECT_NAME_COLLISION
        if target.directory or target.open_count:
            return S.STATUS_ACCESS_DENIED
        target.unlink()
    node.unlink()
    node.name = parts[-1]
    parent.link(node)
    node.change_time = parent.last_write_time = parent.change_time = vcb.now()
    return S.STATUS_SUCCESS
