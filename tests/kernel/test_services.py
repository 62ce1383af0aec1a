"""Rules of the I/O system services: open, read/write, IOCTL, close and
IoGetDeviceObjectPointer (io-core §6.9, §8.4, §8.12, §10.20;
kernel-env §7, §8, §10.6, §12)."""

from __future__ import annotations

from harness.kernel import (DO_BUFFERED_IO, DO_DEVICE_INITIALIZING, DO_DIRECT_IO,
                            DO_EXCLUSIVE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN,
                            FILE_READ_ACCESS, FILE_WRITE_ACCESS, IRP_MJ, METHOD_BUFFERED,
                            METHOD_IN_DIRECT, METHOD_NEITHER, METHOD_OUT_DIRECT, NTSTATUS,
                            Buffer, IoStatusBlock, IrpFlags, KEvent, NotificationEvent, UserMode,
                            ctl_code, io_attach_device_to_device_stack, io_complete_request,
                            io_copy_current_irp_stack_location_to_next,
                            io_create_symbolic_link, io_get_current_irp_stack_location,
                            io_get_device_object_pointer, io_mark_irp_pending, io_call_driver,
                            io_set_completion_routine,
                            ke_initialize_dpc, ke_initialize_timer, ke_set_timer,
                            ke_wait_for_single_object, mm_get_mdl_byte_count,
                            mm_get_mdl_virtual_address, mm_get_system_address_for_mdl_safe,
                            nt_close, nt_create_file, nt_device_io_control_file, nt_read_file,
                            nt_write_file, ob_dereference_file_object_inline)
from harness.kernel.mm.memory import USER_BASE, AddressSpace

MJ = IRP_MJ
SUCCESS = NTSTATUS.STATUS_SUCCESS
PENDING = NTSTATUS.STATUS_PENDING
TICK = 156250
NAME = "\\Device\\Svc"


def user_buffer(size, fill=0):
    return Buffer.new(AddressSpace(USER_BASE + 0x123), size, fill)


def complete_with(status=SUCCESS, information=0, payload=None):
    """Dispatch routine: optionally write ``payload`` to the SystemBuffer, complete."""
    def dispatch(device, irp):
        if payload is not None:
            irp.system_buffer.write(payload)
        irp.io_status.status = status
        irp.io_status.information = information
        yield from io_complete_request(irp)
        return status
    return dispatch


def pend_into(held, mark=True):
    def dispatch(device, irp):
        if mark:
            io_mark_irp_pending(irp)
        held.append(irp)
        return PENDING
        yield  # pragma: no cover
    return dispatch


def complete_later(kernel, held, delay, status=SUCCESS, information=0):
    """Complete held[0] from a timer DPC ``delay`` (100 ns) from now."""
    def routine(dpc, context, a1, a2):
        irp = held[0]
        irp.io_status.status = status
        irp.io_status.information = information
        yield from io_complete_request(irp)
    ke_set_timer(ke_initialize_timer(kernel), -delay, ke_initialize_dpc(kernel, routine, None))


def device_with(make_device, log=None, name=NAME, flags=0, **handlers):
    """A device whose CREATE/CLEANUP/CLOSE succeed; handlers by major name override."""
    def logged(major, routine):
        def dispatch(device, irp):
            if log is not None:
                log.append(MJ(major).name.replace("IRP_MJ_", ""))
            return (yield from routine(device, irp))
        return dispatch

    table = {MJ.IRP_MJ_CREATE: complete_with(), MJ.IRP_MJ_CLEANUP: complete_with(),
             MJ.IRP_MJ_CLOSE: complete_with()}
    for major_name, routine in handlers.items():
        table[MJ["IRP_MJ_" + major_name.upper()]] = routine
    return make_device(name, dispatch={m: logged(m, r) for m, r in table.items()}, flags=flags)


def open_file(kernel, name=NAME, synchronous=True):
    status, file = yield from nt_create_file(kernel, name, synchronous)
    assert status == SUCCESS, status
    return file


# -- open ----------------------------------------------------------------------------------

def test_open_sends_create_to_top_and_file_keeps_named_device(kernel, make_device, call):
    """io-core §8.12 / kernel-env §7.1: IRP_MJ_CREATE goes to the top of the attached
    stack; FileObject->DeviceObject is the named (bottom) device; the device gains a
    reference."""
    log = []
    bottom = device_with(make_device, log)
    filter_log = []

    def filter_create(device, irp):
        filter_log.append(io_get_current_irp_stack_location(irp).major_function)
        io_copy_current_irp_stack_location_to_next(irp)
        return (yield from io_call_driver(device.attached_to, irp))

    top = make_device(None, dispatch={MJ.IRP_MJ_CREATE: filter_create})
    io_attach_device_to_device_stack(top, bottom)
    io_create_symbolic_link(kernel, "\\??\\SvcLink", NAME)
    status, file = call(lambda: nt_create_file(kernel, "\\??\\SvcLink"))
    assert status == SUCCESS
    assert filter_log == [MJ.IRP_MJ_CREATE] and log == ["CREATE"]
    assert file.device_object is bottom
    assert bottom.reference_count == 1


