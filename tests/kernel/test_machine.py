"""Rules of the simulated machine: IRQL, threads, clock, DPC/APC delivery, determinism and
the kernel's import boundary (kernel-env §1, §5.1, §5.3; io-core §5.3.6, §6.10)."""

from __future__ import annotations


import pytest

import harness.kernel
from harness.kernel import (APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL, IRP_MJ, NTSTATUS,
                            PASSIVE_LEVEL, BugCheckCode, BugCheckHalt, Instrument,
                            IoStatusBlock, KEvent, Kernel, KernelUsageError, NotificationEvent,
                            io_allocate_irp, io_call_driver, io_complete_request,
                            io_create_device, io_create_driver, io_get_next_irp_stack_location,
                            io_mark_irp_pending, ke_delay_execution_thread, ke_initialize_dpc,
                            ke_initialize_timer, ke_insert_queue_dpc, ke_set_timer,
                            ke_wait_for_single_object, nt_close, nt_create_file, nt_read_file)
from harness.kernel.mm.memory import USER_BASE, AddressSpace, Buffer

TICK = 156250
READ = IRP_MJ.IRP_MJ_READ


def test_raise_irql_returns_old_level(kernel):
    """kernel-env §1.2: KeRaiseIrql stores and returns the previous IRQL."""
    assert kernel.raise_irql(DISPATCH_LEVEL) == PASSIVE_LEVEL
    assert kernel.raise_irql(HIGH_LEVEL) == DISPATCH_LEVEL
    assert kernel.cpu.irql == HIGH_LEVEL


def test_raise_irql_to_lower_bugchecks_0x9(kernel):
    """kernel-env §1.2: KeRaiseIrql to a LOWER level is IRQL_NOT_GREATER_OR_EQUAL 0x9."""
    kernel.raise_irql(DISPATCH_LEVEL)
    with pytest.raises(BugCheckHalt):
        kernel.raise_irql(APC_LEVEL)
    assert kernel.bugcheck.code == BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL == 0x9


def test_lower_irql_upward_bugchecks_0xa(kernel):
    """kernel-env §1.2: KeLowerIrql to a HIGHER level is fatal (0xA from the x86 HAL)."""
    kernel.raise_irql(APC_LEVEL)
    with pytest.raises(BugCheckHalt):
        kernel.lower_irql(DISPATCH_LEVEL)
    assert kernel.bugcheck.code == BugCheckCode.IRQL_NOT_LESS_OR_EQUAL == 0xA


def test_kernel_needs_a_cpu():
    """machine.py Kernel: a machine without a processor is a harness usage error, not a
    bug check."""
    with pytest.raises(KernelUsageError):
        Kernel(cpus=0)


def test_thread_starts_at_passive_and_returns_its_result(kernel, call):
    """kernel-env §4.1: a thread starts at PASSIVE_LEVEL in thread context; code takes no
    simulated time."""
    def body():
        return kernel.cpu.irql, kernel.cpu.context, kernel.current_thread.name, kernel.now
        yield  # pragma: no cover

    assert call(body) == (PASSIVE_LEVEL, "thread", "TestThread", 0)


def test_dispatch_level_work_runs_before_passive_at_same_time(kernel, spawn):
    """machine.py / kernel-env §5.3: clock-driven DISPATCH_LEVEL work (timer expiry and its
    DPC) runs before threads resumed at the same instant, even if the thread's wait was
    set up first."""
    order = []

    def sleeper():
        yield from ke_delay_execution_thread(kernel, 0, False, -TICK)
        order.append(("thread", kernel.now))

    def timer_setter():
        def routine(dpc, context, a1, a2):
            order.append(("dpc", kernel.now))
            return None
            yield  # pragma: no cover
        ke_set_timer(ke_initialize_timer(kernel), -TICK, ke_initialize_dpc(kernel, routine, 0))

    spawn(sleeper)                                 # its wait is scheduled first
    spawn(timer_setter)
    kernel.run()
    assert order == [("dpc", TICK), ("thread", TICK)]


def test_bug_check_halts_the_whole_machine(kernel, spawn):
    """io-core §9.4: a bug check stops the machine: run() returns it (with its time) and
    no other thread runs afterwards."""
    after = []

    def crasher():
        yield from ke_delay_execution_thread(kernel, 0, False, -TICK)
        kernel.bug_check(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, 1)

    def bystander():
        yield from ke_delay_execution_thread(kernel, 0, False, -2 * TICK)
        after.append(kernel.now)

    spawn(crasher)
    spawn(bystander)
    bugcheck = kernel.run()
    assert (bugcheck.code, bugcheck.p1, bugcheck.time) == (0x44, 1, TICK)
    assert after == []


