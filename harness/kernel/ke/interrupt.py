"""Interrupt objects, delivery and KeSynchronizeExecution (pnp-hardware §5, kernel-env §5.6).

An asserted line is taken by CPU 0 (the model's fixed target; explored, any CPU of the
affinity: a choice, ke/schedule.py) at once when that CPU's
IRQL is below the line's DIRQL, else when it drops: a CPU kept busy at or above DIRQL
(a stall inside KeSynchronizeExecution) takes it afterwards. The ISRs run at the
object's SynchronizeIrql holding its spin lock, in whatever thread the CPU was running,
in connection order: a level-sensitive line stops at the first ISR that claims it, a
latched one calls every ISR. A level-sensitive line still asserted after the pass is
taken again at once; a line re-taken STORM_DELIVERIES times at one instant is bug
check 0xF2 HARDWARE_INTERRUPT_STORM (pnp-hardware §5.3; the threshold is the model's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import DISPATCH_LEVEL, BugCheckCode
from ..hw.device import InterruptLine, Latched
from .machine import _ON_THREAD, run_nonblocking
from .spinlock import KSpinLock

if TYPE_CHECKING:
    from .machine import Machine as Kernel

#: consecutive deliveries of one line at one instant that make an interrupt storm
STORM_DELIVERIES = 1000


class KInterrupt:
    """KINTERRUPT: an ISR connected to a line."""

    __slots__ = ("kernel", "service_routine", "context", "line", "irql", "synchronize_irql",
                 "lock", "connected", "name", "share")

    def __init__(self, kernel: "Kernel", service_routine: Callable[..., Generator[Any, Any, Any]],
                 context: Any, line: InterruptLine, synchronize_irql: int,
                 lock: KSpinLock | None) -> None:
        self.kernel = kernel
        self.service_routine, self.context, self.line = service_routine, context, line
        self.irql, self.synchronize_irql = line.irql, synchronize_irql
        self.lock = lock or KSpinLock(kernel, f"{line.device.name}.InterruptLock")
        self.connected = False
        self.share = line.shared          # ShareVector: IoConnectInterrupt sets the caller's
        self.name = getattr(service_routine, "__name__", "Isr")

    def __repr__(self) -> str:
        return f"<KINTERRUPT {self.name} vector=0x{self.line.vector:X} DIRQL={self.irql}>"


def request_interrupt(kernel: "Kernel", line: InterruptLine) -> None:
    """The interrupt controller: deliver ``line`` to CPU 0 as soon as it can take it.

    With a chooser (ke/schedule.py) on a multiprocessor the CPU is a ``cpu`` choice: the
    connected interrupt's affinity is the active processors (pnp-hardware §5.1; the bus
    reports (KAFFINITY)-1) and the APIC may deliver to any of them; 0 is CPU 0, the
    model's fixed target."""
    cpu = kernel.cpus[0]
    if kernel.chooser is not None and len(kernel.cpus) > 1:
        cpu = kernel.cpus[kernel.chooser.choose(
            "cpu", len(kernel.cpus), f"interrupt vector 0x{line.vector:X}")]
    kernel.call_later(0, lambda: _deliver(kernel, line, 0, None, cpu), urgent=True)


def _deliver(kernel: "Kernel", line: InterruptLine, repeats: int,
             running: tuple[Any, ...] | None = None, target: Any = None) -> None:
    cpu = kernel.cpus[0] if target is None else target
    while line.asserted and line.connected:   # silenced meanwhile, or masked: nothing
        busy = cpu.busy
        if busy is not None and busy.wait_irql >= line.irql:
            _retry(kernel, kernel._cpu_free(cpu), line, repeats, cpu)
            return
        holder = next((i.lock.owner for i in line.connected
                       if i.lock.owner not in (None, cpu)), None)
        if holder is not None:
            # another CPU is in KeSynchronizeExecution (its interrupt spin lock): this
            # CPU's ISR waits for the lock, i.e. for that CPU to finish (§5.4)
            _retry(kernel, kernel._cpu_free(holder), line, repeats, cpu)
            return
        if repeats >= STORM_DELIVERIES:
            first = line.connected[0]
            context = (kernel.objects.address_of(first.context)
                       if first.context is not None else 0)
            kernel.bug_check(BugCheckCode.HARDWARE_INTERRUPT_STORM,
                             kernel.routine_address(first.service_routine), context,
                             kernel.objects.address_of(first), 1 + (len(line.connected) > 1),
                             reason=f"vector 0x{line.vector:X} re-asserted {repeats} times "
                                    "at one instant: no ISR silences the device")
        _run_isrs(kernel, cpu, line, running)
        repeats += 1                  # still asserted (level), or a new edge: again


