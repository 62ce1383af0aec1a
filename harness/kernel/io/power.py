"""Power, minimally (pnp-hardware §4): the system power IRPs a standby sends to each
started device stack, and the XP-era pass-down rule that serializes them.

Only the power manager makes power IRPs. On XP every driver of the stack calls
PoStartNextPowerIrp once per QUERY_POWER / SET_POWER, and passes the IRP on with
PoCallDriver: PoCallDriver holds a power IRP for a device that has one in progress
(until that device's driver calls PoStartNextPowerIrp), so a driver that never calls it
blocks the next power IRP of its device - the standby or shutdown that hangs (§4.2,
§4.3). Device power states, the policy owner's D-IRPs, WAIT_WAKE, inrush and power
relations are left out (§4.4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import IRP_MJ, NTSTATUS, NotificationEvent, nt_success
from ..ke.dispatcher import KEvent, ke_wait_for_single_object
from .build import io_build_synchronous_fsd_request
from .device import DeviceObject, io_get_attached_device
from .iomgr import io_call_driver, io_complete_request
from .irp import Irp, IoStatusBlock

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel
    from .pnp import DevNode

IRP_MN_WAIT_WAKE, IRP_MN_POWER_SEQUENCE, IRP_MN_SET_POWER, IRP_MN_QUERY_POWER = 0, 1, 2, 3
SystemPowerState, DevicePowerState = 0, 1
PowerSystemWorking, PowerSystemSleeping1, PowerSystemSleeping3 = 1, 2, 4


def po_call_driver(device: DeviceObject, irp: Irp) -> Generator[Any, Any, int]:
    """PoCallDriver (§4.2): a QUERY_POWER / SET_POWER for a device whose previous one is
    still in progress is held, STATUS_PENDING, until its driver's PoStartNextPowerIrp."""
    kernel = device.kernel
    minor = irp.stack[irp.current_location - 2].minor_function if irp.current_location > 1 \
        else 0
    if minor in (IRP_MN_SET_POWER, IRP_MN_QUERY_POWER):
        busy = kernel.power_busy
        if device in busy:
            kernel.hooks.service_call("PoCallDriver", {"device": device.label,
                                                       "held": True})
            busy[device].append(irp)
            return NTSTATUS.STATUS_PENDING
        busy[device] = []
    kernel.hooks.service_call("PoCallDriver", {"device": device.label})
    return (yield from io_call_driver(device, irp))


def po_start_next_power_irp(irp: Irp) -> Generator[Any, Any, None]:
    """PoStartNextPowerIrp (§4.2): the current location's device may take its next
    power IRP; one that PoCallDriver held is sent now."""
    device = irp.stack[irp.current_location - 1].device_object
    assert device is not None     # called by the driver that holds the IRP there
    kernel = irp.kernel
    kernel.hooks.service_call("PoStartNextPowerIrp", {"device": device.label})
    held = kernel.power_busy.pop(device, None)
    if held:
        waiting = held.pop(0)
        kernel.power_busy[device] = held
        yield from io_call_driver(device, waiting)


def _power_irp(kernel: "Kernel", node: "DevNode", minor: int, state: int
               ) -> Generator[Any, Any, int]:
    """One system power IRP to the top of a devnode's stack, waited for (Status
    STATUS_NOT_SUPPORTED at the start, §4.3)."""
    assert node.pdo is not None     # a devnode in the tree has its PDO
    top = io_get_attached_device(node.pdo)
    event = KEvent(kernel, NotificationEvent, False, "power IRP event")
    iosb = IoStatusBlock()
    irp = io_build_synchronous_fsd_request(kernel, IRP_MJ.IRP_MJ_POWER, top, None, 0, None,
                                           event, iosb)
    irp.io_status.status = NTSTATUS.STATUS_NOT_SUPPORTED
    stack = irp.stack[irp.stack_count - 1]
    stack.minor_function = minor
    stack.parameters.other = {"Type": SystemPowerState, "State": state}
    status = yield from po_call_driver(top, irp)
    if status == NTSTATUS.STATUS_PENDING:
        yield from ke_wait_for_single_object(event)
        status = iosb.status
    return status


def po_standby(kernel: "Kernel") -> Generator[Any, Any, bool]:
    """A standby (S1) as the power manager runs it (§4.4): QUERY_POWER to every started
    stack, SET_POWER if none vetoed; True when the machine went to sleep."""
    nodes = [node for node in kernel.pnp.devnodes if node.state == "Started"]
    for node in nodes:
        status = yield from _power_irp(kernel, node, IRP_MN_QUERY_POWER, PowerSystemSleeping1)
        if not nt_success(status):
            kernel.hooks.service_call("PoVetoed", {"devnode": node.instance_path,
                                                   "status": status})
            return False
    for node in nodes:
        yield from _power_irp(kernel, node, IRP_MN_SET_POWER, PowerSystemSleeping1)
    return True


def po_resume(kernel: "Kernel") -> Generator[Any, Any, None]:
    """Back to S0: SET_POWER(PowerSystemWorking) to every started stack."""
    for node in [n for n in kernel.pnp.devnodes if n.state == "Started"]:
        yield from _power_irp(kernel, node, IRP_MN_SET_POWER, PowerSystemWorking)


def pnp_root_power(device: DeviceObject, irp: Irp) -> Generator[Any, Any, int]:
    """The root enumerator's PDOs as the bus driver of a power IRP (§4.3): it starts the
    next power IRP and succeeds QUERY_POWER / SET_POWER; other minors keep their status."""
    from_stack = irp.stack[irp.current_location - 1]
    yield from po_start_next_power_irp(irp)
    if from_stack.minor_function in (IRP_MN_SET_POWER, IRP_MN_QUERY_POWER):
        irp.io_status.status = NTSTATUS.STATUS_SUCCESS
    status = irp.io_status.status
    yield from io_complete_request(irp)
    return status
