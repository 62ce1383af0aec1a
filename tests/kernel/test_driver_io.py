"""Rules of driver-originated I/O: the Zw* services, handles and object pointers, the
IoBuild* builders, associated IRPs and the Zw caller's ApcRoutine
(stacks-services §1, rules 1.1-1.35, 4.25, 4.29; io-core §5-§6).

Every test is named after the rule it checks and cites it in its docstring. Driver code
is written as generator functions, as everywhere in the kernel tests.
"""

from __future__ import annotations

import pytest

from harness.kernel import (DO_BUFFERED_IO, DO_DIRECT_IO, DO_EXCLUSIVE,
                            FILE_ALL_ACCESS, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN,
                            FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_IF, FILE_READ_DATA,
                            FILE_READ_ATTRIBUTES, FILE_SHARE_READ, FILE_SUPERSEDED,
                            FILE_SYNCHRONOUS_IO_ALERT, FILE_SYNCHRONOUS_IO_NONALERT,
                            FILE_USE_FILE_POINTER_POSITION, FILE_WRITE_ACCESS, GENERIC_READ,
                            IRP_MJ, KERNEL_HANDLE_BIT, METHOD_BUFFERED, NTSTATUS,
                            PASSIVE_LEVEL, SYMBOLIC_LINK_QUERY, SYNCHRONIZE, BugCheckCode,
                            BugCheckHalt, Buffer, HandleTable, IoStatusBlock, IrpFlags, KEvent,
                            Kernel, KernelMode, NotificationEvent, ObjectTable, ctl_code,
                            handle_table, io_allocate_irp, io_allocate_mdl,
                            io_attach_device_to_device_stack, io_build_asynchronous_fsd_request,
                            io_build_device_io_control_request, io_build_synchronous_fsd_request,
                            io_call_driver, io_complete_request,
                            io_copy_current_irp_stack_location_to_next, io_create_device,
                            io_create_driver, io_create_symbolic_link, io_free_irp,
                            io_get_base_file_system_device_object,
                            io_get_current_irp_stack_location, io_get_next_irp_stack_location,
                            io_get_related_device_object, io_make_associated_irp,
                            io_mark_irp_pending, io_set_completion_routine,
                            ke_delay_execution_thread, ke_initialize_dpc, ke_initialize_timer,
                            ke_set_event, ke_set_timer, ke_wait_for_single_object,
                            mm_get_mdl_byte_count, mm_get_mdl_virtual_address,
                            mm_probe_and_lock_pages, ob_dereference_file_object_inline,
                            ob_reference_object_by_handle, ob_reference_object_by_name,
                            run_nonblocking, zw_close, zw_create_file,
                            zw_device_io_control_file, zw_open_file,
                            zw_open_symbolic_link_object, zw_query_symbolic_link_object,
                            zw_read_file)
from harness.kernel.ob.handle import OBJECT_BASE

MJ = IRP_MJ
F = IrpFlags
SUCCESS = NTSTATUS.STATUS_SUCCESS
PENDING = NTSTATUS.STATUS_PENDING
ERROR = NTSTATUS.STATUS_UNSUCCESSFUL
SMPR = NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
SENTINEL = 0x1234            # an IOSB status nobody writes
TICK = 156250
NAME = "\\Device\\MyDDKDeviceA"       # 20 characters, as in the book (1.20)
LINK = "\\??\\HelloDDKA"
READ = MJ.IRP_MJ_READ
#: ByteOffset {LowPart FILE_USE_FILE_POINTER_POSITION, HighPart -1} as a LARGE_INTEGER
USE_FILE_POINTER = (-1 << 32) | FILE_USE_FILE_POINTER_POSITION


# -- helpers ---------------------------------------------------------------------------

def pool(kernel, size, data=b"", fill=0):
    """A nonpaged buffer a driver passes (kernel callers use system addresses)."""
    buf = Buffer.new(kernel.pool, size, fill)
    if data:
        buf.write(data)
    return buf


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


def pend_into(held):
    """Dispatch routine: mark pending, keep the IRP, return STATUS_PENDING."""
    def dispatch(device, irp):
        io_mark_irp_pending(irp)
        held.append(irp)
        return PENDING
        yield  # pragma: no cover
    return dispatch


def complete_later(kernel, held, delay, status=SUCCESS, information=0, index=0, log=None):
    """Complete held[index] from a timer DPC ``delay`` (100 ns) from now."""
    def routine(dpc, context, a1, a2):
        if log is not None:
            log.append(("dpc completes", kernel.now))
        irp = held[index]
        irp.io_status.status = status
        irp.io_status.information = information
        yield from io_complete_request(irp)
    ke_set_timer(ke_initialize_timer(kernel), -delay, ke_initialize_dpc(kernel, routine, None))


def pass_down(device, irp):
    io_copy_current_irp_stack_location_to_next(irp)
    return (yield from io_call_driver(device.attached_to, irp))


def device_with(make_device, log=None, name=NAME, flags=0, **handlers):
    """A device whose CREATE/CLEANUP/CLOSE succeed; handlers by major name override.
    Each dispatch appends its major's short name to ``log``."""
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


def zw_open(kernel, sync=True, name=NAME, kernel_handle=True, access=GENERIC_READ | SYNCHRONIZE):
    """ZwCreateFile(FILE_OPEN) that must succeed; returns the handle."""
    options = FILE_SYNCHRONOUS_IO_NONALERT if sync else 0
    status, handle = yield from zw_create_file(kernel, name, access, IoStatusBlock(), 0,
                                               FILE_OPEN, options, kernel_handle=kernel_handle)
    assert status == SUCCESS, hex(status)
    return handle


def file_of(kernel, handle):
    """The object a handle names, without taking a reference (test-side peek)."""
    return handle_table(kernel, handle).lookup(handle)[0]


def recording_apc(log, kernel, done=None):
    """An ApcRoutine(ApcContext, IoStatusBlock) recording where and how it runs."""
    def apc_routine(context, iosb):
        cpu = kernel.cpu
        log.append(("apc", context, cpu.thread.name, cpu.irql, cpu.context, iosb.status))
        if done is not None:
            ke_set_event(done)
        return None
        yield  # pragma: no cover
    return apc_routine


def plain_device(kernel, name, dispatch, flags=0):
    """A ready device on a kernel the fixtures did not make (e.g. with Verifier)."""
    driver = io_create_driver(kernel, f"Drv{len(kernel.drivers)}")
    for major, routine in dispatch.items():
        driver.major_function[major] = routine
    device = io_create_device(driver, 0, name)[1]
    device.flags = (device.flags | flags) & ~0x80       # DO_DEVICE_INITIALIZING cleared
    return device


# -- 1.A opening a device: ZwCreateFile / ZwOpenFile -----------------------------------


def test_synchronous_io_option_alone_decides_the_file_object_kind(kernel, make_device, call):
    """stacks-services 1.1 / 1.9: FILE_SYNCHRONOUS_IO_NONALERT gives a synchronous file
    object even without SYNCHRONIZE in the access (no parameter check for a kernel
    caller), as does the contradictory ALERT|NONALERT; no option gives an asynchronous
    one."""
    device_with(make_device)

    def body():
        results = []
        for access, options in ((FILE_READ_DATA, FILE_SYNCHRONOUS_IO_NONALERT),
                                (FILE_READ_DATA, FILE_SYNCHRONOUS_IO_ALERT
                                 | FILE_SYNCHRONOUS_IO_NONALERT),
                                (GENERIC_READ | SYNCHRONIZE, 0)):
            status, handle = yield from zw_create_file(kernel, NAME, access, IoStatusBlock(),
                                                       0, FILE_OPEN, options,
                                                       kernel_handle=True)
            results.append((status, file_of(kernel, handle).synchronous))
        return results

    assert call(body) == [(SUCCESS, True), (SUCCESS, True), (SUCCESS, False)]


