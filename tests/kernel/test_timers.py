"""Rules of KDPC, KTIMER and KeDelayExecutionThread
(kernel-env §3.7, §5.1-§5.4, §12.5-§12.8)."""

from __future__ import annotations

import pytest

from harness.kernel import (APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL, NTSTATUS, PASSIVE_LEVEL,
                            BugCheckCode, BugCheckHalt, SynchronizationTimer,
                            ke_cancel_timer, ke_delay_execution_thread, ke_initialize_dpc,
                            ke_initialize_timer, ke_initialize_timer_ex, ke_insert_queue_dpc,
                            ke_read_state_timer, ke_remove_queue_dpc, ke_set_timer,
                            ke_set_timer_ex, ke_wait_for_single_object)
from harness.kernel.ke.timers import HighImportance, LowImportance

TICK = 156250
MS = 10_000


def recording_dpc(kernel, log, name="dpc"):
    def routine(dpc, context, arg1, arg2):
        log.append((name, kernel.now, context, arg1, arg2, kernel.cpu.irql))
        return None
        yield  # pragma: no cover
    return ke_initialize_dpc(kernel, routine, name)


# -- DPCs ------------------------------------------------------------------------------------

def test_dpc_queued_at_passive_runs_before_insert_returns(kernel):
    """kernel-env §5.1 / §12.6: a Medium DPC queued at PASSIVE_LEVEL runs on this CPU before
    KeInsertQueueDpc returns, at DISPATCH_LEVEL, with (Dpc, Context, A1, A2)."""
    log = []
    assert ke_insert_queue_dpc(recording_dpc(kernel, log), 1, 2) is True
    assert log == [("dpc", 0, "dpc", 1, 2, DISPATCH_LEVEL)]
    assert kernel.cpu.irql == PASSIVE_LEVEL


def test_dpc_queued_at_dispatch_runs_after_lowering(kernel):
    """kernel-env §5.1 / §12.6: queued at DISPATCH_LEVEL the DPC runs only once the caller
    lowers IRQL below DISPATCH_LEVEL."""
    log = []
    old = kernel.raise_irql(DISPATCH_LEVEL)
    ke_insert_queue_dpc(recording_dpc(kernel, log))
    assert log == []
    kernel.lower_irql(old)
    assert [entry[0] for entry in log] == ["dpc"]


def test_ke_insert_queue_dpc_twice_returns_false_and_keeps_old_args(kernel):
    """kernel-env §5.1 / §12.5: inserting an already-queued DPC returns FALSE and does not
    update A1/A2; N inserts before it runs give one run."""
    log = []
    dpc = recording_dpc(kernel, log)
    old = kernel.raise_irql(DISPATCH_LEVEL)
    assert ke_insert_queue_dpc(dpc, "old1", "old2") is True
    assert ke_insert_queue_dpc(dpc, "new1", "new2") is False
    kernel.lower_irql(old)
    assert [(e[3], e[4]) for e in log] == [("old1", "old2")]


def test_dpc_is_dequeued_before_its_routine_so_it_may_requeue_itself(kernel):
    """kernel-env §5.1: the DPC is dequeued before the call; the routine may requeue it."""
    runs = []

    def routine(dpc, context, arg1, arg2):
        runs.append(arg1)
        if arg1 < 3:
            assert ke_insert_queue_dpc(dpc, arg1 + 1) is True
        return None
        yield  # pragma: no cover

    ke_insert_queue_dpc(ke_initialize_dpc(kernel, routine, None), 1)
    assert runs == [1, 2, 3]


def test_high_importance_dpc_goes_to_queue_head(kernel):
    """kernel-env §5.1: High importance DPCs are inserted at the head of the queue."""
    log = []
    medium = recording_dpc(kernel, log, "medium")
    high = recording_dpc(kernel, log, "high")
    high.importance = HighImportance
    old = kernel.raise_irql(DISPATCH_LEVEL)
    ke_insert_queue_dpc(medium)
    ke_insert_queue_dpc(high)
    kernel.lower_irql(old)
    assert [e[0] for e in log] == ["high", "medium"]