def test_create_irp_is_synchronous_deferred_and_threaded(kernel, make_device, call):
    """io-core §8.12: the create IRP has IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API |
    IRP_DEFER_IO_COMPLETION, is queued to the opening thread and names the file object."""
    seen = {}

    def create(device, irp):
        seen.update(flags=irp.flags, thread=irp.thread, queued=irp in irp.thread.irp_list,
                    file=io_get_current_irp_stack_location(irp).file_object,
                    mode=irp.requestor_mode)
        return (yield from complete_with()(device, irp))

    make_device(NAME, dispatch={MJ.IRP_MJ_CREATE: create})
    status, file = call(lambda: nt_create_file(kernel, NAME))
    flags = IrpFlags.IRP_CREATE_OPERATION | IrpFlags.IRP_SYNCHRONOUS_API | \
        IrpFlags.IRP_DEFER_IO_COMPLETION
    assert seen["flags"] == flags
    assert seen["queued"] and seen["thread"].name == "TestThread"
    assert seen["file"] is file and seen["mode"] == UserMode


def test_open_unknown_name_fails_object_name_not_found(kernel, call):
    """kernel-env §7.1: no such name / link: STATUS_OBJECT_NAME_NOT_FOUND, no file."""
    assert call(lambda: nt_create_file(kernel, "\\??\\Nothing")) == \
        (NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, None)


def test_open_of_initializing_device_fails_no_such_device(kernel, make_device, call):
    """io-core §8.4 / kernel-env §7.1: while DO_DEVICE_INITIALIZING is set an open fails
    with STATUS_NO_SUCH_DEVICE and the driver sees nothing."""
    log = []
    device = device_with(make_device, log)
    device.flags |= DO_DEVICE_INITIALIZING
    assert call(lambda: nt_create_file(kernel, NAME)) == (NTSTATUS.STATUS_NO_SUCH_DEVICE, None)
    assert log == []


def test_exclusive_device_second_open_access_denied(kernel, make_device, call):
    """io-core §8.4 / kernel-env §7.1: an open of a DO_EXCLUSIVE device that already has
    references fails with STATUS_ACCESS_DENIED without reaching the driver."""
    log = []
    device = device_with(make_device, log)
    device.flags |= DO_EXCLUSIVE

    def body():
        first = yield from nt_create_file(kernel, NAME)
        second = yield from nt_create_file(kernel, NAME)
        return first[0], second

    first, second = call(body)
    assert first == SUCCESS
    assert second == (NTSTATUS.STATUS_ACCESS_DENIED, None)
    assert log == ["CREATE"] and device.reference_count == 1


def test_failed_create_returns_status_and_takes_no_reference(kernel, make_device, call):
    """kernel-env §7.1: the driver's failure status is returned; no file, no reference."""
    device = device_with(make_device, create=complete_with(NTSTATUS.STATUS_ACCESS_DENIED))
    assert call(lambda: nt_create_file(kernel, NAME)) == (NTSTATUS.STATUS_ACCESS_DENIED, None)
    assert device.reference_count == 0


# -- read / write and buffering ------------------------------------------------------------

def test_user_request_goes_to_current_top_of_stack(kernel, make_device, call):
    """io-core §8.12 / §10.20: each request goes to the CURRENT top, so a filter attached
    after the open sees reads on the old handle (with a big enough IRP)."""
    log = []
    bottom = device_with(make_device, log, read=complete_with())

    def filter_read(device, irp):
        log.append(("filter", irp.stack_count))
        io_copy_current_irp_stack_location_to_next(irp)
        return (yield from io_call_driver(device.attached_to, irp))

    def body():
        file = yield from open_file(kernel)
        top = make_device(None, dispatch={MJ.IRP_MJ_READ: filter_read})
        io_attach_device_to_device_stack(top, bottom)
        status = yield from nt_read_file(file, user_buffer(4), 4)
        return status, file

    status, file = call(body)
    assert status == SUCCESS
    assert log == ["CREATE", ("filter", 2), "READ"]
    assert file.device_object is bottom


