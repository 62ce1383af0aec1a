"""Rules of the IRP engine: IoCallDriver, IoCompleteRequest, IoCancelIrp
(io-core §2, §4, §5, §7, §10)."""

from __future__ import annotations

import pytest

from harness.kernel import (DISPATCH_LEVEL, IRP_MJ, NTSTATUS, PASSIVE_LEVEL,
                            BugCheckCode, BugCheckHalt, Instrument,
                            IoStatusBlock, IrpFlags, Kernel, KEvent, Buffer, NotificationEvent,
                            io_acquire_cancel_spin_lock, io_allocate_irp, io_allocate_mdl,
                            io_attach_device_to_device_stack, io_call_driver, io_cancel_irp,
                            io_complete_request, io_copy_current_irp_stack_location_to_next,
                            io_get_current_irp_stack_location, io_get_next_irp_stack_location,
                            io_mark_irp_pending, io_release_cancel_spin_lock,
                            io_set_cancel_routine, io_set_completion_routine,
                            io_skip_current_irp_stack_location, ke_initialize_dpc,
                            ke_insert_queue_dpc, ke_wait_for_single_object,
                            mm_probe_and_lock_pages)
from harness.kernel.mm.memory import USER_BASE, AddressSpace

READ = IRP_MJ.IRP_MJ_READ
SUCCESS = NTSTATUS.STATUS_SUCCESS
PENDING = NTSTATUS.STATUS_PENDING
SMPR = NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
UNSUCCESSFUL = NTSTATUS.STATUS_UNSUCCESSFUL


# -- little drivers ----------------------------------------------------------------------

def completes(status=SUCCESS, information=0):
    """Dispatch routine: complete inline with ``status`` and return it."""
    def dispatch(device, irp):
        irp.io_status.status = status
        irp.io_status.information = information
        yield from io_complete_request(irp, 0)
        return status
    return dispatch


def pends(held):
    """Dispatch routine: IoMarkIrpPending, keep the IRP, return STATUS_PENDING."""
    def dispatch(device, irp):
        io_mark_irp_pending(irp)
        held.append(irp)
        return PENDING
        yield  # pragma: no cover
    return dispatch


def forwards(lower_of, routine=None, flags=(True, True, True), context=None):
    """Dispatch routine: copy the location down, optionally arm a routine, call below."""
    def dispatch(device, irp):
        io_copy_current_irp_stack_location_to_next(irp)
        if routine is not None:
            io_set_completion_routine(irp, routine, context, *flags)
        return (yield from io_call_driver(lower_of(device), irp))
    return dispatch


def skips(lower_of):
    def dispatch(device, irp):
        io_skip_current_irp_stack_location(irp)
        return (yield from io_call_driver(lower_of(device), irp))
    return dispatch


def recording_routine(log, name, result=SUCCESS, kernel=None):
    """A completion routine that logs what it sees and returns ``result``."""
    def routine(device, irp, context):
        entry = {"name": name, "device": device, "pending": irp.pending_returned,
                 "status": irp.io_status.status, "location": irp.current_location}
        if kernel is not None:
            entry["irql"] = kernel.cpu.irql
            entry["context"] = kernel.cpu.context
        log.append(entry)
        return result
        yield  # pragma: no cover
    return routine


def build_stack(make_device, *dispatches):
    """Devices bottom first; device i+1 attached on top of device i. Returns the list."""
    devices = []
    for dispatch in dispatches:
        dev = make_device(None, dispatch={READ: dispatch})
        if devices:
            assert io_attach_device_to_device_stack(dev, devices[-1]) is devices[-1]
        devices.append(dev)
    return devices


def lower(device):
    return device.attached_to


def creator_irp(kernel, top, log, result=SMPR):
    """An IoAllocateIrp IRP for ``top`` whose creator routine logs and returns ``result``."""
    irp = io_allocate_irp(kernel, top.stack_size)
    io_get_next_irp_stack_location(irp).major_function = READ
    io_set_completion_routine(irp, recording_routine(log, "creator", result, kernel), None,
                              True, True, True)
    return irp


def threaded_irp(kernel, device, iosb=None, event=None, flags=0):
    """What IoBuildDeviceIoControlRequest builds: queued to the current thread."""
    irp = io_allocate_irp(kernel, device.stack_size)
    irp.thread = kernel.current_thread
    irp.thread.irp_list.insert(0, irp)
    irp.user_iosb = iosb
    irp.user_event = event
    irp.flags = flags
    io_get_next_irp_stack_location(irp).major_function = READ
    return irp


# -- IoCallDriver ----------------------------------------------------------------------------

