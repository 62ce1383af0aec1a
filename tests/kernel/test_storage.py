"""The USB mass-storage disk stack (stacks-services §3; the book's #50 MyFilter).

Each test is named after the rule it pins. The stack is built by hand as the PnP
manager would build it for ``USBSTOR\\Disk...``: USBSTOR's LUN PDO at the bottom, an
optional lower filter (Python routines standing for the book's MyFilter), and a disk FDO
whose dispatch routines are the class driver's (``harness.kernel.storage.classpnp``).
"""

from __future__ import annotations

import pytest

from harness.kernel import (DISPATCH_LEVEL, DO_BUFFERED_IO, DO_DEVICE_INITIALIZING,
                            DO_DIRECT_IO, FILE_DEVICE_DISK, FILE_REMOVABLE_MEDIA,
                            FILE_SYNCHRONOUS_IO_NONALERT, GENERIC_READ, GENERIC_WRITE, IRP_MJ,
                            IOCTL_DISK_IS_WRITABLE, MODE_DSP_WRITE_PROTECT,
                            MODE_SENSE_RETURN_ALL, NTSTATUS, SCSIOP_MODE_SENSE,
                            SCSIOP_MODE_SENSE10, SCSIOP_READ, SCSIOP_READ_CAPACITY,
                            SCSIOP_WRITE, SCSI_ADSENSE_ILLEGAL_BLOCK, SCSI_SENSE_DATA_PROTECT,
                            SCSI_SENSE_ILLEGAL_REQUEST, SCSISTAT_CHECK_CONDITION,
                            SRB_STATUS_DATA_OVERRUN, SRB_STATUS_SUCCESS, Buffer, DevNode,
                            IoStatusBlock, Kernel, NotModelledError, ScsiLun, class_read_write,
                            class_start_device, disk_device_control, disk_is_writable,
                            io_attach_device_to_device_stack, io_call_driver,
                            io_complete_request, io_copy_current_irp_stack_location_to_next,
                            ex_allocate_pool_with_tag, io_create_device, io_create_driver,
                            io_get_current_irp_stack_location, io_mark_irp_pending,
                            io_set_completion_routine, stack_srb, usbstor_dispatch_scsi,
                            usbstor_report_lun, zw_close, zw_create_file,
                            zw_device_io_control_file, zw_read_file)
from harness.kernel.storage import (MODE_DATA_SIZE, SRB_FIELD_OFFSETS, cdb10, cdb6,
                                    class_interpret_sense_info, class_mode_sense,
                                    class_send_srb_synchronous, srb_allocate)
from harness.kernel.storage.scsi import SRB_ARGUMENT
from harness.lang.layouts import BUILTIN

S = NTSTATUS
SCSI = IRP_MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL        # IRP_MJ_SCSI
DISK = "\\Device\\Harddisk1\\DR1"
DATA = bytes(range(256)) * 2                        # block 0 of the stick


def build(kernel, lun, lower_filter=None):
    """USBSTOR's PDO for ``lun``, the lower filter (a dict of dispatch routines, or
    None), the disk FDO on top. Returns (fdo, the device below it, the PDO, the
    filter's device or None)."""
    usbstor = io_create_driver(kernel, "USBSTOR")
    usbstor.major_function[SCSI] = usbstor_dispatch_scsi
    node = DevNode("USBSTOR\\Disk&Ven_Test&Prod_Stick&Rev_1.00\\0001&0", [], "Disk")
    pdo = usbstor_report_lun(kernel, usbstor, node, lun)
    pdo.doe_flags = 0                                  # as after the stack started
    fido = None
    if lower_filter is not None:
        driver = io_create_driver(kernel, "MyFilter")
        for major, routine in lower_filter.items():
            driver.major_function[major] = routine
        _, fido = io_create_device(driver, 0, None, FILE_DEVICE_DISK)
        fido.device_extension["lower"] = io_attach_device_to_device_stack(fido, pdo)
        fido.flags &= ~DO_DEVICE_INITIALIZING
    disk = io_create_driver(kernel, "Disk")
    _, fdo = io_create_device(disk, 0, DISK, FILE_DEVICE_DISK)
    fdo.flags = (fdo.flags | DO_DIRECT_IO) & ~DO_DEVICE_INITIALIZING
    lower = io_attach_device_to_device_stack(fdo, pdo)
    fdo.doe_flags = 0

    def create(device, irp):
        irp.io_status.status = S.STATUS_SUCCESS
        yield from io_complete_request(irp)
        return S.STATUS_SUCCESS

    def read_write(device, irp):
        return (yield from class_read_write(kernel, device, lower, irp))

    def ioctl(device, irp):
        return (yield from disk_device_control(kernel, device, lower, irp))
    for major in (IRP_MJ.IRP_MJ_CREATE, IRP_MJ.IRP_MJ_CLEANUP, IRP_MJ.IRP_MJ_CLOSE):
        disk.major_function[major] = create
    disk.major_function[IRP_MJ.IRP_MJ_READ] = read_write
    disk.major_function[IRP_MJ.IRP_MJ_WRITE] = read_write
    disk.major_function[IRP_MJ.IRP_MJ_DEVICE_CONTROL] = ioctl
    return fdo, lower, pdo, fido


