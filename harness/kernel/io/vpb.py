"""The volume parameter block: how a storage device's name reaches a file system.

A volume device (``\\Device\\HarddiskVolume1``, what ``\\??\\C:`` links to) belongs to
the storage stack; the file system that mounted it created a volume device object of
its own, unnamed, and the VPB joins the two (``Vpb->RealDevice`` is the storage device,
``Vpb->DeviceObject`` the file system's). IopParseDevice sends the IRP_MJ_CREATE of
any open that is not a direct device open to the top of the file system's stack, and
IoGetRelatedDeviceObject sends every later request of that file object there too
(stacks-services 1.7, 1.21, 4.25). Mounting itself (IRP_MJ_FILE_SYSTEM_CONTROL /
IRP_MN_MOUNT_VOLUME, the file system's recognisers) is not modelled: a volume is
mounted when the machine is built (``harness.kernel.fs``).
"""

from __future__ import annotations

from typing import Any

VPB_MOUNTED = 0x1

#: The access a direct device open may ask for without mounting (stacks-services 1.7):
#: SYNCHRONIZE | FILE_READ_ATTRIBUTES | READ_CONTROL | ACCESS_SYSTEM_SECURITY |
#: WRITE_OWNER | WRITE_DAC.
DIRECT_OPEN_ACCESS = 0x100000 | 0x80 | 0x20000 | 0x01000000 | 0x80000 | 0x40000


class Vpb:
    """VPB: the mounted file system's volume device and the storage device under it."""

    __slots__ = ("device_object", "real_device", "flags", "volume_label")

    def __init__(self, real_device: Any, device_object: Any, volume_label: str = "") -> None:
        self.real_device = real_device
        self.device_object = device_object
        self.flags = VPB_MOUNTED
        self.volume_label = volume_label

    def __repr__(self) -> str:
        return f"<VPB {self.real_device.label} -> {self.device_object.label}>"


def is_direct_device_open(remaining_name: str, desired_access: int) -> bool:
    """IopParseDevice's test for FO_DIRECT_DEVICE_OPEN (stacks-services 1.7): nothing
    after the device's name, and no access beyond attributes and security."""
    return not remaining_name and not desired_access & ~DIRECT_OPEN_ACCESS
