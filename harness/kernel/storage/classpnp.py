"""The disk class driver's work (disk.sys over classpnp.sys, XP): SRBs to the device
below, the sense data it reads back, MODE SENSE and IOCTL_DISK_IS_WRITABLE, READ/WRITE
turned into transfer packets (stacks-services 3.2-3.4).

The class driver talks to the device under its FDO - the top of the stack it attached
to, so a lower filter between disk.sys and USBSTOR (the book's #50) sees every SRB:

* :func:`class_send_srb_synchronous` (ClassSendSrbSynchronous): an SRB and a sense
  buffer in nonpaged pool, an IRP of its own (IoAllocateIrp with the lower device's
  StackSize) whose next location is IRP_MJ_SCSI with Parameters.Scsi.Srb set, a
  completion routine that sets an event and stops the walk, IoCallDriver, the wait (so
  PASSIVE_LEVEL), the SRB interpreted, the IRP and the memory freed; an interpretation
  that says "retry" re-sends, at most MAXIMUM_RETRIES times (with no delay between:
  classpnp's retry intervals are left out).
* :func:`class_interpret_sense_info` (ClassInterpretSenseInfo): SRB status and sense key
  to an NTSTATUS - DATA PROTECT is STATUS_MEDIA_WRITE_PROTECTED (3.3).
* :func:`class_mode_sense` (ClassModeSense): MODE SENSE(6) of one page; an underrun
  (SRB_STATUS_DATA_OVERRUN) is success; the count of bytes returned, 0 on failure.
* :func:`disk_is_writable` (IOCTL_DISK_IS_WRITABLE, 3.4): MODE SENSE of all pages into
  MODE_DATA_SIZE bytes; fewer than a header's 4 bytes is retried once, then
  STATUS_IO_DEVICE_ERROR; MODE_DSP_WRITE_PROTECT gives STATUS_MEDIA_WRITE_PROTECTED.
* :func:`class_start_device`: after the lower drivers started, READ CAPACITY (the
  geometry) and a MODE SENSE of the caching page (DiskGetCacheInformation's), whose
  header's write-protect bit the FDO keeps.
* :func:`class_read_write` (ClassReadWrite): the offset and length checked (whole
  sectors, inside the disk: else STATUS_INVALID_PARAMETER), the IRP marked pending and
  one transfer packet sent - an IRP of classpnp's own with the original's MDL and a
  READ(10) / WRITE(10) SRB; its completion routine completes the original.

3.4 leaves open whether disk.sys fails IRP_MJ_WRITE itself after seeing the bit: the
model chooses that it does. Every MODE SENSE the class driver issues (at start, for
IOCTL_DISK_IS_WRITABLE) refreshes the FDO's write-protect state, and a write while it is
set is completed with STATUS_MEDIA_WRITE_PROTECTED without reaching the device; a write
the device itself refuses comes back as DATA PROTECT sense, which is the same status.
Not modelled: splitting a transfer larger than MAX_TRANSFER into several packets,
retrying a failed packet, partitions and volumes above the disk (3.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (IO_NO_INCREMENT, IRP_MJ, IOCTL_DISK_IS_WRITABLE, MODE_DSP_WRITE_PROTECT,
                         MODE_PAGE_CACHING, MODE_SENSE_RETURN_ALL, NTSTATUS,
                         SCSI_ADSENSE_ILLEGAL_BLOCK, SCSI_SENSE_DATA_PROTECT,
                         SCSI_SENSE_ILLEGAL_REQUEST, SCSI_SENSE_NOT_READY,
                         SCSI_SENSE_UNIT_ATTENTION, SCSISTAT_CHECK_CONDITION, SENSE_BUFFER_SIZE,
                         SRB_FLAGS_DATA_IN, SRB_FLAGS_DATA_OUT, SRB_FLAGS_NO_DATA_TRANSFER,
                         SRB_FUNCTION_EXECUTE_SCSI, SRB_STATUS_AUTOSENSE_VALID,
                         SRB_STATUS_DATA_OVERRUN, SRB_STATUS_ERROR, SRB_STATUS_INVALID_REQUEST,
                         SRB_STATUS_SUCCESS, SCSIOP_MODE_SENSE, SCSIOP_READ,
                         SCSIOP_READ_CAPACITY, SCSIOP_WRITE, NotificationEvent, nt_success)
from ..errors import NotModelledError
from ..io.iomgr import io_call_driver, io_complete_request
from ..io.irp import (Irp, io_allocate_irp, io_free_irp, io_get_current_irp_stack_location,
                      io_get_next_irp_stack_location, io_mark_irp_pending,
                      io_set_completion_routine)
from ..ke.dispatcher import KEvent, ke_set_event, ke_wait_for_single_object
from ..mm.memory import Buffer
from ..mm.pool import ex_allocate_pool_with_tag, ex_free_pool_with_tag
from .scsi import (TAG_MODE_DATA, TAG_SENSE, Srb, cdb10, cdb6, sense_key_of, set_stack_srb,
                   srb_allocate, srb_free, srb_status)

if TYPE_CHECKING:
    from ..io.device import DeviceObject
    from ..ke.machine import Machine as Kernel

S = NTSTATUS
NonPagedPool = 0
MAXIMUM_RETRIES = 4            # classpnp's
MODE_DATA_SIZE = 192           # disk.h: the MODE SENSE buffer of IOCTL_DISK_IS_WRITABLE
MODE_HEADER_LENGTH = 4         # sizeof(MODE_PARAMETER_HEADER)
MAX_TRANSFER = 0x10000         # one transfer packet at most (a USB LUN's 64 KB)
DEFAULT_TIMEOUT = 10           # seconds: the disk class's SRB TimeOutValue


class ClassFdo:
    """What the class driver keeps in its FDO's extension: the geometry READ CAPACITY
    gave and the write-protect bit of the last MODE SENSE."""

    __slots__ = ("block_size", "blocks", "write_protected", "started")

    def __init__(self) -> None:
        self.block_size = 512
        self.blocks = 0
        self.write_protected = False
        self.started = False

    def __repr__(self) -> str:
        return (f"<disk {self.blocks}x{self.block_size}"
                f"{' write-protected' if self.write_protected else ''}>")


def class_fdo(fdo: "DeviceObject") -> ClassFdo:
    state = fdo.device_extension.get("classpnp")
    if state is None:
        state = fdo.device_extension["classpnp"] = ClassFdo()
    return state


# -- sense interpretation ----------------------------------------------------------------

def class_interpret_sense_info(srb: Srb, sense: bytes) -> tuple[int, bool]:
    """ClassInterpretSenseInfo for a failed SRB: (status, retry)."""
    raw = srb.get("SrbStatus")
    status = srb_status(raw)
    if status == SRB_STATUS_DATA_OVERRUN:
        return S.STATUS_DATA_OVERRUN, False
    if status == SRB_STATUS_INVALID_REQUEST:
        return S.STATUS_INVALID_DEVICE_REQUEST, False
    if (status == SRB_STATUS_ERROR and srb.get("ScsiStatus") == SCSISTAT_CHECK_CONDITION
            and raw & SRB_STATUS_AUTOSENSE_VALID):
        key, asc, _ = sense_key_of(sense)
        if key == SCSI_SENSE_DATA_PROTECT:           # 3.3: never retried
            return S.STATUS_MEDIA_WRITE_PROTECTED, False
        if key == SCSI_SENSE_ILLEGAL_REQUEST:
            return (S.STATUS_NONEXISTENT_SECTOR if asc == SCSI_ADSENSE_ILLEGAL_BLOCK
                    else S.STATUS_INVALID_DEVICE_REQUEST), False
        if key == SCSI_SENSE_NOT_READY:
            return S.STATUS_DEVICE_NOT_READY, True
        if key == SCSI_SENSE_UNIT_ATTENTION:
            raise NotModelledError("ClassInterpretSenseInfo", "UNIT ATTENTION (media change "
                                   "and verify handling) is not modelled")
        raise NotModelledError("ClassInterpretSenseInfo", f"sense key 0x{key:X} is not "
                               "modelled")
    return S.STATUS_IO_DEVICE_ERROR, True          # no usable sense: a device error


def _srb_result(kernel: "Kernel", srb: Srb, sense: Buffer) -> tuple[int, bool]:
    if srb_status(srb.get("SrbStatus")) == SRB_STATUS_SUCCESS:
        return S.STATUS_SUCCESS, False
    return class_interpret_sense_info(srb, sense.read(0, SENSE_BUFFER_SIZE))


def _build_srb(kernel: "Kernel", cdb: bytes, address: int, length: int, write: bool
               ) -> tuple[Srb, Buffer]:
    srb = srb_allocate(kernel)
    sense = ex_allocate_pool_with_tag(kernel, NonPagedPool, SENSE_BUFFER_SIZE, TAG_SENSE)
    sense.write(bytes(SENSE_BUFFER_SIZE))
    srb.set("Function", SRB_FUNCTION_EXECUTE_SCSI)
    srb.set("CdbLength", len(cdb))
    srb.cdb = cdb
    srb.set("SrbFlags", SRB_FLAGS_DATA_OUT if write else SRB_FLAGS_DATA_IN if length
            else SRB_FLAGS_NO_DATA_TRANSFER)
    srb.set("DataTransferLength", length)
    srb.set("DataBuffer", address)
    srb.set("SenseInfoBuffer", sense.address)
    srb.set("SenseInfoBufferLength", SENSE_BUFFER_SIZE)
    srb.set("TimeOutValue", DEFAULT_TIMEOUT)
    return srb, sense


def _scsi_irp(kernel: "Kernel", lower: "DeviceObject", srb: Srb) -> Irp:
    """An IRP of the class driver's own whose next location carries the SRB."""
    irp = io_allocate_irp(kernel, lower.stack_size, notify=False)
    stack = io_get_next_irp_stack_location(irp)
    stack.major_function = IRP_MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL      # IRP_MJ_SCSI
    set_stack_srb(stack, srb)
    srb.set("OriginalRequest", irp.id)
    kernel.hooks.irp_allocated(irp)
    return irp


