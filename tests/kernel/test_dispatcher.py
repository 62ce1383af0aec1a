"""Rules of dispatcher objects and waits (kernel-env §1.5, §3)."""

from __future__ import annotations

import pytest

from harness.kernel import (APC_LEVEL, DISPATCH_LEVEL, NTSTATUS, BugCheckCode, KEvent,
                            Kernel, NotificationEvent, SynchronizationEvent,
                            WaitAll, WaitAny, ke_clear_event, ke_delay_execution_thread,
                            ke_initialize_dpc, ke_initialize_semaphore, ke_insert_queue_dpc,
                            ke_read_state_event, ke_release_semaphore, ke_reset_event,
                            ke_set_event, ke_wait_for_multiple_objects,
                            ke_wait_for_single_object)

SUCCESS = NTSTATUS.STATUS_SUCCESS
TIMEOUT = NTSTATUS.STATUS_TIMEOUT
TICK = 156250


def waiter(kernel, obj, log, name, timeout=None):
    def body():
        status = yield from ke_wait_for_single_object(obj, timeout=timeout)
        log.append((name, status, kernel.now))
    return body


def setter_at(kernel, delay, fn):
    """A thread that sleeps ``delay`` (100 ns, relative) then calls ``fn()``."""
    def body():
        yield from ke_delay_execution_thread(kernel, 0, False, -delay)
        fn()
    return body


def test_ke_set_event_returns_previous_state(kernel):
    """kernel-env §3.2: KeSetEvent returns the PREVIOUS state and leaves it signaled."""
    event = KEvent(kernel, NotificationEvent)
    assert ke_set_event(event) == 0
    assert ke_set_event(event) == 1
    assert ke_read_state_event(event) == 1


def test_ke_reset_event_returns_previous_state_and_clears(kernel):
    """kernel-env §3.2: KeResetEvent returns the previous state; KeClearEvent just clears."""
    event = KEvent(kernel, NotificationEvent, state=True)
    assert ke_reset_event(event) == 1
    assert ke_reset_event(event) == 0
    ke_set_event(event)
    assert ke_clear_event(event) is None
    assert ke_read_state_event(event) == 0


def test_synchronization_event_releases_one_waiter(kernel, spawn):
    """kernel-env §3.2 / §12.10: setting a SynchronizationEvent with waiters releases
    exactly the first waiter and leaves the event non-signaled (KeSetEvent returns 0)."""
    event = KEvent(kernel, SynchronizationEvent)
    log, returned = [], []
    first = spawn(waiter(kernel, event, log, "first"))
    second = spawn(waiter(kernel, event, log, "second"))
    spawn(setter_at(kernel, 1000, lambda: returned.append(ke_set_event(event))))
    kernel.run()
    assert [name for name, _s, _t in log] == ["first"]
    assert returned == [0]
    assert event.signal_state == 0
    assert not first.alive and second.alive


def test_notification_event_releases_all_waiters(kernel, spawn):
    """kernel-env §3.2 / §12.10: a NotificationEvent releases every waiter and stays
    signaled."""
    event = KEvent(kernel, NotificationEvent)
    log = []
    for name in ("a", "b", "c"):
        spawn(waiter(kernel, event, log, name))
    spawn(setter_at(kernel, 1000, lambda: ke_set_event(event)))
    kernel.run()
    assert sorted(name for name, _s, _t in log) == ["a", "b", "c"]
    assert event.signal_state == 1
    assert kernel.blocked_threads() == []


def test_synchronization_event_without_waiter_stays_signaled_until_a_wait(kernel, drive):
    """kernel-env §12.10: with no waiter a SynchronizationEvent stays signaled; the next
    satisfied wait consumes it."""
    event = KEvent(kernel, SynchronizationEvent)
    ke_set_event(event)
    assert event.signal_state == 1
    assert drive(ke_wait_for_single_object(event, timeout=0)) == SUCCESS
    assert event.signal_state == 0
    assert drive(ke_wait_for_single_object(event, timeout=0)) == TIMEOUT