def test_synchronous_io_alert_also_sets_fo_alertable_io(kernel, make_device, call):
    """stacks-services 1.9: FILE_SYNCHRONOUS_IO_ALERT sets FO_SYNCHRONOUS_IO plus
    FO_ALERTABLE_IO (0x4); _NONALERT sets only FO_SYNCHRONOUS_IO."""
    device_with(make_device)
    fo_alertable_io = 0x4

    def body():
        flags = []
        for options in (FILE_SYNCHRONOUS_IO_ALERT, FILE_SYNCHRONOUS_IO_NONALERT):
            _status, handle = yield from zw_create_file(kernel, NAME, FILE_ALL_ACCESS,
                                                        IoStatusBlock(), 0, FILE_OPEN,
                                                        options, kernel_handle=True)
            flags.append(file_of(kernel, handle).flags & fo_alertable_io)
        return flags

    assert call(body) == [fo_alertable_io, 0]


def test_create_parameters_carry_disposition_and_share_and_do_not_restrict(kernel, make_device,
                                                                           call):
    """stacks-services 1.5 / 1.6: the driver sees Options = (Disposition << 24) |
    CreateOptions and the ShareAccess; on a plain device neither restricts anything (a
    second share-0 open succeeds) and the IOSB Information is the driver's 0
    (FILE_SUPERSEDED), not FILE_OPENED, for FILE_OPEN_IF."""
    seen = []

    def create(device, irp):
        seen.append(dict(io_get_current_irp_stack_location(irp).parameters.other))
        return (yield from complete_with(SUCCESS, 0)(device, irp))

    device_with(make_device, create=create)
    iosbs = [IoStatusBlock(SENTINEL, 99), IoStatusBlock(SENTINEL, 99)]

    def body():
        out = []
        for iosb in iosbs:
            out.append((yield from zw_create_file(kernel, NAME, FILE_ALL_ACCESS, iosb, 0,
                                                  FILE_OPEN_IF, FILE_NON_DIRECTORY_FILE,
                                                  kernel_handle=True)))
        return out

    (s1, h1), (s2, h2) = call(body)
    assert (s1, s2) == (SUCCESS, SUCCESS) and h1 != h2 and h1 and h2
    assert [(i.status, i.information) for i in iosbs] == [(SUCCESS, FILE_SUPERSEDED)] * 2
    assert seen[0]["Options"] == (FILE_OPEN_IF << 24) | FILE_NON_DIRECTORY_FILE
    assert seen[0]["ShareAccess"] == 0


def test_device_name_and_its_dos_links_reach_the_same_device(kernel, make_device, call):
    """stacks-services 1.2: \\Device\\X, its link \\??\\L and \\DosDevices\\L reach the same
    device object and the driver sees the same IRP_MJ_CREATE; an unknown leaf is
    STATUS_OBJECT_NAME_NOT_FOUND with no handle."""
    log = []
    device = device_with(make_device, log)
    io_create_symbolic_link(kernel, LINK, NAME)

    def body():
        files = []
        for name in (NAME, LINK, "\\DosDevices\\HelloDDKA"):
            handle = yield from zw_open(kernel, name=name)
            files.append(file_of(kernel, handle).device_object)
        missing = yield from zw_create_file(kernel, "\\Device\\Nothing", FILE_ALL_ACCESS,
                                            IoStatusBlock(), kernel_handle=True)
        return files, missing

    files, missing = call(body)
    assert files == [device, device, device]
    assert log == ["CREATE"] * 3
    assert missing == (NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, 0)


def test_empty_component_is_name_invalid_and_missing_directory_is_path_not_found(
        kernel, make_device, call):
    """stacks-services 1.2: an empty component (\\Device\\\\X) is
    STATUS_OBJECT_NAME_INVALID; a missing intermediate directory is
    STATUS_OBJECT_PATH_NOT_FOUND."""
    device_with(make_device)

    def body():
        bad = yield from zw_create_file(kernel, "\\Device\\\\MyDDKDeviceA", FILE_ALL_ACCESS,
                                        IoStatusBlock(), kernel_handle=True)
        nodir = yield from zw_create_file(kernel, "\\NoSuchDir\\MyDDKDeviceA",
                                          FILE_ALL_ACCESS, IoStatusBlock(), kernel_handle=True)
        return bad[0], nodir[0]

    assert call(body) == (NTSTATUS.STATUS_OBJECT_NAME_INVALID,
                          NTSTATUS.STATUS_OBJECT_PATH_NOT_FOUND)


def test_trailing_path_after_the_device_name_still_opens_the_device(kernel, make_device, call):
    """stacks-services 1.5: \\Device\\X\\abc opens device X (FileObject->FileName = \\abc
    is passed to the driver, which normally ignores it)."""
    log = []
    device = device_with(make_device, log)

    def body():
        status, handle = yield from zw_create_file(kernel, NAME + "\\abc", FILE_ALL_ACCESS,
                                                   IoStatusBlock(), kernel_handle=True)
        return status, handle and file_of(kernel, handle).device_object

    assert call(body) == (SUCCESS, device)
    assert log == ["CREATE"]


def test_exclusive_device_refuses_a_zw_open_while_a_file_object_is_held(kernel, make_device,
                                                                       call):
    """stacks-services 1.3 / 1.21: DO_EXCLUSIVE applies to kernel callers too: while a
    file object (kept by ObReferenceObjectByHandle after ZwClose) references the
    device, another ZwOpenFile fails STATUS_ACCESS_DENIED without reaching the driver
    and returns no handle."""
    log = []
    device = device_with(make_device, log)
    device.flags |= DO_EXCLUSIVE

    def body():
        handle = yield from zw_open(kernel, sync=False)
        _status, file = ob_reference_object_by_handle(kernel, handle, "File")
        yield from zw_close(kernel, handle)
        second = yield from zw_open_file(kernel, NAME, FILE_ALL_ACCESS, IoStatusBlock(),
                                         FILE_SHARE_READ, FILE_NON_DIRECTORY_FILE, True)
        return second, file

    second, file = call(body)
    assert second == (NTSTATUS.STATUS_ACCESS_DENIED, 0)
    assert log == ["CREATE", "CLEANUP"] and not file.closed


# -- handles and object pointers -------------------------------------------------------


def test_handle_values_are_multiples_of_four_and_kernel_handles_have_the_top_bit():
    """stacks-services 1.8: handles are table indexes, the next free multiple of 4; an
    OBJ_KERNEL_HANDLE lives in the System kernel table and has bit 0x80000000 set."""
    a, b = object(), object()
    table = HandleTable()
    assert (table.insert(a, 1), table.insert(b, 2)) == (4, 8)
    assert table.lookup(4) == (a, 1) and table.lookup(12) is None
    assert table.remove(4) is a and table.lookup(4) is None and table.remove(4) is None
    kernel_table = HandleTable(kernel_table=True)
    assert kernel_table.insert(a, 0) == KERNEL_HANDLE_BIT | 4


def test_object_pointers_have_stable_addresses_and_wild_pointers_name_nothing(kernel,
                                                                            make_device):
    """stacks-services 1.8 / 1.16 (pointers are not handles): a PDEVICE_OBJECT etc. is an
    address handed out from a fixed base in first-use order, the same in every run; an
    address that names nothing (or NULL) is no object; an IRP's value is its id."""
    device = make_device(NAME)
    driver = device.driver_object
    first, second = ObjectTable(), ObjectTable()
    addresses = [first.address_of(device), first.address_of(driver)]
    assert addresses[0] == OBJECT_BASE and addresses[1] > addresses[0]
    assert addresses[1] % 16 == 0
    assert [second.address_of(device), second.address_of(driver)] == addresses
    assert first.address_of(device) == addresses[0]          # stable on reuse
    assert first.at(addresses[0]) is device and first.at(addresses[1]) is driver
    assert first.at(addresses[0] + 4) is None and first.address_of(None) == 0
    irp = io_allocate_irp(kernel, 1)
    assert first.address_of(irp) == irp.id and first.at(irp.id) is irp


