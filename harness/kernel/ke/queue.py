"""KQUEUE: the kernel queue under an I/O completion port (win32-io §3.6).

A KQUEUE is a dispatcher object whose SignalState is the number of entries. Entries
are FIFO; threads blocked in KeRemoveQueue are released LIFO (the most recent waiter
gets the next entry: its stack and cache are warm). A thread that removes an entry
becomes associated with the queue (KTHREAD.Queue, at most one queue per thread) and
is counted in CurrentCount while it runs; KeRemoveQueue hands out an entry only while
CurrentCount < MaximumCount (the concurrency value), even with entries waiting. When
an associated thread blocks in any other wait, CurrentCount drops and a waiter may be
released (KiActivateWaiterQueue); when that thread wakes it counts again, so the
running count can exceed the limit for a while.

Simplified: the scheduler does not preempt, so "released" means the waiter's SimPy
event fires at this instant; wait reasons and priority boosts are not modelled.
"""

from __future__ import annotations

from typing import Any, Generator

from ..constants import NTSTATUS
from ..errors import KernelUsageError
from .dispatcher import DispatcherObject, take_wait_next

STATUS_TIMEOUT = NTSTATUS.STATUS_TIMEOUT
STATUS_ABANDONED = NTSTATUS.STATUS_ABANDONED


class _QueueWaiter:
    """A thread blocked in KeRemoveQueue."""

    __slots__ = ("thread", "event", "timer")

    def __init__(self, thread: Any, event: Any) -> None:
        self.thread = thread
        self.event = event
        self.timer: Any = None


class KQueue(DispatcherObject):
    """KQUEUE: entries (FIFO), waiters (LIFO), CurrentCount and MaximumCount."""

    __slots__ = ("entries", "waiters", "maximum_count", "current_count", "thread_list",
                 "run_down")

    def __init__(self, kernel: Any, count: int = 0, name: str = "") -> None:
        super().__init__(kernel, 0, name)
        self.entries: list[Any] = []
        self.waiters: list[_QueueWaiter] = []     # the last one is released first
        # KeInitializeQueue: Count 0 means the number of processors
        self.maximum_count = count or len(kernel.cpus)
        self.current_count = 0
        self.thread_list: list[Any] = []          # the associated threads
        self.run_down = False

    def __repr__(self) -> str:
        return (f"<KQUEUE {self.name or '#' + str(self.id)} entries={len(self.entries)} "
                f"running={self.current_count}/{self.maximum_count} "
                f"waiters={len(self.waiters)}>")

    def _set_state(self) -> None:
        self.signal_state = len(self.entries)

    def _release(self) -> bool:
        """Hand the first entry to the most recent waiter, if the count allows it."""
        if not (self.entries and self.waiters and self.current_count < self.maximum_count):
            return False
        waiter = self.waiters.pop()                 # LIFO (win32-io 3.6)
        entry = self.entries.pop(0)                 # FIFO
        self._set_state()
        self._unwait(waiter, (NTSTATUS.STATUS_SUCCESS, entry))
        return True

    def _unwait(self, waiter: _QueueWaiter, value: tuple[int, Any]) -> None:
        """The waiter runs again, associated and counted (KiUnwaitThread)."""
        if waiter.timer is not None:
            waiter.timer.cancelled = True
        thread = waiter.thread
        thread.queue = self
        self.current_count += 1
        waiter.event.succeed(value)

    def thread_blocked(self, thread: Any) -> None:
        """KiActivateWaiterQueue: an associated thread blocks in another wait."""
        self.current_count -= 1
        self._release()

    def thread_resumed(self, thread: Any) -> None:
        """It is running again: counted again, whatever the limit (win32-io 3.6)."""
        self.current_count += 1


def ke_initialize_queue(kernel: Any, count: int = 0, name: str = "") -> KQueue:
    """KeInitializeQueue(Queue, Count): Count 0 = the number of processors."""
    return KQueue(kernel, count, name)


def ke_insert_queue(queue: KQueue, entry: Any) -> int:
    """KeInsertQueue: the previous SignalState. A waiter takes the entry at once when
    the running count is below the limit (the most recent waiter, LIFO); else it is
    appended to the FIFO list."""
    previous = queue.signal_state
    queue.entries.append(entry)
    queue._set_state()
    if not queue._release():
        queue._wait_test()                          # a plain wait on the queue object
    return previous


def ke_remove_queue(queue: KQueue, timeout: int | None = None
                    ) -> Generator[Any, Any, tuple[int, Any]]:
    """KeRemoveQueue(Queue, UserMode, Timeout): (STATUS_SUCCESS, entry), or
    (STATUS_TIMEOUT, None), or (STATUS_ABANDONED, None) when the queue is run down
    while the thread waits. ``timeout``: None forever, 0 polls, negative relative."""
    kernel = queue.kernel
    take_wait_next(kernel)
    thread = kernel.current_thread
    if queue.run_down:
        return STATUS_ABANDONED, None
    old = thread.queue
    if old is not queue:
        if old is not None:                         # a thread has one queue: leave it
            old.thread_list.remove(thread)
            old.thread_blocked(thread)
        queue.thread_list.append(thread)
    else:
        queue.current_count -= 1                    # not running while it dequeues
    thread.queue = None                             # its own wait is not "another wait"
    if queue.entries and queue.current_count < queue.maximum_count:
        entry = queue.entries.pop(0)
        queue._set_state()
        thread.queue = queue
        queue.current_count += 1
        return NTSTATUS.STATUS_SUCCESS, entry
    # A thread that leaves the running count may let a packet go to another waiter.
    queue._release()
    if timeout is not None and kernel.relative_delay(timeout) <= 0:
        thread.queue = queue
        queue.current_count += 1
        return STATUS_TIMEOUT, None
    waiter = _QueueWaiter(thread, kernel.new_event())
    queue.waiters.append(waiter)
    if timeout is not None:
        def expire() -> None:
            if waiter in queue.waiters:
                queue.waiters.remove(waiter)
                queue._unwait(waiter, (STATUS_TIMEOUT, None))
        waiter.timer = kernel.call_later(kernel.tick_align(kernel.relative_delay(timeout)),
                                         expire, urgent=True)
    thread.waiting_on = (queue,)
    kernel.hooks.wait_begin((queue,), timeout)
    status, entry = yield from kernel.current_thread_wait(waiter.event)
    kernel.hooks.wait_end((queue,), status)
    return status, entry


def ke_rundown_queue(queue: KQueue) -> list[Any]:
    """KeRundownQueue: the entries left (the caller frees them); every waiter's
    KeRemoveQueue returns STATUS_ABANDONED; every thread is disassociated."""
    if queue.run_down:
        raise KernelUsageError(f"KeRundownQueue twice on {queue!r}")
    queue.run_down = True
    entries, queue.entries = queue.entries, []
    queue._set_state()
    for thread in queue.thread_list:
        if thread.queue is queue:
            thread.queue = None
    queue.thread_list = []
    waiters, queue.waiters = queue.waiters, []
    for waiter in waiters:
        if waiter.timer is not None:
            waiter.timer.cancelled = True
        waiter.event.succeed((STATUS_ABANDONED, None))
    queue.current_count = 0
    return entries


def ke_queue_thread_rundown(thread: Any) -> Generator[Any, Any, None]:
    """A terminating thread leaves its queue: one fewer running, a waiter may go."""
    queue = thread.queue
    if queue is not None:
        thread.queue = None
        if thread in queue.thread_list:
            queue.thread_list.remove(thread)
        queue.thread_blocked(thread)
    return
    yield
