"""The design rule of ke/machine.py: at one simulated instant, DISPATCH_LEVEL work (timer
expiry, DPCs) runs before PASSIVE_LEVEL work, because it is scheduled with SimPy's URGENT
priority and threads resume at NORMAL (style.md "Map priority to meaning")."""

from __future__ import annotations

from simpy.core import NORMAL, URGENT

from harness.kernel import ke_initialize_dpc, ke_initialize_timer, ke_set_timer

TICK = 156250


def _dpc(kernel, log, name):
    def routine(dpc, context, arg1, arg2):
        log.append((name, kernel.now))
        return None
        yield  # pragma: no cover
    return ke_initialize_dpc(kernel, routine, name)


def test_urgent_timer_dpc_runs_before_passive_work_scheduled_earlier_for_the_same_instant(kernel):
    """A NORMAL callback queued first for tick 4 still runs after the timer DPC due at tick
    4: equal time and priority would run them in insertion order."""
    log = []
    kernel.call_later(4 * TICK, lambda: log.append(("passive", kernel.now)), urgent=False)
    ke_set_timer(ke_initialize_timer(kernel), -4 * TICK, _dpc(kernel, log, "dpc"))
    kernel.run()
    assert log == [("dpc", 4 * TICK), ("passive", 4 * TICK)]


def test_call_later_urgent_flag_picks_simpy_priority(kernel):
    """The one place that maps meaning to priority: urgent=True is SimPy URGENT."""
    seen = []
    real = kernel.env.schedule
    kernel.env.schedule = lambda event, priority, delay=0: (seen.append(priority),
                                                            real(event, priority, delay))
    kernel.call_later(1, lambda: None, urgent=True)
    kernel.call_later(1, lambda: None, urgent=False)
    ke_set_timer(ke_initialize_timer(kernel), -TICK)
    assert seen == [URGENT, NORMAL, URGENT]
