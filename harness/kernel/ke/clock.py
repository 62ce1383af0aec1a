"""The clock and the time services (sync-objects §4.6, §8.4-§8.8, §8.11).

Simulated time is interrupt time: 100 ns units since boot. The clock interrupts every
``clock_tick`` (KeQueryTimeIncrement); the system time, the tick count and the interrupt
time a driver reads advance only at those ticks, so two reads within one tick agree.
KeStallExecutionProcessor is the one sub-tick delay: it keeps its CPU busy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

if TYPE_CHECKING:
    from .machine import Machine as Kernel

#: KeQueryPerformanceCounter's frequency: the ACPI PM timer of XP-era machines
#: (3.579545 MHz, sync-objects 8.8; Windows 10 machines often report 10 MHz).
PERFORMANCE_FREQUENCY = 3_579_545


def _last_tick(kernel: "Kernel") -> int:
    tick = kernel.clock_tick
    return kernel.now // tick * tick


def ke_query_interrupt_time(kernel: "Kernel") -> int:
    """KeQueryInterruptTime (8.5): hns since boot, as of the last clock interrupt."""
    return _last_tick(kernel)


def ke_query_tick_count(kernel: "Kernel") -> int:
    """KeQueryTickCount (8.6): full clock ticks since boot."""
    return kernel.now // kernel.clock_tick


def ke_query_time_increment(kernel: "Kernel") -> int:
    """KeQueryTimeIncrement (8.7): the clock interval in hns."""
    return kernel.clock_tick


def ke_query_system_time(kernel: "Kernel") -> int:
    """KeQuerySystemTime (8.4): UTC, hns since 1601-01-01, advanced at clock ticks."""
    return kernel.boot_system_time + _last_tick(kernel)


def ke_query_performance_counter(kernel: "Kernel") -> tuple[int, int]:
    """KeQueryPerformanceCounter (8.8): (count, frequency); the count is exact to the
    instant (floor(seconds since boot x frequency)), unlike the tick-driven clocks."""
    return kernel.now * PERFORMANCE_FREQUENCY // 10_000_000, PERFORMANCE_FREQUENCY


def ke_stall_execution_processor(kernel: "Kernel", microseconds: int
                                 ) -> Generator[Any, Any, None]:
    """KeStallExecutionProcessor (4.6): a busy wait of ``microseconds`` at the caller's
    IRQL, legal at any IRQL. The thread keeps its CPU for the whole interval: nothing
    else runs there (contrast KeDelayExecutionThread, which gives the CPU up)."""
    kernel.hooks.service_call("KeStallExecutionProcessor", {"microseconds": microseconds})
    yield from kernel.occupy_cpu(microseconds * 10)
    kernel.hooks.service_return("KeStallExecutionProcessor", {"microseconds": microseconds})