def test_non_kernel_handle_belongs_to_the_opening_process_kernel_handle_to_all(kernel,
                                                                             make_device):
    """stacks-services 1.8 / 4.29: without OBJ_KERNEL_HANDLE the handle lands in the
    calling thread's process table (no top bit) and is STATUS_INVALID_HANDLE from another
    process (read and close); an OBJ_KERNEL_HANDLE handle works from any process."""
    device_with(make_device, read=complete_with(SUCCESS, 0))
    handles, results = {}, []

    def app():
        handles["process"] = yield from zw_open(kernel, sync=False, kernel_handle=False)
        handles["kernel"] = yield from zw_open(kernel, sync=False, kernel_handle=True)

    def system():
        buf = pool(kernel, 4)
        for key in ("process", "kernel"):
            read = yield from zw_read_file(kernel, handles[key], None, None, None,
                                           IoStatusBlock(), buf, 4, 0)
            close = yield from zw_close(kernel, handles[key])
            results.append((key, read, close))

    kernel.create_thread(app, name="App", process="app.exe")
    assert kernel.run() is None
    kernel.create_thread(system, name="Worker", process="System")
    assert kernel.run() is None
    assert handles["process"] & KERNEL_HANDLE_BIT == 0
    assert handles["kernel"] & KERNEL_HANDLE_BIT
    invalid = NTSTATUS.STATUS_INVALID_HANDLE
    assert results == [("process", invalid, invalid), ("kernel", SUCCESS, SUCCESS)]


def test_reference_by_handle_of_a_file_as_event_is_type_mismatch(kernel, make_device, call):
    """stacks-services 1.16: ObReferenceObjectByHandle of a file handle asked as
    *ExEventObjectType fails STATUS_OBJECT_TYPE_MISMATCH, returns no pointer and takes no
    reference; as *IoFileObjectType it gives the file object and one reference; an
    unknown handle is STATUS_INVALID_HANDLE."""
    device_with(make_device)

    def body():
        handle = yield from zw_open(kernel, sync=False)
        file = file_of(kernel, handle)
        before = file.reference_count
        as_event = ob_reference_object_by_handle(kernel, handle, "Event")
        after_event = file.reference_count
        as_file = ob_reference_object_by_handle(kernel, handle, "File")
        bogus = ob_reference_object_by_handle(kernel, handle + 4, "File")
        return file, before, as_event, after_event, as_file, file.reference_count, bogus

    file, before, as_event, after_event, as_file, after_file, bogus = call(body)
    assert as_event == (NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None) and after_event == before
    assert as_file == (SUCCESS, file) and after_file == before + 1
    assert bogus == (NTSTATUS.STATUS_INVALID_HANDLE, None)


def test_zw_close_of_a_file_object_pointer_is_invalid_handle(kernel, make_device, call):
    """stacks-services 4.25 / 4.29 (book #39, ZwClose(FileObject)): a pointer is not a
    handle: STATUS_INVALID_HANDLE without Verifier; nothing is sent and the real handle
    still closes normally."""
    log = []
    device_with(make_device, log)

    def body():
        handle = yield from zw_open(kernel, sync=False)
        pointer = kernel.objects.address_of(file_of(kernel, handle))
        wrong = yield from zw_close(kernel, pointer)
        sent = list(log)
        right = yield from zw_close(kernel, handle)
        return wrong, sent, right

    wrong, sent, right = call(body)
    assert wrong == NTSTATUS.STATUS_INVALID_HANDLE and sent == ["CREATE"]
    assert right == SUCCESS and log == ["CREATE", "CLEANUP", "CLOSE"]


def test_zw_close_of_a_non_handle_under_verifier_bugchecks_0x93(recorder):
    """stacks-services 4.25: with bad-handle checking (Driver Verifier) closing an
    invalid handle is bug check 0x93 INVALID_KERNEL_HANDLE, P1 the handle, P2 1."""
    kernel = Kernel(verifier=True, instruments=[recorder])
    with pytest.raises(BugCheckHalt):
        run_nonblocking(zw_close(kernel, 0x1234), "ZwClose")
    bc = kernel.bugcheck
    assert (bc.code, bc.p1, bc.p2) == (BugCheckCode.INVALID_KERNEL_HANDLE, 0x1234, 1)


# -- 1.B ZwReadFile / ZwWriteFile / ZwDeviceIoControlFile ---------------------------------


def test_zw_read_irp_goes_to_the_top_kernel_mode_threaded_buffered_by_the_top(kernel,
                                                                             make_device,
                                                                             call):
    """stacks-services 1.10: the IRP is sized for IoGetRelatedDeviceObject (the top), has
    Thread = caller, OriginalFileObject, RequestorMode KernelMode, UserIosb, the
    ApcRoutine/Context, is queued on the thread, and is buffered by the TOP device's
    flags."""
    seen = {}
    bottom = device_with(make_device, flags=DO_DIRECT_IO, read=complete_with(SUCCESS, 0))
    iosb = IoStatusBlock()
    apc = recording_apc([], kernel)

    def filter_read(device, irp):
        seen.update(stack=irp.stack_count, mode=irp.requestor_mode, thread=irp.thread.name,
                    queued=irp in irp.thread.irp_list, file=irp.original_file_object,
                    iosb=irp.user_iosb is iosb, apc=(irp.user_apc_routine, irp.user_apc_context),
                    buffered=irp.system_buffer is not None, mdl=irp.mdl_address)
        return (yield from pass_down(device, irp))

    top = make_device(None, dispatch={MJ.IRP_MJ_CREATE: pass_down, READ: filter_read},
                      flags=DO_BUFFERED_IO)
    io_attach_device_to_device_stack(top, bottom)

    def body():
        handle = yield from zw_open(kernel, sync=False)
        yield from zw_read_file(kernel, handle, None, apc, "ctx", iosb, pool(kernel, 4), 4, 0)
        return file_of(kernel, handle)

    file = call(body)
    assert seen == {"stack": 2, "mode": KernelMode, "thread": "TestThread", "queued": True,
                    "file": file, "iosb": True, "apc": (apc, "ctx"), "buffered": True,
                    "mdl": None}


def test_sync_handle_zw_read_blocks_until_the_pended_read_completes(kernel, make_device, call):
    """stacks-services 1.12: on a synchronous file object a pended read makes ZwReadFile
    wait (3 s of DriverA's timer in #34) and return the final status: the caller never
    sees STATUS_PENDING; the IOSB holds the result."""
    held = []
    device_with(make_device, read=pend_into(held))
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        handle = yield from zw_open(kernel, sync=True)
        complete_later(kernel, held, 3 * TICK, SUCCESS, 0)
        status = yield from zw_read_file(kernel, handle, None, None, None, iosb,
                                         pool(kernel, 4), 4, 0)
        return status, kernel.now

    assert call(body) == (SUCCESS, 3 * TICK)
    assert (iosb.status, iosb.information) == (SUCCESS, 0)


def test_sync_handle_null_offset_uses_the_current_byte_offset(kernel, make_device, call):
    """stacks-services 1.11: on a synchronous file object a NULL ByteOffset means
    FileObject->CurrentByteOffset."""
    offsets = []

    def read(device, irp):
        offsets.append(io_get_current_irp_stack_location(irp).parameters.byte_offset)
        return (yield from complete_with()(device, irp))

    device_with(make_device, read=read)

    def body():
        handle = yield from zw_open(kernel, sync=True)
        file_of(kernel, handle).current_byte_offset = 512
        return (yield from zw_read_file(kernel, handle, None, None, None, IoStatusBlock(),
                                        pool(kernel, 4), 4, None))

    assert call(body) == SUCCESS and offsets == [512]


