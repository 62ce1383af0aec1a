"""Driver Verifier's I/O checks (spec/verifier-rules.md), one test per rule, at kernel level."""

from __future__ import annotations

import pytest

from harness.kernel import (DISPATCH_LEVEL, HIGH_LEVEL, IRP_MJ, NTSTATUS, BugCheckCode,
                            BugCheckHalt, Kernel, io_allocate_irp, io_call_driver,
                            io_complete_request, io_create_device, io_create_driver,
                            io_get_next_irp_stack_location, io_mark_irp_pending,
                            io_set_cancel_routine, run_nonblocking)

C9 = BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION


def drive(generator):
    return run_nonblocking(generator, "test code")


@pytest.fixture
def vkernel() -> Kernel:
    return Kernel(verifier=True)


def _device(kernel: Kernel, dispatch) -> object:
    driver = io_create_driver(kernel, "V")
    for major in IRP_MJ:
        driver.major_function[major] = dispatch
    _, device = io_create_device(driver, 0, "\\Device\\V")
    device.flags &= ~0x80
    return device


def _irp(kernel: Kernel, major: int = IRP_MJ.IRP_MJ_READ) -> object:
    irp = io_allocate_irp(kernel, 1)
    io_get_next_irp_stack_location(irp).major_function = major
    return irp


def _pends(device, irp):
    """Keeps the IRP (an IoAllocateIrp IRP has no thread to complete to)."""
    io_mark_irp_pending(irp)
    return NTSTATUS.STATUS_PENDING
    yield


def _completes(status: int = NTSTATUS.STATUS_SUCCESS):
    def dispatch(device, irp):
        irp.io_status.status = status
        yield from io_complete_request(irp)
        return status
    return dispatch


def test_r14_complete_above_dispatch_level_is_0xc9_0xe(vkernel):
    irp = _irp(vkernel)

    def dispatch(device, irp):
        vkernel.raise_irql(HIGH_LEVEL)
        yield from io_complete_request(irp)
        return 0
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(_device(vkernel, dispatch), irp))
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3, check.p4) == (C9, 0xE, HIGH_LEVEL,
                                                                     irp.id, 0)


def test_r42_io_call_driver_above_dispatch_level_is_0xc9_0x10(vkernel):
    irp = _irp(vkernel)
    device = _device(vkernel, _completes())
    vkernel.raise_irql(HIGH_LEVEL)
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(device, irp))
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3) == (C9, 0x10, HIGH_LEVEL, irp.id)


def test_r42_a_create_sent_at_dispatch_level_is_0xc9_0x23a(vkernel):
    irp = _irp(vkernel, IRP_MJ.IRP_MJ_CREATE)
    device = _device(vkernel, _completes())
    vkernel.raise_irql(DISPATCH_LEVEL)
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(device, irp))
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3, check.p4) == (C9, 0x23A, 0, irp.id,
                                                                     DISPATCH_LEVEL)


def test_r42_a_read_may_be_sent_at_dispatch_level(vkernel):
    irp = _irp(vkernel)
    device = _device(vkernel, _pends)
    vkernel.raise_irql(DISPATCH_LEVEL)
    assert drive(io_call_driver(device, irp)) == NTSTATUS.STATUS_PENDING
    assert vkernel.bugcheck is None


def test_r47_sending_with_the_cancel_routine_set_is_0xc9_0x203(vkernel):
    irp = _irp(vkernel)
    device = _device(vkernel, _completes())

    def on_cancel(device, irp):
        return
        yield
    io_set_cancel_routine(irp, on_cancel)
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(device, irp))
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p3) == (C9, 0x203, irp.id)


def test_r13_completion_with_a_cancel_routine_names_the_routine(vkernel):
    irp = _irp(vkernel)

    def on_cancel(device, irp):
        return
        yield

    def dispatch(device, irp):
        io_set_cancel_routine(irp, on_cancel)
        yield from io_complete_request(irp)
        return 0
    with pytest.raises(BugCheckHalt):
        drive(io_call_driver(_device(vkernel, dispatch), irp))
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3) == (
        C9, 0x7, vkernel.routine_address(on_cancel), irp.id)


def test_routine_addresses_are_handed_out_in_first_use_order():
    kernel = Kernel()

    def a():
        pass

    def b():
        pass
    assert kernel.routine_address(a) == 0xF8C00000
    assert kernel.routine_address(b) == 0xF8C00010
    assert kernel.routine_address(a) == 0xF8C00000


def test_without_the_verifier_none_of_these_checks_run():
    kernel = Kernel()
    irp = _irp(kernel, IRP_MJ.IRP_MJ_CREATE)
    device = _device(kernel, _pends)
    kernel.raise_irql(DISPATCH_LEVEL)
    assert drive(io_call_driver(device, irp)) == NTSTATUS.STATUS_PENDING
    assert kernel.bugcheck is None


