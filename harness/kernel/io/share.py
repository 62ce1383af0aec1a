"""Share access: IoCheckShareAccess, IoSetShareAccess, IoRemoveShareAccess.

The I/O manager keeps no share state of its own: a file system calls these routines
with the SHARE_ACCESS of its FCB (one per file, however many opens) while it handles
IRP_MJ_CREATE, and IoRemoveShareAccess at IRP_MJ_CLEANUP. A plain device driver never
calls them, which is why share modes mean nothing to the book's devices (stacks-services
1.6) and everything to a file (4.25: STATUS_SHARING_VIOLATION).

Only read (FILE_READ_DATA | FILE_EXECUTE), write (FILE_WRITE_DATA | FILE_APPEND_DATA)
and DELETE access take part: an open asking for none of them (attributes only) neither
conflicts nor counts. What one open got is recorded in its FILE_OBJECT (ReadAccess,
SharedRead, ...), as Windows does, so that cleanup removes exactly that.
"""

from __future__ import annotations

from typing import Any

from ..constants import (DELETE, FILE_ALL_ACCESS, FILE_APPEND_DATA, FILE_EXECUTE,
                         FILE_GENERIC_EXECUTE, FILE_GENERIC_READ, FILE_GENERIC_WRITE,
                         FILE_READ_DATA, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
                         FILE_WRITE_DATA, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ,
                         GENERIC_WRITE, MAXIMUM_ALLOWED, NTSTATUS)


class ShareAccess:
    """SHARE_ACCESS: how many opens of one file read, write, delete, and share each."""

    __slots__ = ("open_count", "readers", "writers", "deleters", "shared_read",
                 "shared_write", "shared_delete")

    def __init__(self) -> None:
        self.open_count = self.readers = self.writers = self.deleters = 0
        self.shared_read = self.shared_write = self.shared_delete = 0

    def __repr__(self) -> str:
        return (f"<SHARE_ACCESS opens={self.open_count} r/w/d={self.readers}/{self.writers}/"
                f"{self.deleters} shared r/w/d={self.shared_read}/{self.shared_write}/"
                f"{self.shared_delete}>")


def _wants(desired_access: int, desired_share: int) -> tuple[bool, ...]:
    return (bool(desired_access & (FILE_READ_DATA | FILE_EXECUTE)),
            bool(desired_access & (FILE_WRITE_DATA | FILE_APPEND_DATA)),
            bool(desired_access & DELETE),
            bool(desired_share & FILE_SHARE_READ), bool(desired_share & FILE_SHARE_WRITE),
            bool(desired_share & FILE_SHARE_DELETE))


def io_check_share_access(desired_access: int, desired_share: int, file: Any,
                          share: ShareAccess, update: bool = True) -> int:
    """IoCheckShareAccess: STATUS_SHARING_VIOLATION when this open would take an access
    an existing open does not share, or refuse to share one an existing open has;
    otherwise records it (``update``) and returns STATUS_SUCCESS."""
    read, write, delete, s_read, s_write, s_delete = _wants(desired_access, desired_share)
    file.read_access, file.write_access, file.delete_access = read, write, delete
    if not (read or write or delete):
        return NTSTATUS.STATUS_SUCCESS
    file.shared_read, file.shared_write, file.shared_delete = s_read, s_write, s_delete
    count = share.open_count
    if ((read and share.shared_read < count) or (write and share.shared_write < count)
            or (delete and share.shared_delete < count)
            or (share.readers and not s_read) or (share.writers and not s_write)
            or (share.deleters and not s_delete)):
        return NTSTATUS.STATUS_SHARING_VIOLATION
    if update:
        _count(file, share, 1)
    return NTSTATUS.STATUS_SUCCESS


def io_set_share_access(desired_access: int, desired_share: int, file: Any,
                        share: ShareAccess) -> None:
    """IoSetShareAccess: the first open of a file sets the counts without checking."""
    read, write, delete, s_read, s_write, s_delete = _wants(desired_access, desired_share)
    file.read_access, file.write_access, file.delete_access = read, write, delete
    if not (read or write or delete):
        return
    file.shared_read, file.shared_write, file.shared_delete = s_read, s_write, s_delete
    _count(file, share, 1)


def io_remove_share_access(file: Any, share: ShareAccess) -> None:
    """IoRemoveShareAccess: what this open added goes (at IRP_MJ_CLEANUP)."""
    if file.read_access or file.write_access or file.delete_access:
        _count(file, share, -1)


def _count(file: Any, share: ShareAccess, step: int) -> None:
    share.open_count += step
    share.readers += step * file.read_access
    share.writers += step * file.write_access
    share.deleters += step * file.delete_access
    share.shared_read += step * file.shared_read
    share.shared_write += step * file.shared_write
    share.shared_delete += step * file.shared_delete


def file_generic_mapping(desired_access: int) -> int:
    """What IopParseDevice hands the file system as DesiredAccess: GENERIC_* mapped by
    IoFileObjectType's GENERIC_MAPPING (stacks-services 1.1, 1.5). MAXIMUM_ALLOWED from
    a kernel caller, whom no security descriptor limits in the model, is everything."""
    mapped = desired_access & 0x0FFFFFFF & ~MAXIMUM_ALLOWED
    for generic, specific in ((GENERIC_READ, FILE_GENERIC_READ),
                              (GENERIC_WRITE, FILE_GENERIC_WRITE),
                              (GENERIC_EXECUTE, FILE_GENERIC_EXECUTE),
                              (GENERIC_ALL, FILE_ALL_ACCESS)):
        if desired_access & generic:
            mapped |= specific
    if desired_access & MAXIMUM_ALLOWED:
        mapped |= FILE_ALL_ACCESS
    return mapped