# -- synchronous requests ----------------------------------------------------------------

def _signal(device: Any, irp: Irp, event: KEvent) -> Generator[Any, Any, int]:
    """ClassSendSrbSynchronous's completion routine: wake the sender, keep the IRP."""
    ke_set_event(event, 0, False)
    return S.STATUS_MORE_PROCESSING_REQUIRED
    yield


_signal.__name__ = "ClasspSendSynchronousCompletion"        # as the trace names it


def class_send_srb_synchronous(kernel: "Kernel", lower: "DeviceObject", cdb: bytes,
                               buffer: Buffer | None, length: int, write: bool = False
                               ) -> Generator[Any, Any, tuple[int, int, int]]:
    """ClassSendSrbSynchronous: (status, the SRB's SrbStatus, DataTransferLength)."""
    retries = MAXIMUM_RETRIES
    while True:
        srb, sense = _build_srb(kernel, cdb, buffer.address if buffer else 0, length, write)
        irp = _scsi_irp(kernel, lower, srb)
        event = KEvent(kernel, NotificationEvent, False, "ClassSendSrbSynchronous")
        io_set_completion_routine(irp, _signal, event, True, True, True)
        if (yield from io_call_driver(lower, irp)) == S.STATUS_PENDING:
            yield from ke_wait_for_single_object(event)
        status, retry = _srb_result(kernel, srb, sense)
        raw, transferred = srb.get("SrbStatus"), srb.get("DataTransferLength")
        io_free_irp(irp)
        ex_free_pool_with_tag(kernel, sense.address, TAG_SENSE)
        srb_free(kernel, srb)
        if not retry or retries == 0:
            return status, raw, transferred
        retries -= 1


