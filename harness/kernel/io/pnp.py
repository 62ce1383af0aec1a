"""The PnP manager (pnp-hardware §2): devnodes, the root enumerator's PDOs, the PnP IRPs
it sends and their order, AddDevice and the stack it builds, START_DEVICE, the orderly
and the surprise removal, and a PnP driver's unload once its last device is gone.

Every PnP IRP is a threaded IRP the PnP worker builds (Status STATUS_NOT_SUPPORTED,
Information 0), sends to the top of the devnode's stack at PASSIVE_LEVEL and waits for:
one PnP operation at a time (§2.1). The root enumerator (``\\Driver\\PnpManager``) owns
the PDOs of root-enumerated devices and answers what only a PDO answers (§2.8).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any, Callable, Generator, Sequence

from ..errors import NotModelledError
from ..constants import (DO_DEVICE_INITIALIZING, FILE_DEVICE_BUS_EXTENDER, IRP_MJ, NTSTATUS,
                         BugCheckCode, NotificationEvent, nt_success)
from ..ke.dispatcher import KEvent, ke_wait_for_single_object
from .build import io_build_synchronous_fsd_request
from .device import DOE_DELETE_PENDING, DOE_START_PENDING, DeviceObject, DriverObject, \
    io_create_device, io_delete_device, io_get_attached_device
from .driver import io_create_driver
from .interface import (DeviceInterfaces, iop_disable_device_interfaces,
                        iop_do_deferred_set_interface_state)
from .iomgr import io_call_driver, io_complete_request
from .irp import Irp, IoStatusBlock
from .loader import DRVO_LEGACY_DRIVER, DRVO_UNLOAD_INVOKED, iop_release_image
from .pnpcaps import DeviceCapabilities
from .pnpres import (DeviceResources, iop_assign_resources, iop_free_resource_list,
                     pnp_bus_query_resource_requirements, pnp_bus_query_resources)

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

DO_BUS_ENUMERATED_DEVICE = 0x1000


class IRP_MN(IntEnum):  # noqa: N801 - WDK names
    """IRP_MJ_PNP minor function codes."""

    IRP_MN_START_DEVICE = 0x00
    IRP_MN_QUERY_REMOVE_DEVICE = 0x01
    IRP_MN_REMOVE_DEVICE = 0x02
    IRP_MN_CANCEL_REMOVE_DEVICE = 0x03
    IRP_MN_STOP_DEVICE = 0x04
    IRP_MN_QUERY_STOP_DEVICE = 0x05
    IRP_MN_CANCEL_STOP_DEVICE = 0x06
    IRP_MN_QUERY_DEVICE_RELATIONS = 0x07
    IRP_MN_QUERY_INTERFACE = 0x08
    IRP_MN_QUERY_CAPABILITIES = 0x09
    IRP_MN_QUERY_RESOURCES = 0x0A
    IRP_MN_QUERY_RESOURCE_REQUIREMENTS = 0x0B
    IRP_MN_QUERY_DEVICE_TEXT = 0x0C
    IRP_MN_FILTER_RESOURCE_REQUIREMENTS = 0x0D
    IRP_MN_READ_CONFIG = 0x0F
    IRP_MN_WRITE_CONFIG = 0x10
    IRP_MN_EJECT = 0x11
    IRP_MN_SET_LOCK = 0x12
    IRP_MN_QUERY_ID = 0x13
    IRP_MN_QUERY_PNP_DEVICE_STATE = 0x14
    IRP_MN_QUERY_BUS_INFORMATION = 0x15
    IRP_MN_DEVICE_USAGE_NOTIFICATION = 0x16
    IRP_MN_SURPRISE_REMOVAL = 0x17
    IRP_MN_QUERY_LEGACY_BUS_INFORMATION = 0x18


MN = IRP_MN
BusQueryDeviceID, BusQueryHardwareIDs, BusQueryCompatibleIDs, BusQueryInstanceID = 0, 1, 2, 3
BusRelations, EjectionRelations, TargetDeviceRelation = 0, 1, 4
DeviceTextDescription, DeviceTextLocationInformation = 0, 1

# Device Manager problem codes (pnp-hardware §0)
CM_PROB_FAILED_START, CM_PROB_FAILED_ADD = 10, 31
CM_PROB_FAILED_POST_START, CM_PROB_HELD_FOR_EJECT = 43, 47
# PNP_DEVICE_STATE bits (pnp-hardware §0, §2.7)
PNP_DEVICE_DISABLED, PNP_DEVICE_DONT_DISPLAY_IN_UI, PNP_DEVICE_FAILED = 0x1, 0x2, 0x4
PNP_DEVICE_REMOVED, PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED = 0x8, 0x10
PNP_DEVICE_NOT_DISABLEABLE = 0x20
#: 0xCA PNP_DETECTED_FATAL_ERROR parameter 1 for a BusRelations answer (§2.2)
PNP_FATAL_DELETED_PDO, PNP_FATAL_NULL_PDO = 0x4, 0x8


class DevNode:
    """One device instance: its PDO, IDs, the drivers the registry binds, its state."""

    def __init__(self, instance_path: str, hardware_ids: Sequence[str], service: str | None,
                 lower_filters: Sequence[str] = (), upper_filters: Sequence[str] = (),
                 description: str = "", compatible_ids: Sequence[str] = (),
                 resources: DeviceResources | None = None,
                 capabilities: DeviceCapabilities | None = None) -> None:
        self.instance_path = instance_path
        self.hardware_ids = tuple(hardware_ids)
        self.compatible_ids = tuple(compatible_ids)
        self.service = service
        self.lower_filters = tuple(lower_filters)
        self.upper_filters = tuple(upper_filters)
        self.description = description
        self.pdo: DeviceObject | None = None
        self.state = "Initialized"          # DriversAdded, Started, Removed
        self.problem = 0
        self.removing = False               # the devnode goes: the root PDO is deleted
        self.remove_after_close = False     # surprise-removed: REMOVE at the last close
        self.resources = resources          # what the bus assigns it (None: nothing)
        self.allocated = (0, 0)             # START's raw and translated lists (§2.5)
        # what the bus reports in QUERY_CAPABILITIES, and what the stack answered (§2.6)
        self.capabilities = capabilities or DeviceCapabilities()
        self.reported: DeviceCapabilities | None = None
        self.device_state = 0               # the last PNP_DEVICE_STATE bits (§2.7)
        self.children: list[DevNode] = []   # what its last BusRelations reported (§2.2)
        # the root devnode's answer to BusRelations (the root enumerator, pnpworker.py)
        self.bus_relations: Callable[[], list[Any]] | None = None

    @property
    def device_id(self) -> str:
        return self.instance_path.rsplit("\\", 1)[0]

    @property
    def instance_id(self) -> str:
        return self.instance_path.rsplit("\\", 1)[-1]

    def __repr__(self) -> str:
        return f"<devnode {self.instance_path} {self.state}>"


class PnpManager:
    """The PnP manager of one machine and its root enumerator."""

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self.root = io_create_driver(kernel, "\\Driver\\PnpManager")
        self.root.major_function[IRP_MJ.IRP_MJ_PNP] = pnp_root_dispatch
        self.root.flags &= ~DRVO_LEGACY_DRIVER
        self.devnodes: list[DevNode] = []
        self._pdo_names = 0
        self.interfaces = DeviceInterfaces(kernel)      # device interfaces (§3)
        self.root_node: DevNode | None = None           # HTREE\ROOT\0 (pnpworker.py)
        self.root_pending: list[DevNode] = []           # plugged in, not yet reported
        self.load_driver: LoadDriver | None = None      # how devnodes get their drivers
        self.actions: list[tuple[Any, Callable[..., Generator[Any, Any, Any]],
                                 tuple[Any, ...]]] = []
        self.worker: Any = None                         # the PnP worker thread, if running

    def devnode(self, instance_path: str) -> DevNode | None:
        for node in self.devnodes:
            if node.instance_path.lower() == instance_path.lower():
                return node
        return None

    def devnode_of(self, device: DeviceObject) -> DevNode | None:
        bottom = device
        while bottom.attached_to is not None:
            bottom = bottom.attached_to
        return next((n for n in self.devnodes if n.pdo is bottom), None)

    def report_root_device(self, node: DevNode, bus_driver: DriverObject | None = None,
                           device_type: int = FILE_DEVICE_BUS_EXTENDER,
                           characteristics: int = 0, in_tree: bool = True) -> DeviceObject:
        """The root enumerator's PDO for a devnode: an autogenerated name
        ``\\Device\\%08lx``, DO_BUS_ENUMERATED_DEVICE, ready (§2.1). With ``bus_driver``:
        the PDO that bus driver reports for a child of its bus (a USB mass-storage LUN's,
        stacks-services 3.1), of its device type and characteristics. ``in_tree=False``:
        the PDO only, its devnode joins the tree when a BusRelations answer reports it."""
        name = f"\\Device\\{self._pdo_names:08x}"
        self._pdo_names += 1
        _, pdo = io_create_device(bus_driver or self.root, 0, name, device_type,
                                  characteristics)
        assert pdo is not None      # the PnP manager's own fresh name
        pdo.flags = (pdo.flags | DO_BUS_ENUMERATED_DEVICE) & ~DO_DEVICE_INITIALIZING
        # opens fail and interface enables wait until the stack has started (§3.2);
        # IoAttachDeviceToDeviceStack passes the flag up to each device attached
        pdo.doe_flags |= DOE_START_PENDING
        pdo.device_extension["devnode"] = node
        node.pdo = pdo
        if in_tree:
            self.devnodes.append(node)
        return pdo

    def queue(self, key: Any, body: Callable[..., Generator[Any, Any, Any]], *args: Any) -> Any:
        """Queue a device action for the PnP worker (ReactOS's PiQueueDeviceAction): one
        action at a time, in order, in a System thread; an action whose ``key`` is
        already queued and not yet started collapses into it (§2.2, §2.7). The worker
        thread is returned."""
        if key is not None and any(queued == key for queued, _, _ in self.actions):
            return self.worker
        self.actions.append((key, body, args))
        if self.worker is None:
            self.worker = self.kernel.create_thread(self._work, name="PnpWorker",
                                                    process="System")
        return self.worker

    def _work(self) -> Generator[Any, Any, None]:
        while self.actions:
            _, body, args = self.actions.pop(0)
            yield from body(self.kernel, *args)
        self.worker = None


def pnp_irp(kernel: "Kernel", node: DevNode, minor: int, information: Any = 0,
            **parameters: Any) -> Generator[Any, Any, tuple[int, Any]]:
    """Send one PnP IRP to the top of the devnode's stack and wait for it (§2.1):
    (status, Information). ``information`` is what Information starts as (0, except
    FILTER_RESOURCE_REQUIREMENTS's list, §2.5 item 1)."""
    assert node.pdo is not None     # a devnode in the tree has its PDO
    top = io_get_attached_device(node.pdo)
    event = KEvent(kernel, NotificationEvent, False, "PnP IRP event")
    # ReactOS's IopSynchronousCall presets the IRP and the caller's IOSB alike: an error
    # completed without pending writes no IOSB, so the preset is what the caller reads
    iosb = IoStatusBlock(0, information)
    irp = io_build_synchronous_fsd_request(kernel, IRP_MJ.IRP_MJ_PNP, top, None, 0, None,
                                           event, iosb)
    irp.io_status.status = NTSTATUS.STATUS_NOT_SUPPORTED
    irp.io_status.information = information
    stack = irp.stack[irp.stack_count - 1]
    stack.minor_function = minor
    if parameters:
        stack.parameters.other = dict(parameters)
    status = yield from io_call_driver(top, irp)
    if status == NTSTATUS.STATUS_PENDING:
        yield from ke_wait_for_single_object(event)
        status = iosb.status
    return status, iosb.information


def pnp_root_dispatch(device: DeviceObject, irp: Irp) -> Generator[Any, Any, int]:
    """The root enumerator's PDO: what only the bus driver answers (IDs, text,
    capabilities, the target relation), success for the state changes, and the status
    as it is for the rest (§2.8)."""
    stack = irp.stack[irp.current_location - 1]
    minor = stack.minor_function
    node: DevNode = device.device_extension["devnode"]
    params = stack.parameters.other or {}
    status = irp.io_status.status
    info: Any = irp.io_status.information
    if minor == MN.IRP_MN_QUERY_ID:
        kind: Any = params.get("IdType")
        answer = {BusQueryDeviceID: node.device_id, BusQueryInstanceID: node.instance_id,
                  BusQueryHardwareIDs: list(node.hardware_ids),
                  BusQueryCompatibleIDs: list(node.compatible_ids)}.get(kind)
        if answer is not None:
            status, info = NTSTATUS.STATUS_SUCCESS, answer
    elif minor == MN.IRP_MN_QUERY_DEVICE_TEXT:
        if params.get("DeviceTextType") == DeviceTextDescription and node.description:
            status, info = NTSTATUS.STATUS_SUCCESS, node.description
    elif minor == MN.IRP_MN_QUERY_CAPABILITIES:
        status = NTSTATUS.STATUS_SUCCESS          # the preset DEVICE_CAPABILITIES stand,
        if "Capabilities" in params:              # with what the devnode declares (§2.6)
            params["Capabilities"].fill(node.capabilities)
    elif minor == MN.IRP_MN_QUERY_RESOURCES and node.resources is not None:
        # §2.3: the boot configuration; a device without resources leaves the IRP as is
        status = NTSTATUS.STATUS_SUCCESS
        info = pnp_bus_query_resources(device.kernel, node.resources)
    elif minor == MN.IRP_MN_QUERY_RESOURCE_REQUIREMENTS and node.resources is not None:
        status = NTSTATUS.STATUS_SUCCESS
        info = pnp_bus_query_resource_requirements(device.kernel, node.resources)
    elif minor == MN.IRP_MN_QUERY_DEVICE_RELATIONS:
        if params.get("Type") == TargetDeviceRelation:
            status, info = NTSTATUS.STATUS_SUCCESS, [device]
        elif params.get("Type") == BusRelations and node.bus_relations is not None:
            status, info = NTSTATUS.STATUS_SUCCESS, node.bus_relations()
    elif minor in (MN.IRP_MN_START_DEVICE, MN.IRP_MN_QUERY_REMOVE_DEVICE,
                   MN.IRP_MN_CANCEL_REMOVE_DEVICE, MN.IRP_MN_SURPRISE_REMOVAL,
                   MN.IRP_MN_QUERY_STOP_DEVICE, MN.IRP_MN_STOP_DEVICE,
                   MN.IRP_MN_CANCEL_STOP_DEVICE):
        status = NTSTATUS.STATUS_SUCCESS
    elif minor == MN.IRP_MN_REMOVE_DEVICE:
        status = NTSTATUS.STATUS_SUCCESS
        if node.removing:                         # the device is gone: so is its PDO
            io_delete_device(device)
    elif minor == MN.IRP_MN_EJECT:
        # §2.10: the device leaves its slot; the root enumerator reports it no more and
        # deletes its PDO (the stack above was removed before EJECT was sent)
        status = NTSTATUS.STATUS_SUCCESS
        node.removing = True
        io_delete_device(device)
    irp.io_status.status, irp.io_status.information = status, info
    yield from io_complete_request(irp)
    return status


# -- the PnP worker's sequences -------------------------------------------------------------

LoadDriver = Callable[[str], Generator[Any, Any, "DriverObject | None"]]


def pnp_start_devnode(kernel: "Kernel", node: DevNode, load_driver: LoadDriver
                      ) -> Generator[Any, Any, None]:
    """A new devnode, from enumeration to started (§2.3-§2.5), as the PnP worker runs it."""
    kernel.pnp.load_driver = load_driver          # for the children enumeration finds
    # §2.3: the PDO alone answers the identification queries (ReactOS's order)
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_ID, IdType=BusQueryDeviceID)
    caps = DeviceCapabilities.preset()
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_CAPABILITIES, Capabilities=caps)
    node.reported = caps
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_ID, IdType=BusQueryInstanceID)
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_ID, IdType=BusQueryHardwareIDs)
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_ID, IdType=BusQueryCompatibleIDs)
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_DEVICE_TEXT,
                       DeviceTextType=DeviceTextDescription)
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_DEVICE_TEXT,
                       DeviceTextType=DeviceTextLocationInformation)
    yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_BUS_INFORMATION)
    # the boot configuration is freed (the model keeps no LogConf); the requirements
    # are kept for FILTER_RESOURCE_REQUIREMENTS and the assignment (§2.5)
    _, boot_config = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_RESOURCES)
    iop_free_resource_list(kernel, _pool_address(kernel, boot_config,
                                                 MN.IRP_MN_QUERY_RESOURCES))
    _, requirements = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_RESOURCE_REQUIREMENTS)
    requirements = _pool_address(kernel, requirements, MN.IRP_MN_QUERY_RESOURCE_REQUIREMENTS)
    # §2.4: every driver of the stack loaded first, then AddDevice bottom to top
    order = [*node.lower_filters, *([node.service] if node.service else []),
             *node.upper_filters]
    drivers = []
    for service in order:
        driver = yield from load_driver(service)
        if driver is None:                        # not loaded: nothing binds
            continue
        drivers.append((service, driver))
    for service, driver in drivers:
        add_device = driver.add_device
        if add_device is None:
            continue
        assert node.pdo is not None     # reported before its drivers load
        kernel.hooks.service_call("AddDevice", {"driver": driver.name,
                                                "pdo": node.pdo.label})
        status = yield from add_device(driver, node.pdo)
        kernel.hooks.service_return("AddDevice", {"status": status})
        if not nt_success(status) and service == node.service:
            node.problem = CM_PROB_FAILED_ADD    # §2.4: the devnode is torn down
            iop_free_resource_list(kernel, requirements)
            yield from pnp_remove_stack(kernel, node, after_failure=True)
            return
    node.state = "DriversAdded"
    # §2.5 item 1: the requirements go up the stack in Information (NULL for a device
    # without resources, every root-enumerated fake device); then the assignment
    sent = kernel.pool_blocks.blocks[requirements].buffer.read() if requirements else b""
    _, filtered = yield from pnp_irp(kernel, node, MN.IRP_MN_FILTER_RESOURCE_REQUIREMENTS,
                                     information=requirements,
                                     IoResourceRequirementList=requirements)
    node.allocated = iop_assign_resources(kernel, node.resources, requirements, sent,
                                          filtered)
    iop_free_resource_list(kernel, requirements)
    yield from pnp_start_stack(kernel, node)