def test_call_driver_moves_down_stores_device_and_returns_dispatch_status(kernel, make_device,
                                                                         drive):
    """io-core §2.2: decrement CurrentLocation, store the target in the new current
    location, call MajorFunction[major] and return its result unchanged."""
    seen = {}

    def dispatch(device, irp):
        seen["location"] = irp.current_location
        seen["device"] = io_get_current_irp_stack_location(irp).device_object
        return NTSTATUS.STATUS_DEVICE_BUSY       # deliberately not what IoStatus says
        yield  # pragma: no cover

    device = make_device(dispatch={READ: dispatch})
    irp = io_allocate_irp(kernel, 1)
    io_get_next_irp_stack_location(irp).major_function = READ
    status = drive(io_call_driver(device, irp))
    assert status == NTSTATUS.STATUS_DEVICE_BUSY
    assert seen == {"location": 1, "device": device}


def test_call_driver_without_location_bugchecks_0x35(kernel, make_device, drive):
    """io-core §2.2(c) / §9.4: an IRP sized for one device sent down a two-device stack
    runs out of locations: NO_MORE_IRP_STACK_LOCATIONS 0x35, parameter 1 = the IRP."""
    reached = []
    bottom, top = build_stack(make_device, completes(), None)

    def passes_down(device, irp):                 # the IRP has no next location left
        return (yield from io_call_driver(lower(device), irp))

    top.driver_object.major_function[READ] = passes_down
    bottom.driver_object.major_function[READ] = lambda d, i: reached.append(i)
    irp = io_allocate_irp(kernel, 1)              # stale StackSize
    io_get_next_irp_stack_location(irp).major_function = READ
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(top, irp))
    assert kernel.bugcheck.code == BugCheckCode.NO_MORE_IRP_STACK_LOCATIONS == 0x35
    assert kernel.bugcheck.p1 == irp.id
    assert reached == []


def test_unset_dispatch_slot_returns_invalid_device_request(kernel, make_device, drive):
    """io-core §2.4: an unset MajorFunction entry completes with
    STATUS_INVALID_DEVICE_REQUEST, Information 0, and returns that status."""
    log = []
    device = make_device()                        # no dispatch routines at all
    irp = creator_irp(kernel, device, log)
    irp.io_status.information = 99
    status = drive(io_call_driver(device, irp))
    assert status == NTSTATUS.STATUS_INVALID_DEVICE_REQUEST
    assert irp.io_status.status == NTSTATUS.STATUS_INVALID_DEVICE_REQUEST
    assert irp.io_status.information == 0
    assert [e["status"] for e in log] == [NTSTATUS.STATUS_INVALID_DEVICE_REQUEST]


# -- the completion walk -------------------------------------------------------------------

def test_completion_routine_receives_device_of_its_own_location(kernel, make_device, drive):
    """io-core §10.1: the routine stored in location L gets the device of location L+1
    (its owner), not the completing device; the creator's routine gets NULL."""
    log = []
    devices = build_stack(make_device, completes(), None)
    bottom, top = devices
    top.driver_object.major_function[READ] = forwards(lower, recording_routine(log, "top"))
    irp = creator_irp(kernel, top, log)
    drive(io_call_driver(top, irp))
    assert [(e["name"], e["device"]) for e in log] == [("top", top), ("creator", None)]


def test_current_location_inside_completion_routine_is_owners(kernel, make_device, drive):
    """io-core §5.2.1 / §10.2: CurrentLocation is advanced before the routine runs, so
    IoGetCurrentIrpStackLocation inside it is the owner's location."""
    seen = []

    def routine(device, irp, context):
        seen.append((irp.current_location,
                     io_get_current_irp_stack_location(irp).device_object is device))
        return SUCCESS
        yield  # pragma: no cover

    bottom, top = build_stack(make_device, completes(), None)
    top.driver_object.major_function[READ] = forwards(lower, routine)
    drive(io_call_driver(top, creator_irp(kernel, top, [])))
    assert seen == [(2, True)]


def test_pending_returned_recomputed_per_level(kernel, make_device, drive):
    """io-core §4.3 / §10.3: PendingReturned is recomputed from each completed location's
    SL_PENDING_RETURNED; a middle routine that does not propagate leaves it FALSE above."""
    log, held = [], []
    c, b, a = build_stack(make_device, pends(held), None, None)
    b.driver_object.major_function[READ] = forwards(lower, recording_routine(log, "b"))
    a.driver_object.major_function[READ] = forwards(lower, recording_routine(log, "a"))
    irp = creator_irp(kernel, a, log)
    assert drive(io_call_driver(a, irp)) == PENDING
    drive(io_complete_request(held[0]))
    assert [(e["name"], e["pending"]) for e in log] == \
        [("b", True), ("a", False), ("creator", False)]