def patching_filter(seen):
    """The book's MyFilter (#50, stacks-services 3.5): copy, set a completion routine
    that sets MODE_DSP_WRITE_PROTECT in a MODE SENSE(6) reply, forward."""
    def completion(device, irp, context):
        stack = io_get_current_irp_stack_location(irp)
        srb = stack_srb(device.kernel, stack, "test")
        seen.append((srb.cdb[0], device.kernel.cpu.irql, device.kernel.now))
        length, address = srb.get("DataTransferLength"), srb.get("DataBuffer")
        if srb.cdb[0] == SCSIOP_MODE_SENSE and address and length >= 4:
            block = device.kernel.pool_blocks.containing(address)
            offset = address - block.buffer.address
            header = block.buffer.read(offset, 4)
            block.buffer.write(bytes([header[2] | MODE_DSP_WRITE_PROTECT]), offset + 2)
        if irp.pending_returned:
            io_mark_irp_pending(irp)
        return irp.io_status.status
        yield

    def dispatch(device, irp):
        io_copy_current_irp_stack_location_to_next(irp)
        io_set_completion_routine(irp, completion, None, True, True, True)
        return (yield from io_call_driver(device.device_extension["lower"], irp))
    return {SCSI: dispatch}


def open_disk(kernel):
    iosb = IoStatusBlock()
    status, handle = yield from zw_create_file(kernel, DISK, GENERIC_READ | GENERIC_WRITE,
                                               iosb, 0, 1, FILE_SYNCHRONOUS_IO_NONALERT)
    assert status == S.STATUS_SUCCESS
    return handle


def transfer(kernel, handle, data=None, length=512, offset=0):
    """ZwWriteFile of ``data`` or ZwReadFile of ``length`` bytes: (status, IOSB, buffer)."""
    buffer = Buffer.new(kernel.pool, len(data) if data is not None else length)
    if data is not None:
        buffer.write(data)
    iosb = IoStatusBlock()
    status = yield from zw_read_file(kernel, handle, None, None, None, iosb, buffer,
                                     buffer.length, offset, data is not None)
    return status, iosb, buffer


def is_writable(kernel, handle):
    iosb = IoStatusBlock()
    return (yield from zw_device_io_control_file(kernel, handle, None, None, None, iosb,
                                                 IOCTL_DISK_IS_WRITABLE, None, 0, None, 0))


def classpnp_pool(kernel):
    return {tag: use for tag, use in kernel.pool_blocks.usage().items()
            if tag.startswith("Cl")}


# -- 3.1 the stack -----------------------------------------------------------------------

def test_3_1_usbstor_pdo_is_a_removable_disk_owned_by_usbstor(kernel):
    fdo, lower, pdo, _ = build(kernel, ScsiLun())
    assert pdo.driver_object.name == "\\Driver\\USBSTOR"
    assert pdo.name.startswith("\\Device\\") and len(pdo.name) == len("\\Device\\00000000")
    assert pdo.device_type == FILE_DEVICE_DISK
    assert pdo.characteristics & FILE_REMOVABLE_MEDIA
    assert pdo.flags & DO_DIRECT_IO and not pdo.flags & DO_BUFFERED_IO
    assert lower is pdo and fdo.stack_size == 2


# -- 3.2 SRBs --------------------------------------------------------------------------

def test_3_2_srb_layout_is_srb_h_on_x86():
    struct = BUILTIN["SCSI_REQUEST_BLOCK"]
    assert struct.size == 64
    assert {m.name: m.offset for m in struct.members if m.name in SRB_FIELD_OFFSETS} \
        == SRB_FIELD_OFFSETS


