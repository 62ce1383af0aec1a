"""The mounted volume as the file system keeps it: its VCB, the per-open CCB, and the
way every dispatch routine of the file system ends (complete the IRP inline).

The file system completes every request at once, in the caller's thread: a cached
file system with no disk latency, so nothing here waits or pends. The requests still
travel as IRPs through IoCallDriver, so they show in the trace like any other driver's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (DELETE, FILE_APPEND_DATA, FILE_WRITE_ATTRIBUTES, FILE_WRITE_DATA,
                         FILE_WRITE_EA, IO_NO_INCREMENT)
from ..io.iomgr import io_complete_request
from ..ke.clock import ke_query_system_time
from .tree import FsNode

if TYPE_CHECKING:
    from ..io.device import DeviceObject
    from ..io.irp import Irp
    from ..ke.machine import Machine as Kernel

#: Access that changes the volume: refused on a write-protected one (4.25).
WRITE_ACCESS = FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | DELETE


class Vcb:
    """The file system's VCB of one volume: its root directory and write protection."""

    __slots__ = ("kernel", "drive", "root", "write_protected", "real_device", "device")

    def __init__(self, kernel: "Kernel", drive: str, write_protected: bool) -> None:
        self.kernel = kernel
        self.drive = drive                         # "C:"
        self.write_protected = write_protected
        self.root = FsNode("", None, True, 0)
        self.real_device: Any = None               # \Device\HarddiskVolume1
        self.device: Any = None                    # the file system's volume device

    def now(self) -> int:
        """The times a file system stamps: KeQuerySystemTime."""
        return ke_query_system_time(self.kernel)

    def dos_name(self, node: FsNode) -> str:
        return self.drive + node.path

    def snapshot(self) -> dict[str, bytes | None]:
        """The volume's content by DOS name (``C:\\1.log``): a file's bytes, None for a
        directory (the root is left out)."""
        return {self.dos_name(node): None if node.directory else bytes(node.data)
                for node in self.root.walk() if node is not self.root}

    def __repr__(self) -> str:
        return f"<VCB {self.drive}{' write-protected' if self.write_protected else ''}>"


class Ccb:
    """The file system's CCB of one open: the access it was granted, FILE_DELETE_ON_CLOSE,
    and whether its cleanup ran."""

    __slots__ = ("granted_access", "delete_on_close", "cleaned_up")

    def __init__(self, granted_access: int, delete_on_close: bool) -> None:
        self.granted_access = granted_access
        self.delete_on_close = delete_on_close
        self.cleaned_up = False

    def __repr__(self) -> str:
        return f"<CCB access=0x{self.granted_access:X}>"


def vcb_of(device: "DeviceObject") -> Vcb:
    vcb: Vcb = device.device_extension["vcb"]
    return vcb


def complete(irp: "Irp", status: int, information: int = 0) -> Generator[Any, Any, int]:
    """IoStatus set, IoCompleteRequest, and the status returned from dispatch."""
    irp.io_status.status = status
    irp.io_status.information = information
    yield from io_complete_request(irp, IO_NO_INCREMENT)
    return status
