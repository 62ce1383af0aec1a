"""The simulated machine: CPUs, IRQL, threads, the clock, DPC and APC delivery.

This is the kernel's core (ke). The subsystems above it (mm, ob, io) add their state
in :class:`harness.kernel.system.Kernel`, which is what everyone instantiates.

How execution maps onto SimPy. Driver code is written as generator functions and
calls kernel routines that may run other driver code or block with ``yield from``.
Such a chain of nested calls runs on one simulated thread as ordinary Python calls —
IoCallDriver is a nested call, exactly as in Windows — until something really has to
wait (KeWaitForSingleObject, KeDelayExecutionThread, a synchronous I/O waiting for a
pended IRP). Only then does the innermost routine yield a SimPy event, which travels
up the ``yield from`` chain to the thread's SimPy process; the rest of the machine runs
on. Generators were chosen over greenlets so the kernel needs only SimPy and the
standard library, and so a suspension point is visible in the code.

Time is an integer count of 100 ns (SimPy's clock holds it unchanged). Work that runs
at DISPATCH_LEVEL when the clock says so (timer expiry, DPCs) is scheduled with SimPy's
URGENT priority and therefore runs before threads (NORMAL) resumed at the same
instant. Code takes no simulated time; hardware latency and waits do.

Simplified: a thread is bound to one CPU for its life; there is no preemption by
quantum (nothing would observe it, since code takes no time). Interrupts are delivered
by ke/interrupt.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator, Iterable, NoReturn, cast

import simpy
from simpy.core import NORMAL, URGENT

from ..constants import APC_LEVEL, DISPATCH_LEVEL, NTSTATUS, PASSIVE_LEVEL, BugCheckCode
from ..errors import BugCheck, BugCheckHalt, KernelUsageError, MachineFrozen, StatusRaised
from ..instrument import Hooks, Instrument
from .dispatcher import DispatcherObject
from .schedule import Chooser, ChoosingEnvironment


# Contexts in which the CPU runs a thread's own call chain (its dispatch routine, or a
# completion or cancel routine called from it): APCs for that thread fire at PASSIVE_LEVEL.
_ON_THREAD = ("thread", "completion", "cancel")


#: DPCs a CPU may run without once dropping below DISPATCH_LEVEL before the DPC
#: watchdog fires. Windows (8 and later) measures time: 0x133 with parameter 1 = 1 when
#: a CPU spent the watchdog period (0x1E00 ticks of 15.625 ms = 120 s by default) at
#: DISPATCH_LEVEL or above. Code takes no simulated time here, so the model counts the
#: DPCs of one uninterrupted stretch instead: a chosen bound that only a DPC or timer
#: that requeues itself forever reaches.
DPC_WATCHDOG_DPCS = 10_000
DPC_WATCHDOG_PERIOD_TICKS = 0x1E00

VERIFIER = BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION

#: Where the stand-in addresses of driver routines start (a driver image's range).
ROUTINE_BASE = 0xF8C00000

#: Nested IoCallDriver levels one thread's kernel stack holds. An x86 kernel stack is
#: 12 KB; IofCallDriver's frame plus a typical dispatch routine's take about 128 bytes
#: (a chosen figure: real frames vary), so level 97 overruns the stack: a double fault.
KERNEL_STACK_CALL_LEVELS = 96

#: The system time (KeQuerySystemTime: hns since 1601-01-01 UTC) when a simulated
#: machine boots: 2008-06-02 00:00 UTC, the book's era. Fixed, so runs stay
#: deterministic; simulated time runs on from it.
BOOT_SYSTEM_TIME = 128_568_384_000_000_000


class Cpu:
    """One simulated processor: its IRQL, what runs on it, its DPC queue."""

    __slots__ = ("index", "irql", "thread", "context", "dpc_queue", "idle", "dpc_depth",
                 "busy", "busy_waiters", "locks")

    def __init__(self, index: int, idle: "KThread") -> None:
        self.index = index
        self.irql = PASSIVE_LEVEL
        self.idle = idle
        self.thread = idle
        self.context = "thread"   # thread | dpc | completion | cancel | apc | isr
        self.dpc_queue: list[Any] = []
        self.dpc_depth = 0        # > 0 while a DPC routine (or timer expiry) is on the stack
        # The thread that keeps this CPU busy for a stretch of simulated time (a
        # KeStallExecutionProcessor, a spin on a lock): no other thread runs here meanwhile
        self.busy: "KThread | None" = None
        self.busy_waiters: list[Any] = []
        self.locks: list[Any] = []   # the spin locks this CPU holds, in acquisition order

    @property
    def in_dpc(self) -> bool:
        """Inside a DPC, even in a completion/cancel routine it called (kernel-env §1.5)."""
        return self.dpc_depth > 0 or self.context == "dpc"

    def __repr__(self) -> str:
        return f"<CPU{self.index} IRQL={self.irql} {self.context} {self.thread.name}>"


class KThread(DispatcherObject):
    """KTHREAD: a simulated thread; signaled when it terminates (kernel-env §4.2)."""

    __slots__ = ("tid", "process", "cpu", "user", "system", "alive", "exit_status", "irp_list",
                 "apc_queue", "blocked", "wait_irql", "wait_context", "call_depth",
                 "blocked_since", "waiting_on", "kernel_apc_disable", "owned_mutants",
                 "exception_handlers", "special_apc_disable", "wait_next_irql", "priority",
                 "base_priority", "priority_saturation", "running_image", "user_apc_queue",
                 "alert_event", "terminating", "queue")

    def __init__(self, kernel: "Machine", tid: int, name: str, process: str, cpu: Cpu | None,
                 user: bool, system: bool | None = None) -> None:
        super().__init__(kernel, 0, name)
        self.running_image: Any = None    # whose code runs on it now (pool tracking)
        self.user_apc_queue: list[Any] = []   # user APCs: run by its alertable waits
        # set while it is in a UserMode alertable wait: called with STATUS_USER_APC to end it
        self.alert_event: Callable[[int], Any] | None = None
        self.terminating = False          # PspExitThread has begun (its code has ended)
        self.queue: Any = None            # KTHREAD.Queue: the KQUEUE it is counted in (queue.py)
        self.tid = tid
        self.process = process
        self.cpu = cpu
        self.user = user
        # PsCreateSystemThread's threads (and the System process's): kernel mode only;
        # an unhandled exception in one is 0x7E, and PsTerminateSystemThread works
        self.system = (not user) if system is None else system
        # KernelApcDisable: KeEnterCriticalRegion and each owned KMUTEX take 1 from it
        # (sync-objects 1.3); normal kernel APCs wait while it is negative
        self.kernel_apc_disable = 0
        self.owned_mutants: list[Any] = []   # in acquisition order (1.6)
        self.exception_handlers = 0          # __try blocks around the running code
        # SpecialApcDisable: a guarded region (a KGUARDED_MUTEX held) holds off ALL APCs
        self.special_apc_disable = 0
        self.wait_next_irql: int | None = None   # WaitNext: the IRQL a KeWaitXxx goes back to
        # The process's base priority, 8 for System and a normal-class app (4.1). The
        # scheduler does not use priorities (no preemption is modelled).
        self.priority = self.base_priority = 8
        self.priority_saturation = 0     # +-1 after KeSetBasePriorityThread saturated
        self.alive = True
        self.exit_status: Any = None
        self.irp_list: list[Any] = []   # threaded IRPs (io-core §1.7 ThreadListEntry)
        self.apc_queue: list[tuple[Callable[[], Any], bool]] = []  # (routine, normal)
        self.blocked = False
        self.wait_irql = PASSIVE_LEVEL   # the IRQL the thread blocked at, restored on resume
        self.wait_context = "thread"
        self.call_depth = 0              # nested IoCallDriver levels on its kernel stack
        self.blocked_since = 0           # when it last blocked (for the wait-for picture)
        self.waiting_on: Any = None      # what it waits on, when the wait says

    def __repr__(self) -> str:
        state = "alive" if self.alive else "exited"
        return f"<KTHREAD {self.tid} {self.name!r} {self.process} {state}>"


class ThreadTerminated(Exception):
    """PsTerminateSystemThread: unwinds the calling thread's code (it does not return)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Scheduled:
    __slots__ = ("fn", "cancelled")

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn
        self.cancelled = False

    def __call__(self, _event: Any) -> None:
        if not self.cancelled:
            self.fn()


