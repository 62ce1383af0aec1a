"""Scheduling choice points (ke/schedule.py): what a chooser may decide, within what
Windows allows (kernel-env §1.1-§1.3; sync-objects 4.6, 5.2)."""

from __future__ import annotations

import simpy

from harness.kernel import (DISPATCH_LEVEL, ChoosingEnvironment, Kernel, ke_acquire_spin_lock,
                            ke_initialize_spin_lock, ke_preemption_point, ke_release_spin_lock)


class Scripted:
    """A chooser answering from a list (then 0), noting every question."""

    def __init__(self, *answers: int) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int, str]] = []

    def choose(self, kind: str, count: int, what: str) -> int:
        self.asked.append((kind, count, what))
        return self.answers.pop(0) if self.answers else 0


def _run(kernel: Kernel) -> None:
    kernel.env.run()


def test_schedule_no_chooser_is_plain_simpy():
    """Without a chooser the machine runs SimPy's own Environment: today's run, unchanged."""
    kernel = Kernel()
    assert type(kernel.env) is simpy.Environment and kernel.chooser is None


def test_schedule_order_choice_among_events_at_the_same_instant():
    """Events due at the same (time, priority) are a choice; 0 keeps FIFO order."""
    for answer, expected in ((0, ["a", "b", "c"]), (2, ["c", "a", "b"])):
        chooser = Scripted(answer)
        kernel = Kernel(chooser=chooser)
        assert isinstance(kernel.env, ChoosingEnvironment)
        ran: list[str] = []
        for name in "abc":
            kernel.call_later(10, lambda name=name, ran=ran: ran.append(name), urgent=False)
        _run(kernel)
        assert ran == expected
        assert chooser.asked[0][:2] == ("order", 3)


def test_schedule_urgent_work_still_runs_before_threads_at_the_same_instant():
    """Priorities keep their meaning (DISPATCH_LEVEL work first): only ties are choices."""
    chooser = Scripted(1)
    kernel = Kernel(chooser=chooser)
    ran: list[str] = []
    kernel.call_later(10, lambda: ran.append("thread"), urgent=False)
    kernel.call_later(10, lambda: ran.append("dpc"), urgent=True)
    _run(kernel)
    assert ran == ["dpc", "thread"] and chooser.asked == []


def _two_threads(kernel: Kernel, body_a, cpu_b: int) -> list[str]:
    log: list[str] = []

    def b():
        log.append("b")
        return None
        yield

    kernel.create_thread(body_a, log, name="a", cpu=0)
    kernel.create_thread(b, name="b", cpu=cpu_b)
    _run(kernel)
    return log


def test_schedule_preemption_at_passive_level_lets_another_thread_run():
    """sync-objects 4.6: at PASSIVE_LEVEL a thread can lose its CPU at any point."""
    kernel = Kernel(chooser=Scripted(0, 1))   # FIFO start, then preempt "a"

    def a(log):
        log.append("a1")
        yield from ke_preemption_point(kernel, "test")
        log.append("a2")

    assert _two_threads(kernel, a, cpu_b=0) == ["a1", "b", "a2"]


def test_kernel_env_1_1_no_preemption_at_dispatch_level_on_one_cpu():
    """kernel-env §1.1: nothing preempts a CPU at DISPATCH_LEVEL: no choice is offered."""
    chooser = Scripted(0, 1)
    kernel = Kernel(chooser=chooser)

    def a(log):
        old = kernel.raise_irql(DISPATCH_LEVEL)
        log.append("a1")
        yield from ke_preemption_point(kernel, "test")
        log.append("a2")
        kernel.lower_irql(old)

    assert _two_threads(kernel, a, cpu_b=0) == ["a1", "a2", "b"]
    assert "preempt" not in [kind for kind, *_ in chooser.asked]