def pnp_start_stack(kernel: "Kernel", node: DevNode, restart: bool = False
                    ) -> Generator[Any, Any, bool]:
    """START_DEVICE with the devnode's assignment and, after the first start, what
    follows it (§2.5 items 2-3); ``restart``: the START after a STOP_DEVICE (§2.9).
    True when the stack started."""
    # §2.5 item 2: both lists, or NULL for a device that has no resources
    status, _ = yield from pnp_irp(kernel, node, MN.IRP_MN_START_DEVICE,
                                   AllocatedResources=node.allocated[0],
                                   AllocatedResourcesTranslated=node.allocated[1])
    if not nt_success(status) and restart:
        # §2.10: a stack that succeeded STOP_DEVICE and then failed the START goes the
        # surprise-removal way; the problem code shown is not documented (chosen: 10)
        node.problem = CM_PROB_FAILED_START
        yield from pnp_surprise_remove(kernel, node, gone=False)
        return False
    if not nt_success(status):
        # §2.5 item 3: Code 10; Windows sends REMOVE_DEVICE at once, no QUERY_REMOVE
        node.problem = CM_PROB_FAILED_START
        yield from pnp_remove_stack(kernel, node, after_failure=True)
        return False
    node.state = "Started"
    if restart:
        # §2.5 item 3: QUERY_PNP_DEVICE_STATE is not sent after a restart that follows
        # STOP_DEVICE; the docs name QUERY_CAPABILITIES and BusRelations only after the
        # first start too (uncertain for a restart; chosen: START alone)
        return True
    # PpMarkDeviceStackStartPending(PDO, FALSE), then the interface enables held back
    # meanwhile (§2.5 item 3: before the post-start QUERY_CAPABILITIES)
    device = node.pdo
    while device is not None:
        device.doe_flags &= ~DOE_START_PENDING
        device = device.attached_device
    iop_do_deferred_set_interface_state(kernel, node)
    caps = DeviceCapabilities.preset()
    status, _ = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_CAPABILITIES,
                                   Capabilities=caps)
    if nt_success(status):                        # a failure is only logged (§2.6)
        node.reported = caps
    yield from pnp_query_device_state(kernel, node)
    if node.state == "Started":
        yield from pnp_enumerate(kernel, node)
    return node.state == "Started"