def test_low_importance_dpc_does_not_run_at_insert(kernel):
    """kernel-env §5.1: no DISPATCH interrupt is requested for a Low importance DPC."""
    log = []
    low = recording_dpc(kernel, log, "low")
    low.importance = LowImportance
    assert ke_insert_queue_dpc(low) is True
    assert log == []
    assert low.queued


def test_ke_remove_queue_dpc_true_if_queued_and_it_never_runs(kernel):
    """kernel-env §5.1: KeRemoveQueueDpc returns TRUE if it removed a queued DPC (which then
    does not run), FALSE otherwise."""
    log = []
    dpc = recording_dpc(kernel, log)
    assert ke_remove_queue_dpc(dpc) is False
    old = kernel.raise_irql(DISPATCH_LEVEL)
    ke_insert_queue_dpc(dpc)
    assert ke_remove_queue_dpc(dpc) is True
    kernel.lower_irql(old)
    assert log == []


# -- timers ----------------------------------------------------------------------------------

def test_ke_set_timer_returns_true_when_replacing(kernel):
    """kernel-env §5.2 / §12.7: KeSetTimer returns TRUE when it replaced a still-queued
    setting (the old one is cancelled), FALSE otherwise."""
    log = []
    timer = ke_initialize_timer(kernel)
    dpc = recording_dpc(kernel, log)
    assert ke_set_timer(timer, -10 * TICK, dpc) is False
    assert ke_set_timer(timer, -2 * TICK, dpc) is True
    kernel.run()
    assert [e[1] for e in log] == [2 * TICK]     # only the replacing setting fired
    assert ke_set_timer(timer, -TICK, dpc) is False


def test_ke_cancel_timer_false_when_not_queued(kernel):
    """kernel-env §5.4: KeCancelTimer returns FALSE for a timer not in the queue (never set,
    or already expired)."""
    timer = ke_initialize_timer(kernel)
    assert ke_cancel_timer(timer) is False
    ke_set_timer(timer, -1)
    kernel.run()
    assert ke_read_state_timer(timer) == 1
    assert ke_cancel_timer(timer) is False


def test_ke_cancel_timer_true_when_queued_and_dpc_never_runs(kernel):
    """kernel-env §5.4: cancelling a queued timer returns TRUE; its DPC is not queued and
    the timer is never signaled."""
    log = []
    timer = ke_initialize_timer(kernel)
    ke_set_timer(timer, -TICK, recording_dpc(kernel, log))
    assert ke_cancel_timer(timer) is True
    kernel.run()
    assert log == [] and ke_read_state_timer(timer) == 0


def test_timer_fires_on_first_tick_at_or_after_due_never_early(kernel):
    """kernel-env §5.3: expiry happens on the first clock tick at or after the due time."""
    log = []
    for name, due in (("a", -1), ("b", -TICK), ("c", -(TICK + 1)), ("d", -3 * TICK)):
        ke_set_timer(ke_initialize_timer(kernel), due, recording_dpc(kernel, log, name))
    kernel.run()
    assert [(e[0], e[1]) for e in log] == \
        [("a", TICK), ("b", TICK), ("c", 2 * TICK), ("d", 3 * TICK)]


def test_absolute_due_time_is_system_time_since_1601(kernel):
    """kernel-env §5.2 / §3.3: a positive DueTime is an absolute system time (hns since
    1601-01-01 UTC): the boot time plus two ticks expires two ticks after boot."""
    from harness.kernel.ke.machine import BOOT_SYSTEM_TIME
    log = []
    ke_set_timer(ke_initialize_timer(kernel), BOOT_SYSTEM_TIME + 2 * TICK,
                 recording_dpc(kernel, log))
    kernel.run()
    assert [e[1] for e in log] == [2 * TICK]