def test_waiters_released_in_arrival_order(kernel, spawn):
    """kernel-env §3.1: waiters are examined in wait-list (arrival) order."""
    event = KEvent(kernel, SynchronizationEvent)
    log = []
    spawn(waiter(kernel, event, log, "first"))
    spawn(waiter(kernel, event, log, "second"))
    spawn(setter_at(kernel, 1000, lambda: ke_set_event(event)))
    spawn(setter_at(kernel, 2 * TICK + 1000, lambda: ke_set_event(event)))
    kernel.run()
    assert [name for name, _s, _t in log] == ["first", "second"]


def test_wait_zero_timeout_is_a_poll(kernel, drive):
    """kernel-env §3.3 / §12.11: a zero timeout polls: STATUS_TIMEOUT at once, no time
    passes and the thread never blocks."""
    event = KEvent(kernel, NotificationEvent)
    assert drive(ke_wait_for_single_object(event, timeout=0)) == TIMEOUT
    assert kernel.now == 0
    assert event.wait_list == []
    ke_set_event(event)
    assert drive(ke_wait_for_single_object(event, timeout=0)) == SUCCESS


def test_wait_timeout_returns_status_timeout(kernel, call):
    """kernel-env §3.3: a relative timeout that expires returns STATUS_TIMEOUT, on the first
    clock tick at or after the due time."""
    event = KEvent(kernel, NotificationEvent)

    def body():
        status = yield from ke_wait_for_single_object(event, timeout=-1000)
        return status, kernel.now

    assert call(body) == (TIMEOUT, TICK)
    assert event.wait_list == []


def test_wait_timeout_is_never_early(kernel, call):
    """kernel-env §5.3: timeouts are quantized UP to the clock tick (never early)."""
    event = KEvent(kernel, NotificationEvent)

    def body():
        yield from ke_wait_for_single_object(event, timeout=-(TICK + 1))
        return kernel.now

    assert call(body) == 2 * TICK


def test_signal_before_timeout_returns_success(kernel, spawn):
    """kernel-env §3.3: a wait satisfied before its timeout returns STATUS_SUCCESS at the
    moment of the signal, and the timeout no longer fires."""
    event = KEvent(kernel, NotificationEvent)
    log = []
    spawn(waiter(kernel, event, log, "w", timeout=-10 * TICK))
    spawn(setter_at(kernel, 1, lambda: ke_set_event(event)))
    kernel.run()
    assert log == [("w", SUCCESS, TICK)]


def test_wait_nonzero_timeout_in_dpc_bugchecks_0xb8(kernel, spawn):
    """kernel-env §1.5: a wait that would block inside a DPC routine is
    ATTEMPTED_SWITCH_FROM_DPC 0xB8."""
    event = KEvent(kernel, NotificationEvent)

    def dpc_routine(dpc, context, a1, a2):
        yield from ke_wait_for_single_object(event, timeout=-1000)

    def body():
        ke_insert_queue_dpc(ke_initialize_dpc(kernel, dpc_routine, None))

    spawn(body)
    assert kernel.run().code == BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC == 0xB8


def test_zero_timeout_wait_is_legal_in_a_dpc(kernel, drive):
    """kernel-env §1.5 / §12.11: only the zero timeout is legal at DISPATCH_LEVEL."""
    event = KEvent(kernel, NotificationEvent)
    seen = []

    def dpc_routine(dpc, context, a1, a2):
        seen.append((yield from ke_wait_for_single_object(event, timeout=0)))

    ke_insert_queue_dpc(ke_initialize_dpc(kernel, dpc_routine, None))
    assert seen == [TIMEOUT] and kernel.bugcheck is None


def test_blocking_wait_at_dispatch_in_thread_bugchecks_when_strict(kernel, spawn):
    """kernel-env §1.5: a blocking wait at DISPATCH_LEVEL in thread context is illegal; a
    strict kernel makes it a bug check (IRQL_NOT_LESS_OR_EQUAL)."""
    event = KEvent(kernel, NotificationEvent)

    def body():
        kernel.raise_irql(DISPATCH_LEVEL)
        yield from ke_wait_for_single_object(event)

    spawn(body)
    assert kernel.run().code == BugCheckCode.IRQL_NOT_LESS_OR_EQUAL