def test_sync_handle_use_file_pointer_position_offset_uses_the_current_byte_offset(
        kernel, make_device, call):
    """stacks-services 1.11 / 4.26: ByteOffset {LowPart FILE_USE_FILE_POINTER_POSITION,
    HighPart -1} on a synchronous file object also means CurrentByteOffset."""
    offsets = []

    def read(device, irp):
        offsets.append(io_get_current_irp_stack_location(irp).parameters.byte_offset)
        return (yield from complete_with()(device, irp))

    device_with(make_device, read=read)

    def body():
        handle = yield from zw_open(kernel, sync=True)
        file_of(kernel, handle).current_byte_offset = 512
        return (yield from zw_read_file(kernel, handle, None, None, None, IoStatusBlock(),
                                        pool(kernel, 4), 4, USE_FILE_POINTER))

    assert call(body) == SUCCESS and offsets == [512]


def test_async_handle_null_offset_is_invalid_parameter_and_builds_no_irp(kernel, make_device,
                                                                         call, recorder):
    """stacks-services 1.11: on an asynchronous file object a NULL ByteOffset fails
    STATUS_INVALID_PARAMETER at once: no IRP, nothing reaches the driver."""
    log = []
    device_with(make_device, log, read=complete_with())

    def body():
        handle = yield from zw_open(kernel, sync=False)
        before = len(recorder.of("irp_allocated"))
        status = yield from zw_read_file(kernel, handle, None, None, None, IoStatusBlock(),
                                         pool(kernel, 4), 4, None)
        return status, len(recorder.of("irp_allocated")) - before

    assert call(body) == (NTSTATUS.STATUS_INVALID_PARAMETER, 0)
    assert log == ["CREATE"]


def test_async_handle_pended_read_returns_pending_and_writes_iosb_only_at_completion(
        kernel, make_device, call):
    """stacks-services 1.10 / 1.13 / 1.14: on an asynchronous file object ZwReadFile
    resets the caller's event and returns STATUS_PENDING unchanged; the IOSB is not
    written until completion, which then writes it and sets the event; with an event
    given, FileObject->Event is not set (async FO)."""
    held = []
    device_with(make_device, read=pend_into(held))
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        event = KEvent(kernel, NotificationEvent, state=True)
        handle = yield from zw_open(kernel, sync=False)
        complete_later(kernel, held, 2 * TICK, SUCCESS, 4)
        status = yield from zw_read_file(kernel, handle, event, None, None, iosb,
                                         pool(kernel, 4), 4, 0)
        at_return = (status, kernel.now, iosb.status, event.signal_state)
        yield from ke_wait_for_single_object(event)
        return at_return, kernel.now, file_of(kernel, handle).event.signal_state

    assert call(body) == ((PENDING, 0, SENTINEL, 0), 2 * TICK, 0)
    assert (iosb.status, iosb.information) == (SUCCESS, 4)


def test_async_inline_error_writes_no_iosb_sets_no_event_and_queues_no_apc(kernel,
                                                                          make_device, call):
    """stacks-services 1.14: an error returned inline (no STATUS_PENDING) on an
    asynchronous file object writes no IOSB, sets neither event and queues no APC; the
    IRP is still freed."""
    held, log = [], []

    def read(device, irp):
        held.append(irp)
        return (yield from complete_with(ERROR)(device, irp))

    device_with(make_device, read=read)
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        event = KEvent(kernel, NotificationEvent)
        handle = yield from zw_open(kernel, sync=False)
        status = yield from zw_read_file(kernel, handle, event, recording_apc(log, kernel),
                                         None, iosb, pool(kernel, 4), 4, 0)
        yield from ke_delay_execution_thread(kernel, KernelMode, False, -TICK)
        return status, event.signal_state, file_of(kernel, handle).event.signal_state

    assert call(body) == (ERROR, 0, 0)
    assert iosb.status == SENTINEL and log == [] and held[0].freed


def test_async_pended_error_writes_iosb_sets_event_and_runs_the_apc(kernel, make_device, call):
    """stacks-services 1.14: an error status after STATUS_PENDING on an asynchronous file
    object takes the report branch: IOSB written, event set, ApcRoutine queued."""
    held, log = [], []
    device_with(make_device, read=pend_into(held))
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        event = KEvent(kernel, NotificationEvent)
        handle = yield from zw_open(kernel, sync=False)
        complete_later(kernel, held, TICK, ERROR)
        status = yield from zw_read_file(kernel, handle, event, recording_apc(log, kernel),
                                         "ctx", iosb, pool(kernel, 4), 4, 0)
        yield from ke_wait_for_single_object(event)
        return status

    assert call(body) == PENDING
    assert iosb.status == ERROR
    assert [entry[1] for entry in log] == ["ctx"] and log[0][-1] == ERROR


def test_apc_routine_runs_in_the_issuing_thread_at_passive_level_while_it_waits(
        kernel, make_device, spawn):
    """stacks-services 1.14 / 1.15 (#35): the ApcRoutine is a normal kernel APC to the
    issuing thread: after the DPC completes the read it runs at PASSIVE_LEVEL in that
    thread while it sits in a non-alertable KeWaitForSingleObject, after the IRP was
    freed; the event it sets then satisfies the wait."""
    held, log = [], []
    device_with(make_device, read=pend_into(held))
    iosb = IoStatusBlock(SENTINEL, 0)
    done = KEvent(kernel, NotificationEvent)
    apc = recording_apc(log, kernel, done)

    def apc_routine(context, io_status):
        log.append(("irp freed", held[0].freed))
        return (yield from apc(context, io_status))

    def body():
        handle = yield from zw_open(kernel, sync=False)
        complete_later(kernel, held, 3 * TICK, log=log)
        status = yield from zw_read_file(kernel, handle, None, apc_routine, "ctx", iosb,
                                         pool(kernel, 4), 4, 0)
        log.append(("returned", status))
        yield from ke_wait_for_single_object(done)
        log.append(("wait satisfied", kernel.now))

    thread = spawn(body, name="DriverB")
    assert kernel.run() is None and not thread.alive
    assert log == [("returned", PENDING), ("dpc completes", 3 * TICK), ("irp freed", True),
                   ("apc", "ctx", "DriverB", PASSIVE_LEVEL, "apc", SUCCESS),
                   ("wait satisfied", 3 * TICK)]


def test_apc_routine_runs_before_zw_read_returns_when_the_read_completes_inline(
        kernel, make_device, call):
    """stacks-services 1.15 (corrected): completed inline with success, the service runs
    the final phase at APC_LEVEL; the normal kernel APC it queues is delivered as IRQL
    drops to PASSIVE_LEVEL, so ApcRoutine runs BEFORE ZwReadFile returns."""
    log = []
    device_with(make_device, read=complete_with(SUCCESS, 2))

    def body():
        handle = yield from zw_open(kernel, sync=False)
        status = yield from zw_read_file(kernel, handle, None, recording_apc(log, kernel),
                                         "ctx", IoStatusBlock(), pool(kernel, 2), 2, 0)
        log.append(("returned", status))

    call(body)
    assert log == [("apc", "ctx", "TestThread", PASSIVE_LEVEL, "apc", SUCCESS),
                   ("returned", SUCCESS)]


def test_waiting_on_the_file_object_event_of_an_async_handle_without_event(kernel,
                                                                          make_device, call):
    """stacks-services 1.14 (second bullet) / 1.16 (#36): with no Event the completion
    sets FileObject->Event, so a driver holding the FO from ObReferenceObjectByHandle
    (IoFileObjectType) can wait on it."""
    held = []
    device_with(make_device, read=pend_into(held))
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        handle = yield from zw_open(kernel, sync=False)
        _status, file = ob_reference_object_by_handle(kernel, handle, "File")
        complete_later(kernel, held, 2 * TICK, SUCCESS, 4)
        status = yield from zw_read_file(kernel, handle, None, None, None, iosb,
                                         pool(kernel, 4), 4, 0)
        state = file.event.signal_state
        yield from ke_wait_for_single_object(file.event)
        return status, state, kernel.now

    assert call(body) == (PENDING, 0, 2 * TICK)
    assert (iosb.status, iosb.information) == (SUCCESS, 4)


