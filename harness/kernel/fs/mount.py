"""The machine's C: drive: a storage volume device, a file system mounted on it, and
the files the scenario put there (``files:``).

What Windows has after boot, and what is built here the same way: the volume manager's
``\\Device\\HarddiskVolume1`` (``\\??\\C:`` links to it), NTFS's unnamed volume device
joined to it by the VPB, and NTFS's driver object ``\\FileSystem\\Ntfs`` whose dispatch
routines are this package's. Neither driver is a scenario driver. IRPs to the storage
device itself (a direct device open, stacks-services 1.7) and the file system's other
major functions (directory enumeration, FSCTLs, flushes, volume information, locks)
are not modelled and say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import (DO_DEVICE_INITIALIZING, FILE_ATTRIBUTE_READONLY,
                         FILE_DEVICE_DISK, FILE_DEVICE_DISK_FILE_SYSTEM, IRP_MJ)
from ..errors import KernelUsageError, NotModelledError
from ..io.device import DriverObject, io_create_device, io_create_symbolic_link
from ..io.vpb import Vpb
from .cleanup import fs_cleanup, fs_close
from .create import fs_create
from .information import fs_information
from .readwrite import fs_read_write
from .tree import MAX_FILE_SIZE, FsNode, split_name
from .volume import Vcb

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

SECTOR_SIZE = 512
VOLUME_DEVICE = "\\Device\\HarddiskVolume1"

_FS_ROUTINES: dict[int, Callable[..., Any]] = {
    IRP_MJ.IRP_MJ_CREATE: fs_create, IRP_MJ.IRP_MJ_READ: fs_read_write,
    IRP_MJ.IRP_MJ_WRITE: fs_read_write, IRP_MJ.IRP_MJ_QUERY_INFORMATION: fs_information,
    IRP_MJ.IRP_MJ_SET_INFORMATION: fs_information, IRP_MJ.IRP_MJ_CLEANUP: fs_cleanup,
    IRP_MJ.IRP_MJ_CLOSE: fs_close}


def _not_modelled(what: str) -> Callable[..., Generator[Any, Any, int]]:
    def dispatch(device: Any, irp: Any) -> Generator[Any, Any, int]:
        major = IRP_MJ(irp.stack[irp.current_location - 1].major_function).name
        raise NotModelledError(f"{major} to {what}")
        yield
    dispatch.__name__ = f"{what.split()[0]}Dispatch"
    return dispatch


def _system_driver(kernel: "Kernel", name: str, routines: dict[int, Callable[..., Any]],
                   what: str) -> DriverObject:
    driver = DriverObject(kernel, name)
    fallback = _not_modelled(what)
    driver.major_function = [routines.get(major, fallback)
                             for major in range(len(driver.major_function))]
    kernel.namespace.insert(name, driver)
    return driver


def fs_mount_volume(kernel: "Kernel", drive: str = "C:", write_protected: bool = False
                    ) -> Vcb:
    """Build the storage volume, mount the file system on it and link ``\\??\\C:``."""
    ftdisk = _system_driver(kernel, "\\Driver\\Ftdisk", {}, "the storage volume "
                            f"{VOLUME_DEVICE} (raw volume I/O)")
    ntfs = _system_driver(kernel, "\\FileSystem\\Ntfs", _FS_ROUTINES, "the file system")
    _, real = io_create_device(ftdisk, 0, VOLUME_DEVICE, FILE_DEVICE_DISK)
    _, volume = io_create_device(ntfs, 0, None, FILE_DEVICE_DISK_FILE_SYSTEM)
    assert real is not None and volume is not None     # at boot: no name taken yet
    vcb = Vcb(kernel, drive, write_protected)
    vcb.real_device, vcb.device = real, volume
    for device in (real, volume):
        device.flags &= ~DO_DEVICE_INITIALIZING
        device.sector_size = SECTOR_SIZE
    volume.stack_size = real.stack_size + 1
    volume.device_extension["vcb"] = vcb
    real.vpb = Vpb(real, volume)
    io_create_symbolic_link(kernel, f"\\??\\{drive}", VOLUME_DEVICE)
    return vcb


def fs_add_file(vcb: Vcb, path: str, data: bytes | None, read_only: bool = False) -> None:
    """Put a file (``data`` bytes) or, with ``data`` None, a directory on the volume
    before anything runs; missing directories on the way are made. ``path`` is the name
    inside the volume (``\\logs\\a.txt``)."""
    status, parts = split_name(path)
    if status or not parts:
        raise KernelUsageError(f"not a file name on the volume: {path!r}")
    if data is not None and len(data) > MAX_FILE_SIZE:
        raise KernelUsageError(f"{path!r}: larger than {MAX_FILE_SIZE} bytes")
    now = vcb.now()
    node = vcb.root
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        child = node.child(part)
        if child is None:
            child = FsNode(part, node, not last or data is None, now,
                           FILE_ATTRIBUTE_READONLY if last and read_only else 0)
            node.link(child)
        elif not child.directory or (last and data is not None):
            raise KernelUsageError(f"{path!r}: {vcb.dos_name(child)} is already there")
        node = child
    if data is not None:
        node.data = bytearray(data)