def test_read_irp_is_threaded_deferred_and_names_the_file(kernel, make_device, call):
    """io-core §6.9: NtReadFile sets Thread, OriginalFileObject, RequestorMode, queues the
    IRP to the thread and adds IRP_READ_OPERATION | IRP_DEFER_IO_COMPLETION; Length and
    ByteOffset go to the stack location."""
    seen = {}

    def read(device, irp):
        loc = io_get_current_irp_stack_location(irp)
        seen.update(flags=irp.flags, queued=irp in irp.thread.irp_list,
                    file=irp.original_file_object, mode=irp.requestor_mode,
                    length=loc.parameters.length, offset=loc.parameters.byte_offset)
        return (yield from complete_with()(device, irp))

    device_with(make_device, read=read)

    def body():
        file = yield from open_file(kernel)
        yield from nt_read_file(file, user_buffer(8), 8, byte_offset=512)
        return file

    file = call(body)
    assert seen == {"flags": IrpFlags.IRP_READ_OPERATION | IrpFlags.IRP_DEFER_IO_COMPLETION,
                    "queued": True, "file": file, "mode": UserMode, "length": 8,
                    "offset": 512}


def buffered_read(kernel, make_device, call, status, information, payload):
    device_with(make_device, flags=DO_BUFFERED_IO,
                read=complete_with(status, information, payload))
    out = user_buffer(8, fill=0xEE)
    iosb = IoStatusBlock()

    def body():
        file = yield from open_file(kernel)
        return (yield from nt_read_file(file, out, 8, iosb=iosb))

    return call(body), out, iosb


def test_buffered_read_copies_back_information_bytes(kernel, make_device, call):
    """kernel-env §8.1 / §12.19: exactly IoStatus.Information bytes are copied from the
    SystemBuffer to the user buffer."""
    status, out, iosb = buffered_read(kernel, make_device, call, SUCCESS, 3, b"ABCDEFGH")
    assert status == SUCCESS
    assert out.read() == b"ABC" + b"\xEE" * 5
    assert (iosb.status, iosb.information) == (SUCCESS, 3)


def test_buffered_read_warning_status_still_copies_back(kernel, make_device, call):
    """io-core §5.5 / §10.5 / kernel-env §12.19: a warning (STATUS_BUFFER_OVERFLOW) is not
    NT_ERROR: data is copied back and the IOSB written."""
    overflow = NTSTATUS.STATUS_BUFFER_OVERFLOW
    status, out, iosb = buffered_read(kernel, make_device, call, overflow, 8, b"ABCDEFGH")
    assert status == overflow
    assert out.read() == b"ABCDEFGH"
    assert iosb.status == overflow


def test_buffered_read_error_does_not_copy_back(kernel, make_device, call):
    """io-core §5.4.1 / kernel-env §12.19: for an NT_ERROR status nothing is copied, even
    with Information set."""
    error = NTSTATUS.STATUS_UNSUCCESSFUL
    status, out, iosb = buffered_read(kernel, make_device, call, error, 4, b"ABCDEFGH")
    assert status == error
    assert out.read() == b"\xEE" * 8


def test_buffered_write_copies_user_data_in_at_request_time(kernel, make_device, call):
    """kernel-env §8.1: a buffered WRITE gets a SystemBuffer holding the caller's data at a
    pool address (not the user buffer)."""
    seen = []

    def write(device, irp):
        seen.append((irp.system_buffer.read(), irp.system_buffer.address,
                     bool(irp.flags & IrpFlags.IRP_INPUT_OPERATION)))
        return (yield from complete_with(SUCCESS, 5)(device, irp))

    device_with(make_device, flags=DO_BUFFERED_IO, write=write)
    data = user_buffer(5)
    data.write(b"hello")

    def body():
        file = yield from open_file(kernel)
        return (yield from nt_write_file(file, data, 5))

    assert call(body) == SUCCESS
    (payload, address, input_op), = seen
    assert payload == b"hello" and address != data.address and not input_op


def test_buffered_wins_when_both_buffered_and_direct_set(kernel, make_device, call):
    """kernel-env §8.1: DO_BUFFERED_IO is tested first; with both flags set the request is
    buffered (SystemBuffer, no MDL)."""
    seen = []

    def read(device, irp):
        seen.append((irp.system_buffer is not None, irp.mdl_address))
        return (yield from complete_with()(device, irp))

    device_with(make_device, flags=DO_BUFFERED_IO | DO_DIRECT_IO, read=read)

    def body():
        file = yield from open_file(kernel)
        yield from nt_read_file(file, user_buffer(4), 4)

    call(body)
    assert seen == [(True, None)]