def test_schedule_dispatch_level_point_interleaves_another_cpu_only():
    """On two CPUs a thread at DISPATCH_LEVEL may let the other CPU get ahead, but its own
    CPU stays busy with it: a thread of the same CPU does not run in between."""
    for cpu_b, expected in ((1, ["a1", "b", "a2"]), (0, ["a1", "a2", "b"])):
        kernel = Kernel(cpus=2, chooser=Scripted(0, 1))

        def a(log, kernel=kernel):
            old = kernel.raise_irql(DISPATCH_LEVEL)
            log.append("a1")
            yield from ke_preemption_point(kernel, "test")
            log.append("a2")
            kernel.lower_irql(old)

        assert _two_threads(kernel, a, cpu_b) == expected


def test_schedule_no_preemption_while_a_spin_lock_is_held():
    """A CPU holding a spin lock is not interleaved (choice points sit outside locks)."""
    chooser = Scripted(0, 1)
    kernel = Kernel(cpus=2, chooser=chooser)
    lock = ke_initialize_spin_lock(kernel, "L")

    def a(log):
        old = ke_acquire_spin_lock(lock)
        log.append("a1")
        yield from ke_preemption_point(kernel, "test")
        log.append("a2")
        ke_release_spin_lock(lock, old)

    assert _two_threads(kernel, a, cpu_b=1) == ["a1", "a2", "b"]
    assert all(kind == "order" for kind, *_ in chooser.asked)


def _interrupt_taken_on(kernel) -> list[int]:
    """Connect an ISR to a level-triggered UART line, raise it once, run: the CPUs that
    took the interrupt."""
    from harness.kernel import HardwareDevice, LevelSensitive, Register, io_connect_interrupt

    device = HardwareDevice("Uart", {"STATUS": Register("STATUS", 1, 0, w1c=True)},
                            {"vector": 0x3B, "irql": 5, "mode": LevelSensitive,
                             "shared": False, "cause": "STATUS"})
    kernel.hardware["Uart"] = device
    taken: list[int] = []

    def isr(interrupt, context):
        taken.append(interrupt.kernel.cpu.index)
        device.write("STATUS", device.read("STATUS"))
        return True
        yield  # pragma: no cover

    io_connect_interrupt(kernel, isr, None, device.line)
    kernel.call_later(10, lambda: device.set("STATUS", 1), urgent=True)
    _run(kernel)
    return taken


def test_pnp_hardware_5_1_interrupt_cpu_is_a_choice_among_the_affinity():
    """pnp-hardware §5.1: the interrupt's affinity is the active processors; explored,
    the CPU that takes it is a ``cpu`` choice (0: CPU 0, the model's fixed target)."""
    for answer in (0, 1):
        chooser = Scripted(answer)
        assert _interrupt_taken_on(Kernel(cpus=2, chooser=chooser)) == [answer]
        assert chooser.asked[0][:2] == ("cpu", 2) and "vector 0x3B" in chooser.asked[0][2]


def test_schedule_interrupt_cpu_is_no_choice_on_one_cpu_or_without_a_chooser():
    for kernel in (Kernel(chooser=Scripted()), Kernel(cpus=2)):
        assert _interrupt_taken_on(kernel) == [0]
        if kernel.chooser is not None:
            assert kernel.chooser.asked == []


def test_sync_objects_4_6_preemption_point_at_a_waits_return():
    """A thread whose wait returns may lose its CPU there (sync-objects 4.6, 4.1: quantum
    end, a readied thread): explored, the return is a ``preempt`` choice."""
    from harness.kernel import NotificationEvent, ke_initialize_event, ke_wait_for_single_object

    for answer, expected in ((0, ["a1", "a2", "b"]), (1, ["a1", "b", "a2"])):
        chooser = Scripted(0, answer)       # FIFO start, then the wait's return
        kernel = Kernel(chooser=chooser)
        event = ke_initialize_event(kernel, NotificationEvent, True, "E")

        def a(log, kernel=kernel, event=event):
            log.append("a1")
            yield from ke_wait_for_single_object(event)     # signaled: returns at once
            log.append("a2")

        assert _two_threads(kernel, a, cpu_b=0) == expected
        assert chooser.asked[1][0] == "preempt"
        assert "KeWaitForMultipleObjects" in chooser.asked[1][2]
