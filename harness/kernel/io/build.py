"""IRPs a driver builds for another driver (io-core §6.5-§6.7, §6.11; stacks-services 1.E).

IoBuildSynchronousFsdRequest and IoBuildDeviceIoControlRequest make *threaded* IRPs:
queued to the calling thread, freed by the I/O manager's final phase. An
IoBuildAsynchronousFsdRequest IRP has a Thread but is not queued; its final phase
frees it too unless a completion routine stops the walk with
STATUS_MORE_PROCESSING_REQUIRED (stacks-services 1.27). Buffers always follow the
TARGET device's DO_BUFFERED_IO / DO_DIRECT_IO flags (1.25). IoMakeAssociatedIrp's
children complete their master when the last one finishes (1.31).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..constants import (DO_BUFFERED_IO, DO_DIRECT_IO, IRP_MJ, METHOD_BUFFERED,
                         METHOD_NEITHER, IrpFlags)
from ..errors import NotModelledError
from ..mm.memory import Buffer, io_allocate_mdl, mm_probe_and_lock_pages
from .irp import Irp, KernelMode, io_allocate_irp

if TYPE_CHECKING:
    from ..ke.dispatcher import KEvent
    from ..ke.machine import Machine as Kernel
    from .device import DeviceObject
    from .irp import IoStatusBlock

_F = IrpFlags
#: The majors IoBuild*FsdRequest documents; for the last four no buffer is set up (1.24).
FSD_MAJORS = (IRP_MJ.IRP_MJ_READ, IRP_MJ.IRP_MJ_WRITE, IRP_MJ.IRP_MJ_FLUSH_BUFFERS,
              IRP_MJ.IRP_MJ_SHUTDOWN, IRP_MJ.IRP_MJ_PNP, IRP_MJ.IRP_MJ_POWER)
_NO_BUFFER = (IRP_MJ.IRP_MJ_FLUSH_BUFFERS, IRP_MJ.IRP_MJ_SHUTDOWN, IRP_MJ.IRP_MJ_PNP,
              IRP_MJ.IRP_MJ_POWER)


def _builder_irp(kernel: "Kernel", device: "DeviceObject", major: int, by: str) -> Irp:
    irp = io_allocate_irp(kernel, device.stack_size, notify=False)
    irp.allocated_by = by
    irp.requestor_mode = KernelMode
    irp.thread = kernel.current_thread
    irp.stack[irp.stack_count - 1].major_function = major
    return irp


def io_build_asynchronous_fsd_request(kernel: "Kernel", major: int, device: "DeviceObject",
                                      buffer: Buffer | None, length: int,
                                      starting_offset: int | None,
                                      iosb: "IoStatusBlock | None") -> Irp:
    """IoBuildAsynchronousFsdRequest (io-core §6.5): Thread set, not queued, no event."""
    if major not in FSD_MAJORS:
        raise NotModelledError("IoBuild*FsdRequest", f"for {IRP_MJ(major).name}: only READ, "
                               "WRITE, FLUSH_BUFFERS, SHUTDOWN, PNP and POWER are "
                               "documented (stacks-services 1.24)")
    irp = _builder_irp(kernel, device, major, "IoBuildAsynchronousFsdRequest")
    irp.user_iosb = iosb
    if major not in _NO_BUFFER:
        _set_up_buffer(kernel, irp, device, major == IRP_MJ.IRP_MJ_READ, buffer, length)
        if starting_offset is None:
            # READ/WRITE dereference StartingOffset unconditionally (1.24): NULL faults.
            raise NotModelledError("IoBuild*FsdRequest", f"({IRP_MJ(major).name}) with a "
                                   "NULL StartingOffset dereferences NULL")
        params = irp.stack[irp.stack_count - 1].parameters
        params.length = length
        params.byte_offset = starting_offset
    kernel.hooks.irp_allocated(irp)
    return irp


def io_build_synchronous_fsd_request(kernel: "Kernel", major: int, device: "DeviceObject",
                                     buffer: Buffer | None, length: int,
                                     starting_offset: int | None, event: "KEvent",
                                     iosb: "IoStatusBlock | None") -> Irp:
    """IoBuildSynchronousFsdRequest (io-core §6.6): the asynchronous one plus UserEvent,
    queued to the thread; the I/O manager frees it, the caller must not."""
    irp = io_build_asynchronous_fsd_request(kernel, major, device, buffer, length,
                                            starting_offset, iosb)
    irp.allocated_by = "IoBuildSynchronousFsdRequest"
    irp.user_event = event
    irp.thread.irp_list.insert(0, irp)
    return irp


def io_build_device_io_control_request(kernel: "Kernel", code: int, device: "DeviceObject",
                                       input_buffer: Buffer | None, input_length: int,
                                       output_buffer: Buffer | None, output_length: int,
                                       internal: bool, event: "KEvent | None",
                                       iosb: "IoStatusBlock | None") -> Irp:
    """IoBuildDeviceIoControlRequest (io-core §6.7): buffers by the code's method, not by
    the device's flags; threaded; freed by the I/O manager."""
    major = (IRP_MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL if internal
             else IRP_MJ.IRP_MJ_DEVICE_CONTROL)
    irp = _builder_irp(kernel, device, major, "IoBuildDeviceIoControlRequest")
    irp.user_iosb = iosb
    irp.user_event = event
    set_up_ioctl_buffers(kernel, irp, code, input_buffer, input_length, output_buffer,
                         output_length)
    irp.thread.irp_list.insert(0, irp)
    kernel.hooks.irp_allocated(irp)
    return irp