def test_3_2_srb_travels_as_irp_mj_scsi_in_parameters_scsi_srb(kernel, call):
    seen = []

    def spy(device, irp):
        stack = io_get_current_irp_stack_location(irp)
        srb = stack_srb(device.kernel, stack, "test")
        seen.append((stack.major_function, stack.parameters.other[SRB_ARGUMENT], srb.address,
                     srb.cdb[:6], srb.get("DataTransferLength")))
        return (yield from usbstor_dispatch_scsi(device.device_extension["lower"], irp))
    fdo, lower, pdo, fido = build(kernel, ScsiLun(), {SCSI: spy})

    def body():
        return (yield from class_send_srb_synchronous(
            kernel, lower, cdb6(SCSIOP_MODE_SENSE, MODE_SENSE_RETURN_ALL, 4), None, 0))
    call(body)
    major, argument, address, cdb, length = seen[0]
    assert major == 0x0F == IRP_MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL
    assert argument == address                      # Parameters.Scsi.Srb = Others.Argument1
    assert cdb == bytes([0x1A, 0, 0x3F, 0, 4, 0])


def test_3_2_usbstor_pends_and_completes_at_dispatch_level_after_the_transfer(kernel, call):
    seen = []
    lun = ScsiLun()
    fdo, lower, pdo, fido = build(kernel, lun, patching_filter(seen))
    statuses = []

    def body():
        handle = yield from open_disk(kernel)
        statuses.append((yield from is_writable(kernel, handle)))
        yield from zw_close(kernel, handle)
    call(body)
    opcode, irql, now = seen[0]
    assert opcode == SCSIOP_MODE_SENSE
    assert irql == DISPATCH_LEVEL                  # the host controller's DPC
    assert now == lun.latency                      # after the bulk-only transfer


def test_3_2_underrun_is_data_overrun_with_data_transfer_length_reduced(kernel, call):
    fdo, lower, pdo, _ = build(kernel, ScsiLun())

    def body():
        buffer = ex_allocate_pool_with_tag(kernel, 0, MODE_DATA_SIZE, 0x20202020)
        status, raw, transferred = yield from class_send_srb_synchronous(
            kernel, lower, cdb6(SCSIOP_MODE_SENSE, MODE_SENSE_RETURN_ALL, MODE_DATA_SIZE),
            buffer, MODE_DATA_SIZE)
        length = yield from class_mode_sense(kernel, lower, buffer, MODE_DATA_SIZE,
                                             MODE_SENSE_RETURN_ALL)
        return status, raw, transferred, length
    status, raw, transferred, length = call(body)
    assert raw == SRB_STATUS_DATA_OVERRUN and transferred == 4   # the 4-byte header
    assert status == S.STATUS_DATA_OVERRUN                       # ClassInterpretSenseInfo
    assert length == 4                                           # ClassModeSense: success


def test_3_2_class_driver_frees_its_srbs_sense_buffers_and_irps(kernel, call, recorder):
    fdo, lower, pdo, _ = build(kernel, ScsiLun(data=DATA))

    def body():
        yield from class_start_device(kernel, fdo, lower)
        handle = yield from open_disk(kernel)
        yield from is_writable(kernel, handle)
        yield from transfer(kernel, handle)
        yield from transfer(kernel, handle, data=b"\xBB" * 512)
        yield from zw_close(kernel, handle)
    call(body)
    assert classpnp_pool(kernel) == {}
    allocated = {irp.id for (irp,) in recorder.of("irp_allocated")}
    freed = {irp.id for (irp,) in recorder.of("irp_freed")}
    assert allocated <= freed


# -- 3.3 opcodes, the mode parameter header, sense --------------------------------------

@pytest.mark.parametrize("protected", [False, True])
def test_3_3_mode_sense6_header_device_specific_parameter_bit7(protected):
    result = ScsiLun(write_protected=protected).execute(cdb6(SCSIOP_MODE_SENSE, 0x3F, 192),
                                                        allocation=192)
    assert result.data == bytes([3, 0, 0x80 if protected else 0, 0])   # MODE_PARAMETER_HEADER


def test_3_3_mode_sense10_header_device_specific_parameter_in_byte_3():
    cdb = bytes([SCSIOP_MODE_SENSE10, 0, 0x3F, 0, 0, 0, 0, 0, 192, 0])
    result = ScsiLun(write_protected=True).execute(cdb, allocation=192)
    assert len(result.data) == 8 and result.data[3] == 0x80 and result.data[2] == 0


def test_3_3_write_to_a_protected_medium_is_data_protect_sense_media_write_protected():
    lun = ScsiLun(data=DATA, write_protected=True)
    result = lun.execute(cdb10(SCSIOP_WRITE, 0, 1), b"\xBB" * 512, 512)
    assert result.status == SCSISTAT_CHECK_CONDITION
    assert result.sense[2] == SCSI_SENSE_DATA_PROTECT and result.sense[12] == 0x27
    assert lun.media[:512] == DATA                       # nothing written
    srb = _failed_srb(result.sense)
    assert class_interpret_sense_info(srb, result.sense) == (S.STATUS_MEDIA_WRITE_PROTECTED,
                                                             False)