def test_blocking_wait_at_dispatch_in_thread_survives_when_not_strict(recorder):
    """kernel-env §1.5: non-strict, the free-build outcome: the wait blocks and 'appears
    to work', returning at the IRQL it was entered at."""
    kernel = Kernel(strict=False, instruments=[recorder])
    event = KEvent(kernel, NotificationEvent)
    seen = []

    def body():
        old = kernel.raise_irql(DISPATCH_LEVEL)
        seen.append((yield from ke_wait_for_single_object(event)))
        seen.append(kernel.cpu.irql)
        kernel.lower_irql(old)

    def setter():
        yield from ke_delay_execution_thread(kernel, 0, False, -1000)
        ke_set_event(event)

    kernel.create_thread(body, name="W")
    kernel.create_thread(setter, name="S")
    assert kernel.run() is None
    assert seen == [SUCCESS, DISPATCH_LEVEL]


def test_wait_at_apc_level_returns_at_apc_level(kernel, spawn):
    """kernel-env §1.2 / §1.5: a wait is legal at APC_LEVEL and the thread resumes at the
    IRQL it waited at (IRQL is per thread across a context switch)."""
    event = KEvent(kernel, NotificationEvent)
    seen = []

    def body():
        old = kernel.raise_irql(APC_LEVEL)
        yield from ke_wait_for_single_object(event)
        seen.append(kernel.cpu.irql)
        kernel.lower_irql(old)

    spawn(body)
    spawn(setter_at(kernel, 1000, lambda: ke_set_event(event)))
    assert kernel.run() is None
    assert seen == [APC_LEVEL]


def test_wait_any_returns_index_of_first_signaled(kernel, drive):
    """kernel-env §3.4: WaitAny tests from index 0 and returns STATUS_WAIT_0 + index of the
    first signaled object, consuming only that one."""
    a, b, c = (KEvent(kernel, SynchronizationEvent) for _ in range(3))
    ke_set_event(b)
    ke_set_event(c)
    assert drive(ke_wait_for_multiple_objects(kernel, [a, b, c], WaitAny, 0)) == 1
    assert (b.signal_state, c.signal_state) == (0, 1)


def test_wait_all_needs_all_at_once_and_consumes_atomically(kernel, spawn):
    """kernel-env §3.4: WaitAll is satisfied only when all objects are signaled at the
    same moment; then all are consumed together."""
    a, b = KEvent(kernel, SynchronizationEvent), KEvent(kernel, SynchronizationEvent)
    log, states = [], []

    def body():
        status = yield from ke_wait_for_multiple_objects(kernel, [a, b], WaitAll)
        log.append((status, kernel.now))

    spawn(body)
    spawn(setter_at(kernel, 1000, lambda: (ke_set_event(a),
                                             states.append(a.signal_state))))
    spawn(setter_at(kernel, 3 * TICK, lambda: ke_set_event(b)))
    kernel.run()
    assert states == [1]                          # a alone did not satisfy (or consume) it
    assert log == [(SUCCESS, 3 * TICK)]
    assert (a.signal_state, b.signal_state) == (0, 0)


def test_more_than_64_objects_bugchecks_0xc(kernel, drive):
    """kernel-env §3.4: Count > MAXIMUM_WAIT_OBJECTS (64) is bug check 0xC."""
    events = [KEvent(kernel, NotificationEvent) for _ in range(65)]
    from harness.kernel import BugCheckHalt
    with pytest.raises(BugCheckHalt):
        drive(ke_wait_for_multiple_objects(kernel, events, WaitAny, 0))
    assert kernel.bugcheck.code == BugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED == 0xC


