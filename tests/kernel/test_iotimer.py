"""Rules of the I/O timer (pnp-hardware §6, kernel-env §5.5)."""

from __future__ import annotations

import pytest

from harness.kernel import (DISPATCH_LEVEL, NTSTATUS, BugCheckCode, NotModelledError,
                            io_delete_device, io_initialize_timer, io_start_timer,
                            io_stop_timer)

SECOND = 10_000_000


def recorder(kernel, calls):
    def on_timer(device, context):
        calls.append((kernel.now, kernel.cpu.irql, kernel.cpu.context, context))
        return None
        yield
    return on_timer


def test_io_timer_calls_come_on_whole_seconds_since_boot_at_dispatch_level(kernel, spawn,
                                                                           make_device):
    """§6.2: one global 1 s timer whose phase is global: a timer started at 0.3 s is
    first called at 1 s, then every second, at DISPATCH_LEVEL in a DPC."""
    device, calls = make_device(), []
    assert io_initialize_timer(device, recorder(kernel, calls), "ctx") == NTSTATUS.STATUS_SUCCESS

    def body():
        yield kernel.env.timeout(3 * SECOND // 10)
        io_start_timer(device)
    spawn(body)
    kernel.run(until=int(3.5 * SECOND))
    assert calls == [(t * SECOND, DISPATCH_LEVEL, "dpc", "ctx") for t in (1, 2, 3)]


def test_io_stop_timer_prevents_further_calls_and_lets_the_run_end(kernel, spawn,
                                                                   make_device):
    """§6.3: IoStopTimer disables the device timer; with none enabled the global timer
    is not armed, so nothing keeps the machine busy."""
    device, calls = make_device(), []
    io_initialize_timer(device, recorder(kernel, calls))

    def body():
        io_start_timer(device)
        yield kernel.env.timeout(2 * SECOND + 1)
        io_stop_timer(device)
    spawn(body)
    assert kernel.run() is None
    assert [t for t, *_ in calls] == [SECOND, 2 * SECOND]
    assert not kernel.io_timers.timer.inserted   # (made by IoInitializeTimer)


def test_io_timers_of_two_devices_run_back_to_back_in_initialization_order(kernel,
                                                                           make_device):
    """§6.2: the one DPC calls every enabled routine in list (initialization) order."""
    first, second, order = make_device("\\Device\\A"), make_device("\\Device\\B"), []

    def routine(name):
        def on_timer(device, context):
            order.append((name, kernel.now))
            return None
            yield
        return on_timer
    io_initialize_timer(second, routine("B"))
    io_initialize_timer(first, routine("A"))
    io_start_timer(first)
    io_start_timer(second)
    kernel.run(until=SECOND + 1)
    assert order == [("B", SECOND), ("A", SECOND)]


def test_io_initialize_timer_twice_for_one_device_is_refused(kernel, make_device):
    """§6.1: once per device object; a second call corrupts the list in ReactOS."""
    device = make_device()
    io_initialize_timer(device, recorder(kernel, []))
    with pytest.raises(NotModelledError):
        io_initialize_timer(device, recorder(kernel, []))


def test_io_delete_device_removes_its_timer(kernel, spawn, make_device):
    """§6.3: IoDeleteDevice removes the timer, so no call starts afterwards (no 0xCE)."""
    device, calls = make_device(), []
    io_initialize_timer(device, recorder(kernel, calls))

    def body():
        io_start_timer(device)
        yield kernel.env.timeout(SECOND + 1)
        io_delete_device(device)
    spawn(body)
    assert kernel.run() is None
    assert [t for t, *_ in calls] == [SECOND]


def test_io_start_timer_without_io_initialize_timer_faults(kernel, spawn, make_device):
    """§6.3: Dev->Timer is NULL: IoStartTimer dereferences it (0x7E in a system thread)."""
    device = make_device()

    def body():
        io_start_timer(device)
        yield from ()
    spawn(body)
    check = kernel.run()
    assert check is not None
    assert (check.code, check.p1) == (BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
                                      NTSTATUS.STATUS_ACCESS_VIOLATION)