def test_zw_write_file_copies_the_data_in_and_passes_the_explicit_offset(kernel, make_device,
                                                                        call):
    """stacks-services 1.10 / 1.11: ZwWriteFile on an asynchronous handle with an
    explicit offset: a buffered device gets a SystemBuffer holding the caller's data and
    the offset in Parameters.Write.ByteOffset."""
    seen = []
    data = pool(kernel, 5, b"hello")

    def write(device, irp):
        loc = io_get_current_irp_stack_location(irp)
        seen.append((loc.major_function, irp.system_buffer.read(), loc.parameters.length,
                     loc.parameters.byte_offset, irp.system_buffer.address != data.address))
        return (yield from complete_with(SUCCESS, 5)(device, irp))

    device_with(make_device, flags=DO_BUFFERED_IO, write=write)
    iosb = IoStatusBlock()

    def body():
        handle = yield from zw_open(kernel, sync=False)
        return (yield from zw_read_file(kernel, handle, None, None, None, iosb, data, 5, 1024,
                                        write=True))

    assert call(body) == SUCCESS
    assert seen == [(MJ.IRP_MJ_WRITE, b"hello", 5, 1024, True)]
    assert (iosb.status, iosb.information) == (SUCCESS, 5)


def test_zw_close_with_a_read_pending_sends_cleanup_now_and_close_after_completion(
        kernel, make_device, call):
    """stacks-services 1.17 (#36): ZwClose of the last handle sends IRP_MJ_CLEANUP at
    once even with a read pending (nothing is cancelled); IRP_MJ_CLOSE comes only after
    the read completes and drops its file-object reference; the handle is gone."""
    log, held = [], []

    def close(device, irp):
        log.append(("close", kernel.now, held[0].freed))
        return (yield from complete_with()(device, irp))

    device_with(make_device, log, read=pend_into(held), close=close)

    def body():
        event = KEvent(kernel, NotificationEvent)
        handle = yield from zw_open(kernel, sync=False)
        status = yield from zw_read_file(kernel, handle, event, None, None, IoStatusBlock(),
                                         pool(kernel, 4), 4, 0)
        closed = yield from zw_close(kernel, handle)
        log.append(("ZwClose returned", status, closed, kernel.now))
        again = yield from zw_read_file(kernel, handle, None, None, None, IoStatusBlock(),
                                        pool(kernel, 4), 4, 0)
        complete_later(kernel, held, TICK)
        yield from ke_wait_for_single_object(event)
        return again

    assert call(body) == NTSTATUS.STATUS_INVALID_HANDLE
    assert log == ["CREATE", "READ", "CLEANUP", ("ZwClose returned", PENDING, SUCCESS, 0),
                   "CLOSE", ("close", TICK, True)]
    assert held[0].cancel is False


def test_zw_device_io_control_on_a_sync_handle_waits_and_skips_the_access_check(
        kernel, make_device, call):
    """stacks-services 1.18: ZwDeviceIoControlFile follows the synchronous rule (waits
    for a pended IOCTL, returns the final status) and, the requestor being KernelMode,
    the code's FILE_WRITE_ACCESS is not checked against a FILE_READ_ATTRIBUTES handle;
    METHOD_BUFFERED output is copied back."""
    held, seen = [], []

    def ioctl(device, irp):
        seen.append(irp.requestor_mode)
        irp.system_buffer.write(b"OUT")
        return (yield from pend_into(held)(device, irp))

    device_with(make_device, device_control=ioctl)
    code = ctl_code(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_WRITE_ACCESS)
    out = pool(kernel, 4, fill=0xEE)
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        handle = yield from zw_open(kernel, sync=True,
                                    access=FILE_READ_ATTRIBUTES | SYNCHRONIZE)
        complete_later(kernel, held, 2 * TICK, SUCCESS, 3)
        status = yield from zw_device_io_control_file(kernel, handle, None, None, None, iosb,
                                                      code, pool(kernel, 2, b"in"), 2, out, 4)
        return status, kernel.now

    assert call(body) == (SUCCESS, 2 * TICK)
    assert seen == [KernelMode]
    assert (iosb.status, iosb.information) == (SUCCESS, 3) and out.read() == b"OUT\xEE"


# -- 1.C symbolic links -----------------------------------------------------------------


def test_open_symbolic_link_object_opens_the_link_itself(kernel, make_device):
    """stacks-services 1.19: ZwOpenSymbolicLinkObject gives a handle to the LINK (no
    reparse, the device sees nothing); a missing name is STATUS_OBJECT_NAME_NOT_FOUND; a
    name that is not a link is STATUS_OBJECT_TYPE_MISMATCH."""
    log = []
    device_with(make_device, log)
    io_create_symbolic_link(kernel, LINK, NAME)
    status, handle = zw_open_symbolic_link_object(kernel, LINK, SYMBOLIC_LINK_QUERY, True)
    assert status == SUCCESS and handle & KERNEL_HANDLE_BIT
    link = file_of(kernel, handle)
    assert type(link).__name__ == "SymbolicLink" and link.target == NAME
    assert zw_open_symbolic_link_object(kernel, "\\??\\Nothing", SYMBOLIC_LINK_QUERY, True) \
        == (NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, 0)
    assert zw_open_symbolic_link_object(kernel, NAME, SYMBOLIC_LINK_QUERY, True) == \
        (NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, 0)
    assert log == []


def test_query_symbolic_link_copies_maximum_length_with_returned_length_else_length(kernel):
    """stacks-services 1.20 (#37): for a 20-character target (Length 40, MaximumLength
    42) the copy is MaximumLength bytes when ReturnedLength is asked for, Length bytes
    when not; too small is STATUS_BUFFER_TOO_SMALL with the caller's string untouched;
    ReturnedLength is always MaximumLength = Length + 2, even when too small."""
    io_create_symbolic_link(kernel, LINK, NAME)
    _status, handle = zw_open_symbolic_link_object(kernel, LINK, SYMBOLIC_LINK_QUERY, True)
    too_small = NTSTATUS.STATUS_BUFFER_TOO_SMALL
    assert zw_query_symbolic_link_object(kernel, handle, 50, True) == (SUCCESS, NAME, 42)
    assert zw_query_symbolic_link_object(kernel, handle, 42, True) == (SUCCESS, NAME, 42)
    assert zw_query_symbolic_link_object(kernel, handle, 41, True) == (too_small, None, 42)
    assert zw_query_symbolic_link_object(kernel, handle, 40, False) == (SUCCESS, NAME, None)
    assert zw_query_symbolic_link_object(kernel, handle, 39, False) == (too_small, None, None)


# -- 1.D getting a device pointer -----------------------------------------------------------


def test_ob_reference_object_by_name_refuses_a_device_and_gives_a_driver(kernel, make_device):
    """stacks-services 1.23: a device name goes through IopParseDevice with no open
    packet: STATUS_OBJECT_TYPE_MISMATCH, no object; a \\Driver\\ name gives the driver
    object, whose DeviceObject/NextDevice list is newest first; no such name is
    STATUS_OBJECT_NAME_NOT_FOUND."""
    driver = io_create_driver(kernel, "HelloDDKA")
    first = make_device(NAME, driver=driver)
    second = make_device("\\Device\\MyDDKDeviceB", driver=driver)
    assert ob_reference_object_by_name(kernel, NAME, "Device") == \
        (NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None)
    status, obj = ob_reference_object_by_name(kernel, "\\Driver\\HelloDDKA", "Driver")
    assert status == SUCCESS and obj is driver and obj.devices() == [second, first]
    assert ob_reference_object_by_name(kernel, "\\Driver\\Nothing", "Driver")[0] == \
        NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND


