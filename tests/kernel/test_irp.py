"""Rules of the IRP and its stack-location helpers (io-core §0, §1, §3, §4.1, §6.1-§6.4)."""

from __future__ import annotations

import pytest

from harness.kernel import (IRP_MJ, METHOD_BUFFERED, NTSTATUS, SL_INVOKE_ON_CANCEL,
                            SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED,
                            BugCheckCode, BugCheckHalt, Kernel, KernelMode, NotModelledError,
                            ctl_code, io_allocate_irp, io_cancel_irp,
                            io_copy_current_irp_stack_location_to_next, io_free_irp,
                            io_get_current_irp_stack_location, io_get_function_code_from_ctl_code,
                            io_get_next_irp_stack_location, io_mark_irp_pending, io_reuse_irp,
                            io_set_cancel_routine, io_set_completion_routine,
                            io_set_completion_routine_ex, io_set_next_irp_stack_location,
                            io_skip_current_irp_stack_location)


def _routine(dev, irp, ctx):
    return NTSTATUS.STATUS_SUCCESS
    yield  # pragma: no cover


def test_io_allocate_irp_has_no_thread(kernel):
    """io-core §6.1 / §1.7: an IoAllocateIrp IRP is not associated with a thread and has
    no original file object."""
    irp = io_allocate_irp(kernel, 3)
    assert irp.thread is None
    assert irp.original_file_object is None


def test_fresh_irp_has_no_current_location_and_zeroed_state(kernel):
    """io-core §0.3 / §6.2: CurrentLocation = StackSize + 1, IoStatus zero, Cancel and
    PendingReturned FALSE, RequestorMode KernelMode."""
    irp = io_allocate_irp(kernel, 3)
    assert irp.stack_count == 3
    assert irp.current_location == 4
    assert (irp.io_status.status, irp.io_status.information) == (0, 0)
    assert irp.cancel is False and irp.pending_returned is False
    assert irp.requestor_mode == KernelMode
    assert all(loc.control == 0 and loc.completion_routine is None for loc in irp.stack)


def test_io_free_irp_twice_bugchecks_0x44_without_verifier(kernel):
    """stacks-services 1.28: the first free clears Type; the second IoFreeIrp finds no
    IO_TYPE_IRP: 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS with P1 the IRP (the spec's default)."""
    irp = io_allocate_irp(kernel, 1)
    io_free_irp(irp)
    assert irp.type == 0
    with pytest.raises(BugCheckHalt):
        io_free_irp(irp)
    assert kernel.bugcheck.code == BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS
    assert kernel.bugcheck.p1 == irp.id


def test_io_free_irp_twice_under_verifier_is_0xc9_sub_1(recorder):
    """stacks-services 1.28 / bc:0xC9: Verifier reports the second free as 0xC9 0x01,
    "free an object whose type is not IO_TYPE_IRP", P2 the IRP."""
    kernel = Kernel(verifier=True, instruments=[recorder])
    irp = io_allocate_irp(kernel, 1)
    io_free_irp(irp)
    with pytest.raises(BugCheckHalt):
        io_free_irp(irp)
    assert (kernel.bugcheck.code, kernel.bugcheck.p1, kernel.bugcheck.p2) == (
        BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x01, irp.id)


def test_free_irp_still_queued_to_thread_bugchecks_0xc9_sub_2(recorder):
    """io-core §6.3 / §9.4: Verifier 0xC9 subcode 0x02 frees an IRP still on a thread list."""
    kernel = Kernel(verifier=True, instruments=[recorder])
    irp = io_allocate_irp(kernel, 1)
    thread = kernel.cpu.thread
    irp.thread = thread
    thread.irp_list.insert(0, irp)
    with pytest.raises(BugCheckHalt):
        io_free_irp(irp)
    assert kernel.bugcheck.code == BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION
    assert kernel.bugcheck.p1 == 0x02


def test_get_next_location_is_current_minus_one_and_moves_nothing(kernel):
    """io-core §3.2: IoGetNextIrpStackLocation = CurrentLocation - 1, nothing moves."""
    irp = io_allocate_irp(kernel, 2)
    nxt = io_get_next_irp_stack_location(irp)
    assert nxt is irp.stack[1]            # location 2 = the top
    assert irp.current_location == 3


def test_get_current_location_without_one_is_not_modelled(kernel):
    """io-core §3.1: at StackCount+1 the current pointer is one past the array; the model
    refuses instead of inventing a location."""
    irp = io_allocate_irp(kernel, 2)
    with pytest.raises(NotModelledError):
        io_get_current_irp_stack_location(irp)


def test_set_next_moves_down_and_skip_moves_up(kernel):
    """io-core §3.3 / §3.4: IoSetNextIrpStackLocation is -1, IoSkipCurrentIrpStackLocation +1."""
    irp = io_allocate_irp(kernel, 3)
    io_set_next_irp_stack_location(irp)
    assert irp.current_location == 3
    assert io_get_current_irp_stack_location(irp) is irp.stack[2]
    io_skip_current_irp_stack_location(irp)
    assert irp.current_location == 4