def class_mode_sense(kernel: "Kernel", lower: "DeviceObject", buffer: Buffer, length: int,
                     page: int) -> Generator[Any, Any, int]:
    """ClassModeSense: MODE SENSE(6) of ``page`` into ``buffer``; the bytes returned, 0 on
    failure. STATUS_VERIFY_REQUIRED is retried once; an underrun is success (3.2)."""
    retries = 1
    while True:
        status, raw, transferred = yield from class_send_srb_synchronous(
            kernel, lower, cdb6(SCSIOP_MODE_SENSE, page, length), buffer, length)
        if status == S.STATUS_VERIFY_REQUIRED and retries:
            retries -= 1
            continue
        if srb_status(raw) == SRB_STATUS_DATA_OVERRUN:
            status = S.STATUS_SUCCESS
        return transferred if nt_success(status) else 0


def disk_is_writable(kernel: "Kernel", fdo: "DeviceObject", lower: "DeviceObject"
                     ) -> Generator[Any, Any, int]:
    """IOCTL_DISK_IS_WRITABLE (3.4): STATUS_SUCCESS, STATUS_MEDIA_WRITE_PROTECTED, or
    STATUS_IO_DEVICE_ERROR when MODE SENSE twice returned less than a header."""
    mode = ex_allocate_pool_with_tag(kernel, NonPagedPool, MODE_DATA_SIZE, TAG_MODE_DATA)
    mode.write(bytes(MODE_DATA_SIZE))                        # RtlZeroMemory
    length = yield from class_mode_sense(kernel, lower, mode, MODE_DATA_SIZE,
                                         MODE_SENSE_RETURN_ALL)
    if length < MODE_HEADER_LENGTH:                         # retry in case of a check condition
        length = yield from class_mode_sense(kernel, lower, mode, MODE_DATA_SIZE,
                                             MODE_SENSE_RETURN_ALL)
    if length < MODE_HEADER_LENGTH:
        ex_free_pool_with_tag(kernel, mode.address, TAG_MODE_DATA)
        return S.STATUS_IO_DEVICE_ERROR
    protected = bool(mode.read(2, 1)[0] & MODE_DSP_WRITE_PROTECT)
    class_fdo(fdo).write_protected = protected
    ex_free_pool_with_tag(kernel, mode.address, TAG_MODE_DATA)
    return S.STATUS_MEDIA_WRITE_PROTECTED if protected else S.STATUS_SUCCESS


