"""IoConnectInterrupt, IoDisconnectInterrupt and the DpcForIsr (pnp-hardware §5.1, §5.5,
§5.6).

Without PnP resources the line's vector, DIRQL and mode come from the scenario's
hardware declaration, as a START_DEVICE's translated descriptor would give them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import NTSTATUS
from ..hw.device import InterruptLine
from ..ke.interrupt import KInterrupt, request_interrupt
from ..ke.spinlock import KSpinLock
from ..ke.timers import KDpc, ke_insert_queue_dpc

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel
    from .device import DeviceObject


def io_connect_interrupt(kernel: "Kernel", service_routine: Callable[..., Generator[Any, Any, Any]],
                         context: Any, line: InterruptLine, synchronize_irql: int | None = None,
                         spin_lock: KSpinLock | None = None, share: bool | None = None
                         ) -> tuple[int, KInterrupt | None]:
    """IoConnectInterrupt (§5.1): (status, the interrupt object). SynchronizeIrql below
    the DIRQL is STATUS_INVALID_PARAMETER; a line already connected by an object that is
    not shareable (or asked for without sharing) too. An asserted line interrupts at
    once: the ISR may run before the caller goes on."""
    sync = line.irql if synchronize_irql is None else synchronize_irql
    shared = line.shared if share is None else share
    if sync < line.irql or (line.connected and not (
            shared and line.shared and all(other.share for other in line.connected))):
        return NTSTATUS.STATUS_INVALID_PARAMETER, None
    interrupt = KInterrupt(kernel, service_routine, context, line, sync, spin_lock)
    interrupt.share = shared
    interrupt.connected = True
    line.connected.append(interrupt)
    line.on_assert = lambda asserted: request_interrupt(kernel, asserted)
    if line.asserted:
        request_interrupt(kernel, line)
    return NTSTATUS.STATUS_SUCCESS, interrupt


def io_disconnect_interrupt(interrupt: KInterrupt) -> None:
    """IoDisconnectInterrupt (§5.6): the ISR is not called again; the last object on a
    line masks it."""
    line = interrupt.line
    if interrupt in line.connected:
        line.connected.remove(interrupt)
    interrupt.connected = False


def io_initialize_dpc_request(device: "DeviceObject",
                              routine: Callable[..., Generator[Any, Any, Any]]) -> None:
    """IoInitializeDpcRequest (§5.5): the DPC in the device object, DeferredContext = the
    device."""
    device.dpc = KDpc(device.kernel, routine, device, getattr(routine, "__name__", "DpcForIsr"))


def io_request_dpc(device: "DeviceObject", irp: Any, context: Any) -> bool:
    """IoRequestDpc = KeInsertQueueDpc(&Dev->Dpc, Irp, Context): requests while it is
    queued are absorbed, the FIRST one's Irp and Context kept (§5.5)."""
    return ke_insert_queue_dpc(device.dpc, irp, context)