def test_pending_auto_propagated_when_no_routine(kernel, make_device, drive):
    """io-core §4.3: a level without an invoked routine gets the bit ORed into L+1 by the
    I/O manager, so the level above sees PendingReturned TRUE."""
    log, held = [], []
    c, b, a = build_stack(make_device, pends(held), None, None)
    b.driver_object.major_function[READ] = forwards(lower)         # copy, no routine
    a.driver_object.major_function[READ] = forwards(lower, recording_routine(log, "a"))
    irp = creator_irp(kernel, a, log)
    drive(io_call_driver(a, irp))
    drive(io_complete_request(held[0]))
    assert [(e["name"], e["pending"]) for e in log] == [("a", True), ("creator", False)]


def test_smpr_stops_the_walk_irp_still_owned(kernel, make_device, drive, recorder):
    """io-core §5.2.5 / §10.10: STATUS_MORE_PROCESSING_REQUIRED stops the walk: no routine
    above runs, the IRP is not freed and the final phase never starts."""
    log = []
    bottom, top = build_stack(make_device, completes(), None)
    top.driver_object.major_function[READ] = forwards(
        lower, recording_routine(log, "top", SMPR))
    irp = creator_irp(kernel, top, log)
    drive(io_call_driver(top, irp))
    assert [e["name"] for e in log] == ["top"]
    assert irp.freed is False
    assert irp.current_location == 2              # the stopping routine owner's location
    assert recorder.of("irp_final") == [] and recorder.of("irp_freed") == []


def test_second_complete_after_smpr_resumes_from_level_above(kernel, make_device, drive):
    """io-core §5.7 / §10.22: a routine that returned SMPR may complete again; the walk
    resumes at the location above the one that stopped it (no 0x44)."""
    log = []
    c, b, a = build_stack(make_device, completes(), None, None)
    b.driver_object.major_function[READ] = forwards(lower, recording_routine(log, "b", SMPR))
    a.driver_object.major_function[READ] = forwards(lower, recording_routine(log, "a"))
    irp = creator_irp(kernel, a, log)
    drive(io_call_driver(a, irp))
    assert [e["name"] for e in log] == ["b"]
    drive(io_complete_request(irp))               # b owns it again and completes it
    assert kernel.bugcheck is None
    assert [(e["name"], e["device"]) for e in log] == [("b", b), ("a", a), ("creator", None)]


def test_creator_resuming_after_its_own_smpr_runs_only_the_final_phase(kernel, make_device,
                                                                       drive, recorder):
    """io-core §5.2 / stacks-services 1.33: the walk begins by moving up one location, so
    IoCompleteRequest on an IRP at StackCount + 1 (its creator's routine stopped the walk
    with SMPR; MakeSynchronousIoctlWithTimeOut resumes it) runs no routine again: it goes
    straight to the final phase, which frees the threaded IRP and sets its event."""
    log = []
    device = make_device(dispatch={READ: completes()})
    event = KEvent(kernel, NotificationEvent, False, "done")
    irp = threaded_irp(kernel, device, IoStatusBlock(), event)
    io_set_completion_routine(irp, recording_routine(log, "creator", SMPR, kernel), None,
                              True, True, True)
    drive(io_call_driver(device, irp))
    assert [e["name"] for e in log] == ["creator"]
    assert irp.current_location == irp.stack_count + 1 and not irp.freed
    drive(io_complete_request(irp))
    assert [e["name"] for e in log] == ["creator"]        # not called a second time
    assert kernel.bugcheck is None
    assert irp.freed and event.signal_state == 1
    assert irp.user_iosb.status == SUCCESS


def test_complete_twice_bugchecks_0x44(kernel, make_device, drive):
    """io-core §5.1: IoCompleteRequest on an IRP whose walk already ran to the end is
    MULTIPLE_IRP_COMPLETE_REQUESTS 0x44 with parameter 1 = the IRP."""
    device = make_device(dispatch={READ: completes()})
    irp = io_allocate_irp(kernel, 1)
    irp.flags = IrpFlags.IRP_DEFER_IO_COMPLETION  # the walk ends without a final phase
    io_get_next_irp_stack_location(irp).major_function = READ
    drive(io_call_driver(device, irp))
    assert irp.current_location == irp.stack_count + 2
    with pytest.raises(BugCheckHalt):
        drive(io_complete_request(irp))
    assert kernel.bugcheck.code == BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS == 0x44
    assert kernel.bugcheck.p1 == irp.id