def class_start_device(kernel: "Kernel", fdo: "DeviceObject", lower: "DeviceObject"
                       ) -> Generator[Any, Any, int]:
    """The class driver's part of START_DEVICE, once the drivers below started: READ
    CAPACITY, then MODE SENSE of the caching page (its header's write-protect bit kept).
    A failed READ CAPACITY fails the start with its status."""
    state = class_fdo(fdo)
    capacity = ex_allocate_pool_with_tag(kernel, NonPagedPool, 8, TAG_MODE_DATA)
    status, _, transferred = yield from class_send_srb_synchronous(
        kernel, lower, cdb10(SCSIOP_READ_CAPACITY), capacity, 8)
    data = capacity.read(0, 8)
    ex_free_pool_with_tag(kernel, capacity.address, TAG_MODE_DATA)
    if not nt_success(status) or transferred < 8:
        return status if not nt_success(status) else S.STATUS_IO_DEVICE_ERROR
    state.blocks = int.from_bytes(data[0:4], "big") + 1
    state.block_size = int.from_bytes(data[4:8], "big")
    mode = ex_allocate_pool_with_tag(kernel, NonPagedPool, MODE_DATA_SIZE, TAG_MODE_DATA)
    mode.write(bytes(MODE_DATA_SIZE))
    length = yield from class_mode_sense(kernel, lower, mode, MODE_DATA_SIZE, MODE_PAGE_CACHING)
    if length >= MODE_HEADER_LENGTH:
        state.write_protected = bool(mode.read(2, 1)[0] & MODE_DSP_WRITE_PROTECT)
    ex_free_pool_with_tag(kernel, mode.address, TAG_MODE_DATA)
    state.started = True
    return S.STATUS_SUCCESS


# -- reads and writes --------------------------------------------------------------------

def _complete(irp: Irp, status: int, information: int = 0) -> Generator[Any, Any, int]:
    irp.io_status.status, irp.io_status.information = status, information
    yield from io_complete_request(irp, IO_NO_INCREMENT)
    return status