def test_first_bug_check_is_the_one_recorded(kernel):
    """machine.py bug_check (KeBugCheckEx): the first stop is final; a second one while
    unwinding does not replace it."""
    with pytest.raises(BugCheckHalt):
        kernel.bug_check(0x44)
    with pytest.raises(BugCheckHalt):
        kernel.bug_check(0x35)
    assert kernel.bugcheck.code == 0x44


# -- special kernel APCs ------------------------------------------------------------------

def _pending_device(kernel, held):
    def pend(device, irp):
        io_mark_irp_pending(irp)
        held.append(irp)
        return NTSTATUS.STATUS_PENDING
        yield  # pragma: no cover

    driver = io_create_driver(kernel, "Pend")
    driver.major_function[READ] = pend
    return io_create_device(driver, 0, None)[1]


def _threaded_irp(kernel, device, iosb, event):
    irp = io_allocate_irp(kernel, device.stack_size)
    irp.thread = kernel.current_thread
    irp.thread.irp_list.insert(0, irp)
    irp.user_iosb, irp.user_event = iosb, event
    io_get_next_irp_stack_location(irp).major_function = READ
    return irp


def _complete_from_dpc_later(kernel, held, delay):
    def routine(dpc, context, a1, a2):
        yield from io_complete_request(held[0])
    ke_set_timer(ke_initialize_timer(kernel), -delay, ke_initialize_dpc(kernel, routine, 0))


def test_threaded_irp_waited_for_at_apc_level_deadlocks(kernel, spawn):
    """io-core §6.10 / §10.25: IRQL >= APC_LEVEL blocks special kernel APCs, so a thread
    waiting at APC_LEVEL for its own threaded IRP never gets the final phase: it hangs."""
    held = []
    device = _pending_device(kernel, held)
    iosb, event = IoStatusBlock(0x1234, 0), KEvent(kernel, NotificationEvent)

    def body():
        kernel.raise_irql(APC_LEVEL)               # e.g. holding a fast mutex
        yield from io_call_driver(device, _threaded_irp(kernel, device, iosb, event))
        _complete_from_dpc_later(kernel, held, TICK)
        yield from ke_wait_for_single_object(event)

    thread = spawn(body)
    assert kernel.run() is None
    assert thread.alive and iosb.status == 0x1234 and not held[0].freed


def test_apc_held_back_at_apc_level_runs_when_thread_lowers(kernel, call):
    """kernel-env §1.2: pending kernel APCs run as soon as IRQL drops below APC_LEVEL."""
    held = []
    device = _pending_device(kernel, held)
    iosb, event = IoStatusBlock(0x1234, 0), KEvent(kernel, NotificationEvent)

    def body():
        old = kernel.raise_irql(APC_LEVEL)
        yield from io_call_driver(device, _threaded_irp(kernel, device, iosb, event))
        _complete_from_dpc_later(kernel, held, TICK)
        status = yield from ke_wait_for_single_object(event, timeout=-3 * TICK)
        before = iosb.status
        kernel.lower_irql(old)
        return status, before, iosb.status

    assert call(body) == (NTSTATUS.STATUS_TIMEOUT, 0x1234, NTSTATUS.STATUS_SUCCESS)
    assert held[0].freed


def test_special_kernel_apc_runs_at_once_in_running_thread_at_passive(kernel, call):
    """io-core §5.3.6: completing a threaded IRP inline in its own thread at PASSIVE_LEVEL
    runs the final phase before IoCompleteRequest returns."""
    seen = []
    iosb = IoStatusBlock(0x1234, 0)

    def complete(device, irp):
        yield from io_complete_request(irp)
        seen.append(iosb.status)
        return NTSTATUS.STATUS_SUCCESS

    driver = io_create_driver(kernel, "Inline")
    driver.major_function[READ] = complete
    device = io_create_device(driver, 0, None)[1]

    def body():
        yield from io_call_driver(device, _threaded_irp(kernel, device, iosb, None))

    call(body)
    assert seen == [NTSTATUS.STATUS_SUCCESS]


# -- determinism and observation ---------------------------------------------------------

def _normal(value):
    if isinstance(value, (int, str, bool, type(None))):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_normal(v) for v in value)
    for attr in ("id", "tid"):
        if isinstance(getattr(value, attr, None), int):
            return (type(value).__name__, getattr(value, attr))
    return type(value).__name__


class _Trace(Instrument):
    def __init__(self):
        self.calls = []

    def attach(self, kernel):
        self.kernel = kernel


def _trace_hook(name):
    def hook(self, *args):
        self.calls.append((self.kernel.now, name, _normal(args)))
    return hook


for _name in harness.kernel.HOOK_NAMES:
    setattr(_Trace, _name, _trace_hook(_name))