def test_complete_with_status_pending_is_not_0x44_without_verifier(kernel, make_device, drive):
    """io-core §5.1: completing with STATUS_PENDING is not a 0x44 by itself (only the
    Verifier objects, with 0xC9/0x06)."""
    log = []
    device = make_device(dispatch={READ: completes(PENDING)})
    drive(io_call_driver(device, creator_irp(kernel, device, log)))
    assert kernel.bugcheck is None
    assert [e["status"] for e in log] == [PENDING]


def test_verifier_complete_with_status_pending_bugchecks_0xc9_sub_6(recorder, drive):
    """io-core §5.1 / §9.4: with Driver Verifier, IoCompleteRequest with STATUS_PENDING is
    0xC9 subcode 0x06."""
    kernel = Kernel(verifier=True, instruments=[recorder])
    from harness.kernel import io_create_device, io_create_driver
    driver = io_create_driver(kernel, "V")
    driver.major_function[READ] = completes(PENDING)
    _, device = io_create_device(driver, 0, None)
    irp = creator_irp(kernel, device, [])
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(device, irp))
    assert kernel.bugcheck.code == BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION
    assert kernel.bugcheck.p1 == 0x06


def test_verifier_complete_with_cancel_routine_set_bugchecks_0xc9_sub_7(recorder, drive):
    """io-core §5.1 / §7.5: completing while a cancel routine is still set is 0xC9/0x07."""
    kernel = Kernel(verifier=True, instruments=[recorder])
    from harness.kernel import io_create_device, io_create_driver

    def dispatch(device, irp):
        io_set_cancel_routine(irp, lambda d, i: None)
        yield from io_complete_request(irp)
        return SUCCESS

    driver = io_create_driver(kernel, "V")
    driver.major_function[READ] = dispatch
    _, device = io_create_device(driver, 0, None)
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(device, creator_irp(kernel, device, [])))
    assert kernel.bugcheck.p1 == 0x07


def test_invocation_uses_status_at_each_level(kernel, make_device, drive):
    """io-core §5.2.4 / §10.4: a lower routine that changes IoStatus.Status changes which
    upper routines fire."""
    log = []

    def fail_it(device, irp, context):
        irp.io_status.status = UNSUCCESSFUL
        log.append({"name": "b"})
        return UNSUCCESSFUL
        yield  # pragma: no cover

    c, b, a = build_stack(make_device, completes(SUCCESS), None, None)
    b.driver_object.major_function[READ] = forwards(lower, fail_it)
    a.driver_object.major_function[READ] = forwards(
        lower, recording_routine(log, "a"), flags=(True, False, False))   # success only
    irp = creator_irp(kernel, a, log)
    drive(io_call_driver(a, irp))
    assert [e["name"] for e in log] == ["b", "creator"]
    assert log[-1]["status"] == UNSUCCESSFUL


def test_invoke_flags_all_false_routine_never_called(kernel, make_device, drive):
    """io-core §3.6: with all three invoke flags FALSE the routine is never called."""
    log = []
    for status in (SUCCESS, UNSUCCESSFUL):
        bottom, top = build_stack(make_device, completes(status), None)
        top.driver_object.major_function[READ] = forwards(
            lower, recording_routine(log, "never"), flags=(False, False, False))
        irp = creator_irp(kernel, top, log)
        irp.cancel = True
        drive(io_call_driver(top, irp))
    assert [e["name"] for e in log] == ["creator", "creator"]


def test_warning_status_invokes_on_error_routine(kernel, make_device, drive):
    """io-core §5.5 / §10.5: invocation uses NT_SUCCESS, so a warning (0x8...) fires an
    ON_ERROR routine and not an ON_SUCCESS-only one."""
    log = []
    overflow = NTSTATUS.STATUS_BUFFER_OVERFLOW
    c, b, a = build_stack(make_device, completes(overflow), None, None)
    b.driver_object.major_function[READ] = forwards(
        lower, recording_routine(log, "on_error"), flags=(False, True, False))
    a.driver_object.major_function[READ] = forwards(
        lower, recording_routine(log, "on_success"), flags=(True, False, False))
    drive(io_call_driver(a, creator_irp(kernel, a, log)))
    assert [e["name"] for e in log] == ["on_error", "creator"]


def test_on_cancel_fires_regardless_of_status(kernel, make_device, drive):
    """io-core §5.2.4 / §10.4: with Irp->Cancel set, an ON_CANCEL-only routine is invoked
    even for a success status."""
    log = []
    bottom, top = build_stack(make_device, completes(SUCCESS), None)
    top.driver_object.major_function[READ] = forwards(
        lower, recording_routine(log, "on_cancel"), flags=(False, False, True))
    irp = creator_irp(kernel, top, log)
    irp.cancel = True
    drive(io_call_driver(top, irp))
    assert [e["name"] for e in log] == ["on_cancel", "creator"]
    assert log[0]["status"] == SUCCESS