def pnp_query_device_state(kernel: "Kernel", node: DevNode) -> Generator[Any, Any, None]:
    """QUERY_PNP_DEVICE_STATE and what the PnP manager does with the bits (§2.7): an
    unhandled query is ignored; REMOVED, or FAILED without RESOURCE_REQUIREMENTS_CHANGED,
    tears the device down the surprise-removal way with problem 43 (the devnode stays:
    its bus still reports it)."""
    status, bits = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_PNP_DEVICE_STATE)
    if not nt_success(status):
        return
    bits = int(bits or 0)
    node.device_state = bits
    if bits & PNP_DEVICE_REMOVED or (bits & PNP_DEVICE_FAILED and not
                                     bits & PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED):
        # the spec gives problem 43 for both bits (ReactOS sets it for FAILED only)
        node.problem = CM_PROB_FAILED_POST_START
        yield from pnp_surprise_remove(kernel, node, gone=False)
        return
    unmodelled = bits & (PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED | PNP_DEVICE_DISABLED
                         | PNP_DEVICE_NOT_DISABLEABLE)
    if unmodelled:
        raise NotModelledError("the PnP manager", f"{node.instance_path} reported "
                               f"PNP_DEVICE_STATE 0x{bits:X}: what the PnP manager does for "
                               "RESOURCE_REQUIREMENTS_CHANGED (a rebalance with new "
                               "requirements), DISABLED or NOT_DISABLEABLE is not modelled")