def test_base_file_system_device_is_the_named_device_not_the_top(kernel, make_device, call):
    """stacks-services 1.22 (#41): ZwOpenFile(link) + ObReferenceObjectByHandle +
    IoGetBaseFileSystemDeviceObject + ZwClose: the base device is the NAMED device, not
    the filter on top (IoGetRelatedDeviceObject); the target sees CREATE, CLEANUP at
    ZwClose, CLOSE only at ObDereferenceObject(FO)."""
    log = []
    bottom = device_with(make_device, log)
    top = make_device(None, dispatch={m: pass_down for m in
                                      (MJ.IRP_MJ_CREATE, MJ.IRP_MJ_CLEANUP, MJ.IRP_MJ_CLOSE)})
    io_attach_device_to_device_stack(top, bottom)
    io_create_symbolic_link(kernel, LINK, NAME)

    def body():
        status, handle = yield from zw_open_file(kernel, LINK, FILE_ALL_ACCESS, IoStatusBlock(),
                                                 0, FILE_NON_DIRECTORY_FILE, True)
        _status, file = ob_reference_object_by_handle(kernel, handle, "File")
        base = io_get_base_file_system_device_object(file)
        related = io_get_related_device_object(file)
        yield from zw_close(kernel, handle)
        at_close = list(log)
        yield from ob_dereference_file_object_inline(file)
        return status, base, related, at_close

    status, base, related, at_close = call(body)
    assert status == SUCCESS and base is bottom and related is top
    assert at_close == ["CREATE", "CLEANUP"] and log == ["CREATE", "CLEANUP", "CLOSE"]


# -- 1.E building IRPs ----------------------------------------------------------------------

@pytest.mark.parametrize("flags", [DO_BUFFERED_IO, DO_DIRECT_IO, 0],
                         ids=["buffered", "direct", "neither"])


def test_fsd_builder_buffers_follow_the_target_devices_flags(kernel, make_device, flags):
    """stacks-services 1.25 / io-core 6.5: a READ's buffer follows the TARGET's flags:
    DO_BUFFERED_IO -> a SystemBuffer of Length, BUFFERED|DEALLOCATE|INPUT_OPERATION and
    UserBuffer = Buffer; DO_DIRECT_IO -> a locked MDL over Buffer; neither ->
    UserBuffer = Buffer. Major, Length and ByteOffset go to the top location."""
    target = make_device(NAME, flags=flags)
    buf = pool(kernel, 8)
    irp = io_build_asynchronous_fsd_request(kernel, READ, target, buf, 8, 512, IoStatusBlock())
    loc = io_get_next_irp_stack_location(irp)
    assert (loc.major_function, loc.parameters.length, loc.parameters.byte_offset) == \
        (READ, 8, 512)
    if flags == DO_BUFFERED_IO:
        assert irp.system_buffer.length == 8 and irp.system_buffer.address != buf.address
        assert irp.flags == F.IRP_BUFFERED_IO | F.IRP_DEALLOCATE_BUFFER | F.IRP_INPUT_OPERATION
        assert irp.user_buffer is buf and irp.mdl_address is None
    elif flags == DO_DIRECT_IO:
        mdl = irp.mdl_address
        assert mdl.locked and mm_get_mdl_virtual_address(mdl) == buf.address
        assert mm_get_mdl_byte_count(mdl) == 8
        assert irp.system_buffer is None and irp.flags == 0
    else:
        assert irp.user_buffer is buf and irp.system_buffer is None
        assert irp.mdl_address is None and irp.flags == 0


def test_fsd_builder_buffered_write_copies_in_and_zero_length_still_allocates(kernel,
                                                                             make_device):
    """stacks-services 1.25: a buffered WRITE copies the caller's data into the
    SystemBuffer (no INPUT_OPERATION); the book's Buffer NULL, Length 0 READ to a
    DO_BUFFERED_IO device still gets a zero-byte SystemBuffer (ReactOS)."""
    target = make_device(NAME, flags=DO_BUFFERED_IO)
    data = pool(kernel, 5, b"hello")
    write = io_build_asynchronous_fsd_request(kernel, MJ.IRP_MJ_WRITE, target, data, 5, 0,
                                              IoStatusBlock())
    assert write.system_buffer.read() == b"hello"
    assert write.system_buffer.address != data.address
    assert write.flags == F.IRP_BUFFERED_IO | F.IRP_DEALLOCATE_BUFFER
    empty = io_build_asynchronous_fsd_request(kernel, READ, target, None, 0, 0,
                                              IoStatusBlock())
    assert empty.system_buffer is not None and empty.system_buffer.length == 0


def test_fsd_builder_flush_sets_up_no_buffer(kernel, make_device):
    """stacks-services 1.24: for FLUSH_BUFFERS no buffer or MDL is built and
    Buffer/Length/StartingOffset are ignored (a NULL offset is fine)."""
    target = make_device(NAME, flags=DO_BUFFERED_IO)
    irp = io_build_asynchronous_fsd_request(kernel, MJ.IRP_MJ_FLUSH_BUFFERS, target,
                                            pool(kernel, 8), 8, None, IoStatusBlock())
    assert io_get_next_irp_stack_location(irp).major_function == MJ.IRP_MJ_FLUSH_BUFFERS
    assert (irp.system_buffer, irp.mdl_address, irp.flags) == (None, None, 0)


def test_synchronous_fsd_irp_is_threaded_and_freed_by_the_io_manager(kernel, make_device,
                                                                     call):
    """stacks-services 1.27 / io-core 6.6: an IoBuildSynchronousFsdRequest IRP is queued on
    the creator's thread; when the target completes it after pending, the I/O manager
    copies the buffered data back, frees the SystemBuffer, writes the IOSB, sets the
    event, unqueues and frees the IRP."""
    held, seen = [], []

    def read(device, irp):
        seen.append((irp in irp.thread.irp_list, irp.thread.name, irp.user_event is not None))
        irp.system_buffer.write(b"DATA")
        return (yield from pend_into(held)(device, irp))

    target = make_device(NAME, dispatch={READ: read}, flags=DO_BUFFERED_IO)
    iosb = IoStatusBlock(SENTINEL, 0)
    out = pool(kernel, 8, fill=0xEE)

    def body():
        event = KEvent(kernel, NotificationEvent)
        irp = io_build_synchronous_fsd_request(kernel, READ, target, out, 8, 0, event, iosb)
        complete_later(kernel, held, 2 * TICK, SUCCESS, 4)
        status = yield from io_call_driver(target, irp)
        if status == PENDING:
            yield from ke_wait_for_single_object(event)
        return status, kernel.now, irp, kernel.current_thread

    status, now, irp, thread = call(body)
    assert (status, now) == (PENDING, 2 * TICK)
    assert seen == [(True, "TestThread", True)]
    assert irp.freed and irp not in thread.irp_list and irp.system_buffer.freed
    assert (iosb.status, iosb.information) == (SUCCESS, 4)
    assert out.read() == b"DATA" + b"\xEE" * 4


@pytest.mark.parametrize("pend", [False, True], ids=["inline", "pended"])


def test_asynchronous_fsd_irp_is_not_queued_yet_freed_by_the_io_manager(kernel, make_device,
                                                                        call, pend):
    """stacks-services 1.27 / 1.28: an IoBuildAsynchronousFsdRequest IRP has Thread = the
    creator but is not on its IRP list and has no event; with no SMPR completion routine
    the I/O manager frees it in both the pended and the inline case (inline at PASSIVE
    in the creator's thread: before IoCallDriver returns), writing the IOSB."""
    held, seen = [], []

    def read(device, irp):
        seen.append((irp in irp.thread.irp_list, irp.thread.name, irp.user_event))
        if pend:
            return (yield from pend_into(held)(device, irp))
        return (yield from complete_with(SUCCESS, 3)(device, irp))

    target = make_device(NAME, dispatch={READ: read})
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        irp = io_build_asynchronous_fsd_request(kernel, READ, target, pool(kernel, 4), 4, 0,
                                                iosb)
        if pend:
            complete_later(kernel, held, TICK, SUCCESS, 3)
        status = yield from io_call_driver(target, irp)
        freed_at_return = irp.freed
        yield from ke_delay_execution_thread(kernel, KernelMode, False, -2 * TICK)
        return status, freed_at_return, irp

    status, freed_at_return, irp = call(body)
    assert seen == [(False, "TestThread", None)]
    assert status == (PENDING if pend else SUCCESS)
    assert freed_at_return is (not pend)
    assert irp.freed and (iosb.status, iosb.information) == (SUCCESS, 3)