def _scenario(trace):
    """Open, a pended read completed by a timer DPC, close: exercises most hooks."""
    kernel = Kernel(instruments=[trace])
    held = []

    def ok(device, irp):
        yield from io_complete_request(irp)
        return NTSTATUS.STATUS_SUCCESS

    def pend(device, irp):
        io_mark_irp_pending(irp)
        held.append(irp)
        _complete_from_dpc_later(kernel, held, 2 * TICK)
        return NTSTATUS.STATUS_PENDING
        yield  # pragma: no cover

    driver = io_create_driver(kernel, "Det")
    for major in (IRP_MJ.IRP_MJ_CREATE, IRP_MJ.IRP_MJ_CLEANUP, IRP_MJ.IRP_MJ_CLOSE):
        driver.major_function[major] = ok
    driver.major_function[READ] = pend
    device = io_create_device(driver, 0, "\\Device\\Det")[1]
    device.flags &= ~0x80

    def app():
        status, file = yield from nt_create_file(kernel, "\\Device\\Det")
        yield from nt_read_file(file, Buffer.new(AddressSpace(USER_BASE), 8), 8)
        yield from nt_close(file)

    kernel.create_thread(app, name="App")
    kernel.run()
    return trace.calls


def test_trace_is_deterministic_across_kernels():
    """machine.py new_id / instrument.py: two identical runs in one process produce
    identical hook call sequences (ids are per kernel, time is simulated)."""
    first, second = _scenario(_Trace()), _scenario(_Trace())
    assert first == second
    names = {name for _t, name, _a in first}
    assert {"irp_call", "irp_complete", "irp_final", "dpc_run", "timer_expired",
            "wait_begin", "thread_exit"} <= names


def test_hooks_fan_out_to_every_instrument(recorder):
    """instrument.py: every instrument that defines a hook receives each call."""
    other = _Trace()
    kernel = Kernel(instruments=[recorder, other])
    kernel.raise_irql(DISPATCH_LEVEL)
    assert recorder.of("irql_change") == [(PASSIVE_LEVEL, DISPATCH_LEVEL)]
    assert other.calls == [(0, "irql_change", (PASSIVE_LEVEL, DISPATCH_LEVEL))]


# -- thread rundown ----------------------------------------------------------------------

def test_thread_exit_cancels_its_pending_irps(kernel, spawn):
    """io-core §7.8 / kernel-env §7.8: a terminating thread calls IoCancelIrp on every IRP
    still queued to it and waits until they have completed."""
    from harness.kernel import (io_release_cancel_spin_lock, io_set_cancel_routine)
    held, cancelled = [], []
    iosb, event = IoStatusBlock(0x1234, 0), KEvent(kernel, NotificationEvent)

    def cancel_routine(device, irp):
        cancelled.append((kernel.now, kernel.current_thread.name))
        io_release_cancel_spin_lock(kernel, irp.cancel_irql)
        irp.io_status.status = NTSTATUS.STATUS_CANCELLED
        yield from io_complete_request(irp)

    def pend(device, irp):
        io_mark_irp_pending(irp)
        io_set_cancel_routine(irp, cancel_routine)
        held.append(irp)
        return NTSTATUS.STATUS_PENDING
        yield  # pragma: no cover

    driver = io_create_driver(kernel, "Cancelable")
    driver.major_function[READ] = pend
    device = io_create_device(driver, 0, None)[1]

    def app():
        yield from io_call_driver(device, _threaded_irp(kernel, device, iosb, event))
        return "done"                             # exits with the read outstanding

    thread = spawn(app, name="App")
    assert kernel.run() is None
    assert cancelled == [(0, "App")]
    assert iosb.status == NTSTATUS.STATUS_CANCELLED and held[0].freed
    assert not thread.alive and thread.exit_status == "done" and thread.irp_list == []


def test_thread_exit_disowns_an_irp_never_completed_after_3000_polls(kernel, spawn):
    """io-core §7.8 / §5.3.6: after 3000 polls of 100 ms the first remaining IRP is
    disowned (Thread = NULL, off the list) and the thread ends; completed later, the
    canceled thread-less IRP is cleaned up without an APC."""
    held = []
    device = _pending_device(kernel, held)

    def app():
        yield from io_call_driver(device, _threaded_irp(kernel, device, IoStatusBlock(), None))

    thread = spawn(app, name="App")
    assert kernel.run() is None
    assert not thread.alive and thread.irp_list == []
    irp = held[0]
    assert irp.thread is None and irp.cancel is True
    assert kernel.now >= 3000 * 100 * 10_000      # five minutes of polling
    def routine(dpc, context, a1, a2):
        irp.io_status.status = NTSTATUS.STATUS_CANCELLED
        yield from io_complete_request(irp)
    ke_insert_queue_dpc(ke_initialize_dpc(kernel, routine, None))
    assert kernel.bugcheck is None and irp.freed