def test_small_positive_due_time_is_long_past_and_expires_at_once(kernel):
    """kernel-env §5.2: an absolute time already past expires inside KeSetTimer: a driver
    whose relative interval overflowed to a small positive value gets an immediate DPC
    (book #30's pitfall)."""
    log = []
    ke_set_timer(ke_initialize_timer(kernel), 2 * TICK, recording_dpc(kernel, log))
    kernel.run()
    assert [e[1] for e in log] == [0]


def test_periodic_timer_period_is_milliseconds(kernel):
    """kernel-env §5.2 / §12.7: Period is in MILLISECONDS (DueTime in 100 ns); a periodic
    timer is re-armed at expiry + Period * 10000."""
    log = []
    timer = ke_initialize_timer(kernel)
    period_ms = 125                               # 1 250 000 hns = exactly 8 ticks
    ke_set_timer_ex(timer, -TICK, period_ms, recording_dpc(kernel, log))
    kernel.run(until=TICK + 2 * period_ms * MS + 1)
    assert [e[1] for e in log] == [TICK, TICK + period_ms * MS, TICK + 2 * period_ms * MS]


def test_periodic_timer_cancel_returns_true(kernel):
    """kernel-env §5.4: a periodic timer is always in the queue: KeCancelTimer is TRUE and
    stops further expirations."""
    log = []
    timer = ke_initialize_timer(kernel)
    ke_set_timer_ex(timer, -TICK, 100, recording_dpc(kernel, log))
    kernel.run(until=TICK + 1)
    assert ke_cancel_timer(timer) is True
    kernel.run()
    assert len(log) == 1


def test_due_time_zero_expires_inside_the_call(kernel):
    """kernel-env §5.2 / §12.7: DueTime 0 (or a past absolute time) expires inside
    KeSetTimer: the timer is signaled and, called at PASSIVE, its DPC has run on return;
    the timer is not left in the queue."""
    log = []
    timer = ke_initialize_timer(kernel)
    assert ke_set_timer(timer, 0, recording_dpc(kernel, log)) is False
    assert ke_read_state_timer(timer) == 1
    assert [e[0] for e in log] == ["dpc"]
    assert ke_cancel_timer(timer) is False


def test_due_time_zero_at_dispatch_runs_dpc_after_lowering(kernel):
    """kernel-env §5.1 / §5.2: the immediately-expired timer's DPC is queued inside the
    call; at DISPATCH_LEVEL it runs once IRQL drops."""
    log = []
    timer = ke_initialize_timer(kernel)
    old = kernel.raise_irql(DISPATCH_LEVEL)
    ke_set_timer(timer, 0, recording_dpc(kernel, log))
    assert ke_read_state_timer(timer) == 1 and log == []
    kernel.lower_irql(old)
    assert len(log) == 1


def test_expired_timer_dpc_gets_system_time_low_and_high(kernel):
    """kernel-env §5.3: the timer DPC is called with A1/A2 = low/high part of the time."""
    log = []
    ke_set_timer(ke_initialize_timer(kernel), -5 * TICK, recording_dpc(kernel, log))
    kernel.run()
    (_name, now, context, a1, a2, irql), = log
    assert (a1, a2) == (now & 0xFFFFFFFF, now >> 32)
    assert context == "dpc" and irql == DISPATCH_LEVEL


def test_set_timer_resets_signal_state(kernel):
    """kernel-env §5.2: KeSetTimerEx resets SignalState to 0."""
    timer = ke_initialize_timer(kernel)
    ke_set_timer(timer, -1)
    kernel.run()
    assert ke_read_state_timer(timer) == 1
    ke_set_timer(timer, -TICK)
    assert ke_read_state_timer(timer) == 0


def test_notification_timer_releases_all_waiters_and_stays_signaled(kernel, spawn):
    """kernel-env §3.1 / §5.3: expiry signals the timer; a NotificationTimer releases every
    waiter and stays signaled."""
    timer = ke_initialize_timer(kernel)
    woke = []

    def waiter():
        woke.append((yield from ke_wait_for_single_object(timer)))

    spawn(waiter)
    spawn(waiter)
    ke_set_timer(timer, -TICK)
    kernel.run()
    assert woke == [NTSTATUS.STATUS_SUCCESS] * 2
    assert ke_read_state_timer(timer) == 1


