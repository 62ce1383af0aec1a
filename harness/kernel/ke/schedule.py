"""Scheduling choice points: where a real Windows machine could go either way.

The model is deterministic: events due at the same instant run first-in first-out and a
thread runs until it waits. Windows is not: two CPUs run at once, a clock interrupt can
end a thread's quantum at any instruction, and which of two things due at the same tick
happens first depends on hardware timing. A *chooser* (harness/explore) makes those
decisions explicit. With no chooser (every ordinary run) nothing here is consulted: the
machine uses SimPy's own Environment and each preemption point costs one attribute test
at its call site (``if kernel.chooser is not None``).

Three kinds of choice, each an integer whose 0 is what the unexplored model does:

* ``order`` — :class:`ChoosingEnvironment`: which of the events due at the same
  (time, priority) runs next. Priorities keep their meaning: DISPATCH_LEVEL work
  (URGENT: timer expiry, DPCs) still runs before threads resumed at the same instant.
* ``preempt`` — :func:`ke_preemption_point`, called by the synchronization primitives
  (spin-lock acquire/release, IoSetCancelRoutine, IoCancelIrp, IoStartPacket,
  IoCompleteRequest entry, KeInsertQueueDpc, a wait's return, an unsynchronised
  read-modify-write): 1 = let the other work due now run before this thread goes on.
* ``cpu`` — ke/interrupt.py: which CPU takes a device interrupt (its affinity is every
  active CPU, pnp-hardware §5.1); 0 is CPU 0. Not choices, as on Windows: an untargeted
  DPC is queued on the CPU that inserts it (kernel-env §5.1), and timer expiry is the
  clock DPC of CPU 0 (XP).

What Windows allows bounds the choices (kernel-env §1.1-§1.3, sync-objects 4.6, 5.2):

* At PASSIVE_LEVEL or APC_LEVEL a thread can lose its CPU at any point (quantum end, a
  higher-priority thread, an interrupt and its DPC): the point may yield, and other
  threads of its CPU may run meanwhile.
* At DISPATCH_LEVEL nothing preempts a CPU except interrupts, but on a multiprocessor the
  other CPUs run in parallel: the point may yield only when the machine has more than one
  CPU, and the CPU stays busy with the thread (no other thread or DPC runs on it; its
  clock-driven work is deferred as for a spin, machine.run_at_dispatch).
* A CPU holding a spin lock is not interleaved (choice points sit before an acquire and
  after a release): for code that takes its locks, interleaving at the lock boundaries
  is enough (the CHESS observation for data-race-free code). Races on unlocked data
  are reached through the read-modify-write point.
* DPCs, APCs and ISRs have no thread to suspend: they run to their end (a DPC on one CPU
  still interleaves with a thread on another at that thread's points).
* A point yields only when some other event is due at this very instant: otherwise
  yielding could change nothing and no choice is recorded.
"""

from __future__ import annotations

from heapq import heapify
from typing import Any, Generator, Protocol, Sequence

import simpy

from ..constants import DISPATCH_LEVEL


class _Running(Protocol):
    """What a preemption point reads of the machine (ke/machine.py imports this module,
    so it is described here rather than imported)."""

    @property
    def chooser(self) -> Chooser | None: ...

    @property
    def cpu(self) -> Any: ...

    @property
    def cpus(self) -> Sequence[Any]: ...

    @property
    def env(self) -> simpy.Environment: ...


class Chooser(Protocol):
    """What the kernel asks at a choice point. ``choose`` returns 0..count-1; 0 is the
    unexplored model's own choice. ``what`` says where (for the saved schedule)."""

    def choose(self, kind: str, count: int, what: str) -> int: ...


class ChoosingEnvironment(simpy.Environment):
    """A SimPy Environment whose step() asks the chooser which of the events due at the
    same (time, priority) runs next; with one candidate it behaves as SimPy's own."""

    def __init__(self, chooser: Chooser) -> None:
        super().__init__()
        self.chooser = chooser

    def step(self) -> None:
        queue = self._queue
        if len(queue) < 2 or queue[1][:2] != queue[0][:2] and (
                len(queue) < 3 or queue[2][:2] != queue[0][:2]):
            # the two children of the heap's root hold the next-smallest entries: neither
            # ties with the root, so no choice exists (the common case, O(1))
            return super().step()
        key = queue[0][:2]
        ties = sorted(entry for entry in queue if entry[:2] == key)    # FIFO by event id
        index = self.chooser.choose("order", len(ties), _describe(ties)) if len(ties) > 1 else 0
        if index == 0:
            return super().step()
        entry = ties[index]
        queue.remove(entry)
        heapify(queue)
        self._run(entry)

    def _run(self, entry: tuple[Any, ...]) -> None:
        """Process one popped heap entry: its callbacks, then a failure if undefused."""
        self._now, _, _, event = entry
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc


def _describe(ties: list[tuple[Any, ...]]) -> str:
    return f"{len(ties)} events due at {ties[0][0]} (priority {ties[0][1]})"


def ke_preemption_point(kernel: _Running, routine: str) -> Generator[Any, Any, None]:
    """A point where the running thread could lose its CPU, or another CPU get ahead of
    it (see the module docstring for what Windows allows). Call it only when
    ``kernel.chooser`` is set; it records a ``preempt`` choice when one exists."""
    chooser = kernel.chooser
    cpu = kernel.cpu
    thread = cpu.thread
    if chooser is None or cpu.context not in ("thread", "completion", "cancel") \
            or thread is cpu.idle or cpu.locks or cpu.busy is not None \
            or cpu.dpc_depth or cpu.irql > DISPATCH_LEVEL:
        return
    at_dispatch = cpu.irql == DISPATCH_LEVEL
    if at_dispatch and len(kernel.cpus) == 1:
        return                       # kernel-env §1.1: nothing preempts DISPATCH_LEVEL
    env = kernel.env
    queue = env._queue
    if not queue or queue[0][0] != env.now:
        return                       # nothing else is due now: yielding changes nothing
    if not chooser.choose("preempt", 2, f"{thread.name} at {routine} "
                                        f"(CPU{cpu.index}, IRQL {cpu.irql})"):
        return
    if at_dispatch:
        cpu.busy = thread            # the CPU goes on executing this thread only
    yield env.timeout(0)             # behind everything due now (NORMAL priority)
    if at_dispatch:
        cpu.busy = None
        waiters, cpu.busy_waiters = cpu.busy_waiters, []
        for waiter in waiters:
            waiter.succeed()