def pnp_enumerate(kernel: "Kernel", node: DevNode) -> Generator[Any, Any, None]:
    """QUERY_DEVICE_RELATIONS(BusRelations) and the tree updated from the answer (§2.2):
    new PDOs become devnodes and start, known children no longer reported are gone. A
    failed query, or SUCCESS with Information NULL, is "no change" (ReactOS; Windows
    undocumented, chosen)."""
    status, info = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_DEVICE_RELATIONS,
                                      Type=BusRelations)
    if not nt_success(status) or not info:
        return
    if not isinstance(info, (list, tuple)):
        raise NotModelledError("the PnP manager", f"BusRelations of {node.instance_path} "
                               f"came back with Information {info!r}: a DEVICE_RELATIONS "
                               "a driver builds is not modelled")
    reported = []
    for index, pdo in enumerate(info):
        if pdo is None:                           # a NULL entry in Objects[]
            kernel.bug_check(BugCheckCode.PNP_DETECTED_FATAL_ERROR, PNP_FATAL_NULL_PDO,
                             kernel.objects.address_of(node.pdo), len(info), index,
                             reason=f"BusRelations of {node.instance_path}: Objects"
                                    f"[{index}] is NULL")
        if pdo.doe_flags & DOE_DELETE_PENDING:
            kernel.bug_check(BugCheckCode.PNP_DETECTED_FATAL_ERROR, PNP_FATAL_DELETED_PDO,
                             kernel.objects.address_of(pdo), 0, 0,
                             reason=f"BusRelations reported {pdo.label}, already deleted")
        child = pdo.device_extension.get("devnode")
        if not isinstance(child, DevNode):
            raise NotModelledError("the PnP manager", f"BusRelations of "
                                   f"{node.instance_path} reported {pdo.label}: devnodes "
                                   "of a scenario driver's own PDOs are not modelled")
        reported.append(child)
    gone = [child for child in node.children if child not in reported]
    new = [child for child in reported if child not in kernel.pnp.devnodes]
    node.children = reported
    for child in gone:                            # surprise removal, then removal (§2.10)
        if child in kernel.pnp.devnodes and not child.removing:
            yield from pnp_surprise_remove(kernel, child)
    for child in new:
        if kernel.pnp.load_driver is None:
            raise NotModelledError("the PnP manager", f"{child.instance_path} was "
                                   "reported before any devnode started: no driver loader")
        assert child.pdo is not None    # a BusRelations answer names PDOs
        child.pdo.flags |= DO_BUS_ENUMERATED_DEVICE
        kernel.pnp.devnodes.append(child)
        yield from pnp_start_devnode(kernel, child, kernel.pnp.load_driver)


