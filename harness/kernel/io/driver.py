"""Driver objects: the dispatch table, StartIo, Unload, and the default dispatch entry
IopInvalidDeviceRequest (io-core §2.4, §8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import IRP_MJ_MAXIMUM_FUNCTION, NTSTATUS
from ..errors import KernelUsageError
from .device import IO_TYPE_DRIVER, DeviceObject
from .iomgr import io_complete_request
from .irp import Irp

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel


def iop_invalid_device_request(device: "DeviceObject", irp: Irp) -> Generator[Any, Any, int]:
    """IopInvalidDeviceRequest: the default dispatch entry (io-core §2.4)."""
    irp.io_status.status = NTSTATUS.STATUS_INVALID_DEVICE_REQUEST
    irp.io_status.information = 0
    yield from io_complete_request(irp, 0)
    return NTSTATUS.STATUS_INVALID_DEVICE_REQUEST


class DriverObject:
    """DRIVER_OBJECT: the dispatch table, StartIo, Unload and the device list."""

    def __init__(self, kernel: "Kernel", name: str) -> None:
        self.kernel = kernel
        self.type = IO_TYPE_DRIVER
        self.name = name                      # \Driver\Name
        self.major_function: list[Callable[..., Any]] = \
            [iop_invalid_device_request] * (IRP_MJ_MAXIMUM_FUNCTION + 1)
        self.driver_start_io: Callable[..., Any] | None = None
        self.driver_unload: Callable[..., Any] | None = None
        self.device_object: "DeviceObject | None" = None   # head of the NextDevice chain

    @property
    def short_name(self) -> str:
        return self.name.rsplit("\\", 1)[-1]

    def devices(self) -> list["DeviceObject"]:
        """The devices in Windows' list order (newest first)."""
        out, dev = [], self.device_object
        while dev is not None:
            out.append(dev)
            dev = dev.next_device
        return out

    def __repr__(self) -> str:
        return f"<DRIVER_OBJECT {self.name}>"




def io_create_driver(kernel: "Kernel", name: str) -> DriverObject:
    """Create a driver object (what the I/O manager does before DriverEntry)."""
    full = name if name.startswith("\\") else f"\\Driver\\{name}"
    driver = DriverObject(kernel, full)
    if kernel.namespace.insert(full, driver) != NTSTATUS.STATUS_SUCCESS:
        raise KernelUsageError(f"driver {full} already exists")
    kernel.drivers.append(driver)
    return driver