C4 = BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION


def test_r73_raising_to_a_lower_irql_is_0xc4_0x30(vkernel):
    vkernel.raise_irql(DISPATCH_LEVEL)
    with pytest.raises(BugCheckHalt):
        vkernel.raise_irql(0)
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3, check.p4) == (C4, 0x30, DISPATCH_LEVEL,
                                                                     0, 0)


def test_r73_lowering_to_a_higher_irql_is_0xc4_0x31(vkernel):
    with pytest.raises(BugCheckHalt):
        vkernel.lower_irql(DISPATCH_LEVEL)
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3, check.p4) == (C4, 0x31, 0,
                                                                     DISPATCH_LEVEL, 0)


def test_r70_releasing_a_spin_lock_twice_is_0xc4_0x32_not_at_dispatch(vkernel):
    from harness.kernel import KSpinLock, ke_acquire_spin_lock, ke_release_spin_lock
    lock = KSpinLock(vkernel, "L")
    old = ke_acquire_spin_lock(lock)
    ke_release_spin_lock(lock, old)
    with pytest.raises(BugCheckHalt):
        ke_release_spin_lock(lock, old)
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3, check.p4) == (C4, 0x32, 0, lock.id, 0)


def test_r74_a_timed_wait_at_dispatch_level_is_0xc4_0x3b(vkernel):
    from harness.kernel import KEvent, ke_wait_for_single_object
    event = KEvent(vkernel, name="E")
    vkernel.raise_irql(DISPATCH_LEVEL)
    with pytest.raises(BugCheckHalt):
        drive(ke_wait_for_single_object(event, timeout=-10_000))
    check = vkernel.bugcheck
    assert (check.code, check.p1, check.p2, check.p3) == (C4, 0x3B, DISPATCH_LEVEL, event.id)
    assert check.p4 == (-10_000) & 0xFFFFFFFFFFFFFFFF


def test_r74_a_zero_timeout_poll_at_dispatch_level_is_legal(vkernel):
    from harness.kernel import NTSTATUS, KEvent, ke_wait_for_single_object
    event = KEvent(vkernel, name="E")
    vkernel.raise_irql(DISPATCH_LEVEL)
    assert drive(ke_wait_for_single_object(event, timeout=0)) == NTSTATUS.STATUS_TIMEOUT


def test_r50_io_allocate_forward_without_completion_routine_is_reported(recorder):
    """verifier-rules R50 (SDV IoAllocateForward): an IoAllocateIrp IRP sent without a
    completion routine is reported - its creator can never get it back to free it; the
    same IRP sent with one is not."""
    from harness.kernel import (IRP_MJ, io_allocate_irp, io_call_driver, io_create_driver,
                                io_create_device, io_get_next_irp_stack_location,
                                io_set_completion_routine)
    kernel = Kernel(verifier=True, instruments=[recorder])
    driver = io_create_driver(kernel, "Target")

    def pend(device, irp):
        return NTSTATUS.STATUS_PENDING
        yield

    def routine(device, irp, context):
        return NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
        yield

    driver.major_function[IRP_MJ.IRP_MJ_READ] = pend
    _, device = io_create_device(driver, 0, "\\Device\\Target")
    for with_routine in (True, False):
        irp = io_allocate_irp(kernel, 1)
        io_get_next_irp_stack_location(irp).major_function = IRP_MJ.IRP_MJ_READ
        if with_routine:
            io_set_completion_routine(irp, routine, None, True, True, True)
        gen = io_call_driver(device, irp)
        try:
            gen.send(None)
        except StopIteration:
            pass
    reported = [args[2] for args in recorder.of("violation") if args[0] == "IoAllocateForward"]
    assert len(reported) == 1 and reported[0] is irp        # only the IRP sent without one


def test_r63_irp_cancel_field_pending_a_cancelled_irp_with_a_cancel_routine_is_reported(
        recorder):
    """verifier-rules R63 IrpCancelField (an SDV rule, reported under the verifier): a
    dispatch routine that sets a cancel routine on an IRP already cancelled (Irp->Cancel
    TRUE) and pends it without looking at Cancel leaves it pending forever."""
    kernel = Kernel(verifier=True, instruments=[recorder])

    def dispatch(device, irp):
        io_set_cancel_routine(irp, lambda device, irp: iter(()))
        io_mark_irp_pending(irp)
        return NTSTATUS.STATUS_PENDING
        yield

    device = _device(kernel, dispatch)
    cancelled, fresh = _irp(kernel), _irp(kernel)
    cancelled.cancel = True                 # IoCancelIrp came first, with no routine set
    for irp in (cancelled, fresh):
        drive(io_call_driver(device, irp))
    reported = [args[2] for args in recorder.of("violation") if args[0] == "IrpCancelField"]
    assert reported == [cancelled]