def class_read_write(kernel: "Kernel", fdo: "DeviceObject", lower: "DeviceObject", irp: Irp
                     ) -> Generator[Any, Any, int]:
    """ClassReadWrite for IRP_MJ_READ / IRP_MJ_WRITE of the disk: checked, then sent as
    one transfer packet; STATUS_PENDING unless completed at once."""
    stack = io_get_current_irp_stack_location(irp)
    write = stack.major_function == IRP_MJ.IRP_MJ_WRITE
    state = class_fdo(fdo)
    if not state.started:
        raise NotModelledError("ClassReadWrite", f"{fdo.label} was never started: its "
                               "START_DEVICE handler has no class_start_device")
    length, offset = stack.parameters.length, stack.parameters.byte_offset
    if length == 0:
        return (yield from _complete(irp, S.STATUS_SUCCESS))
    size = state.block_size
    if offset < 0 or offset % size or length % size or offset + length > state.blocks * size:
        return (yield from _complete(irp, S.STATUS_INVALID_PARAMETER))
    if write and state.write_protected:
        # 3.4 (the model's choice): the class driver refuses it after MODE SENSE said so
        return (yield from _complete(irp, S.STATUS_MEDIA_WRITE_PROTECTED))
    if length > MAX_TRANSFER:
        raise NotModelledError("ClassReadWrite", f"a transfer of {length} bytes: splitting "
                               f"it into packets of {MAX_TRANSFER} is not modelled")
    mdl = irp.mdl_address
    if mdl is None:
        raise NotModelledError("ClassReadWrite", f"IRP#{irp.id} has no MDL: the disk device "
                               "is DO_DIRECT_IO (io: direct)")
    io_mark_irp_pending(irp)
    opcode = SCSIOP_WRITE if write else SCSIOP_READ
    srb, sense = _build_srb(kernel, cdb10(opcode, offset // size, length // size),
                            mdl.virtual_address, length, write)
    packet = _scsi_irp(kernel, lower, srb)
    packet.mdl_address = mdl                  # the original's pages, as XP's packets do
    io_set_completion_routine(packet, _transfer_packet_complete, (irp, srb, sense),
                              True, True, True)
    yield from io_call_driver(lower, packet)
    return S.STATUS_PENDING


def _transfer_packet_complete(device: Any, packet: Irp, context: tuple[Irp, Srb, Buffer]
                              ) -> Generator[Any, Any, int]:
    """TransferPktComplete: the packet's SRB decides the original's status and count;
    the packet and its SRB are freed and the original completed (at the completer's
    IRQL, DISPATCH_LEVEL under USBSTOR)."""
    irp, srb, sense = context
    kernel = packet.kernel
    status, retry = _srb_result(kernel, srb, sense)
    if retry:
        raise NotModelledError("TransferPktComplete", f"a transfer packet failed with "
                               f"{NTSTATUS(status).name}, which classpnp retries: retrying "
                               "packets is not modelled")
    transferred = srb.get("DataTransferLength") if nt_success(status) else 0
    packet.mdl_address = None                 # the MDL stays the original IRP's
    ex_free_pool_with_tag(kernel, sense.address, TAG_SENSE)
    srb_free(kernel, srb)
    io_free_irp(packet)
    yield from _complete(irp, status, transferred)
    return S.STATUS_MORE_PROCESSING_REQUIRED


_transfer_packet_complete.__name__ = "TransferPktComplete"


def disk_device_control(kernel: "Kernel", fdo: "DeviceObject", lower: "DeviceObject",
                        irp: Irp) -> Generator[Any, Any, int]:
    """disk.sys's IRP_MJ_DEVICE_CONTROL: IOCTL_DISK_IS_WRITABLE; any other code is not
    modelled."""
    code = io_get_current_irp_stack_location(irp).parameters.io_control_code
    if code != IOCTL_DISK_IS_WRITABLE:
        raise NotModelledError("DiskDeviceControl", f"IOCTL 0x{code:08X}: only "
                               "IOCTL_DISK_IS_WRITABLE is modelled")
    status = yield from disk_is_writable(kernel, fdo, lower)
    return (yield from _complete(irp, status))