def test_skip_keeps_upper_completion_routine_armed(kernel, make_device, drive):
    """io-core §3.4 / §10.17: after IoSkipCurrentIrpStackLocation the upper driver's routine
    fires when the lower driver completes; the skipping driver is not on the path."""
    log = []
    c, b, a = build_stack(make_device, completes(), None, None)
    b.driver_object.major_function[READ] = skips(lower)
    a.driver_object.major_function[READ] = forwards(lower, recording_routine(log, "a"))
    drive(io_call_driver(a, creator_irp(kernel, a, log)))
    assert [(e["name"], e["device"]) for e in log] == [("a", a), ("creator", None)]


def test_completed_location_is_cleared_but_keeps_major_device_routine(kernel, make_device,
                                                                     drive):
    """io-core §5.2.5: a walked location loses Minor, Flags, Parameters, FileObject and
    Control (except SL_ERROR_RETURNED) but keeps Major, DeviceObject, routine, Context."""
    log = []
    device = make_device(dispatch={READ: completes()})
    irp = creator_irp(kernel, device, log)
    loc = irp.stack[0]
    loc.minor_function, loc.flags, loc.parameters.length = 3, 4, 512
    loc.file_object = object()
    drive(io_call_driver(device, irp))
    assert (loc.minor_function, loc.flags, loc.parameters.length, loc.file_object) == \
        (0, 0, 0, None)
    assert loc.control == 0
    assert loc.major_function == READ and loc.device_object is device
    assert loc.completion_routine is not None


def test_completion_routine_runs_at_completer_irql(kernel, make_device, drive):
    """kernel-env §1.3 / io-core §9.6: completion routines run at the IRQL of whoever called
    IoCompleteRequest: PASSIVE when completed inline, DISPATCH_LEVEL from a DPC."""
    log, held = [], []
    device = make_device(dispatch={READ: completes()})
    drive(io_call_driver(device, creator_irp(kernel, device, log)))
    device.driver_object.major_function[READ] = pends(held)
    drive(io_call_driver(device, creator_irp(kernel, device, log)))

    def dpc_routine(dpc, context, arg1, arg2):
        yield from io_complete_request(held[0])

    ke_insert_queue_dpc(ke_initialize_dpc(kernel, dpc_routine, None))
    assert [(e["irql"], e["context"]) for e in log] == \
        [(PASSIVE_LEVEL, "completion"), (DISPATCH_LEVEL, "completion")]
    assert kernel.cpu.irql == PASSIVE_LEVEL


# -- after the walk -----------------------------------------------------------------------

def test_driver_allocated_irp_walking_to_end_crashes(kernel, make_device, drive):
    """io-core §10.11: an IoAllocateIrp IRP (Thread NULL) whose walk is not stopped with
    SMPR reaches the APC step with no thread: the machine stops."""
    device = make_device(dispatch={READ: completes()})
    irp = creator_irp(kernel, device, [], result=SUCCESS)
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(device, irp))
    assert kernel.bugcheck is not None


def test_canceled_driver_allocated_irp_walking_to_end_is_cleaned_up(kernel, make_device,
                                                                   drive):
    """io-core §5.3.6: canceled and Thread NULL: IopCleanupIrp frees the MDLs and the IRP
    instead of queueing an APC (no crash)."""
    device = make_device(dispatch={READ: completes(NTSTATUS.STATUS_CANCELLED)})
    irp = creator_irp(kernel, device, [], result=SUCCESS)
    mdl = io_allocate_mdl(kernel, Buffer.new(AddressSpace(USER_BASE), 16))
    mm_probe_and_lock_pages(mdl)
    irp.mdl_address = mdl
    irp.cancel = True
    drive(io_call_driver(device, irp))
    assert kernel.bugcheck is None
    assert irp.freed is True and mdl.freed is True


def test_non_pended_error_without_file_object_leaves_iosb_unwritten(kernel, make_device,
                                                                   call):
    """io-core §5.4.4 / §10.6: an error completed without pending on an IRP with no file
    object writes nothing to UserIosb and does not signal UserEvent."""
    device = make_device(dispatch={READ: completes(UNSUCCESSFUL, 5)})
    iosb = IoStatusBlock(0x1234, 77)
    event = KEvent(kernel, NotificationEvent)

    def body():
        irp = threaded_irp(kernel, device, iosb, event)
        status = yield from io_call_driver(device, irp)
        return status, irp

    status, irp = call(body)
    assert status == UNSUCCESSFUL
    assert (iosb.status, iosb.information) == (0x1234, 77)
    assert event.signal_state == 0
    assert irp.freed is True                      # the I/O manager still freed it