def set_up_ioctl_buffers(kernel: "Kernel", irp: Irp, code: int, input_buffer: Buffer | None,
                         input_length: int, output_buffer: Buffer | None,
                         output_length: int) -> None:
    """Buffers of a device control by the code's method, and its parameters in the top
    location (io-core §6.7; the same for NtDeviceIoControlFile, kernel-env §8.2)."""
    method = code & 3
    loc = irp.stack[irp.stack_count - 1]
    if method == METHOD_BUFFERED:
        size = max(input_length, output_length)
        if size:
            irp.system_buffer = Buffer.new(kernel.pool, size)
            if input_length and input_buffer is not None:
                irp.system_buffer.write(input_buffer.read(0, input_length))
            irp.flags |= _F.IRP_BUFFERED_IO | _F.IRP_DEALLOCATE_BUFFER
            if output_buffer is not None and output_length:
                irp.flags |= _F.IRP_INPUT_OPERATION
        irp.user_buffer = output_buffer
    elif method == METHOD_NEITHER:
        loc.parameters.type3_input_buffer = input_buffer
        irp.user_buffer = output_buffer
    else:                                         # IN_DIRECT / OUT_DIRECT
        if input_length and input_buffer is not None:
            irp.system_buffer = Buffer.new(kernel.pool, input_length)
            irp.system_buffer.write(input_buffer.read(0, input_length))
            irp.flags |= _F.IRP_BUFFERED_IO | _F.IRP_DEALLOCATE_BUFFER
        if output_length and output_buffer is not None:
            mdl = io_allocate_mdl(kernel, output_buffer.view(output_buffer.address, 0,
                                                             output_length))
            mm_probe_and_lock_pages(mdl)
            irp.mdl_address = mdl
    params = loc.parameters
    params.io_control_code = code
    params.input_buffer_length = input_length
    params.output_buffer_length = output_length


def _set_up_buffer(kernel: "Kernel", irp: Irp, device: "DeviceObject", read: bool,
                   buffer: Buffer | None, length: int) -> None:
    """Buffers by the TARGET's flags (stacks-services 1.25). A zero-length buffered
    request still asks pool for a (zero-byte) SystemBuffer, as ReactOS does."""
    if device.flags & DO_BUFFERED_IO:
        irp.system_buffer = Buffer.new(kernel.pool, length)
        irp.flags |= _F.IRP_BUFFERED_IO | _F.IRP_DEALLOCATE_BUFFER
        if read:
            irp.flags |= _F.IRP_INPUT_OPERATION
            irp.user_buffer = buffer
        elif length:
            assert buffer is not None     # callers pass a length only with its buffer
            irp.system_buffer.write(buffer.read(0, length))
    elif device.flags & DO_DIRECT_IO:
        if length and buffer is not None:
            mdl = io_allocate_mdl(kernel, buffer.view(buffer.address, 0, length))
            mm_probe_and_lock_pages(mdl)
            irp.mdl_address = mdl
    else:
        irp.user_buffer = buffer


def io_make_associated_irp(master: Irp, stack_size: int) -> Irp:
    """IoMakeAssociatedIrp (io-core §6.11): the master's thread, IRP_ASSOCIATED_IRP; the
    caller sets the master's IrpCount (stacks-services 1.31)."""
    irp = io_allocate_irp(master.kernel, stack_size, notify=False)
    irp.allocated_by = "IoMakeAssociatedIrp"
    irp.flags |= _F.IRP_ASSOCIATED_IRP
    irp.thread = master.thread
    irp.master_irp = master
    master.kernel.hooks.irp_allocated(irp)
    return irp