def test_3_3_read_past_the_end_is_illegal_request_nonexistent_sector():
    result = ScsiLun(blocks=8).execute(cdb10(SCSIOP_READ, 8, 1), allocation=512)
    assert result.sense[2] == SCSI_SENSE_ILLEGAL_REQUEST
    assert result.sense[12] == SCSI_ADSENSE_ILLEGAL_BLOCK
    assert class_interpret_sense_info(_failed_srb(result.sense), result.sense)[0] \
        == S.STATUS_NONEXISTENT_SECTOR


def test_3_3_device_refusal_reaches_the_app_as_media_write_protected(kernel, call):
    """The switch flipped after the disk started: the class driver still thinks the disk
    writable, sends WRITE(10), and the DATA PROTECT sense becomes the write's status."""
    lun = ScsiLun(data=DATA)
    fdo, lower, pdo, _ = build(kernel, lun)

    def body():
        yield from class_start_device(kernel, fdo, lower)
        lun.write_protected = True
        handle = yield from open_disk(kernel)
        status, _, _ = yield from transfer(kernel, handle, data=b"\xBB" * 512)
        yield from zw_close(kernel, handle)
        return status
    assert call(body) == S.STATUS_MEDIA_WRITE_PROTECTED
    assert SCSIOP_WRITE in lun.commands and lun.media[:512] == DATA


def _failed_srb(sense):
    """An SRB as USBSTOR leaves it after CHECK CONDITION with the sense copied."""
    srb = srb_allocate(Kernel())
    srb.set("SrbStatus", 0x04 | 0x80)          # SRB_STATUS_ERROR | AUTOSENSE_VALID
    srb.set("ScsiStatus", SCSISTAT_CHECK_CONDITION)
    return srb


# -- 3.4 IOCTL_DISK_IS_WRITABLE ---------------------------------------------------------

@pytest.mark.parametrize("protected, expected", [(False, S.STATUS_SUCCESS),
                                                 (True, S.STATUS_MEDIA_WRITE_PROTECTED)])
def test_3_4_is_writable_answers_from_mode_sense_write_protect_bit(kernel, call, protected,
                                                                   expected):
    lun = ScsiLun(write_protected=protected)
    fdo, lower, pdo, _ = build(kernel, lun)

    def body():
        handle = yield from open_disk(kernel)
        status = yield from is_writable(kernel, handle)
        yield from zw_close(kernel, handle)
        return status
    assert call(body) == expected
    assert lun.commands == [SCSIOP_MODE_SENSE]
    assert classpnp_pool(kernel) == {}


def test_3_4_is_writable_retries_a_short_mode_sense_once_then_io_device_error(kernel, call):
    seen = []

    def short(device, irp):          # a device that answers 2 bytes of mode data
        srb = stack_srb(device.kernel, io_get_current_irp_stack_location(irp), "test")
        seen.append(srb.cdb[0])
        srb.set("SrbStatus", SRB_STATUS_SUCCESS)
        srb.set("DataTransferLength", 2)
        irp.io_status.status = S.STATUS_SUCCESS
        yield from io_complete_request(irp)
        return S.STATUS_SUCCESS
    fdo, lower, pdo, _ = build(kernel, ScsiLun(), {SCSI: short})

    def body():
        return (yield from disk_is_writable(kernel, fdo, lower))
    assert call(body) == S.STATUS_IO_DEVICE_ERROR
    assert seen == [SCSIOP_MODE_SENSE, SCSIOP_MODE_SENSE]


def test_3_4_write_refused_by_the_class_driver_once_mode_sense_said_protected(kernel, call):
    """The model's choice for 3.4's open question: disk.sys fails IRP_MJ_WRITE itself;
    the LUN (not protected) never sees a WRITE."""
    seen = []
    lun = ScsiLun(data=DATA)
    fdo, lower, pdo, _ = build(kernel, lun, patching_filter(seen))

    def body():
        yield from class_start_device(kernel, fdo, lower)
        handle = yield from open_disk(kernel)
        write = yield from transfer(kernel, handle, data=b"\xBB" * 512)
        read = yield from transfer(kernel, handle)
        yield from zw_close(kernel, handle)
        return write[0], read[0], read[1].information, read[2].read()
    write, read, count, data = call(body)
    assert write == S.STATUS_MEDIA_WRITE_PROTECTED
    assert (read, count, data) == (S.STATUS_SUCCESS, 512, DATA)   # reads are passed down
    assert lun.commands == [SCSIOP_READ_CAPACITY, SCSIOP_MODE_SENSE, SCSIOP_READ]
    assert lun.media[:512] == DATA