def test_success_of_threaded_irp_writes_iosb_and_signals_event_without_wait(kernel,
                                                                           make_device, call):
    """io-core §10.7: a success completion of a builder IRP writes the IOSB and signals
    the event even though the caller never waits."""
    device = make_device(dispatch={READ: completes(SUCCESS, 9)})
    iosb = IoStatusBlock(0x1234, 0)
    event = KEvent(kernel, NotificationEvent)

    def body():
        irp = threaded_irp(kernel, device, iosb, event)
        return (yield from io_call_driver(device, irp))

    assert call(body) == SUCCESS
    assert (iosb.status, iosb.information) == (SUCCESS, 9)
    assert event.signal_state == 1


class _FinalPhaseWitness(Instrument):
    def __init__(self):
        self.where = []

    def attach(self, kernel):
        self.kernel = kernel

    def irp_final(self, irp, status, information):
        cpu = self.kernel.cpu
        self.where.append((cpu.thread.name, cpu.context, cpu.irql))


def test_final_phase_runs_later_in_requesting_thread(kernel, make_device, spawn):
    """io-core §5.3.6 / §5.4 / §10.9: a pended threaded IRP completed from a DPC gets its
    IOSB written later, by a special kernel APC at APC_LEVEL in the requesting thread."""
    witness = _FinalPhaseWitness()
    kernel.add_instrument(witness)
    held, after_complete = [], []
    device = make_device(dispatch={READ: pends(held)})
    iosb = IoStatusBlock(0x1234, 0)
    event = KEvent(kernel, NotificationEvent)

    def requester():
        irp = threaded_irp(kernel, device, iosb, event)
        assert (yield from io_call_driver(device, irp)) == PENDING
        yield from ke_wait_for_single_object(event)

    def completer():
        def dpc_routine(dpc, context, a1, a2):
            irp = held[0]
            irp.io_status.status = SUCCESS
            yield from io_complete_request(irp)
            after_complete.append(iosb.status)
        ke_insert_queue_dpc(ke_initialize_dpc(kernel, dpc_routine, None))

    spawn(requester, name="Requester")
    spawn(completer, name="Completer")
    assert kernel.run() is None
    assert after_complete == [0x1234]             # nothing written inside IoCompleteRequest
    assert iosb.status == SUCCESS
    assert witness.where == [("Requester", "apc", 1)]
    assert kernel.blocked_threads() == []


def test_mdl_unlocked_at_walk_end_and_freed_in_final_phase(kernel, make_device, spawn):
    """io-core §5.3.4 / §5.4.2: MDLs are unlocked right after the walk and freed only in
    the final phase (MdlAddress = NULL)."""
    held, seen = [], []
    device = make_device(dispatch={READ: pends(held)})
    event = KEvent(kernel, NotificationEvent)
    mdl = io_allocate_mdl(kernel, Buffer.new(AddressSpace(USER_BASE), 32))
    mm_probe_and_lock_pages(mdl)

    def requester():
        irp = threaded_irp(kernel, device, IoStatusBlock(), event)
        irp.mdl_address = mdl
        yield from io_call_driver(device, irp)
        yield from ke_wait_for_single_object(event)

    def completer():
        def dpc_routine(dpc, context, a1, a2):
            yield from io_complete_request(held[0])
            seen.append((mdl.locked, mdl.freed, held[0].mdl_address is mdl))
        ke_insert_queue_dpc(ke_initialize_dpc(kernel, dpc_routine, None))

    spawn(requester)
    spawn(completer)
    assert kernel.run() is None
    assert seen == [(False, False, True)]
    assert mdl.freed is True and held[0].mdl_address is None


def test_defer_completion_not_pended_returns_before_final_phase(kernel, make_device, call):
    """io-core §5.3.5 / §10.8: IRP_DEFER_IO_COMPLETION and PendingReturned FALSE: the IRP
    comes back un-finalized (IOSB untouched, not freed) for the caller to finish."""
    device = make_device(dispatch={READ: completes(SUCCESS, 3)})
    iosb = IoStatusBlock(0x1234, 0)

    def body():
        irp = threaded_irp(kernel, device, iosb, None, IrpFlags.IRP_DEFER_IO_COMPLETION)
        yield from io_call_driver(device, irp)
        return irp

    irp = call(body)
    assert iosb.status == 0x1234
    assert irp.freed is False
    assert irp.current_location == irp.stack_count + 2


