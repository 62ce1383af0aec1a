"""IRP_MJ_CREATE on a mounted volume: the six dispositions (stacks-services 4.25).

What the file system answers, and the IoStatus.Information it hands back with it:

=================  ==============================  =============================
Disposition        the file exists                 it does not
=================  ==============================  =============================
FILE_SUPERSEDE     replaced: FILE_SUPERSEDED       created: FILE_CREATED
FILE_OPEN          FILE_OPENED                     STATUS_OBJECT_NAME_NOT_FOUND
FILE_CREATE        STATUS_OBJECT_NAME_COLLISION,   FILE_CREATED
                   FILE_EXISTS
FILE_OPEN_IF       FILE_OPENED                     FILE_CREATED
FILE_OVERWRITE     truncated: FILE_OVERWRITTEN     STATUS_OBJECT_NAME_NOT_FOUND
FILE_OVERWRITE_IF  FILE_OVERWRITTEN                FILE_CREATED
=================  ==============================  =============================

The checks run in the order FastFat's create does them: the name, the directories on
the way (STATUS_OBJECT_PATH_NOT_FOUND), then for an existing file the collision,
delete pending, file/directory mismatch, write protection and read-only, and last the
share access, so a refused open changes nothing; only then is the file truncated. A
file that is not there with FILE_OPEN / FILE_OVERWRITE gets Information
FILE_DOES_NOT_EXIST (the documented value; the spec notes not every file system sets
it). The file system sees the access already generic-mapped (GENERIC_ALL is
FILE_ALL_ACCESS) and, for a kernel caller, checks no security: every access asked for
is granted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (FILE_APPEND_DATA, FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_DIRECTORY,
                         FILE_ATTRIBUTE_HIDDEN, FILE_ATTRIBUTE_READONLY,
                         FILE_ATTRIBUTE_SYSTEM, FILE_CREATE, FILE_CREATED, FILE_DELETE_ON_CLOSE,
                         FILE_DIRECTORY_FILE, FILE_DOES_NOT_EXIST, FILE_EXISTS,
                         FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_IF, FILE_OPENED,
                         FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_OVERWRITTEN, FILE_SUPERSEDE,
                         FILE_SUPERSEDED, FILE_WRITE_DATA, NTSTATUS)
from ..errors import NotModelledError
from ..io.irp import io_get_current_irp_stack_location
from ..io.share import io_check_share_access, io_set_share_access
from .tree import FsNode, find_parent, split_name
from .volume import WRITE_ACCESS, Ccb, Vcb, complete, vcb_of

if TYPE_CHECKING:
    from ..io.device import DeviceObject, FileObject
    from ..io.irp import Irp

S = NTSTATUS
#: Attributes a creator may ask for (the rest of FileAttributes is ignored).
_SETTABLE = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM \
    | FILE_ATTRIBUTE_ARCHIVE
_TRUNCATING = (FILE_SUPERSEDE, FILE_OVERWRITE, FILE_OVERWRITE_IF)


def fs_create(device: "DeviceObject", irp: "Irp") -> Generator[Any, Any, int]:
    """The file system's IRP_MJ_CREATE dispatch routine."""
    loc = io_get_current_irp_stack_location(irp)
    file = loc.file_object
    params = loc.parameters.other
    assert file is not None and params is not None     # IopParseDevice builds both
    options = params["Options"]
    status, information = open_file(vcb_of(device), file, params["DesiredAccess"],
                                    params["ShareAccess"], options >> 24,
                                    options & 0x00FFFFFF, params.get("FileAttributes", 0))
    return (yield from complete(irp, status, information))