def _retry(kernel: "Kernel", freed: Any, line: InterruptLine, repeats: int, cpu: Any) -> None:
    """Deliver ``line`` to ``cpu`` again once ``freed`` (a CPU-free event) triggers."""
    freed.callbacks.append(lambda _: _deliver(kernel, line, repeats, None, cpu))


def _run_isrs(kernel: "Kernel", cpu: Any, line: InterruptLine,
              running: tuple[Any, ...] | None = None) -> None:
    """KiInterruptDispatch / KiChainedDispatch on ``cpu``: it interrupts what that CPU was
    doing - ``running`` (thread, context, IRQL) when the code running there has just
    lowered its IRQL below the DIRQL, else a thread kept busy there (a stall, a spin) at
    its IRQL, else the idle loop."""
    busy = cpu.busy
    saved = (kernel.cpu, cpu.thread, cpu.context, cpu.irql)
    if running is None:
        running = ((busy, busy.wait_context, busy.wait_irql) if busy is not None
                   else (cpu.idle, "thread", 0))
    thread, context, base = running
    kernel.cpu = cpu
    cpu.thread, cpu.context, cpu.irql = thread, context, base
    if line.mode == Latched:
        line.pending = False          # the edge is taken
    kernel.hooks.interrupt(line, cpu)
    for interrupt in list(line.connected):
        cpu.context = "isr"
        cpu.irql = interrupt.synchronize_irql
        interrupt.lock.owner = cpu
        claimed = bool(run_nonblocking(interrupt.service_routine(interrupt, interrupt.context),
                                       "an ISR"))
        interrupt.lock.owner = None
        kernel.hooks.isr_return(interrupt, claimed)
        if claimed and line.mode != Latched:
            break
    cpu.irql = base
    cpu.context = context
    if base < DISPATCH_LEVEL:         # the DPCs the ISRs queued run once IRQL drops
        kernel.drain_dpcs(cpu)
    kernel.cpu, (cpu.thread, cpu.context, cpu.irql) = saved[0], saved[1:]


def ke_synchronize_execution(interrupt: KInterrupt,
                             routine: Callable[[Any], Generator[Any, Any, Any]],
                             context: Any) -> Generator[Any, Any, int]:
    """KeSynchronizeExecution (§5.4): at the interrupt's SynchronizeIrql holding its spin
    lock, call ``routine(context)``; return its BOOLEAN. Callable at IRQL <=
    SynchronizeIrql; the ISR cannot run meanwhile on any CPU. The routine may stall
    (KeStallExecutionProcessor): the CPU stays busy at SynchronizeIrql meanwhile."""
    kernel = interrupt.kernel
    cpu = kernel.cpu
    if cpu.irql > interrupt.synchronize_irql:
        kernel.bug_check(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, cpu.irql,
                         interrupt.synchronize_irql, 0, 0,
                         reason="KeSynchronizeExecution above the SynchronizeIrql")
    old = kernel.raise_irql(interrupt.synchronize_irql)
    interrupt.lock.owner = cpu
    try:
        result = yield from routine(context)
    finally:
        interrupt.lock.owner = None
    kernel.lower_irql(old)
    line = interrupt.line
    if line.asserted and line.connected:              # held off meanwhile: taken now
        if (cpu is kernel.cpus[0] and cpu.irql < line.irql
                and cpu.context in _ON_THREAD + ("dpc",)):
            _deliver(kernel, line, 0, (cpu.thread, cpu.context, cpu.irql))
        else:
            request_interrupt(kernel, line)
    return int(bool(result))
