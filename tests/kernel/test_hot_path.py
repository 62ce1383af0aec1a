"""The IRP hot path's shortcuts keep the rules (io-core §3.5, §6.2; the instrument hooks)."""

from __future__ import annotations

from typing import Any

from harness.kernel import Instrument, Kernel, io_allocate_irp, io_initialize_irp
from harness.kernel.io.irp import (Irp, io_copy_current_irp_stack_location_to_next,
                                   io_get_current_irp_stack_location,
                                   io_get_next_irp_stack_location)
from harness.trace import TraceRecorder
from harness.trace.recorder import BOUND_AT_ATTACH


def _irp_at_top(kernel: Kernel, size: int = 3) -> Irp:
    irp = io_allocate_irp(kernel, size)
    irp.current_location = size                 # as a dispatch routine of the top sees it
    return irp


def test_3_5_copy_to_next_gives_the_lower_location_the_same_parameters():
    irp = _irp_at_top(Kernel())
    current = io_get_current_irp_stack_location(irp)
    current.parameters.length = 512
    current.parameters.byte_offset = 4096
    io_copy_current_irp_stack_location_to_next(irp)
    below = io_get_next_irp_stack_location(irp)
    assert (below.parameters.length, below.parameters.byte_offset) == (512, 4096)


def test_3_5_copy_to_next_a_write_below_does_not_reach_the_caller_location():
    """The copy is deferred (copy on write) but still a copy: the lower driver's
    changes stay in its own location, and the caller's later ones stay in the caller's."""
    irp = _irp_at_top(Kernel())
    current = io_get_current_irp_stack_location(irp)
    current.parameters.length = 512
    io_copy_current_irp_stack_location_to_next(irp)
    below = io_get_next_irp_stack_location(irp)
    below.parameters.length = 10
    assert current.parameters.length == 512
    current.parameters.key = 7
    assert below.parameters.key == 0 and below.parameters.length == 10


def test_3_5_copy_to_next_a_write_above_after_the_copy_does_not_reach_below():
    irp = _irp_at_top(Kernel())
    current = io_get_current_irp_stack_location(irp)
    current.parameters.length = 512
    io_copy_current_irp_stack_location_to_next(irp)
    current.parameters.length = 1                 # the caller changes its own afterwards
    assert io_get_next_irp_stack_location(irp).parameters.length == 512


def test_3_5_copy_to_next_defers_the_copy_until_a_location_is_used():
    irp = _irp_at_top(Kernel())
    current = io_get_current_irp_stack_location(irp)
    current.parameters.length = 512
    io_copy_current_irp_stack_location_to_next(irp)
    below = io_get_next_irp_stack_location(irp)
    assert below._parameters is current._parameters     # one block, not copied yet
    assert below.parameters is not current.parameters   # used: each has its own


def test_6_2_a_new_irp_is_what_io_initialize_irp_makes():
    """IoAllocateIrp and IoInitializeIrp leave the same fields (io-core §6.1, §6.2)."""
    kernel = Kernel()
    fresh = io_allocate_irp(kernel, 4)
    again = io_allocate_irp(kernel, 4)
    again.flags, again.cancel, again.current_location = 0x10, True, 1
    io_initialize_irp(again, 4)
    skip = {"id", "stack", "io_status", "driver_context", "kernel"}
    for name in Irp.__slots__:
        if name not in skip and hasattr(fresh, name):
            assert getattr(fresh, name) == getattr(again, name), name
    assert fresh.current_location == 5 and fresh.io_status.status == 0
    assert fresh.driver_context == again.driver_context == [None] * 4


class _Log(Instrument):
    def __init__(self, name: str, log: list[Any]) -> None:
        self.name, self.log = name, log

    def dpc_run(self, dpc: Any) -> None:
        self.log.append(self.name)


def test_two_instruments_both_see_a_hook_in_the_order_they_were_added():
    log: list[Any] = []
    kernel = Kernel(instruments=[_Log("first", log), _Log("second", log)])
    kernel.hooks.dpc_run(None)
    assert log == ["first", "second"]


def test_instruments_see_a_hook_in_the_order_they_were_added_however_many():
    for count in (3, 4):     # a fan-out of its own for three (a scenario's IoCallDriver)
        log: list[Any] = []
        names = [f"i{n}" for n in range(count)]
        kernel = Kernel(instruments=[_Log(name, log) for name in names])
        kernel.hooks.dpc_run(None)
        assert log == names


def test_the_recorder_binds_its_irp_hooks_once_at_attach_time():
    recorder = TraceRecorder()
    kernel = Kernel(instruments=[recorder])
    assert kernel.hooks.irp_call is recorder.irp_call            # the closure itself
    assert recorder.irp_call is not TraceRecorder.irp_call.__get__(recorder)
    for name in BOUND_AT_ATTACH:                      # every stand-in is shadowed
        assert getattr(kernel.hooks, name) is getattr(recorder, name), name
        assert getattr(recorder, name).__qualname__.endswith(f"_bind.<locals>.{name}")