def test_semaphore_release_returns_previous_count_and_wakes_one_per_unit(kernel, spawn):
    """kernel-env §3.6: KeReleaseSemaphore returns the previous count; waiters are released
    one per unit in list order and each satisfied wait takes one unit."""
    sem = ke_initialize_semaphore(kernel, 0, 10)
    log, returned = [], []
    for name in ("a", "b", "c"):
        spawn(waiter(kernel, sem, log, name))
    spawn(setter_at(kernel, 1000, lambda: returned.append(ke_release_semaphore(sem, 0, 2))))
    kernel.run()
    assert returned == [0]
    assert [name for name, _s, _t in log] == ["a", "b"]
    assert sem.signal_state == 0


def test_semaphore_release_beyond_limit_raises_limit_exceeded(kernel, spawn):
    """sync-objects 3.5: count + Adjustment > Limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED
    with the count unchanged; unhandled in a system thread that is bug check 0x7E."""
    sem = ke_initialize_semaphore(kernel, 1, 1)

    def body():
        ke_release_semaphore(sem, 0, 1)
        yield from ()
    spawn(body)
    check = kernel.run()
    assert check is not None and check.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
    assert check.p1 == NTSTATUS.STATUS_SEMAPHORE_LIMIT_EXCEEDED
    assert sem.signal_state == 1


def test_thread_object_signaled_when_thread_terminates(kernel, spawn):
    """kernel-env §4.2: a thread object becomes signaled (notification) when it ends."""
    log = []

    def worker():
        yield from ke_delay_execution_thread(kernel, 0, False, -1000)

    target = spawn(worker)
    spawn(waiter(kernel, target, log, "w1"))
    spawn(waiter(kernel, target, log, "w2"))
    kernel.run()
    assert [(n, s, t) for n, s, t in log] == [("w1", SUCCESS, TICK), ("w2", SUCCESS, TICK)]
    assert target.signal_state == 1


def test_set_event_wait_true_returns_at_dispatch_until_the_next_wait(kernel, call):
    """sync-objects 3.2: KeSetEvent(Wait=TRUE) updates the event and returns at raised
    IRQL (the dispatcher lock held); the KeWaitXxx that must follow goes back to the
    IRQL of before the call."""
    signal, reply = KEvent(kernel), KEvent(kernel)
    seen = []

    def body():
        ke_set_event(signal, 0, True)
        seen.append(kernel.cpu.irql)
        status = yield from ke_wait_for_single_object(reply, timeout=-TICK)
        seen.append(kernel.cpu.irql)
        return status
    assert call(body) == TIMEOUT
    assert signal.signal_state == 1
    assert seen == [DISPATCH_LEVEL, 0]


def test_set_event_wait_true_then_no_wait_leaves_the_irql_raised(kernel, call):
    """sync-objects 3.2: anything but a wait after KeSetEvent(Wait=TRUE) runs at the
    raised IRQL, as on Windows (the next check of the IRQL then catches it)."""
    def body():
        ke_set_event(KEvent(kernel), 0, True)
        irql = kernel.cpu.irql
        kernel.lower_irql(0)
        return irql
        yield
    assert call(body) == DISPATCH_LEVEL


def test_user_mode_alertable_wait_ends_for_a_pending_user_apc(kernel, call):
    """sync-objects 3.8, win32-io 2.4: a UserMode alertable wait with a user APC queued
    and nothing signaled returns STATUS_USER_APC at once, even with a zero timeout;
    without one it times out as a plain wait."""
    def body():
        plain = yield from ke_wait_for_single_object(KEvent(kernel), wait_mode=1,
                                                     alertable=True, timeout=0)
        kernel.queue_user_apc(kernel.current_thread, (None, None, None))
        alerted = yield from ke_wait_for_single_object(KEvent(kernel), wait_mode=1,
                                                       alertable=True, timeout=0)
        return plain, alerted
    assert call(body) == (TIMEOUT, 0xC0)


def test_kernel_mode_alertable_wait_waits_as_a_plain_one(kernel, call):
    """sync-objects 3.8: a KernelMode alertable wait ends early only through an alert,
    which no WDK routine sends; an already-signaled object satisfies it at once."""
    event = KEvent(kernel, NotificationEvent, True)

    def body():
        first = yield from ke_wait_for_single_object(event, alertable=True, timeout=0)
        ke_clear_event(event)
        second = yield from ke_wait_for_single_object(event, alertable=True, timeout=-TICK)
        return first, second, kernel.now
    assert call(body) == (SUCCESS, TIMEOUT, TICK)