def test_marked_pending_defer_irp_gets_its_final_phase(kernel, make_device, spawn):
    """io-core §5.3.5: with IRP_DEFER_IO_COMPLETION but PendingReturned TRUE the APC is
    queued as usual."""
    held = []
    device = make_device(dispatch={READ: pends(held)})
    iosb = IoStatusBlock(0x1234, 0)
    event = KEvent(kernel, NotificationEvent)

    def requester():
        irp = threaded_irp(kernel, device, iosb, event, IrpFlags.IRP_DEFER_IO_COMPLETION)
        yield from io_call_driver(device, irp)
        yield from ke_wait_for_single_object(event)

    def completer():
        def dpc_routine(dpc, context, a1, a2):
            yield from io_complete_request(held[0])
        ke_insert_queue_dpc(ke_initialize_dpc(kernel, dpc_routine, None))

    requester_thread = spawn(requester)
    spawn(completer)
    assert kernel.run() is None
    assert not requester_thread.alive
    assert iosb.status == SUCCESS and held[0].freed


# -- IoCancelIrp -------------------------------------------------------------------------------

def test_io_cancel_irp_sets_cancel_even_without_routine(kernel, make_device, drive):
    """io-core §7.2 / §10.14: with no cancel routine IoCancelIrp returns FALSE but leaves
    Cancel = TRUE; nothing completes the IRP."""
    held, log = [], []
    device = make_device(dispatch={READ: pends(held)})
    irp = creator_irp(kernel, device, log)
    drive(io_call_driver(device, irp))
    assert drive(io_cancel_irp(irp)) is False
    assert irp.cancel is True
    assert log == []
    assert kernel.cancel_spin_lock.owner is None and kernel.cpu.irql == PASSIVE_LEVEL


def test_cancel_routine_called_with_cancel_lock_held_at_dispatch(kernel, make_device, drive):
    """io-core §7.2 / §10.13 / §10.15: the routine runs at DISPATCH_LEVEL holding the cancel
    lock, CancelIrql = the caller's IRQL, the routine already cleared, Cancel TRUE, and the
    device is the one at the IRP's current location; the routine releases the lock."""
    held, seen = [], {}
    bottom, top = build_stack(make_device, pends(held), None)
    top.driver_object.major_function[READ] = forwards(lower)

    def cancel_routine(device, irp):
        seen.update(irql=kernel.cpu.irql, held=kernel.cancel_spin_lock.owner is not None,
                    cancel_irql=irp.cancel_irql, routine=irp.cancel_routine,
                    cancel=irp.cancel, device=device)
        io_release_cancel_spin_lock(kernel, irp.cancel_irql)
        return None
        yield  # pragma: no cover

    irp = creator_irp(kernel, top, [])
    drive(io_call_driver(top, irp))
    io_set_cancel_routine(held[0], cancel_routine)
    assert drive(io_cancel_irp(irp)) is True
    assert seen == {"irql": DISPATCH_LEVEL, "held": True, "cancel_irql": PASSIVE_LEVEL,
                    "routine": None, "cancel": True, "device": bottom}
    assert kernel.cancel_spin_lock.owner is None and kernel.cpu.irql == PASSIVE_LEVEL


def test_cancel_irp_on_completed_irp_with_routine_bugchecks_0x48(kernel, make_device, drive):
    """io-core §7.2 / §9.4: a cancel routine found on an IRP whose walk finished is
    CANCEL_STATE_IN_COMPLETED_IRP 0x48, parameter 1 = the IRP."""
    device = make_device(dispatch={READ: completes()})
    irp = io_allocate_irp(kernel, 1)
    irp.flags = IrpFlags.IRP_DEFER_IO_COMPLETION
    io_get_next_irp_stack_location(irp).major_function = READ
    drive(io_call_driver(device, irp))
    io_set_cancel_routine(irp, lambda d, i: None)
    with pytest.raises(BugCheckHalt):
        drive(io_cancel_irp(irp))
    assert kernel.bugcheck.code == BugCheckCode.CANCEL_STATE_IN_COMPLETED_IRP == 0x48
    assert kernel.bugcheck.p1 == irp.id


def test_cancel_at_dispatch_records_dispatch_as_cancel_irql(kernel, make_device, drive):
    """io-core §7.2: CancelIrql is the IRQL IoCancelIrp was called at."""
    held, seen = [], []
    device = make_device(dispatch={READ: pends(held)})

    def cancel_routine(dev, irp):
        seen.append(irp.cancel_irql)
        io_release_cancel_spin_lock(kernel, irp.cancel_irql)
        return None
        yield  # pragma: no cover

    irp = creator_irp(kernel, device, [])
    drive(io_call_driver(device, irp))
    io_set_cancel_routine(irp, cancel_routine)
    old = kernel.raise_irql(DISPATCH_LEVEL)
    drive(io_cancel_irp(irp))
    kernel.lower_irql(old)
    assert seen == [DISPATCH_LEVEL]