def _pool_address(kernel: "Kernel", information: Any, minor: int) -> int:
    """Information as the resource list the PnP manager reads and frees: 0 (none) or
    the address of a live pool block."""
    if not information:
        return 0
    block = kernel.pool_blocks.blocks.get(information) if isinstance(information, int) \
        else None
    if block is None or block.freed:
        raise NotModelledError("the PnP manager", f"{MN(minor).name} came back with "
                               f"Information {information!r}, which is no pool block: what "
                               "the PnP manager would read there is not modelled")
    address: int = information
    return address


def pnp_uninstall(kernel: "Kernel", node: DevNode, gone: bool = True
                  ) -> Generator[Any, Any, bool]:
    """An orderly removal (Device Manager's Uninstall, §2.10): QUERY_REMOVE, then
    REMOVE_DEVICE, or CANCEL_REMOVE when a driver vetoes; True when removed. ``gone``
    False: the PDO stays (an eject's removal, pnpstop.py)."""
    status, _ = yield from pnp_irp(kernel, node, MN.IRP_MN_QUERY_REMOVE_DEVICE)
    if not nt_success(status):
        yield from pnp_irp(kernel, node, MN.IRP_MN_CANCEL_REMOVE_DEVICE)
        return False
    node.removing = gone
    yield from pnp_remove_stack(kernel, node)
    return True