def test_direct_read_mdl_aliases_user_buffer_at_system_address(kernel, make_device, call):
    """kernel-env §8.1: a direct read gets a locked MDL over the user buffer; the system
    mapping is a different address with the same page offset and the same bytes, so the
    driver's writes are visible to the user without any copy."""
    out = user_buffer(6)
    seen = {}

    def read(device, irp):
        mdl = irp.mdl_address
        mapped = mm_get_system_address_for_mdl_safe(kernel, mdl)
        mapped.write(b"direct")
        seen.update(locked=mdl.locked, va=mm_get_mdl_virtual_address(mdl),
                    count=mm_get_mdl_byte_count(mdl), system=mapped.address,
                    visible=out.read(), sysbuf=irp.system_buffer)
        return (yield from complete_with(SUCCESS, 6)(device, irp))

    device_with(make_device, flags=DO_DIRECT_IO, read=read)

    def body():
        file = yield from open_file(kernel)
        return (yield from nt_read_file(file, out, 6))

    assert call(body) == SUCCESS
    assert seen["locked"] and seen["va"] == out.address and seen["count"] == 6
    assert seen["system"] != out.address
    assert seen["system"] & 0xFFF == out.address & 0xFFF
    assert seen["visible"] == b"direct" and seen["sysbuf"] is None


def test_neither_read_passes_user_buffer(kernel, make_device, call):
    """kernel-env §8.1: with neither flag Irp->UserBuffer is the caller's buffer itself;
    no SystemBuffer, no MDL."""
    out = user_buffer(4)
    seen = []

    def read(device, irp):
        seen.append((irp.user_buffer is out, irp.system_buffer, irp.mdl_address))
        irp.user_buffer.write(b"raw!")
        return (yield from complete_with(SUCCESS, 4)(device, irp))

    device_with(make_device, read=read)

    def body():
        file = yield from open_file(kernel)
        yield from nt_read_file(file, out, 4)

    call(body)
    assert seen == [(True, None, None)]
    assert out.read() == b"raw!"


# -- IOCTLs ------------------------------------------------------------------------------------

def ioctl(method, access=FILE_ANY_ACCESS):
    return ctl_code(FILE_DEVICE_UNKNOWN, 0x800, method, access)


def run_ioctl(kernel, make_device, call, code, handler, in_data, out_len, granted=3):
    device_with(make_device, device_control=handler)
    inp = user_buffer(len(in_data))
    inp.write(in_data)
    out = user_buffer(out_len, fill=0xEE)

    def body():
        file = yield from open_file(kernel)
        return (yield from nt_device_io_control_file(file, code, inp, len(in_data), out,
                                                     out_len, granted_access=granted))

    return call(body), inp, out


def test_ioctl_method_buffered_shares_one_system_buffer(kernel, make_device, call):
    """kernel-env §8.2 / §12.20: METHOD_BUFFERED uses one SystemBuffer of max(In, Out)
    holding the input; output written over it is copied back for Information bytes, so
    unwritten bytes echo the input."""
    seen = []

    def handler(device, irp):
        params = io_get_current_irp_stack_location(irp).parameters
        seen.append((irp.system_buffer.length, irp.system_buffer.read(0, 8),
                     params.input_buffer_length, params.output_buffer_length))
        irp.system_buffer.write(b"xy")           # output first: destroys input bytes 0-1
        return (yield from complete_with(SUCCESS, 6)(device, irp))

    status, _inp, out = run_ioctl(kernel, make_device, call, ioctl(METHOD_BUFFERED), handler,
                                  b"ABCDEFGH", 10)
    assert status == SUCCESS
    assert seen == [(10, b"ABCDEFGH", 8, 10)]
    assert out.read() == b"xyCDEF" + b"\xEE" * 4


def test_ioctl_in_direct_output_is_an_mdl(kernel, make_device, call):
    """kernel-env §8.2: METHOD_IN_DIRECT copies the input to a SystemBuffer and describes
    the output buffer with an MDL; nothing is copied back."""
    seen = []

    def handler(device, irp):
        seen.append((irp.system_buffer.read(), mm_get_mdl_virtual_address(irp.mdl_address),
                     bool(irp.flags & IrpFlags.IRP_INPUT_OPERATION)))
        irp.system_buffer.write(b"zz")
        return (yield from complete_with(SUCCESS, 2)(device, irp))

    status, _inp, out = run_ioctl(kernel, make_device, call, ioctl(METHOD_IN_DIRECT), handler,
                                  b"in", 4)
    assert status == SUCCESS
    assert seen == [(b"in", out.address, False)]
    assert out.read() == b"\xEE" * 4


def test_ioctl_out_direct_output_is_an_mdl(kernel, make_device, call):
    """kernel-env §8.2: METHOD_OUT_DIRECT: same layout; the driver writes through the MDL."""
    def handler(device, irp):
        mm_get_system_address_for_mdl_safe(kernel, irp.mdl_address).write(b"OUT!")
        return (yield from complete_with(SUCCESS, 4)(device, irp))

    status, _inp, out = run_ioctl(kernel, make_device, call, ioctl(METHOD_OUT_DIRECT),
                                  handler, b"in", 4)
    assert status == SUCCESS and out.read() == b"OUT!"


