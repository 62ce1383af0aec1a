"""Blocks of the built-in storage drivers (stacks-services §3): USBSTOR's disk PDO and
the disk class driver, as ``scenarios/drivers/builtin/usbstor.yaml`` and ``disk.yaml``
use them.

Each block is one routine of the real driver, its work in ``harness.kernel.storage``:
the PDO's IRP_MJ_SCSI and IRP_MJ_PNP, and disk.sys's READ/WRITE, DEVICE_CONTROL and its
part of START_DEVICE. The class-driver blocks send their SRBs to the routine's lower
device (the one its AddDevice attached to), so a lower filter in between sees them.
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (IRP_MJ, NotModelledError, class_read_write, class_start_device,
                      disk_device_control, io_get_current_irp_stack_location,
                      usbstor_dispatch_pnp, usbstor_dispatch_scsi)
from .registry import block
from .runtime import Frame


@block("usbstor_scsi", bare=True, summary="USBSTOR's LUN PDO, IRP_MJ_SCSI: queue the SRB "
       "(SRB_FUNCTION_EXECUTE_SCSI) for the devnode's medium, return STATUS_PENDING; the "
       "transfer's DPC fills in the SRB and completes the IRP at DISPATCH_LEVEL.",
       params=None, models=("IoMarkIrpPending", "KeInsertQueueDpc", "IoCompleteRequest"))
def _usbstor_scsi(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        f.result = yield from usbstor_dispatch_scsi(f.device, f.irp)
    return step


@block("usbstor_pnp", bare=True, summary="USBSTOR's LUN PDO, IRP_MJ_PNP: what a bus driver "
       "answers for its child (the devnode's IDs and text, capabilities, the target "
       "relation, success for state changes; the PDO deleted when the device is gone).",
       params=None, max_irql="PASSIVE_LEVEL", models=("IoCompleteRequest",))
def _usbstor_pnp(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        f.result = yield from usbstor_dispatch_pnp(f.device, f.irp)
    return step


@block("class_start_device", bare=True, summary="disk.sys's part of IRP_MN_START_DEVICE, "
       "after the lower drivers started it (forward_and_wait): READ CAPACITY and MODE SENSE "
       "through the stack below; Irp->IoStatus.Status gets the result (complete it with "
       "status: keep).", params=None, max_irql="PASSIVE_LEVEL",
       models=("ClassSendSrbSynchronous", "ClassModeSense"))
def _class_start_device(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        status = yield from class_start_device(f.kernel, f.device, f.lower_device())
        f.irp.io_status.status = status
    return step


@block("class_read_write", bare=True, summary="disk.sys's IRP_MJ_READ / IRP_MJ_WRITE "
       "(ClassReadWrite): whole sectors inside the disk (else STATUS_INVALID_PARAMETER), a "
       "write after MODE SENSE reported write protection is STATUS_MEDIA_WRITE_PROTECTED, "
       "otherwise one transfer packet (READ(10)/WRITE(10) SRB) to the device below and "
       "STATUS_PENDING.", params=None, models=("IoMarkIrpPending", "IoAllocateIrp",
                                               "IoCallDriver", "IoCompleteRequest"))
def _class_read_write(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        f.result = yield from class_read_write(f.kernel, f.device, f.lower_device(), f.irp)
    return step


@block("disk_device_control", bare=True, summary="disk.sys's IRP_MJ_DEVICE_CONTROL: "
       "IOCTL_DISK_IS_WRITABLE from a MODE SENSE of all pages (STATUS_SUCCESS, "
       "STATUS_MEDIA_WRITE_PROTECTED, or STATUS_IO_DEVICE_ERROR after two short answers); "
       "other IOCTLs are not modelled.", params=None, max_irql="PASSIVE_LEVEL",
       models=("ClassModeSense", "IoCompleteRequest"))
def _disk_device_control(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        f.result = yield from disk_device_control(f.kernel, f.device, f.lower_device(), f.irp)
    return step


@block("not_modelled", summary="What the real driver does here is not modelled: running it "
       "raises NotModelledError naming the driver part and the request (a built-in "
       "driver's default_dispatch, so nothing unmodelled passes as success).",
       params={"type": "string", "minLength": 1, "maxLength": 200}, models=())
def _not_modelled(params: str, cc: Any, path: list) -> Any:
    where = cc.where(path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        request = ""
        if f.irp is not None:
            stack = io_get_current_irp_stack_location(f.irp)
            request = f" ({IRP_MJ(stack.major_function).name}, minor 0x{stack.minor_function:02X})"
        raise NotModelledError(params, f"{where}: the {f.model.name} driver's handling of this "
                               f"request{request} is not modelled")
        yield
    return step
