"""Creating a driver object (IopCreateDriver) and its default dispatch entry,
IopInvalidDeviceRequest (io-core §2.4, §8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import NTSTATUS
from ..errors import KernelUsageError
from .device import DeviceObject, DriverObject
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


def io_create_driver(kernel: "Kernel", name: str) -> DriverObject:
    """Create a driver object (what the I/O manager does before DriverEntry)."""
    full = name if name.startswith("\\") else f"\\Driver\\{name}"
    driver = DriverObject(kernel, full)
    driver.major_function = [iop_invalid_device_request] * len(driver.major_function)
    if kernel.namespace.insert(full, driver) != NTSTATUS.STATUS_SUCCESS:
        raise KernelUsageError(f"driver {full} already exists")
    kernel.drivers.append(driver)
    return driver
