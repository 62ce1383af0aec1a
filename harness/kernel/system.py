"""The whole simulated kernel: the machine (ke) plus the subsystems' own state.

Like the phase-1 initialisation of ntoskrnl (MmInitSystem, ObInitSystem,
IoInitSystem), each subsystem adds what it keeps per machine: memory's address
spaces, the object namespace, the I/O manager's driver list, cancel spin lock and
thread rundown. This module sits above every subsystem; nothing in them imports it.
"""

from __future__ import annotations

from typing import Any, Iterable

from .instrument import Hooks, Instrument
from .cm.hive import ROOT_NAME, ConfigurationManager, KeyBody
from .ex.timer import ex_timer_rundown
from .io.cancel import iop_thread_rundown
from .io.iotimer import IoTimerQueue
from .io.pnp import PnpManager
from .io.power import pnp_root_power
from .constants import IRP_MJ
from .io.verifier import IoVerifier
from .ke.machine import Machine
from .ke.queue import ke_queue_thread_rundown
from .ke.spinlock import KSpinLock
from .mm.memory import POOL_BASE, SYSTEM_PTE_BASE, AddressSpace
from .mm.pool import Pool
from .ob.handle import HandleTable, ObjectTable
from .ob.namespace import ObjectNamespace
from .ps.thread import process_object


class Kernel(Machine):
    """The simulated Windows machine.

    Args:
        cpus: number of simulated processors.
        clock_tick: KeQueryTimeIncrement in 100 ns units; timers and wait timeouts fire
            on the first tick at or after their due time (kernel-env §5.3). 156250 is
            the common 15.625 ms; XP-era machines often used 100144.
        instruments: observers (trace recorder, verifier, ...).
        strict: make illegal-but-often-survivable things (a blocking wait at
            DISPATCH_LEVEL in thread context) bug checks rather than warnings.
        verifier: apply Driver Verifier's I/O checks (0xC9 / 0xC4 bug checks).
        chooser: makes the scheduling choices (ke/schedule.py); None for the model's own.
    """

    def __init__(self, cpus: int = 1, clock_tick: int = 156250,
                 instruments: Iterable[Instrument] = (), strict: bool = True,
                 verifier: bool = False, chooser: Any = None) -> None:
        self.pool = AddressSpace(POOL_BASE)                    # mm
        self.pool_blocks = Pool(self)
        self.system_ptes = AddressSpace(SYSTEM_PTE_BASE)
        self.io_verifier: IoVerifier | None = None
        super().__init__(cpus, clock_tick, instruments, strict, verifier, chooser)
        self.namespace = ObjectNamespace(self)                 # ob
        self.objects = ObjectTable()
        self.registry = ConfigurationManager(self)             # cm
        self.namespace.insert(ROOT_NAME, KeyBody(self, self.registry.root))
        self.handle_tables: dict[str, HandleTable] = {}
        self.processes: dict[str, Any] = {}                    # ps: EPROCESS by name
        self.drivers: list[Any] = []                           # io
        self.images: dict[str, Any] = {}    # io: driver images on disk, by service name
        self.pnp = PnpManager(self)         # io: the PnP manager and its root enumerator
        self.power_busy: dict[Any, list[Any]] = {}   # io: devices with a power IRP in progress
        self.pnp.root.major_function[IRP_MJ.IRP_MJ_POWER] = pnp_root_power
        self.cancel_spin_lock = KSpinLock(self, "IoCancelSpinLock")
        self.io_timers = IoTimerQueue(self)
        self.hardware: dict[str, Any] = {}                     # hw: the scenario's devices
        self.thread_rundown.append(iop_thread_rundown)
        self.thread_rundown.append(ex_timer_rundown)           # ex
        self.thread_rundown.append(ke_queue_thread_rundown)    # ke: leave a completion port
        if verifier:
            self.io_verifier = IoVerifier()
            self.add_instrument(self.io_verifier)

    def process_of(self, thread: Any) -> Any:
        """The EPROCESS of ``thread``."""
        return process_object(self, thread.process)

    def add_instrument(self, instrument: Instrument) -> None:
        """Observers see each event before Driver Verifier acts on it (a trace shows the
        dispatch return, then the bug check it caused): the verifier stays last."""
        super().add_instrument(instrument)
        verifier = self.io_verifier
        if verifier is not None and self.instruments[-1] is not verifier:
            self.instruments.remove(verifier)
            self.instruments.append(verifier)
            self.hooks = Hooks(self.instruments)