def test_ioctl_neither_passes_raw_pointers(kernel, make_device, call):
    """kernel-env §8.2: METHOD_NEITHER: Type3InputBuffer = user input, UserBuffer = user
    output; no SystemBuffer, no MDL."""
    seen = []

    def handler(device, irp):
        params = io_get_current_irp_stack_location(irp).parameters
        seen.append((params.type3_input_buffer, irp.user_buffer, irp.system_buffer,
                     irp.mdl_address))
        return (yield from complete_with()(device, irp))

    _status, inp, out = run_ioctl(kernel, make_device, call, ioctl(METHOD_NEITHER), handler,
                                  b"abc", 4)
    assert seen == [(inp, out, None, None)]


def test_ioctl_access_bits_denied_before_any_irp(kernel, make_device, call):
    """kernel-env §7.3 / io-core §6.8: a user-mode caller without the access the code
    requires gets STATUS_ACCESS_DENIED before any IRP is built."""
    log = []

    def handler(device, irp):
        log.append("IOCTL")
        return (yield from complete_with()(device, irp))

    status, _inp, _out = run_ioctl(kernel, make_device, call,
                                   ioctl(METHOD_BUFFERED, FILE_WRITE_ACCESS), handler, b"x", 1,
                                   granted=FILE_READ_ACCESS)
    assert status == NTSTATUS.STATUS_ACCESS_DENIED
    assert log == []


# -- synchronous and overlapped handles -------------------------------------------------------

def test_sync_handle_waits_for_pended_irp(kernel, make_device, call):
    """kernel-env §7.2 / io-core §6.9: on a synchronous handle a pended read makes NtReadFile
    wait on FileObject->Event and return FileObject->FinalStatus."""
    held = []
    device_with(make_device, read=pend_into(held))

    def body():
        file = yield from open_file(kernel)
        complete_later(kernel, held, 3 * TICK, NTSTATUS.STATUS_END_OF_FILE)
        status = yield from nt_read_file(file, user_buffer(4), 4)
        return status, kernel.now

    assert call(body) == (NTSTATUS.STATUS_END_OF_FILE, 3 * TICK)


def test_pending_without_mark_hangs_synchronous_caller(kernel, make_device, spawn):
    """kernel-env §7.4 / §12.17: STATUS_PENDING without IoMarkIrpPending on a read: the
    deferred completion never runs (PendingReturned FALSE), so the caller hangs and the
    IOSB is never written."""
    held = []
    device_with(make_device, read=pend_into(held, mark=False))
    iosb = IoStatusBlock(0x1234, 0)

    def body():
        file = yield from open_file(kernel)
        complete_later(kernel, held, TICK)
        yield from nt_read_file(file, user_buffer(4), 4, iosb=iosb)

    reader = spawn(body)
    assert kernel.run() is None
    assert held[0].current_location == held[0].stack_count + 2     # it was completed
    assert reader.alive and kernel.blocked_threads() == [reader]
    assert iosb.status == 0x1234 and held[0].freed is False


def test_sync_file_pended_error_returns_final_status(kernel, make_device, call):
    """io-core §5.4.4: an error on a pended request on a synchronous file takes the silent
    branch: FinalStatus is set and the file event signaled, the IOSB stays unwritten."""
    held = []
    device_with(make_device, read=pend_into(held))
    iosb = IoStatusBlock(0x1234, 0)

    def body():
        file = yield from open_file(kernel)
        complete_later(kernel, held, TICK, NTSTATUS.STATUS_CANCELLED)
        return (yield from nt_read_file(file, user_buffer(4), 4, iosb=iosb))

    assert call(body) == NTSTATUS.STATUS_CANCELLED
    assert iosb.status == 0x1234


def test_overlapped_pended_returns_pending_then_signals_event(kernel, make_device, call):
    """kernel-env §7.3 / §7.5: on an overlapped handle a pended read returns STATUS_PENDING
    at once; completion later writes the IOSB and signals the caller's event."""
    held = []
    device_with(make_device, read=pend_into(held))
    iosb = IoStatusBlock(PENDING, 0)

    def body():
        event = KEvent(kernel, NotificationEvent)
        file = yield from open_file(kernel, synchronous=False)
        complete_later(kernel, held, 2 * TICK, SUCCESS, 4)
        status = yield from nt_read_file(file, user_buffer(4), 4, event=event, iosb=iosb)
        returned_at = kernel.now
        yield from ke_wait_for_single_object(event)
        return status, returned_at, kernel.now

    assert call(body) == (PENDING, 0, 2 * TICK)
    assert (iosb.status, iosb.information) == (SUCCESS, 4)