class Machine:
    """The processor side of the simulated Windows machine: CPUs and their IRQL, the
    threads, the clock, DPC and APC delivery, bug checks. ``system.Kernel`` adds the
    subsystems and documents the arguments.
    """

    if TYPE_CHECKING:
        # What system.Kernel adds per machine (phase-1 init: mm, ob, cm, io). Declared here
        # because the subsystems are handed the machine they run on; set in Kernel.__init__.
        # The subsystems live above ke, so their types are named, not imported (no circle,
        # not even a type-only one): each is Any to the checker.
        pool: Any                # mm.memory.AddressSpace
        pool_blocks: Any         # mm.pool.Pool
        system_ptes: Any         # mm.memory.AddressSpace
        io_verifier: Any         # io.verifier.IoVerifier | None
        namespace: Any           # ob.namespace.ObjectNamespace
        objects: Any             # ob.handle.ObjectTable
        registry: Any            # cm.hive.ConfigurationManager
        handle_tables: dict[str, Any]    # ob.handle.HandleTable per process
        processes: dict[str, Any]
        drivers: list[Any]
        images: dict[str, Any]
        pnp: Any                 # io.pnp.PnpManager
        power_busy: dict[Any, list[Any]]
        cancel_spin_lock: Any    # spinlock.KSpinLock (spinlock.py imports this module)
        io_timers: Any           # io.iotimer.IoTimerQueue
        hardware: dict[str, Any]
        next_image_base: int     # io/loader.py: set on the first image it places

        def process_of(self, thread: Any) -> Any: ...

    def __init__(self, cpus: int = 1, clock_tick: int = 156250,
                 instruments: Iterable[Instrument] = (), strict: bool = True,
                 verifier: bool = False, chooser: Chooser | None = None) -> None:
        if cpus < 1:
            raise KernelUsageError("a machine needs at least one CPU")
        # ke/schedule.py: with a chooser the scheduling choices are explicit; without one
        # SimPy's own Environment runs, exactly as before
        self.chooser = chooser
        self.env = simpy.Environment() if chooser is None else ChoosingEnvironment(chooser)
        self.clock_tick = clock_tick
        self.strict = strict
        self._next_id = {"irp": 0, "thread": 0, "file": 0, "mdl": 0, "obj": 0, "lock": 0,
                         "dispatcher": 0}
        self.threads: list[KThread] = []
        self.cpus = [Cpu(i, KThread(self, 0, f"Idle{i}", "Idle", None, False))
                     for i in range(cpus)]
        for cpu in self.cpus:
            cpu.idle.cpu = cpu
        self.cpu = self.cpus[0]
        self.verifier = verifier
        self.debugger = False    # a kernel debugger attached (the session sets it)
        self.boot_system_time = BOOT_SYSTEM_TIME   # KeQuerySystemTime at boot (UTC)
        self.time_zone_bias = 0    # UTC - local time in hns (ExSystemTimeToLocalTime)
        self.bugcheck: BugCheck | None = None
        self.frozen: str | None = None   # set when a CPU can never leave DISPATCH_LEVEL
        self.armed_timers: dict[int, Any] = {}   # KTIMERs in the timer table, by id
        self.routine_addresses: dict[Any, int] = {}   # routine -> its stand-in address
        # What a terminating thread runs after its code: the I/O manager registers its
        # IoCancelThreadIo here (a true back-edge of Windows, kept as a hook).
        self.thread_rundown: list[Callable[[KThread], Generator[Any, Any, Any]]] = []
        self.instruments: list[Instrument] = []
        self.hooks = Hooks([])
        for instrument in instruments:
            self.add_instrument(instrument)

    # -- identity and observation ------------------------------------------------------

    def new_id(self, kind: str) -> int:
        """Per-kernel id allocator: two runs in one process give identical ids."""
        self._next_id[kind] += 1
        return self._next_id[kind]

    def routine_address(self, routine: Any) -> int:
        """A routine's "address" for bug-check parameters: handed out in first-use order
        from a fixed base in system space, so every process gives the same numbers."""
        address = self.routine_addresses.get(routine)
        if address is None:
            image = getattr(routine, "image", None)      # a driver's: inside its image
            if image is not None and image.base:
                address = image.routine_address(routine)
            else:
                address = ROUTINE_BASE + 0x10 * sum(
                    1 for a in self.routine_addresses.values() if a >= ROUTINE_BASE)
            self.routine_addresses[routine] = address
        return address

    def add_instrument(self, instrument: Instrument) -> None:
        self.instruments.append(instrument)
        instrument.attach(self)        # first: an instrument may bind its hooks there
        self.hooks = Hooks(self.instruments)

    @property
    def now(self) -> int:
        """Simulated time since boot, in 100 ns units."""
        # SimPy types its clock int | float; every delay the kernel schedules is an int
        return cast(int, self.env.now)

    # -- time ---------------------------------------------------------------------------

    def relative_delay(self, due: int) -> int:
        """Convert a kernel due time to a delay: negative = relative hns; zero or
        positive = an absolute system time, hns since 1601-01-01 UTC (kernel-env §3.3,
        §5.2), so a small positive value is long past and expires at once."""
        return -due if due < 0 else due - (self.boot_system_time + self.now)

    def tick_align(self, delay: int) -> int:
        """Delay until the first clock tick at or after now + delay (never early)."""
        due = self.now + delay
        tick = self.clock_tick
        return -(-due // tick) * tick - self.now

    def new_event(self) -> simpy.Event:
        return simpy.Event(self.env)

    def call_later(self, delay: int, fn: Callable[[], object], urgent: bool) -> _Scheduled:
        """Run ``fn`` after ``delay``; URGENT (DISPATCH_LEVEL work) or NORMAL priority."""
        handle = _Scheduled(fn)
        event = simpy.Event(self.env)
        event._ok = True
        event._value = None
        event.callbacks.append(handle)
        self.env.schedule(event, URGENT if urgent else NORMAL, delay)
        return handle

    # -- threads -------------------------------------------------------------------------

    def create_thread(self, body: Callable[..., Generator[Any, Any, Any]], *args: Any, name: str,
                      process: str = "System", user: bool = False,
                      cpu: int | None = None, system: bool | None = None) -> KThread:
        """Start a simulated thread running the generator function ``body(*args)``.

        Without ``cpu`` threads go round the CPUs in creation order (a fixed choice, so
        runs are deterministic; Windows' choice depends on load and ideal processors)."""
        tid = self.new_id("thread") * 4
        index = (len(self.threads) if cpu is None else cpu) % len(self.cpus)
        thread = KThread(self, tid, name, process, self.cpus[index], user, system)
        self.threads.append(thread)
        self.env.process(self._thread_main(thread, self._thread_body(thread, body(*args))))
        return thread

    def _thread_body(self, thread: KThread,
                     gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
        """The thread's code, then its rundown: e.g. a terminating thread cancels the
        IRPs still queued to it and waits for them (IoCancelThreadIo, kernel-env §7.8)."""
        try:
            result = yield from gen
        except ThreadTerminated as terminated:       # PsTerminateSystemThread
            result = terminated.status
        thread.terminating = True     # win32-io 2.6: QueueUserAPC to it fails from now on
        self._exit_checks(thread)
        for rundown in self.thread_rundown:
            yield from rundown(thread)
        # win32-io 2.6, 2.10: user APCs still queued (QueueUserAPC's, and the completion
        # APCs of ReadFileEx requests that IoCancelThreadIo just finished) are flushed:
        # their rundown frees them, the routines never run.
        thread.user_apc_queue.clear()
        return result

    def _exit_checks(self, thread: KThread) -> None:
        """PspExitThread's checks, in its order (sync-objects 1.6): a non-zero APC-disable
        count is 0x20 KERNEL_APC_PENDING_DURING_EXIT (P2 CombinedApcDisable: 0xFFFF for one
        KMUTEX still owned); a KMUTEX owned with a balanced count is 0x4000008A; owned
        mutants are abandoned and hand STATUS_ABANDONED to their next owner."""
        combined = ((thread.special_apc_disable & 0xFFFF) << 16
                    | thread.kernel_apc_disable & 0xFFFF)       # CombinedApcDisable
        if combined:
            self.bug_check(BugCheckCode.KERNEL_APC_PENDING_DURING_EXIT, 0, combined, 0, 1,
                           reason=f"{thread.name} exited with APCs disabled (0x{combined:08X}"
                                  "): a KMUTEX, guarded mutex or critical region still held")
        for mutant in list(thread.owned_mutants):
            if mutant.apc_disable:
                self.bug_check(BugCheckCode.THREAD_TERMINATE_HELD_MUTEX, thread.tid,
                               mutant.id, 0, 0,
                               reason=f"{thread.name} exited owning KMUTEX {mutant.name}")
            mutant.abandon()

    def _thread_main(self, thread: KThread,
                     gen: Generator[Any, Any, Any]) -> Generator[Any, Any, None]:
        """The SimPy process of one simulated thread: drive its generator chain."""
        send: Any = None
        assert thread.cpu is not None     # create_thread binds every thread it starts
        while thread.cpu.busy is not None:
            yield self._cpu_free(thread.cpu)
        self._switch_to(thread)
        self.hooks.thread_start(thread)
        while True:
            try:
                event = gen.send(send)
            except StopIteration as stop:
                thread.exit_status = stop.value
                break
            thread.blocked = True
            thread.blocked_since = self.now
            thread.wait_irql = thread.cpu.irql    # IRQL is per thread across a switch
            thread.wait_context = thread.cpu.context
            send = yield event
            while thread.cpu.busy not in (None, thread):   # another thread holds the CPU
                yield self._cpu_free(thread.cpu)
            thread.blocked = False
            thread.waiting_on = None
            self._switch_to(thread, thread.wait_irql)
            thread.cpu.context = thread.wait_context   # e.g. still inside a completion routine
            if thread.apc_queue and thread.wait_irql == PASSIVE_LEVEL:
                # the APC interrupt a switched-in thread takes before it runs on
                self._deliver_apcs(thread)
        thread.alive = False
        self.hooks.thread_exit(thread)
        thread.signal_state = 1
        thread._wait_test()

    def _cpu_free(self, cpu: Cpu) -> simpy.Event:
        event = self.new_event()
        cpu.busy_waiters.append(event)
        return event

    def occupy_cpu(self, hns: int) -> Generator[Any, Any, None]:
        """Keep the current CPU busy for ``hns`` of simulated time with the current thread
        on it (KeStallExecutionProcessor, spinning): other threads of this CPU wait; its
        DPCs and timers still interrupt a thread below DISPATCH_LEVEL (simplified: they
        do not lengthen the stretch). Code in a DPC or APC has no thread to hold the CPU
        with: its time is not modelled."""
        cpu = self.cpu
        thread = cpu.thread
        if hns <= 0 or cpu.context not in _ON_THREAD or thread is cpu.idle:
            return
        cpu.busy = thread
        yield self.env.timeout(hns)
        cpu.busy = None
        waiters, cpu.busy_waiters = cpu.busy_waiters, []
        for event in waiters:
            event.succeed()

    def raise_status(self, status: int, reason: str) -> NoReturn:
        """ExRaiseStatus with no handler (book drivers have no __try around these calls):
        0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED in a system thread, else 0x1E
        KMODE_EXCEPTION_NOT_HANDLED; P1 the exception code (sync-objects 1.5). The
        exception address and records are not modelled (0)."""
        thread = self.current_thread
        if thread.exception_handlers:
            raise StatusRaised(status)
        code = (BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
                if thread.system and self.cpu.context != "dpc"
                else BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED)
        self.bug_check(code, status, 0, 0, 0, reason=f"unhandled exception 0x{status:08X}: "
                                                      f"{reason}")

    def _switch_to(self, thread: KThread, irql: int = PASSIVE_LEVEL) -> None:
        cpu = thread.cpu
        assert cpu is not None     # a thread that runs is bound to a CPU
        self.cpu = cpu
        cpu.thread = thread
        cpu.context = "thread"
        cpu.irql = irql

    def current_thread_wait(self, event: simpy.Event) -> Generator[Any, Any, Any]:
        """Suspend the current simulated thread until ``event`` fires."""
        cpu = self.cpu
        # A completion or cancel routine called in a thread (e.g. from a dispatch routine
        # at PASSIVE_LEVEL) runs on that thread and may wait (kernel-env §1.3); DPCs and
        # APCs have no thread of their own to suspend.
        if cpu.context not in ("thread", "completion", "cancel") or cpu.thread is cpu.idle:
            raise KernelUsageError(f"cannot block in {cpu.context} context")
        queue = cpu.thread.queue
        if queue is None:
            return (yield event)
        # win32-io 3.6: a completion-port thread that blocks leaves the running count
        # (KiActivateWaiterQueue) and is counted again when it wakes
        thread = cpu.thread
        queue.thread_blocked(thread)
        value = yield event
        if thread.queue is queue:
            queue.thread_resumed(thread)
        return value

    @property
    def current_thread(self) -> KThread:
        return self.cpu.thread

    # -- IRQL -----------------------------------------------------------------------------

    def raise_irql(self, new: int) -> int:
        """KeRaiseIrql: returns the old IRQL; lowering through it is 0x9 (kernel-env §1.2)."""
        cpu = self.cpu
        old = cpu.irql
        if new < old:
            if self.verifier:     # verifier-rules R73: Verifier's own report comes first
                self.bug_check(VERIFIER, 0x30, old, new, 0, reason="KeRaiseIrql to a lower IRQL")
            self.bug_check(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, old, new, 0, 0,
                           reason="KeRaiseIrql to a lower IRQL")
        cpu.irql = new
        self.hooks.irql_change(old, new)
        return old

    def lower_irql(self, new: int) -> None:
        """KeLowerIrql: raising through it is 0xA; dropping below DISPATCH runs DPCs."""
        cpu = self.cpu
        old = cpu.irql
        if new > old:
            if self.verifier:     # R73: P4 = 1 when the call was made inside a DPC
                self.bug_check(VERIFIER, 0x31, old, new, int(cpu.in_dpc),
                               reason="KeLowerIrql to a higher IRQL")
            self.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, old, 0, 0,
                           reason="KeLowerIrql to a higher IRQL")
        cpu.irql = new
        self.hooks.irql_change(old, new)
        if new < DISPATCH_LEVEL <= old:
            self.drain_dpcs(cpu)
        if new == PASSIVE_LEVEL and cpu.context in _ON_THREAD and cpu.thread.apc_queue:
            self._deliver_apcs(cpu.thread)

    # -- DPCs and APCs ----------------------------------------------------------------------

    def drain_dpcs(self, cpu: Cpu) -> None:
        """Run queued DPCs on ``cpu`` at DISPATCH_LEVEL, in queue order (kernel-env §5.1)."""
        if not cpu.dpc_queue:
            return
        saved = (cpu.irql, cpu.context)
        cpu.irql, cpu.context = DISPATCH_LEVEL, "dpc"
        cpu.dpc_depth += 1
        queue = cpu.dpc_queue
        budget = DPC_WATCHDOG_DPCS
        while queue:
            dpc = queue.pop(0)
            dpc.queued = False   # dequeued before the call, so it may requeue itself
            budget -= 1
            if budget < 0:
                self._dpc_watchdog(cpu, dpc)
            self.hooks.dpc_run(dpc)
            run_nonblocking(dpc.routine(dpc, dpc.context, dpc.arg1, dpc.arg2), "a DPC routine")
        cpu.dpc_depth -= 1
        cpu.irql, cpu.context = saved
        # An APC queued to the interrupted thread fires once IRQL is back below APC_LEVEL.
        if cpu.irql == PASSIVE_LEVEL and cpu.context in _ON_THREAD and cpu.thread.apc_queue:
            self._deliver_apcs(cpu.thread)

    def _dpc_watchdog(self, cpu: Cpu, dpc: Any) -> None:
        """The CPU never left DISPATCH_LEVEL: 0x133 (1, period, triage block, 0) where
        Windows has the DPC watchdog; a frozen machine where it does not (XP)."""
        reason = (f"CPU{cpu.index} ran {DPC_WATCHDOG_DPCS} DPCs without leaving "
                  f"DISPATCH_LEVEL (the last: {dpc.name}, which keeps being requeued)")
        if self.strict:
            # P3 would point at DPC_WATCHDOG_GLOBAL_TRIAGE_BLOCK, which is not modelled.
            self.bug_check(BugCheckCode.DPC_WATCHDOG_VIOLATION, 1, DPC_WATCHDOG_PERIOD_TICKS,
                           0, 0, reason=reason)
        self.frozen = reason
        self.hooks.machine_frozen(reason)
        raise MachineFrozen(reason)

    def stack_overflow(self, thread: KThread) -> NoReturn:
        """A kernel stack ran out (past KERNEL_STACK_CALL_LEVELS nested calls): pushing
        the fault's own frame faults again, a double fault: 0x7F with parameter 1 = 8."""
        self.bug_check(BugCheckCode.UNEXPECTED_KERNEL_MODE_TRAP, 8, 0, 0, 0,
                       reason=f"kernel stack overflow: calls nested {thread.call_depth} "
                              f"levels deep on {thread.name}")

    def run_at_dispatch(self, cpu: Cpu, work: Callable[[], object]) -> None:
        """Clock-driven DISPATCH_LEVEL work (timer expiry) on ``cpu``, then its DPCs. A CPU
        kept busy at DISPATCH_LEVEL or above (a stall under a spin lock) takes it when
        it drops (sync-objects 5.2: its DPCs are deferred)."""
        busy = cpu.busy
        if busy is not None and busy.wait_irql >= DISPATCH_LEVEL:
            self._cpu_free(cpu).callbacks.append(lambda _: self.run_at_dispatch(cpu, work))
            return
        self.cpu = cpu
        thread, context, irql = cpu.thread, cpu.context, cpu.irql
        cpu.thread, cpu.context, cpu.irql = cpu.idle, "dpc", DISPATCH_LEVEL
        work()
        cpu.irql = PASSIVE_LEVEL
        self.drain_dpcs(cpu)
        cpu.thread, cpu.context, cpu.irql = thread, context, irql

    def queue_kernel_apc(self, thread: KThread, routine: Callable[[], Any],
                         normal: bool = False) -> None:
        """Insert a kernel APC for ``thread`` (io-core §5.3 step 6; stacks-services 1.15).

        A special kernel APC (``normal`` False) runs ``routine()`` at APC_LEVEL. A normal
        kernel APC runs its normal routine, ``routine()`` returning driver code (a
        generator), at PASSIVE_LEVEL. Either is delivered at once when the thread is the
        one running at PASSIVE_LEVEL (the APC interrupt fires as soon as the inserting
        code drops back); otherwise it runs in the thread's context at the current
        instant, beside whatever wait the thread is in: kernel APCs reach a waiting
        thread whether or not its wait is alertable.
        """
        thread.apc_queue.append((routine, normal))
        cpu = self.cpu
        if cpu.thread is thread and cpu.context in _ON_THREAD + ("dpc",):
            if cpu.irql == PASSIVE_LEVEL:
                self._deliver_apcs(thread)
            return   # delivered when the thread's IRQL drops (lower_irql, drain_dpcs)
        self.call_later(0, lambda: self._deliver_apcs(thread), urgent=False)

    def queue_user_apc(self, thread: KThread | None, apc: Any) -> bool:
        """KeInsertQueueApc of a user APC (win32-io §2): it waits in the thread's queue
        until the thread is in (or enters) an alertable UserMode wait, which it ends.
        FALSE for no thread (a disowned IRP, io-core §5.3 step 6) or one that has
        exited (ApcQueueable cleared)."""
        if thread is None or not thread.alive:
            return False
        thread.user_apc_queue.append(apc)
        alert = thread.alert_event
        if alert is not None:
            thread.alert_event = None
            alert(NTSTATUS.STATUS_USER_APC)
        return True

    def deliver_apcs(self, thread: KThread) -> None:
        """Deliver what is queued to the running ``thread`` now that it is back at
        PASSIVE_LEVEL (e.g. after a service's inline final phase at APC_LEVEL)."""
        if thread.apc_queue and self.cpu.irql == PASSIVE_LEVEL:
            self._deliver_apcs(thread)

    def _deliver_apcs(self, thread: KThread) -> None:
        if not thread.apc_queue or thread.special_apc_disable:
            return      # a guarded region: every APC waits for its end (sync-objects 2.9)
        if thread.blocked and thread.wait_irql >= APC_LEVEL:
            # io-core §6.10 / §10.25: IRQL >= APC_LEVEL blocks special kernel APCs; they
            # stay queued until the thread lowers to PASSIVE_LEVEL (lower_irql).
            return
        cpu = thread.cpu
        assert cpu is not None     # a thread that runs is bound to a CPU
        saved = (self.cpu, cpu.thread, cpu.context, cpu.irql)
        self.cpu = cpu
        cpu.thread, cpu.context = thread, "apc"
        held = []
        while thread.apc_queue:
            routine, normal = thread.apc_queue.pop(0)
            if normal and thread.kernel_apc_disable:
                # sync-objects 1.3: a KMUTEX owner (or a critical region) gets special
                # kernel APCs only; normal ones wait for KeReleaseMutex
                held.append((routine, normal))
                continue
            if normal:
                cpu.irql = PASSIVE_LEVEL
                self.hooks.apc_run(thread, routine)
                run_nonblocking(routine(), "a kernel APC routine")
            else:
                cpu.irql = APC_LEVEL
                routine()
        thread.apc_queue[:0] = held
        self.cpu = saved[0]
        cpu.thread, cpu.context, cpu.irql = saved[1:]

    # -- crashing and running -------------------------------------------------------------

    def bug_check(self, code: int, p1: int = 0, p2: int = 0, p3: int = 0, p4: int = 0,
                  reason: str = "") -> NoReturn:
        """KeBugCheckEx: record the stop and unwind every simulated call stack."""
        if self.bugcheck is None:
            self.bugcheck = BugCheck(int(code), p1, p2, p3, p4, reason, self.now)
            self.hooks.bugcheck(self.bugcheck)
        raise BugCheckHalt(self.bugcheck)

    def run(self, until: int | None = None) -> BugCheck | None:
        """Run until nothing is left to do, ``until`` (100 ns) or a bug check."""
        try:
            self.env.run(until=until)
        except (BugCheckHalt, MachineFrozen):
            pass
        return self.bugcheck

    def blocked_threads(self) -> list[KThread]:
        """Threads still waiting when the run ended: a hang if nothing can wake them."""
        return [t for t in self.threads if t.alive]


def run_nonblocking(gen: Generator[Any, Any, Any], what: str) -> Any:
    """Run driver code that must not block (DPC, completion at DISPATCH) to its end."""
    try:
        gen.send(None)
    except StopIteration as stop:
        return stop.value
    raise KernelUsageError(f"{what} tried to block")


def require_passive(kernel: "Machine", routine: str) -> None:
    """A service that is PASSIVE_LEVEL only: the Zw* file and object services
    (stacks-services 1.8), the registry's (4.17). Called above it, the violation is
    reported; at DISPATCH_LEVEL or above with Driver Verifier (which trims pageable memory
    on every raise, as for R78) the service's pageable code faults: 0xA
    IRQL_NOT_LESS_OR_EQUAL, a fault in the kernel's own code (8 = execute)."""
    irql = kernel.cpu.irql
    if irql == PASSIVE_LEVEL:
        return
    if irql >= DISPATCH_LEVEL and kernel.verifier:
        kernel.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, kernel.routine_address(routine),
                         irql, 8, kernel.routine_address(routine),
                         reason=f"{routine} at IRQL {irql} (pageable code)")
    kernel.hooks.violation("PASSIVE_LEVEL", f"{routine} called at IRQL {irql}", None, ())