def pnp_surprise_remove(kernel: "Kernel", node: DevNode, gone: bool = True
                        ) -> Generator[Any, Any, None]:
    """The device is gone (§2.10): SURPRISE_REMOVAL now, cannot be vetoed; REMOVE_DEVICE
    once the last handle to the device is closed. ``gone`` False: a failed device whose
    bus still reports it (§2.7): its devnode and PDO stay, with the problem code."""
    node.removing = gone
    yield from pnp_irp(kernel, node, MN.IRP_MN_SURPRISE_REMOVAL)
    if _opened(node):
        node.remove_after_close = True
        return
    yield from pnp_remove_stack(kernel, node)


def _opened(node: DevNode) -> bool:
    device: DeviceObject | None = node.pdo
    while device is not None:
        if device.reference_count > 0:
            return True
        device = device.attached_device
    return False


def pnp_remove_stack(kernel: "Kernel", node: DevNode, after_failure: bool = False
                     ) -> Generator[Any, Any, None]:
    """REMOVE_DEVICE through the stack, then each PnP driver whose last device went is
    unloaded: DriverUnload in this thread, then the image (§2.11)."""
    drivers = []
    assert node.pdo is not None     # a devnode in the tree has its PDO
    device: DeviceObject | None = io_get_attached_device(node.pdo)
    while device is not None and device is not node.pdo:
        if device.driver_object not in drivers:
            drivers.append(device.driver_object)
        device = device.attached_to
    node.remove_after_close = False
    yield from pnp_irp(kernel, node, MN.IRP_MN_REMOVE_DEVICE)
    iop_disable_device_interfaces(kernel, node)      # what the driver left enabled (§3.2)
    node.state = "Removed" if node.removing else "Initialized"
    for assigned in node.allocated:              # the device's resources are released
        iop_free_resource_list(kernel, assigned)
    node.allocated = (0, 0)
    if node.removing and node in kernel.pnp.devnodes:
        kernel.pnp.devnodes.remove(node)
    for driver in drivers:
        yield from iop_unload_pnp_driver(driver)