def test_copy_to_next_zeroes_control_but_keeps_routine_pointer(kernel):
    """io-core §3.5 / §10.16: every field before CompletionRoutine is copied, the next
    Control is zeroed; the next CompletionRoutine and Context are left as they were."""
    irp = io_allocate_irp(kernel, 2)
    io_set_next_irp_stack_location(irp)            # current = location 2
    cur = io_get_current_irp_stack_location(irp)
    cur.major_function = IRP_MJ.IRP_MJ_READ
    cur.minor_function = 7
    cur.parameters.length = 512
    cur.control = SL_PENDING_RETURNED | SL_INVOKE_ON_SUCCESS
    cur.completion_routine = "upper"
    nxt = io_get_next_irp_stack_location(irp)
    nxt.completion_routine, nxt.context = _routine, "stale"
    nxt.control = SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR
    io_copy_current_irp_stack_location_to_next(irp)
    assert (nxt.major_function, nxt.minor_function, nxt.parameters.length) == \
        (IRP_MJ.IRP_MJ_READ, 7, 512)
    assert nxt.control == 0
    assert nxt.completion_routine is _routine and nxt.context == "stale"


def test_copy_to_next_copies_parameters_by_value(kernel):
    """io-core §3.5: the copy is a memcpy; the lower location's Parameters are its own."""
    irp = io_allocate_irp(kernel, 2)
    io_set_next_irp_stack_location(irp)
    cur = io_get_current_irp_stack_location(irp)
    cur.parameters.length = 100
    io_copy_current_irp_stack_location_to_next(irp)
    io_get_next_irp_stack_location(irp).parameters.length = 7
    assert cur.parameters.length == 100


def test_set_completion_routine_arms_next_location_with_invoke_bits(kernel):
    """io-core §3.6: routine, context and Control = OR of the invoke flags go to the NEXT
    location; Control is rewritten (set to 0 first)."""
    irp = io_allocate_irp(kernel, 2)
    io_set_next_irp_stack_location(irp)
    nxt = io_get_next_irp_stack_location(irp)
    nxt.control = SL_PENDING_RETURNED
    io_set_completion_routine(irp, _routine, "ctx", True, False, True)
    assert nxt.completion_routine is _routine and nxt.context == "ctx"
    assert nxt.control == SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_CANCEL
    assert io_get_current_irp_stack_location(irp).completion_routine is None


def test_mark_pending_sets_bit_in_current_location(kernel):
    """io-core §4.1: IoMarkIrpPending ORs SL_PENDING_RETURNED into the CURRENT location."""
    irp = io_allocate_irp(kernel, 2)
    io_set_next_irp_stack_location(irp)
    io_mark_irp_pending(irp)
    assert irp.stack[1].control & SL_PENDING_RETURNED
    assert not irp.stack[0].control & SL_PENDING_RETURNED
    assert irp.pending_returned is False          # the header field is the walk's


def test_set_cancel_routine_returns_previous(kernel):
    """io-core §3.8: IoSetCancelRoutine is an exchange returning the old routine."""
    irp = io_allocate_irp(kernel, 1)
    assert io_set_cancel_routine(irp, _routine) is None
    assert io_set_cancel_routine(irp, None) is _routine
    assert irp.cancel_routine is None


def test_reuse_irp_resets_cancel_pending_and_location_and_sets_status(kernel, drive):
    """io-core §6.4: IoReuseIrp re-initializes (Cancel, PendingReturned, CurrentLocation,
    locations) with the same StackCount and sets IoStatus.Status."""
    irp = io_allocate_irp(kernel, 2)
    drive(io_cancel_irp(irp))
    irp.pending_returned = True
    io_set_next_irp_stack_location(irp)
    io_mark_irp_pending(irp)
    io_reuse_irp(irp, NTSTATUS.STATUS_NOT_SUPPORTED)
    assert irp.cancel is False and irp.pending_returned is False
    assert irp.current_location == 3 and irp.stack_count == 2
    assert irp.stack[1].control == 0
    assert irp.io_status.status == NTSTATUS.STATUS_NOT_SUPPORTED


def test_function_code_from_ctl_code(kernel):
    """io-core §6.8: function = (code >> 2) & 0xFFF."""
    code = ctl_code(0x22, 0x801, METHOD_BUFFERED, 0)
    assert io_get_function_code_from_ctl_code(code) == 0x801


def test_set_completion_routine_ex_references_device_while_routine_runs(kernel, make_device,
                                                                         drive):
    """io-core §3.7: the unload-safe wrapper references DeviceObject around the real
    routine and returns the real routine's status."""
    device = make_device()
    seen = []

    def real(dev, irp, ctx):
        seen.append(device.reference_count)
        return NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
        yield  # pragma: no cover

    irp = io_allocate_irp(kernel, 1)
    status = io_set_completion_routine_ex(device, irp, real, None, True, True, True)
    assert status == NTSTATUS.STATUS_SUCCESS
    loc = irp.stack[0]
    before = device.reference_count
    result = drive(loc.completion_routine(None, irp, None))
    assert seen == [before + 1]
    assert device.reference_count == before
    assert result == NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