def test_overlapped_inline_error_leaves_iosb_and_event_untouched(kernel, make_device, call):
    """kernel-env §7.4 / §12.15: a request failed inline (no pending) on an overlapped
    handle does not write OVERLAPPED.Internal nor signal hEvent; the status is only the
    return value."""
    device_with(make_device, device_control=complete_with(NTSTATUS.STATUS_INVALID_PARAMETER))
    iosb = IoStatusBlock(PENDING, 0)

    def body():
        event = KEvent(kernel, NotificationEvent)
        file = yield from open_file(kernel, synchronous=False)
        status = yield from nt_device_io_control_file(file, ioctl(METHOD_BUFFERED), None, 0,
                                                      None, 0, event=event, iosb=iosb)
        return status, event.signal_state

    assert call(body) == (NTSTATUS.STATUS_INVALID_PARAMETER, 0)
    assert iosb.status == PENDING


def test_overlapped_inline_success_signals_event(kernel, make_device, call):
    """kernel-env §7.3 / §12.16: completed inline with success on an overlapped handle the
    call returns the success (not STATUS_PENDING) and still signals hEvent."""
    device_with(make_device, read=complete_with(SUCCESS, 2))
    iosb = IoStatusBlock(PENDING, 0)

    def body():
        event = KEvent(kernel, NotificationEvent)
        file = yield from open_file(kernel, synchronous=False)
        status = yield from nt_read_file(file, user_buffer(2), 2, event=event, iosb=iosb)
        return status, event.signal_state

    assert call(body) == (SUCCESS, 1)
    assert (iosb.status, iosb.information) == (SUCCESS, 2)


def test_request_clears_the_callers_event_first(kernel, make_device, call):
    """kernel-env §7.5: the kernel clears hEvent at the start of every request naming it."""
    seen = []

    def read(device, irp):
        seen.append(irp.user_event.signal_state)
        return (yield from complete_with()(device, irp))

    device_with(make_device, read=read)

    def body():
        event = KEvent(kernel, NotificationEvent, state=True)
        file = yield from open_file(kernel, synchronous=False)
        yield from nt_read_file(file, user_buffer(1), 1, event=event, iosb=IoStatusBlock())

    call(body)
    assert seen == [0]


# -- close and IoGetDeviceObjectPointer -------------------------------------------------------

def test_close_handle_sends_cleanup_then_close(kernel, make_device, call):
    """kernel-env §7.9: closing the last handle sends IRP_MJ_CLEANUP, then, the last
    reference being gone, IRP_MJ_CLOSE; the device reference is dropped."""
    log = []
    device = device_with(make_device, log)

    def body():
        file = yield from open_file(kernel)
        yield from nt_close(file)
        return file

    file = call(body)
    assert log == ["CREATE", "CLEANUP", "CLOSE"]
    assert file.cleanup_done and file.closed
    assert device.reference_count == 0


def test_close_waits_for_pending_irp_reference(kernel, make_device, call):
    """kernel-env §7.9 / §12.23: CLEANUP comes at once even with I/O pending, but CLOSE
    only after the pended IRP completes (it holds a file reference); closing does not
    cancel the IRP."""
    log, held = [], []

    def close(device, irp):
        log.append(("CLOSE", kernel.now, held[0].freed))
        return (yield from complete_with()(device, irp))

    device_with(make_device, log, read=pend_into(held), close=close)

    def body():
        event = KEvent(kernel, NotificationEvent)
        file = yield from open_file(kernel, synchronous=False)
        status = yield from nt_read_file(file, user_buffer(4), 4, event=event,
                                         iosb=IoStatusBlock())
        assert status == PENDING
        yield from nt_close(file)
        log.append(("closed handle", kernel.now))
        complete_later(kernel, held, TICK)
        yield from ke_wait_for_single_object(event)
        return file

    file = call(body)
    assert log == ["CREATE", "READ", "CLEANUP", ("closed handle", 0), "CLOSE",
                   ("CLOSE", TICK, True)]
    assert held[0].cancel is False and file.closed


def test_io_get_device_object_pointer_sends_create_and_cleanup_close_on_deref(kernel,
                                                                          make_device, call):
    """kernel-env §10.6 / §12.24: IoGetDeviceObjectPointer sends CREATE then CLEANUP at
    once and returns the top-of-stack device; CLOSE comes when the caller dereferences the
    file object."""
    log = []
    bottom = device_with(make_device, log)
    top = make_device(None, dispatch={
        m: (lambda d, i: (yield from _pass_down(d, i)))
        for m in (MJ.IRP_MJ_CREATE, MJ.IRP_MJ_CLEANUP, MJ.IRP_MJ_CLOSE)})
    io_attach_device_to_device_stack(top, bottom)

    def body():
        status, file, device = yield from io_get_device_object_pointer(kernel, NAME)
        at_return = list(log)
        yield from ob_dereference_file_object_inline(file)
        return status, device, at_return

    status, device, at_return = call(body)
    assert status == SUCCESS and device is top
    assert at_return == ["CREATE", "CLEANUP"]
    assert log == ["CREATE", "CLEANUP", "CLOSE"]