def open_file(vcb: Vcb, file: "FileObject", access: int, share: int, disposition: int,
              options: int, attributes: int) -> tuple[int, int]:
    """(status, Information) of one open; on success the file object holds the FCB
    (FsContext) and a CCB (FsContext2)."""
    if file.file_name == "":
        raise NotModelledError("opening a volume itself (a DASD open)",
                               f"{file.name!r} names the volume, not a file on it")
    if disposition > FILE_OVERWRITE_IF or (
            options & FILE_DIRECTORY_FILE and options & FILE_NON_DIRECTORY_FILE) or (
            options & FILE_DIRECTORY_FILE
            and disposition not in (FILE_CREATE, FILE_OPEN, FILE_OPEN_IF)):
        return S.STATUS_INVALID_PARAMETER, 0
    status, parts = split_name(file.file_name)
    if status != S.STATUS_SUCCESS:
        return status, 0
    if not parts:                                   # the root directory
        node: FsNode | None = vcb.root
    else:
        status, parent = find_parent(vcb.root, parts)
        if parent is None:
            return status, 0
        node = parent.child(parts[-1])
    if node is None:
        assert parent is not None      # (the root, the only node without one, exists)
        return _create_new(vcb, file, parent, parts[-1], access, share, disposition,
                           options, attributes)
    return _open_existing(vcb, file, node, access, share, disposition, options, attributes)


def _open_existing(vcb: Vcb, file: "FileObject", node: FsNode, access: int, share: int,
                   disposition: int, options: int, attributes: int) -> tuple[int, int]:
    if disposition == FILE_CREATE:
        return S.STATUS_OBJECT_NAME_COLLISION, FILE_EXISTS
    if node.delete_pending:
        return S.STATUS_DELETE_PENDING, 0
    if node.directory and (options & FILE_NON_DIRECTORY_FILE or disposition in _TRUNCATING):
        return S.STATUS_FILE_IS_A_DIRECTORY, 0   # (a truncating open of one: chosen status)
    if not node.directory and options & FILE_DIRECTORY_FILE:
        return S.STATUS_NOT_A_DIRECTORY, 0
    modifies = bool(access & WRITE_ACCESS or options & FILE_DELETE_ON_CLOSE
                    or disposition in _TRUNCATING)
    if vcb.write_protected and modifies:
        return S.STATUS_MEDIA_WRITE_PROTECTED, 0
    if node.attributes & FILE_ATTRIBUTE_READONLY and (
            access & (FILE_WRITE_DATA | FILE_APPEND_DATA) or disposition in _TRUNCATING
            or options & FILE_DELETE_ON_CLOSE):
        return S.STATUS_ACCESS_DENIED, 0
    status = io_check_share_access(access, share, file, node.share)
    if status != S.STATUS_SUCCESS:
        return status, 0
    information = FILE_OPENED
    if disposition in _TRUNCATING:
        now = vcb.now()
        node.data = bytearray()
        node.last_write_time = node.change_time = now
        if disposition == FILE_SUPERSEDE:
            node.attributes = (attributes & _SETTABLE) | FILE_ATTRIBUTE_ARCHIVE
            information = FILE_SUPERSEDED
        else:
            node.attributes |= (attributes & _SETTABLE) | FILE_ATTRIBUTE_ARCHIVE
            information = FILE_OVERWRITTEN
    _attach(file, node, access, options)
    return S.STATUS_SUCCESS, information


def _create_new(vcb: Vcb, file: "FileObject", parent: FsNode, name: str, access: int,
                share: int, disposition: int, options: int, attributes: int
                ) -> tuple[int, int]:
    if disposition in (FILE_OPEN, FILE_OVERWRITE):
        return S.STATUS_OBJECT_NAME_NOT_FOUND, FILE_DOES_NOT_EXIST
    if vcb.write_protected:
        return S.STATUS_MEDIA_WRITE_PROTECTED, 0
    directory = bool(options & FILE_DIRECTORY_FILE)
    node = FsNode(name, parent, directory, vcb.now(),
                  (attributes & _SETTABLE) & ~(FILE_ATTRIBUTE_DIRECTORY if directory else 0))
    parent.link(node)
    parent.last_write_time = parent.change_time = node.creation_time
    io_set_share_access(access, share, file, node.share)
    _attach(file, node, access, options)
    return S.STATUS_SUCCESS, FILE_CREATED


def _attach(file: "FileObject", node: FsNode, access: int, options: int) -> None:
    file.fs_context = node
    file.fs_context2 = Ccb(access, bool(options & FILE_DELETE_ON_CLOSE))
    node.open_count += 1