def iop_unload_pnp_driver(driver: DriverObject) -> Generator[Any, Any, None]:
    """A PnP driver with no device left is unloaded (§2.11): DriverUnload (PASSIVE,
    this system thread), the driver object made temporary, the image unmapped."""
    if driver.device_object is not None or driver.flags & DRVO_UNLOAD_INVOKED:
        return
    kernel = driver.kernel
    driver.flags |= DRVO_UNLOAD_INVOKED
    if driver.driver_unload is not None:
        kernel.hooks.service_call("DriverUnload", {"driver": driver.name})
        yield from driver.driver_unload(driver)
        kernel.hooks.service_return("DriverUnload", {})
    kernel.namespace.remove(driver.name)
    driver.temporary = True
    iop_release_image(driver)


def pnp_device_closed(device: DeviceObject) -> Generator[Any, Any, None]:
    """The last close of a device in a surprise-removed devnode: the PnP manager's
    worker, not the closing thread, then sends REMOVE_DEVICE (§2.10)."""
    kernel = device.kernel
    pnp = getattr(kernel, "pnp", None)
    node = pnp.devnode_of(device) if pnp is not None else None
    if node is not None and node.remove_after_close and not _opened(node):
        node.remove_after_close = False
        kernel.create_thread(pnp_remove_stack, kernel, node, name="PnpWorker",
                             process="System")
    return
    yield