def _pass_down(device, irp):
    io_copy_current_irp_stack_location_to_next(irp)
    return (yield from io_call_driver(device.attached_to, irp))


def _two_readers(kernel, make_device, spawn, synchronous):
    arrivals, returns = [], []

    def read(device, irp):
        arrivals.append(kernel.now)
        held = [irp]
        io_mark_irp_pending(irp)
        complete_later(kernel, held, 2 * TICK)
        return PENDING
        yield  # pragma: no cover

    device_with(make_device, read=read)
    files = []

    def opener():
        files.append((yield from open_file(kernel, synchronous=synchronous)))

    def reader():
        event = KEvent(kernel, NotificationEvent)
        status = yield from nt_read_file(files[0], user_buffer(1), 1, event=event,
                                         iosb=IoStatusBlock())
        if status == PENDING:
            yield from ke_wait_for_single_object(event)
        returns.append(kernel.now)

    spawn(opener)
    kernel.run()
    spawn(reader)
    spawn(reader)
    assert kernel.run() is None
    return arrivals, returns


def test_sync_handle_serializes_requests(kernel, make_device, spawn):
    """kernel-env §7.2: requests on a FO_SYNCHRONOUS_IO file object are serialized by a
    per-file-object lock: the second read reaches the driver only after the first one
    completed."""
    arrivals, returns = _two_readers(kernel, make_device, spawn, synchronous=True)
    assert arrivals == [0, 2 * TICK]
    assert returns == [2 * TICK, 4 * TICK]


def test_overlapped_handle_does_not_serialize_requests(kernel, make_device, spawn):
    """kernel-env §7.2: without FO_SYNCHRONOUS_IO both requests reach the driver at once."""
    arrivals, returns = _two_readers(kernel, make_device, spawn, synchronous=False)
    assert arrivals == [0, 0]
    assert returns == [2 * TICK, 2 * TICK]


def test_open_without_create_handler_fails_invalid_device_request(kernel, make_device, call):
    """kernel-env §7.1 / io-core §2.4: a driver with no IRP_MJ_CREATE handler fails every
    open with STATUS_INVALID_DEVICE_REQUEST and takes no reference."""
    device = make_device(NAME)
    assert call(lambda: nt_create_file(kernel, NAME)) == \
        (NTSTATUS.STATUS_INVALID_DEVICE_REQUEST, None)
    assert device.reference_count == 0


def test_filter_not_propagating_pending_hangs_synchronous_caller(kernel, make_device, spawn):
    """io-core §4.4 / §4.5: a filter whose completion routine does not propagate the pending
    mark, while returning the lower driver's STATUS_PENDING, leaves the top PendingReturned
    FALSE: deferred completion never runs and the synchronous caller hangs."""
    held = []
    bottom = device_with(make_device, read=pend_into(held))

    def forgetful(device, irp, context):
        return SUCCESS                            # no "if PendingReturned: IoMarkIrpPending"
        yield  # pragma: no cover

    def filter_read(device, irp):
        io_copy_current_irp_stack_location_to_next(irp)
        io_set_completion_routine(irp, forgetful, None, True, True, True)
        return (yield from io_call_driver(device.attached_to, irp))

    top = make_device(None, dispatch={MJ.IRP_MJ_READ: filter_read,
                                      MJ.IRP_MJ_CREATE: _pass_down})
    io_attach_device_to_device_stack(top, bottom)

    def body():
        file = yield from open_file(kernel)
        complete_later(kernel, held, TICK)
        yield from nt_read_file(file, user_buffer(4), 4)

    reader = spawn(body)
    assert kernel.run() is None
    assert held[0].pending_returned is False and not held[0].freed
    assert reader.alive


def test_marked_pending_but_completed_inline_is_processed_twice(kernel, make_device, spawn,
                                                                recorder):
    """io-core §4.2 / §4.5: marking pending but returning a non-PENDING status makes the
    I/O manager run the final phase twice (APC and inline deferred completion): the IRP is
    freed twice: the second IoFreeIrp finds Type cleared, 0x44 (stacks-services 1.28)."""
    def read(device, irp):
        io_mark_irp_pending(irp)
        return (yield from complete_with(SUCCESS, 0)(device, irp))

    device_with(make_device, read=read)

    def body():
        file = yield from open_file(kernel)
        yield from nt_read_file(file, user_buffer(4), 4)

    spawn(body)
    bugcheck = kernel.run()
    read_irps = [args[0] for args in recorder.of("irp_final")
                 if args[0].allocated_by == "I/O manager" and args[0].major == MJ.IRP_MJ_READ]
    assert len(read_irps) == 2 and read_irps[0] is read_irps[1]
    assert (bugcheck.code, bugcheck.p1) == (0x44, read_irps[0].id)