def test_cancel_lock_is_free_for_acquire_after_cancel_without_routine(kernel, drive):
    """io-core §7.2: without a routine IoCancelIrp releases the cancel lock itself."""
    irp = io_allocate_irp(kernel, 1)
    drive(io_cancel_irp(irp))
    old = io_acquire_cancel_spin_lock(kernel)     # would be 0xF if still held
    io_release_cancel_spin_lock(kernel, old)
    assert kernel.bugcheck is None


def test_routine_that_propagates_pending_marks_its_own_location(kernel, make_device, drive):
    """io-core §4.4: a routine that calls IoMarkIrpPending when PendingReturned is TRUE
    marks its OWN location (L+1), so the level above sees PendingReturned TRUE."""
    log, held = [], []

    def propagate(device, irp, context):
        if irp.pending_returned:
            io_mark_irp_pending(irp)
        return SUCCESS
        yield  # pragma: no cover

    bottom, top = build_stack(make_device, pends(held), None)
    top.driver_object.major_function[READ] = forwards(lower, propagate)
    irp = creator_irp(kernel, top, log)
    drive(io_call_driver(top, irp))
    drive(io_complete_request(held[0]))
    assert [(e["name"], e["pending"]) for e in log] == [("creator", True)]
    assert irp.stack[1].control == 0               # cleared again by the walk


def test_pending_bit_at_top_is_not_propagated_past_the_stack(kernel, make_device, drive):
    """io-core §4.3: at the top location nothing is propagated; after the walk
    PendingReturned holds the top location's bit."""
    held = []
    device = make_device(dispatch={READ: pends(held)})
    irp = io_allocate_irp(kernel, 1)
    irp.flags = IrpFlags.IRP_DEFER_IO_COMPLETION
    io_get_next_irp_stack_location(irp).major_function = READ
    irp.thread = kernel.current_thread           # PendingReturned TRUE: the APC is queued
    irp.thread.irp_list.insert(0, irp)
    drive(io_call_driver(device, irp))
    drive(io_complete_request(irp))
    assert irp.pending_returned is True
    assert irp.current_location == irp.stack_count + 2
    assert kernel.bugcheck is None


def test_completion_apc_from_cancel_routine_runs_when_the_lock_drops_to_passive(kernel, call):
    """io-core §5.3.6 with kernel-env §1.2: an IRP completed by a cancel routine running in
    the issuing thread gets its final phase as soon as the routine releases the cancel
    lock back to PASSIVE_LEVEL, before IoCancelIrp returns."""
    from harness.kernel import (IRP_MJ, IoStatusBlock, io_cancel_irp, io_complete_request,
                                io_create_device, io_create_driver, io_release_cancel_spin_lock,
                                io_set_cancel_routine, io_mark_irp_pending, nt_create_file,
                                nt_read_file, DO_DEVICE_INITIALIZING, Buffer)
    from harness.kernel.constants import NTSTATUS
    from harness.kernel.mm.memory import USER_BASE, AddressSpace
    driver = io_create_driver(kernel, "Cancelable")
    _, device = io_create_device(driver, 0, "\\Device\\C")
    device.flags &= ~DO_DEVICE_INITIALIZING

    def create(dev, irp):
        yield from io_complete_request(irp)
        return 0

    def on_cancel(dev, irp):
        irp.io_status.status = NTSTATUS.STATUS_CANCELLED
        yield from io_complete_request(irp)
        io_release_cancel_spin_lock(kernel, irp.cancel_irql)

    def read(dev, irp):
        io_set_cancel_routine(irp, on_cancel)
        io_mark_irp_pending(irp)
        return NTSTATUS.STATUS_PENDING
        yield

    driver.major_function[IRP_MJ.IRP_MJ_CREATE] = create
    driver.major_function[IRP_MJ.IRP_MJ_READ] = read

    def body():
        _, file = yield from nt_create_file(kernel, "\\Device\\C", synchronous=False)
        iosb = IoStatusBlock()
        # a user-mode read needs a user buffer: a pool address fails ProbeForWrite
        yield from nt_read_file(file, Buffer.new(AddressSpace(USER_BASE), 4), 4, iosb=iosb)
        irp = kernel.current_thread.irp_list[0]
        yield from io_cancel_irp(irp)
        return iosb.status, irp in kernel.current_thread.irp_list

    assert call(body) == (NTSTATUS.STATUS_CANCELLED, False)
