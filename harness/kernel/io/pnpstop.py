"""Stopping a started device and ejecting it, as the PnP worker drives them
(pnp-hardware §2.9, §2.10).

A rebalance (the arbiter moving resources, or Device Manager applying a resource change)
asks the stack QUERY_STOP_DEVICE; when every driver agrees, STOP_DEVICE (the drivers
release the hardware and hold new I/O) and START_DEVICE again with the new assignment;
when one fails the query, CANCEL_STOP_DEVICE goes to the whole stack and the device stays
started (Started -> StopPending -> Stopped -> Started, or StopPending -> Started).
QUERY_STOP and STOP go top-down, CANCEL_STOP and START bottom-up (§2.8): the drivers do
that, the PnP manager only sends each IRP to the top. Simplified: nothing competes for
the resources, so the restart gets the assignment the device had (NULL lists for a
device without resources); the arbiter's work takes ``hold`` of simulated time.

An eject ("Safely Remove Hardware", CM_Request_Device_Eject) asks for the device's
EjectionRelations, runs the orderly removal (QUERY_REMOVE, REMOVE_DEVICE, or
CANCEL_REMOVE on a veto) and then, if the capabilities the stack reported say
EjectSupported, sends IRP_MN_EJECT to what is left of the stack - the PDO - which ejects
the device: it leaves the tree. A device that cannot eject itself stays, removed from
use, with problem 47 (CM_PROB_HELD_FOR_EJECT: "prepared for safe removal") until it is
pulled (uncertain for a non-removable device; chosen the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import nt_success
from ..errors import KernelUsageError, NotModelledError
from ..ke.timers import ke_delay_execution_thread
from .pnp import (CM_PROB_HELD_FOR_EJECT, MN, DevNode, EjectionRelations, pnp_irp,
                  pnp_start_stack, pnp_uninstall)

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

KernelMode = 0


def _started(node: DevNode, action: str) -> None:
    if node.state != "Started":
        raise KernelUsageError(f"{node.instance_path} is {node.state}: it cannot be "
                               f"{action}")


def pnp_rebalance(kernel: "Kernel", node: DevNode, hold: int = 0
                  ) -> Generator[Any, Any, bool]:
    """QUERY_STOP_DEVICE; then STOP_DEVICE, ``hold`` (100 ns) of the arbiter's work and
    START_DEVICE again - or CANCEL_STOP_DEVICE when a driver fails the query (§2.9).
    True when the device was stopped and restarted."""
    _started(node, "stopped for a rebalance")
    status, _ = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_STOP_DEVICE)
    if not nt_success(status):
        # the driver that failed completed the IRP itself; every driver of the stack
        # gets the cancel (§2.8: "must never be failed")
        yield from pnp_irp(kernel, node, MN.IRP_MN_CANCEL_STOP_DEVICE)
        return False
    node.state = "StopPending"
    yield from pnp_irp(kernel, node, MN.IRP_MN_STOP_DEVICE)
    node.state = "Stopped"
    if hold:
        yield from ke_delay_execution_thread(kernel, KernelMode, False, -hold)
    # the same assignment comes back; §2.5 item 3: no QUERY_PNP_DEVICE_STATE after it
    return (yield from pnp_start_stack(kernel, node, restart=True))


def pnp_eject(kernel: "Kernel", node: DevNode) -> Generator[Any, Any, bool]:
    """EjectionRelations, the orderly removal, then IRP_MN_EJECT if the device's reported
    capabilities say EjectSupported (§2.10). True when the device was ejected."""
    _started(node, "ejected")
    status, relations = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_DEVICE_RELATIONS,
                                           Type=EjectionRelations)
    if nt_success(status) and relations:
        raise NotModelledError("the PnP manager", f"{node.instance_path} reported "
                               "EjectionRelations: ejecting other devices with it is not "
                               "modelled")
    removed = yield from pnp_uninstall(kernel, node, gone=False)
    if not removed:                     # vetoed: CANCEL_REMOVE went down, it stays started
        return False
    caps = node.reported
    if caps is None or not caps.EjectSupported:
        node.problem = CM_PROB_HELD_FOR_EJECT
        return False
    # ReactOS's IopSendEject: the trace names it (it shows IRPs by major function only)
    assert node.pdo is not None     # a devnode in the tree has its PDO
    kernel.hooks.service_call("IopSendEject", {"pdo": node.pdo.label})
    yield from pnp_irp(kernel, node, MN.IRP_MN_EJECT)
    kernel.hooks.service_return("IopSendEject", {})
    # the bus no longer reports it: the devnode leaves the tree
    node.state = "Removed"
    if node in kernel.pnp.devnodes:
        kernel.pnp.devnodes.remove(node)
    return True
