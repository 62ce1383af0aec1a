"""What the kernel debugger's ``!devstack`` and ``!drvobj`` show (pnp-hardware §8.3), as
lines a driver's code prints into the debug log at the moment the block runs - a
DbgView-readable snapshot of the stacks, the way a reader checks them with WinDbg or
DeviceTree.

The debugger reads the objects without taking references, so a dump changes no count.
kdexts' formatting varies between debugger versions; these are the lines printed, with
addresses as x86 ``%08x`` (lowercase, as the debugger prints them):

``!devstack <device>`` - the whole stack the device is in, top first::

    kd> !devstack 81800170
     !DevObj   !DrvObj            ObjectName
      81800228  \\Driver\\FilterB
    > 81800170  \\Driver\\HelloDDK   MyDDKDevice
    !DevNode 818003a0 :
      DeviceInst is "ROOT\\UNKNOWN\\0000"
      ServiceName is "HelloWDM"

  one row per device: ``> `` marks the device asked about, two spaces the others; the
  device object's address; two spaces; the driver's name padded to 18; a space; the
  object's name without its directory (``MyDDKDevice``; nothing for an unnamed device;
  trailing blanks are cut). The debugger's ``!DevExt`` column is left out: the model
  gives a device extension no address of its own. The ``!DevNode`` lines follow when
  the stack's bottom is a devnode's PDO (ServiceName only when the devnode has one).

``!drvobj <driver> 1`` - the driver object and its NextDevice list, newest first::

    kd> !drvobj \\Driver\\HelloDDK 1
    Driver object (81800100) is for:
     \\Driver\\HelloDDK
    Device Object list:
    81800228  81800170

  the addresses on one line, two spaces apart (no such line when the list is empty);
  the debugger's blank lines and its "Driver Extension List" (IoAllocateDriverObject-
  Extension, not modelled) are left out.
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import DeviceObject, DriverObject, dbg_print, iop_device_stack, iop_devnode_of
from .actions import EXPR
from .driver_io import _pointer
from .registry import block
from .runtime import Frame, ScenarioRuntimeError

DEVSTACK_HEADER = " !DevObj   !DrvObj            ObjectName"


def devstack_lines(kernel: Any, device: DeviceObject) -> list[str]:
    """``!devstack`` of ``device`` (see the module docstring)."""
    address = kernel.objects.address_of
    lines = [f"kd> !devstack {address(device):08x}", DEVSTACK_HEADER]
    for member in iop_device_stack(device):
        mark = ">" if member is device else " "
        name = member.name.rsplit("\\", 1)[-1] if member.name else ""
        lines.append(f"{mark} {address(member):08x}  "
                     f"{member.driver_object.name:<18} {name}".rstrip())
    node = iop_devnode_of(device)
    if node is not None:
        lines.append(f"!DevNode {address(node):08x} :")
        lines.append(f'  DeviceInst is "{node.instance_path}"')
        if node.service:
            lines.append(f'  ServiceName is "{node.service}"')
    return lines


def drvobj_lines(kernel: Any, driver: DriverObject) -> list[str]:
    """``!drvobj <driver> 1`` (see the module docstring)."""
    address = kernel.objects.address_of
    lines = [f"kd> !drvobj {driver.name} 1", f"Driver object ({address(driver):08x}) is for:",
             f" {driver.name}", "Device Object list:"]
    devices = driver.devices()
    if devices:
        lines.append("  ".join(f"{address(device):08x}" for device in devices))
    return lines


@block("dump_device_stack", bare=True, summary="Print what WinDbg's !devstack shows for a "
       "device: its whole stack top first, '>' marking it, each row the device's address, "
       "driver and name; the devnode for a PnP stack. Without `device`: the routine's "
       "device. Takes no reference.",
       params={"type": "object", "additionalProperties": False,
               "properties": {"device": dict(EXPR, description="a PDEVICE_OBJECT "
                                             "expression, e.g. pLower")}},
       models=("DbgPrint",))
def _dump_device_stack(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    device = (_pointer(cc, params, "device", path, "DeviceObject") if "device" in params
              else lambda f: f.device)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = device(f)
        if target is None:
            raise ScenarioRuntimeError(f"{cc.where(path)}: dump_device_stack needs a "
                                       "device: this routine runs for none, name one "
                                       "with device:")
        for line in devstack_lines(f.kernel, target):
            dbg_print(f.kernel, line)
        return None
        yield
    return step


@block("dump_driver", bare=True, summary="Print what WinDbg's !drvobj <driver> 1 shows: the "
       "driver object's address and name and its device list (NextDevice order, newest "
       "first). Without `driver`: the routine's own driver.",
       params={"type": "object", "additionalProperties": False,
               "properties": {"driver": dict(EXPR, description="a PDRIVER_OBJECT "
                                             "expression, e.g. pDevice->DriverObject")}},
       models=("DbgPrint",))
def _dump_driver(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    driver = (_pointer(cc, params, "driver", path, "DriverObject") if "driver" in params
              else lambda f: f.model.driver)

    def step(f: Frame) -> Generator[Any, Any, None]:
        for line in drvobj_lines(f.kernel, driver(f)):
            dbg_print(f.kernel, line)
        return None
        yield
    return step