def test_synchronization_timer_releases_one_waiter_and_resets(kernel, spawn):
    """kernel-env §3.1 / §5.2: a SynchronizationTimer auto-resets when a wait is satisfied."""
    timer = ke_initialize_timer_ex(kernel, SynchronizationTimer)
    woke = []

    def waiter(name):
        yield from ke_wait_for_single_object(timer)
        woke.append(name)

    spawn(waiter, "first")
    second = spawn(waiter, "second")
    ke_set_timer(timer, -TICK)
    kernel.run()
    assert woke == ["first"]
    assert ke_read_state_timer(timer) == 0
    assert second.alive


def test_set_timer_above_dispatch_bugchecks(kernel):
    """kernel-env §5.2: KeSetTimerEx is callable at IRQL <= DISPATCH_LEVEL only."""
    kernel.raise_irql(HIGH_LEVEL)
    with pytest.raises(BugCheckHalt):
        ke_set_timer(ke_initialize_timer(kernel), -TICK)
    assert kernel.bugcheck.code == BugCheckCode.IRQL_NOT_LESS_OR_EQUAL


# -- KeDelayExecutionThread ---------------------------------------------------------------

def test_delay_execution_returns_success_on_the_tick(kernel, call):
    """kernel-env §3.7 / §5.3: KeDelayExecutionThread returns STATUS_SUCCESS when the
    interval has elapsed, quantized up to the clock tick."""
    def body():
        status = yield from ke_delay_execution_thread(kernel, 0, False, -(TICK + 1))
        return status, kernel.now

    assert call(body) == (NTSTATUS.STATUS_SUCCESS, 2 * TICK)


def test_delay_execution_in_dpc_bugchecks_0xb8(kernel):
    """kernel-env §1.5: KeDelayExecutionThread inside a DPC routine is 0xB8."""
    def routine(dpc, context, arg1, arg2):
        yield from ke_delay_execution_thread(kernel, 0, False, -TICK)

    with pytest.raises(BugCheckHalt):
        ke_insert_queue_dpc(ke_initialize_dpc(kernel, routine, None))
    assert kernel.bugcheck.code == BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC


def test_delay_execution_above_apc_level_in_thread_bugchecks(kernel, spawn):
    """kernel-env §3.7: KeDelayExecutionThread is callable at <= APC_LEVEL only; legal at
    APC_LEVEL."""
    seen = []

    def legal():
        old = kernel.raise_irql(APC_LEVEL)
        seen.append((yield from ke_delay_execution_thread(kernel, 0, False, -1)))
        kernel.lower_irql(old)

    def illegal():
        kernel.raise_irql(DISPATCH_LEVEL)
        yield from ke_delay_execution_thread(kernel, 0, False, -1)

    spawn(legal)
    assert kernel.run() is None and seen == [NTSTATUS.STATUS_SUCCESS]
    spawn(illegal)
    assert kernel.run().code == BugCheckCode.IRQL_NOT_LESS_OR_EQUAL


def test_dpc_runs_on_the_cpu_that_queued_it(recorder):
    """kernel-env §5.1: KeInitializeDpc targets the current CPU; a DPC queued by a thread
    on CPU 1 runs on CPU 1."""
    from harness.kernel import Kernel
    kernel = Kernel(cpus=2, instruments=[recorder])
    ran_on = []

    def routine(dpc, context, a1, a2):
        ran_on.append(kernel.cpu.index)
        return None
        yield  # pragma: no cover

    def body():
        ke_insert_queue_dpc(ke_initialize_dpc(kernel, routine, None))
        return None
        yield  # pragma: no cover

    kernel.create_thread(body, name="OnCpu1", cpu=1)
    assert kernel.run() is None
    assert ran_on == [1]