def test_3_4_without_the_filter_writes_reach_the_medium(kernel, call):
    lun = ScsiLun(data=DATA)
    fdo, lower, pdo, _ = build(kernel, lun)

    def body():
        yield from class_start_device(kernel, fdo, lower)
        handle = yield from open_disk(kernel)
        write = yield from transfer(kernel, handle, data=b"\xBB" * 512, offset=512)
        yield from zw_close(kernel, handle)
        return write[0], write[1].information
    assert call(body) == (S.STATUS_SUCCESS, 512)
    assert lun.media[512:1024] == b"\xBB" * 512 and lun.media[:512] == DATA


def test_3_4_class_read_write_checks_sectors_and_the_disk_size(kernel, call):
    lun = ScsiLun(blocks=4, data=DATA)
    fdo, lower, pdo, _ = build(kernel, lun)

    def body():
        yield from class_start_device(kernel, fdo, lower)
        handle = yield from open_disk(kernel)
        partial = yield from transfer(kernel, handle, length=100)
        beyond = yield from transfer(kernel, handle, length=512, offset=4 * 512)
        yield from zw_close(kernel, handle)
        return partial[0], beyond[0]
    assert call(body) == (S.STATUS_INVALID_PARAMETER, S.STATUS_INVALID_PARAMETER)
    assert SCSIOP_READ not in lun.commands


def test_3_4_other_disk_ioctls_are_not_modelled(kernel, call):
    fdo, lower, pdo, _ = build(kernel, ScsiLun())

    def body():
        handle = yield from open_disk(kernel)
        iosb = IoStatusBlock()
        yield from zw_device_io_control_file(kernel, handle, None, None, None, iosb,
                                             0x00070000, None, 0, None, 0)
    with pytest.raises(NotModelledError, match="IOCTL 0x00070000"):
        call(body)


# -- 3.5 the book's filter --------------------------------------------------------------

def test_3_5_lower_filter_patching_mode_sense_makes_the_disk_write_protected(kernel, call):
    seen = []
    lun = ScsiLun()
    fdo, lower, pdo, fido = build(kernel, lun, patching_filter(seen))

    def body():
        handle = yield from open_disk(kernel)
        status = yield from is_writable(kernel, handle)
        yield from zw_close(kernel, handle)
        return status
    assert lower is fido                       # a LowerFilters entry: under disk.sys
    assert call(body) == S.STATUS_MEDIA_WRITE_PROTECTED
    assert not lun.write_protected and [op for op, _, _ in seen] == [SCSIOP_MODE_SENSE]


# -- 3.8 what the user sees: the WRITE-only variant ---------------------------------------

def test_3_8_write_only_filter_leaves_the_disk_writable_and_fails_the_write(kernel, call):
    """P-usbro's warning: a filter that fails SCSI WRITE itself (DATA PROTECT sense) but
    leaves MODE SENSE alone - IOCTL_DISK_IS_WRITABLE says writable, the write fails."""
    def refuse_writes(device, irp):
        srb = stack_srb(device.kernel, io_get_current_irp_stack_location(irp), "test")
        if srb.cdb[0] != SCSIOP_WRITE:
            return (yield from usbstor_dispatch_scsi(device.device_extension["lower"], irp))
        block = device.kernel.pool_blocks.containing(srb.get("SenseInfoBuffer"))
        block.buffer.write(bytes([0x70, 0, SCSI_SENSE_DATA_PROTECT]) + bytes(9) + b"\x27")
        srb.set("ScsiStatus", SCSISTAT_CHECK_CONDITION)
        srb.set("SrbStatus", 0x04 | 0x80)        # SRB_STATUS_ERROR | AUTOSENSE_VALID
        irp.io_status.status = S.STATUS_MEDIA_WRITE_PROTECTED
        yield from io_complete_request(irp)
        return S.STATUS_MEDIA_WRITE_PROTECTED
    lun = ScsiLun(data=DATA)
    fdo, lower, pdo, _ = build(kernel, lun, {SCSI: refuse_writes})

    def body():
        yield from class_start_device(kernel, fdo, lower)
        handle = yield from open_disk(kernel)
        writable = yield from is_writable(kernel, handle)
        write = yield from transfer(kernel, handle, data=b"\xBB" * 512)
        yield from zw_close(kernel, handle)
        return writable, write[0]
    assert call(body) == (S.STATUS_SUCCESS, S.STATUS_MEDIA_WRITE_PROTECTED)
    assert SCSIOP_WRITE not in lun.commands and lun.media[:512] == DATA