def test_wait_in_completion_routine_called_from_dpc_bugchecks_0xb8(kernel, make_device, drive):
    """kernel-env §1.3 / §1.5: a completion routine run by IoCompleteRequest from a DPC is
    inside that DPC; a blocking wait there is 0xB8, not merely an IRQL error."""
    from harness.kernel import (IRP_MJ, BugCheckHalt, io_allocate_irp, io_call_driver,
                                io_complete_request, io_get_next_irp_stack_location,
                                io_mark_irp_pending, io_set_completion_routine)
    held = []
    event = KEvent(kernel, NotificationEvent)

    def pend(device, irp):
        io_mark_irp_pending(irp)
        held.append(irp)
        return NTSTATUS.STATUS_PENDING
        yield  # pragma: no cover

    def routine(device, irp, context):
        yield from ke_wait_for_single_object(event, timeout=-1000)
        return NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED

    def dpc_routine(dpc, context, a1, a2):
        yield from io_complete_request(held[0])

    device = make_device(dispatch={IRP_MJ.IRP_MJ_READ: pend})
    irp = io_allocate_irp(kernel, 1)
    io_get_next_irp_stack_location(irp).major_function = IRP_MJ.IRP_MJ_READ
    io_set_completion_routine(irp, routine, None, True, True, True)
    drive(io_call_driver(device, irp))
    with pytest.raises(BugCheckHalt):
        ke_insert_queue_dpc(ke_initialize_dpc(kernel, dpc_routine, None))
    assert kernel.bugcheck.code == BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC


def test_completion_routine_run_inline_at_passive_may_wait_in_its_thread(kernel, make_device,
                                                                         call):
    """kernel-env §1.3: a completion routine runs in the completer's thread and IRQL; when
    the lower driver completes inline at PASSIVE_LEVEL the routine may wait, and it is
    still a completion routine when the wait ends."""
    from harness.kernel import (IRP_MJ, io_allocate_irp, io_call_driver, io_complete_request,
                                io_free_irp, io_get_next_irp_stack_location,
                                io_set_completion_routine)
    contexts = []

    def complete_inline(device, irp):
        yield from io_complete_request(irp)
        return NTSTATUS.STATUS_SUCCESS

    def routine(device, irp, context):
        status = yield from ke_wait_for_single_object(KEvent(kernel), timeout=-156250)
        contexts.append((status, kernel.cpu.context, kernel.now))
        io_free_irp(irp)
        return NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED

    device = make_device(dispatch={IRP_MJ.IRP_MJ_READ: complete_inline})

    def body():
        irp = io_allocate_irp(kernel, 1)
        io_get_next_irp_stack_location(irp).major_function = IRP_MJ.IRP_MJ_READ
        io_set_completion_routine(irp, routine, None, True, True, True)
        return (yield from io_call_driver(device, irp))

    assert call(body) == NTSTATUS.STATUS_SUCCESS
    assert contexts == [(NTSTATUS.STATUS_TIMEOUT, "completion", 156250)]


def test_non_strict_dispatch_level_wait_reports_the_violated_rule(recorder):
    """kernel-env §1.5: a free build lets a timed wait at DISPATCH_LEVEL block, but the
    rule is still broken: a non-strict kernel reports it through the violation hook."""
    kernel = Kernel(strict=False, instruments=[recorder])

    def body():
        kernel.raise_irql(DISPATCH_LEVEL)
        yield from ke_wait_for_single_object(KEvent(kernel), timeout=-156250)
        kernel.lower_irql(0)

    kernel.create_thread(body, name="W")
    assert kernel.run() is None
    (rule, detail), = recorder.of("violation")
    assert "nonzero timeout at DISPATCH_LEVEL" in rule and "§1.5" in detail
