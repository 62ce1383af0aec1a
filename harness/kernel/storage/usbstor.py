"""USBSTOR's disk PDO: the per-LUN child device of a USB mass-storage device and the
SRBs it executes (stacks-services 3.1-3.3).

What is modelled is the PDO the disk class driver's stack is built on: USBSTOR reports
it for the LUN (``\\Device\\%08lx``, FILE_DEVICE_DISK, FILE_REMOVABLE_MEDIA,
DO_DIRECT_IO) and answers IRP_MJ_SCSI. An SRB_FUNCTION_EXECUTE_SCSI request is queued
(USBSTOR works one command at a time per LUN), the IRP marked pending and STATUS_PENDING
returned; the bulk-only transfer then takes the LUN's latency, and its completion - the
host controller's interrupt and DPC - completes the IRP at DISPATCH_LEVEL, so every
completion routine above (the book's filter's, classpnp's) runs there. Data moves
through the IRP's MDL when it has one (a transfer packet of a read or a write), else
through the pool block DataBuffer points into (a class driver's own MODE SENSE buffer;
the MDL classpnp would build for it is left out).

What the SRB says afterwards (srb.h): SrbStatus SRB_STATUS_SUCCESS, or
SRB_STATUS_DATA_OVERRUN with DataTransferLength reduced to what came back when the
device sent less than asked (an underrun, 3.2); after CHECK CONDITION, SRB_STATUS_ERROR
with ScsiStatus 0x02 and - when the SRB has a sense buffer - the sense data copied there
and SRB_STATUS_AUTOSENSE_VALID. The IRP gets STATUS_SUCCESS with Information = the bytes
moved, or STATUS_IO_DEVICE_ERROR; the class driver reads the SRB, not the IRP status.
Simplified: the queue is not frozen after an error (no SRB_STATUS_QUEUE_FROZEN, no
RELEASE_QUEUE needed); other SRB functions are not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (DO_DIRECT_IO, FILE_DEVICE_DISK, FILE_REMOVABLE_MEDIA, NTSTATUS,
                         SCSISTAT_CHECK_CONDITION, SCSISTAT_GOOD, SRB_FLAGS_DATA_OUT,
                         SRB_FUNCTION_EXECUTE_SCSI, SRB_STATUS_AUTOSENSE_VALID,
                         SRB_STATUS_DATA_OVERRUN, SRB_STATUS_ERROR, SRB_STATUS_PENDING,
                         SRB_STATUS_SUCCESS)
from ..errors import NotModelledError
from ..io.iomgr import io_complete_request
from ..io.irp import Irp, io_get_current_irp_stack_location, io_mark_irp_pending
from ..io.pnp import pnp_root_dispatch
from ..ke.timers import KDpc, ke_insert_queue_dpc
from ..mm.memory import Buffer, mm_get_system_address_for_mdl_safe
from .lun import ScsiLun
from .scsi import Srb, pool_memory, stack_srb

if TYPE_CHECKING:
    from ..io.device import DeviceObject, DriverObject
    from ..io.pnp import DevNode
    from ..ke.machine import Machine as Kernel


class UsbstorPdo:
    """USBSTOR's extension of one LUN's PDO: the LUN and the commands queued for it."""

    __slots__ = ("lun", "queue", "dpc")

    def __init__(self, kernel: "Kernel", lun: ScsiLun) -> None:
        self.lun = lun
        self.queue: list[Irp] = []
        self.dpc = KDpc(kernel, _transfer_complete, self, "USBSTOR transfer complete")

    def __repr__(self) -> str:
        return f"<USBSTOR PDO {self.lun!r} queued={len(self.queue)}>"


def usbstor_report_lun(kernel: "Kernel", driver: "DriverObject", node: "DevNode",
                       lun: ScsiLun) -> "DeviceObject":
    """USBSTOR reports the LUN's PDO to the PnP manager (its BusRelations answer; the
    USB device's own devnode under usbhub is not modelled)."""
    pdo: DeviceObject = kernel.pnp.report_root_device(node, driver, FILE_DEVICE_DISK,
                                                      FILE_REMOVABLE_MEDIA)
    pdo.flags |= DO_DIRECT_IO
    pdo.device_extension["usbstor"] = UsbstorPdo(kernel, lun)
    return pdo