def test_asynchronous_fsd_irp_stopped_with_smpr_is_left_to_its_creator(kernel, make_device,
                                                                       call):
    """stacks-services 1.27 / 1.29 / io-core 6.12: a creator's completion routine that
    returns STATUS_MORE_PROCESSING_REQUIRED keeps the IRP: not freed, IOSB not written;
    the routine gets DeviceObject NULL (the creator has no location); the creator's one
    IoFreeIrp is then fine."""
    seen = []

    def cr(device, irp, context):
        seen.append((device, context, irp.io_status.status))
        return SMPR
        yield  # pragma: no cover

    target = make_device(NAME, dispatch={READ: complete_with(SUCCESS, 3)})
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        irp = io_build_asynchronous_fsd_request(kernel, READ, target, pool(kernel, 4), 4, 0,
                                                iosb)
        io_set_completion_routine(irp, cr, "ctx", True, True, True)
        status = yield from io_call_driver(target, irp)
        kept = (irp.freed, iosb.status)
        io_free_irp(irp)
        return status, kept, irp.freed

    assert call(body) == (SUCCESS, (False, SENTINEL), True)
    assert seen == [(None, "ctx", SUCCESS)]


@pytest.mark.parametrize("pend", [False, True], ids=["inline", "pended"])


def test_builder_irp_error_reports_to_iosb_and_event_only_after_pending(kernel, make_device,
                                                                        call, pend):
    """stacks-services 1.27: a builder IRP failed inline (no pending) is freed with its
    SystemBuffer but writes no IOSB and sets no event; failed after STATUS_PENDING it
    writes the IOSB and sets the event."""
    held = []
    read = pend_into(held) if pend else complete_with(ERROR)
    target = make_device(NAME, dispatch={READ: read}, flags=DO_BUFFERED_IO)
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        event = KEvent(kernel, NotificationEvent)
        irp = io_build_synchronous_fsd_request(kernel, READ, target, pool(kernel, 4), 4, 0,
                                               event, iosb)
        if pend:
            complete_later(kernel, held, TICK, ERROR)
        status = yield from io_call_driver(target, irp)
        if status == PENDING:
            yield from ke_wait_for_single_object(event)
        return status, event.signal_state, irp, kernel.current_thread

    status, signalled, irp, thread = call(body)
    assert status == (PENDING if pend else ERROR)
    assert irp.freed and irp not in thread.irp_list and irp.system_buffer.freed
    assert (iosb.status, signalled) == ((ERROR, 1) if pend else (SENTINEL, 0))


@pytest.mark.parametrize("internal, major", [(True, MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL),
                                             (False, MJ.IRP_MJ_DEVICE_CONTROL)],
                         ids=["internal", "external"])


