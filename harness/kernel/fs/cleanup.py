"""IRP_MJ_CLEANUP and IRP_MJ_CLOSE of a file (stacks-services 4.29).

CLEANUP comes when the last handle of a file object is closed: the open's share access
is released, FILE_DELETE_ON_CLOSE marks the file delete-pending, and when this was the
file's last open a delete-pending file goes from its directory (a directory that is
not empty by then stays). CLOSE comes when the file object's last reference goes: the
file system drops its CCB; nothing is observable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import NTSTATUS
from ..io.irp import io_get_current_irp_stack_location
from ..io.share import io_remove_share_access
from .volume import complete, vcb_of

if TYPE_CHECKING:
    from ..io.device import DeviceObject
    from ..io.irp import Irp


def fs_cleanup(device: "DeviceObject", irp: "Irp") -> Generator[Any, Any, int]:
    """The file system's IRP_MJ_CLEANUP dispatch routine."""
    file = io_get_current_irp_stack_location(irp).file_object
    assert file is not None        # IRP_MJ_CLEANUP always names its file object
    node, ccb = file.fs_context, file.fs_context2
    io_remove_share_access(file, node.share)
    if ccb.delete_on_close:
        node.delete_pending = True
    ccb.cleaned_up = True
    node.open_count -= 1
    if node.open_count == 0 and node.delete_pending and not node.children:
        parent = node.parent
        node.unlink()
        parent.last_write_time = parent.change_time = vcb_of(device).now()
    return (yield from complete(irp, NTSTATUS.STATUS_SUCCESS))


def fs_close(device: "DeviceObject", irp: "Irp") -> Generator[Any, Any, int]:
    """The file system's IRP_MJ_CLOSE dispatch routine."""
    file = io_get_current_irp_stack_location(irp).file_object
    assert file is not None        # IRP_MJ_CLOSE always names its file object
    file.fs_context2 = None
    return (yield from complete(irp, NTSTATUS.STATUS_SUCCESS))