def test_pended_create_waits_and_opens_when_completed(kernel, make_device, call):
    """io-core §8.12: a create that returns STATUS_PENDING makes the open wait on the file
    object's event; the open succeeds when the driver completes it."""
    held = []
    device = device_with(make_device, create=pend_into(held))

    def body():
        complete_later(kernel, held, 2 * TICK)
        status, file = yield from nt_create_file(kernel, NAME)
        return status, file is not None, kernel.now

    assert call(body) == (SUCCESS, True, 2 * TICK)
    assert device.reference_count == 1


def test_buffered_read_of_zero_length_has_no_system_buffer(kernel, make_device, call):
    """kernel-env §8.1 / win32-io 6.3: a buffered read of Length 0 gets no SystemBuffer;
    its Flags are IRP_BUFFERED_IO | IRP_INPUT_OPERATION without IRP_DEALLOCATE_BUFFER."""
    seen = []

    def read(device, irp):
        seen.append((irp.system_buffer, irp.flags & (IrpFlags.IRP_BUFFERED_IO |
                                                     IrpFlags.IRP_DEALLOCATE_BUFFER |
                                                     IrpFlags.IRP_INPUT_OPERATION)))
        return (yield from complete_with()(device, irp))

    device_with(make_device, flags=DO_BUFFERED_IO, read=read)

    def body():
        file = yield from open_file(kernel)
        return (yield from nt_read_file(file, user_buffer(1), 0))

    assert call(body) == SUCCESS
    assert seen == [(None, IrpFlags.IRP_BUFFERED_IO | IrpFlags.IRP_INPUT_OPERATION)]


def test_ioctl_method_buffered_without_buffers_has_no_system_buffer(kernel, make_device, call):
    """io-core §6.7 / kernel-env §8.2: METHOD_BUFFERED with both lengths 0: no buffer,
    Flags 0."""
    seen = []

    def handler(device, irp):
        seen.append((irp.system_buffer, int(irp.flags)))
        return (yield from complete_with()(device, irp))

    device_with(make_device, device_control=handler)

    def body():
        file = yield from open_file(kernel)
        return (yield from nt_device_io_control_file(file, ioctl(METHOD_BUFFERED), None, 0,
                                                     None, 0))

    assert call(body) == SUCCESS
    assert seen == [(None, 0)]


def test_kernel_mode_ioctl_skips_the_access_check(kernel, make_device, call):
    """io-core §6.8: the required-access check applies to user-mode callers only."""
    from harness.kernel import KernelMode
    log = []

    def handler(device, irp):
        log.append(irp.requestor_mode)
        return (yield from complete_with()(device, irp))

    device_with(make_device, device_control=handler)

    def body():
        file = yield from open_file(kernel)
        return (yield from nt_device_io_control_file(
            file, ioctl(METHOD_BUFFERED, FILE_WRITE_ACCESS), None, 0, None, 0,
            granted_access=0, requestor_mode=KernelMode))

    assert call(body) == SUCCESS
    assert log == [KernelMode]


def test_a_null_user_buffer_of_nonzero_length_is_an_access_violation_before_any_irp(kernel):
    """The service probes a user caller's buffer before it builds an IRP: NULL with a
    nonzero length is STATUS_ACCESS_VIOLATION, returned (found by the fuzzer: the I/O
    manager used to build the IRP and fail at the copy-back)."""
    from harness.kernel import (NTSTATUS, UserMode, io_create_device, io_create_driver,
                                io_create_symbolic_link, nt_create_file, nt_read_file,
                                run_nonblocking)
    from harness.kernel import io_complete_request

    def opens(device, irp):
        yield from io_complete_request(irp)
        return 0
    driver = io_create_driver(kernel, "Probe")
    driver.major_function[0] = opens                            # IRP_MJ_CREATE
    _, device = io_create_device(driver, 0, "\\Device\\Probe")
    device.flags = (device.flags | 0x4) & ~0x80          # DO_BUFFERED_IO, initialized
    io_create_symbolic_link(kernel, "\\??\\Probe", "\\Device\\Probe")
    status, file = run_nonblocking(nt_create_file(kernel, "\\??\\Probe"), "open")
    assert status == 0
    calls = []
    driver.major_function[3] = lambda d, i: calls.append(i)    # IRP_MJ_READ: never called
    assert run_nonblocking(nt_read_file(file, None, 255, requestor_mode=UserMode),
                           "read") == NTSTATUS.STATUS_ACCESS_VIOLATION
    assert calls == []