def test_device_io_control_request_major_follows_the_internal_flag(kernel, make_device, call,
                                                                   internal, major):
    """io-core 6.7 / stacks-services 1.35: IoBuildDeviceIoControlRequest's major is
    IRP_MJ_INTERNAL_DEVICE_CONTROL iff Internal; the location carries the code and both
    lengths; the IRP is threaded, KernelMode, and completed inline it sets the event,
    writes the IOSB and copies Information bytes back (METHOD_BUFFERED)."""
    seen = []

    def handler(device, irp):
        loc = io_get_current_irp_stack_location(irp)
        p = loc.parameters
        seen.append((loc.major_function, p.io_control_code, p.input_buffer_length,
                     p.output_buffer_length, irp.requestor_mode, irp in irp.thread.irp_list))
        return (yield from complete_with(SUCCESS, 3, payload=b"OUT")(device, irp))

    target = make_device(NAME, dispatch={MJ.IRP_MJ_DEVICE_CONTROL: handler,
                                         MJ.IRP_MJ_INTERNAL_DEVICE_CONTROL: handler})
    code = ctl_code(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
    out = pool(kernel, 4, fill=0xEE)
    iosb = IoStatusBlock(SENTINEL, 0)

    def body():
        event = KEvent(kernel, NotificationEvent)
        irp = io_build_device_io_control_request(kernel, code, target, pool(kernel, 2, b"in"),
                                                 2, out, 4, internal, event, iosb)
        status = yield from io_call_driver(target, irp)
        return status, event.signal_state, irp.freed

    assert call(body) == (SUCCESS, 1, True)
    assert seen == [(major, code, 2, 4, KernelMode, True)]
    assert (iosb.status, iosb.information) == (SUCCESS, 3) and out.read() == b"OUT\xEE"


def test_device_io_control_request_method_buffered_sizes_one_buffer(kernel, make_device):
    """io-core 6.7: METHOD_BUFFERED (whatever the device's flags): one SystemBuffer of
    max(InLen, OutLen) holding the input, BUFFERED|DEALLOCATE plus INPUT_OPERATION only
    if an output buffer is given, UserBuffer = output; both lengths 0: no buffer, Flags 0."""
    target = make_device(NAME, flags=DO_DIRECT_IO)
    code = ctl_code(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)
    inp, out = pool(kernel, 8, b"ABCDEFGH"), pool(kernel, 10)
    both = io_build_device_io_control_request(kernel, code, target, inp, 8, out, 10, False,
                                              None, IoStatusBlock())
    assert both.system_buffer.length == 10 and both.system_buffer.read(0, 8) == b"ABCDEFGH"
    assert both.flags == F.IRP_BUFFERED_IO | F.IRP_DEALLOCATE_BUFFER | F.IRP_INPUT_OPERATION
    assert both.user_buffer is out and both.mdl_address is None
    in_only = io_build_device_io_control_request(kernel, code, target, inp, 8, None, 0, False,
                                                 None, IoStatusBlock())
    assert in_only.system_buffer.length == 8
    assert in_only.flags == F.IRP_BUFFERED_IO | F.IRP_DEALLOCATE_BUFFER
    none = io_build_device_io_control_request(kernel, code, target, None, 0, None, 0, False,
                                              None, IoStatusBlock())
    assert none.system_buffer is None and none.flags == 0


def test_irp_one_location_short_bugchecks_0x35_at_the_call_that_needs_it(kernel, make_device,
                                                                         spawn):
    """stacks-services 1.32: an IRP sized for the lower device (StackSize 1) sent to a
    filter above it is not refused at allocation nor at the filter; the IoCallDriver to
    the lower driver, which needs location StackCount + 1, bug-checks 0x35 with P1 the
    IRP and the other parameters 0, before the lower dispatch runs."""
    log, irps = [], []

    def lower_read(device, irp):
        log.append("lower")
        return (yield from complete_with()(device, irp))

    lower = make_device(NAME, dispatch={READ: lower_read})

    def filter_read(device, irp):
        log.append("filter")
        return (yield from io_call_driver(device.attached_to, irp))

    top = make_device(None, dispatch={READ: filter_read})
    io_attach_device_to_device_stack(top, lower)

    def body():
        irp = io_build_asynchronous_fsd_request(kernel, READ, lower, pool(kernel, 4), 4, 0,
                                                IoStatusBlock())
        irps.append(irp)
        log.append(("built", irp.stack_count, top.stack_size))
        yield from io_call_driver(top, irp)

    spawn(body)
    bc = kernel.run()
    assert (bc.code, bc.p1, bc.p2, bc.p3, bc.p4) == \
        (BugCheckCode.NO_MORE_IRP_STACK_LOCATIONS, irps[0].id, 0, 0, 0)
    assert log == [("built", 1, 2), "filter"]


@pytest.mark.parametrize("pend", [False, True], ids=["inline", "pended"])


def test_creators_io_free_irp_of_a_threaded_hand_built_irp_is_a_double_free_0x44(
        kernel, make_device, spawn, pend):
    """stacks-services 1.28 (#40): an IoAllocateIrp IRP with Thread, UserEvent and
    UserIosb filled in by hand is freed by the I/O manager whatever the target did, so
    the creator's IoFreeIrp is a second free: without Verifier 0x44 with P1 the IRP."""
    held, irps = [], []
    read = pend_into(held) if pend else complete_with()
    target = make_device(NAME, dispatch={READ: read})

    def body():
        event = KEvent(kernel, NotificationEvent)
        irp = io_allocate_irp(kernel, target.stack_size)
        irps.append(irp)
        irp.thread, irp.user_event, irp.user_iosb = kernel.current_thread, event, IoStatusBlock()
        io_get_next_irp_stack_location(irp).major_function = READ
        if pend:
            complete_later(kernel, held, TICK)
        status = yield from io_call_driver(target, irp)
        if status == PENDING:
            yield from ke_wait_for_single_object(event)
        irps.append(irp.freed)
        io_free_irp(irp)

    spawn(body)
    bc = kernel.run()
    assert irps[1] is True                        # the I/O manager had freed it
    assert (bc.code, bc.p1) == (BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, irps[0].id)


def test_second_io_free_irp_under_verifier_bugchecks_0xc9_sub_1(recorder):
    """stacks-services 1.28: under Driver Verifier the creator's second IoFreeIrp of a
    builder IRP the I/O manager already freed is 0xC9 with P1 0x01 and P2 the IRP."""
    kernel = Kernel(verifier=True, instruments=[recorder])
    target = plain_device(kernel, NAME, {READ: complete_with()})
    irps = []

    def body():
        irp = io_build_asynchronous_fsd_request(kernel, READ, target, pool(kernel, 4), 4, 0,
                                                IoStatusBlock())
        irps.append(irp)
        yield from io_call_driver(target, irp)
        io_free_irp(irp)

    kernel.create_thread(body, name="DriverB")
    bc = kernel.run()
    assert (bc.code, bc.p1, bc.p2) == (BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x01,
                                       irps[0].id)


def test_completing_an_irp_its_creator_already_freed_bugchecks_0x44(kernel, make_device,
                                                                    spawn):
    """stacks-services 1.28 / io-core 5.1: a freed packet no longer has Type IO_TYPE_IRP,
    so IoCompleteRequest on it (a target completing an IRP its creator freed too early)
    is 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS with P1 the IRP."""
    held = []
    target = make_device(NAME, dispatch={READ: pend_into(held)})

    def body():
        irp = io_allocate_irp(kernel, target.stack_size)
        io_get_next_irp_stack_location(irp).major_function = READ
        status = yield from io_call_driver(target, irp)
        assert status == PENDING
        io_free_irp(irp)                          # too early: the target still holds it
        complete_later(kernel, held, TICK)

    spawn(body)
    bc = kernel.run()
    assert held[0].freed
    assert (bc.code, bc.p1) == (BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, held[0].id)
    assert bc.time == TICK


def _associated_stack(kernel, make_device, assoc_cr=None, count=2):
    """A "file system" device that splits each READ into ``count`` associated IRPs sent
    to a disk that pends them; the master is pended with its own IoStatus set."""
    held, made = [], []
    disk = make_device("\\Device\\Disk", dispatch={READ: pend_into(held)})

    def fs_read(device, master):
        io_mark_irp_pending(master)
        master.irp_count = count
        master.io_status.status, master.io_status.information = SUCCESS, 0x200
        for _ in range(count):
            irp = io_make_associated_irp(master, disk.stack_size)
            mdl = io_allocate_mdl(kernel, pool(kernel, 16))
            mm_probe_and_lock_pages(mdl)
            irp.mdl_address = mdl
            made.append((irp, mdl, irp.thread is master.thread, irp.master_irp is master,
                         bool(irp.flags & F.IRP_ASSOCIATED_IRP), irp in irp.thread.irp_list))
            io_get_next_irp_stack_location(irp).major_function = READ
            if assoc_cr is not None:
                io_set_completion_routine(irp, assoc_cr, None, True, True, True)
            yield from io_call_driver(disk, irp)
        return PENDING

    fs = make_device("\\Device\\Fs", dispatch={READ: fs_read})
    return fs, held, made


def test_master_completes_with_its_own_iostatus_when_the_last_associated_irp_does(
        kernel, make_device, call):
    """stacks-services 1.31 / io-core 5.3.1 / 6.11: associated IRPs share the master's
    thread but are not queued; each completion frees its MDLs and the IRP and counts the
    master down; the LAST one completes the master, with whatever is in the master's
    IoStatus (the associated statuses, a warning and then an error, are not copied)."""
    fs, held, made = _associated_stack(kernel, make_device)
    log = []
    iosb = IoStatusBlock(SENTINEL, 0)

    def master_cr(device, irp, context):
        log.append((kernel.now, irp.io_status.status, irp.io_status.information))
        return SUCCESS
        yield  # pragma: no cover

    def body():
        event = KEvent(kernel, NotificationEvent)
        master = io_build_synchronous_fsd_request(kernel, READ, fs, pool(kernel, 32), 32, 0,
                                                  event, iosb)
        io_set_completion_routine(master, master_cr, None, True, True, True)
        complete_later(kernel, held, TICK, NTSTATUS.STATUS_BUFFER_OVERFLOW, 1, index=0)
        complete_later(kernel, held, 2 * TICK, ERROR, 7, index=1)
        status = yield from io_call_driver(fs, master)
        yield from ke_wait_for_single_object(event)
        return status, kernel.now, master

    status, now, master = call(body)
    assert (status, now) == (PENDING, 2 * TICK)
    assert [m[2:] for m in made] == [(True, True, True, False)] * 2
    assert log == [(2 * TICK, SUCCESS, 0x200)]
    assert (iosb.status, iosb.information) == (SUCCESS, 0x200)
    assert all(irp.freed and mdl.freed and not mdl.locked for irp, mdl, *_ in made)
    assert master.irp_count == 0 and master.freed


def test_associated_irp_stopped_with_smpr_does_not_complete_the_master(kernel, make_device,
                                                                       call):
    """io-core 6.11: if an associated IRP's completion routine returns
    STATUS_MORE_PROCESSING_REQUIRED the master is not counted down nor auto-completed and
    the associated IRP is not freed."""
    def keep(device, irp, context):
        return SMPR
        yield  # pragma: no cover

    fs, held, made = _associated_stack(kernel, make_device, assoc_cr=keep, count=1)
    completed = []

    def master_cr(device, irp, context):
        completed.append(kernel.now)
        return SMPR
        yield  # pragma: no cover

    def body():
        master = io_build_asynchronous_fsd_request(kernel, READ, fs, pool(kernel, 32), 32, 0,
                                                   IoStatusBlock())
        io_set_completion_routine(master, master_cr, None, True, True, True)
        complete_later(kernel, held, TICK)
        status = yield from io_call_driver(fs, master)
        yield from ke_delay_execution_thread(kernel, KernelMode, False, -3 * TICK)
        return status, master

    status, master = call(body)
    assert status == PENDING and completed == []
    assert master.irp_count == 1 and not master.freed
    assert not made[0][0].freed and held[0].current_location == held[0].stack_count + 1



def test_zw_services_are_passive_level_only(recorder):
    """stacks-services 1.8: Zw* file services run at PASSIVE_LEVEL only. Above it the call
    is reported; at DISPATCH_LEVEL under Driver Verifier (pageable code trimmed) the
    service's own code faults: 0xA with P3 = 8 (execute)."""
    from harness.kernel import APC_LEVEL, DISPATCH_LEVEL, BugCheckHalt, Kernel
    kernel = Kernel(instruments=[recorder])
    kernel.cpu.irql = APC_LEVEL
    gen = zw_close(kernel, 4)
    with pytest.raises(StopIteration):
        gen.send(None)
    assert [args[0] for args in recorder.of("violation")] == ["PASSIVE_LEVEL"]
    verified = Kernel(verifier=True)
    verified.cpu.irql = DISPATCH_LEVEL
    with pytest.raises(BugCheckHalt):
        zw_close(verified, 4).send(None)
    assert (verified.bugcheck.code, verified.bugcheck.p2, verified.bugcheck.p3) == (
        0xA, DISPATCH_LEVEL, 8)