def usbstor_dispatch_scsi(device: "DeviceObject", irp: Irp) -> Generator[Any, Any, int]:
    """The PDO's IRP_MJ_SCSI (IRP_MJ_INTERNAL_DEVICE_CONTROL): queue the SRB for the LUN
    and return STATUS_PENDING."""
    kernel = device.kernel
    pdo: UsbstorPdo | None = device.device_extension.get("usbstor")
    if pdo is None:
        raise NotModelledError("USBSTOR", f"IRP_MJ_SCSI to {device.label}, which is no "
                               "USB mass-storage LUN (give its devnode a medium:)")
    srb = stack_srb(kernel, io_get_current_irp_stack_location(irp), "USBSTOR")
    function = srb.get("Function")
    if function != SRB_FUNCTION_EXECUTE_SCSI:
        raise NotModelledError("USBSTOR", f"SRB function 0x{function:02X}: only "
                               "SRB_FUNCTION_EXECUTE_SCSI is modelled")
    srb.set("SrbStatus", SRB_STATUS_PENDING)
    io_mark_irp_pending(irp)
    pdo.queue.append(irp)
    if len(pdo.queue) == 1:
        _start_transfer(kernel, pdo)
    return NTSTATUS.STATUS_PENDING
    yield


def _start_transfer(kernel: "Kernel", pdo: UsbstorPdo) -> None:
    """The command at the head of the queue goes on the bus; its end is an interrupt
    whose DPC completes it."""
    kernel.call_later(pdo.lun.latency, lambda: kernel.run_at_dispatch(
        kernel.cpus[0], lambda: ke_insert_queue_dpc(pdo.dpc)), urgent=True)


def _data_memory(kernel: "Kernel", irp: Irp, srb: Srb, length: int) -> tuple[Buffer, int]:
    """Where the transfer's bytes are: the IRP's MDL mapped into system space when
    DataBuffer lies in it, else the pool block DataBuffer points into."""
    address = srb.get("DataBuffer")
    mdl = irp.mdl_address
    if mdl is not None and mdl.virtual_address <= address \
            and address + length <= mdl.virtual_address + mdl.byte_count:
        return mm_get_system_address_for_mdl_safe(kernel, mdl), address - mdl.virtual_address
    return pool_memory(kernel, address, length, "USBSTOR")


def _transfer_complete(dpc: KDpc, context: UsbstorPdo, arg1: Any, arg2: Any
                       ) -> Generator[Any, Any, None]:
    """The DPC of a finished bulk-only transfer: the LUN's answer into the SRB, the IRP
    completed at DISPATCH_LEVEL, the next command started."""
    kernel = dpc.kernel
    pdo = context
    irp = pdo.queue[0]
    srb = stack_srb(kernel, io_get_current_irp_stack_location(irp), "USBSTOR")
    length = srb.get("DataTransferLength")
    memory, offset = _data_memory(kernel, irp, srb, length) if length else (None, 0)
    out = srb.get("SrbFlags") & SRB_FLAGS_DATA_OUT
    data_out = memory.read(offset, length) if memory is not None and out else b""
    result = pdo.lun.execute(srb.cdb, data_out, length)
    if result.status == SCSISTAT_GOOD:
        if result.data and memory is not None:
            memory.write(result.data, offset)
        srb.set("ScsiStatus", SCSISTAT_GOOD)
        # 3.2: an underrun is reported as DATA_OVERRUN with the real count
        srb.set("SrbStatus", SRB_STATUS_SUCCESS if result.transferred >= length
                else SRB_STATUS_DATA_OVERRUN)
        srb.set("DataTransferLength", result.transferred)
        irp.io_status.status, irp.io_status.information = NTSTATUS.STATUS_SUCCESS, \
            result.transferred
    else:
        srb.set("ScsiStatus", SCSISTAT_CHECK_CONDITION)
        srb.set("DataTransferLength", 0)
        status = SRB_STATUS_ERROR
        sense_address, sense_length = srb.get("SenseInfoBuffer"), srb.get("SenseInfoBufferLength")
        if result.sense is not None and sense_address and sense_length:
            count = min(sense_length, len(result.sense))
            buffer, at = pool_memory(kernel, sense_address, count, "USBSTOR")
            buffer.write(result.sense[:count], at)
            status |= SRB_STATUS_AUTOSENSE_VALID
        srb.set("SrbStatus", status)
        irp.io_status.status, irp.io_status.information = NTSTATUS.STATUS_IO_DEVICE_ERROR, 0
    pdo.queue.pop(0)
    yield from io_complete_request(irp)
    if pdo.queue:
        _start_transfer(kernel, pdo)


def usbstor_dispatch_pnp(device: "DeviceObject", irp: Irp) -> Generator[Any, Any, int]:
    """The PDO's IRP_MJ_PNP: what a bus driver answers for its child, as the root
    enumerator does for its own (pnp-hardware §2.8): the devnode's IDs and text, its
    capabilities and target relation, success for the state changes, and on the REMOVE
    of a device that is gone the PDO deleted."""
    return (yield from pnp_root_dispatch(device, irp))
