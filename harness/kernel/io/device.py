"""Driver, device and file objects, device stacks, symbolic links (io-core §8).

Devices are attached vertically (``attached_device`` up, ``attached_to`` down) and
chained horizontally per driver (``next_device``, newest first: io-core §10.18).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..constants import (DO_BUFFERED_IO, DO_DEVICE_HAS_NAME, DO_DEVICE_INITIALIZING,
                         DO_DIRECT_IO, DO_EXCLUSIVE, DO_POWER_PAGABLE, FILE_DEVICE_UNKNOWN,
                         IRP_MJ_MAXIMUM_FUNCTION, NTSTATUS, BugCheckCode, NotificationEvent)
from ..ke.dispatcher import KEvent
from ..ob.namespace import SymbolicLink
from ..ob.object import ObjectType

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

IO_TYPE_DEVICE, IO_TYPE_DRIVER, IO_TYPE_FILE = 3, 4, 5
FO_SYNCHRONOUS_IO, FO_ALERTABLE_IO = 0x2, 0x4

# DeviceObjectExtension flags (io-core §8.2)
DOE_UNLOAD_PENDING, DOE_DELETE_PENDING = 0x1, 0x2
DOE_REMOVE_PENDING, DOE_REMOVE_PROCESSED, DOE_START_PENDING = 0x4, 0x8, 0x10


class DriverObject:
    """DRIVER_OBJECT: the dispatch table, StartIo, Unload and the device list."""

    def __init__(self, kernel: "Kernel", name: str) -> None:
        self.kernel = kernel
        self.type = IO_TYPE_DRIVER
        self.name = name                      # \Driver\Name
        # IopCreateDriver fills the table with IopInvalidDeviceRequest (io/driver.py)
        # before DriverEntry runs; an object made here alone has no dispatch entries.
        self.major_function: list[Callable[..., Any] | None] = \
            [None] * (IRP_MJ_MAXIMUM_FUNCTION + 1)
        self.driver_start_io: Callable[..., Any] | None = None
        self.driver_unload: Callable[..., Any] | None = None
        self.device_object: DeviceObject | None = None   # head of the NextDevice chain
        self.flags = 0                        # DRVO_* (io/loader.py)
        self.image: Any = None                # the DriverImage its code is in
        self.driver_start = self.driver_size = 0
        self.service_key_name = self.short_name
        self.hardware_database = ""
        self.unload_pending = False           # NtUnloadDriver asked; DriverUnload not run yet
        self.temporary = False                # ObMakeTemporaryObject: the name is gone
        self.add_device: Callable[..., Any] | None = None   # DriverExtension->AddDevice
        self.references = 0      # ObReferenceObject holders besides its devices (a PnP
                                 # notification registration): they keep the image mapped

    @property
    def short_name(self) -> str:
        return self.name.rsplit("\\", 1)[-1]

    def devices(self) -> list["DeviceObject"]:
        """The devices in Windows' list order (newest first)."""
        out, dev = [], self.device_object
        while dev is not None:
            out.append(dev)
            dev = dev.next_device
        return out

    def __repr__(self) -> str:
        return f"<DRIVER_OBJECT {self.name}>"


class DeviceObject:
    """DEVICE_OBJECT (io-core §8.1). ``attached_to`` stands for the DOE's AttachedTo."""

    __slots__ = ("kernel", "id", "type", "name", "reference_count", "driver_object",
                 "next_device", "attached_device", "attached_to", "current_irp", "flags",
                 "characteristics", "device_extension", "device_type", "stack_size",
                 "alignment_requirement", "sector_size", "doe_flags", "device_queue", "dpc",
                 "timer", "vpb", "pointer_count")

    def __init__(self, kernel: "Kernel", driver: DriverObject, name: str | None,
                 device_type: int, characteristics: int) -> None:
        self.kernel = kernel
        self.id = kernel.new_id("obj")
        self.type = IO_TYPE_DEVICE
        self.name = name
        self.reference_count = 0
        self.driver_object = driver
        self.next_device: DeviceObject | None = None
        self.attached_device: DeviceObject | None = None
        self.attached_to: DeviceObject | None = None
        self.current_irp: Any = None
        self.flags = DO_DEVICE_INITIALIZING
        self.characteristics = characteristics
        self.device_extension: dict[str, Any] = {}
        self.device_type = device_type
        self.stack_size = 1
        self.alignment_requirement = 0
        self.sector_size = 0
        self.doe_flags = 0
        self.device_queue: Any = None
        self.dpc: Any = None
        self.timer: Any = None
        self.vpb: Any = None                  # a mounted volume's VPB (io/vpb.py)
        # ObReferenceObject pointers callers hold (the header's PointerCount less the
        # keep-alive), apart from ReferenceCount's opens (pnp-hardware §1.7, io/devstack.py)
        self.pointer_count = 0

    @property
    def label(self) -> str:
        """How the trace names this device: its name, or Driver#id when unnamed."""
        return self.name or f"{self.driver_object.short_name}#{self.id}"

    def __repr__(self) -> str:
        return f"<DEVICE_OBJECT {self.label} StackSize={self.stack_size} flags=0x{self.flags:X}>"


class FileObject:
    """FILE_OBJECT: one open of a device; ``device_object`` is the named (bottom) device."""

    object_type = ObjectType("File")   # IoFileObjectType; io/file.py sets its delete procedure

    def __init__(self, kernel: "Kernel", device: DeviceObject, synchronous: bool,
                 name: str, file_name: str = "") -> None:
        self.kernel = kernel
        self.id = kernel.new_id("file")
        self.type = IO_TYPE_FILE
        self.device_object = device
        self.flags = FO_SYNCHRONOUS_IO if synchronous else 0
        self.event = KEvent(kernel, NotificationEvent, False, f"FileObject#{self.id}.Event")
        self.final_status = 0
        self.current_byte_offset = 0
        self.handle_count = 0
        self.reference_count = 0
        self.name = name
        self.file_name = file_name           # FileName: what follows the device's name
        self.cleanup_done = False
        self.closed = False
        self.lock_busy = False               # FO_SYNCHRONOUS_IO request lock (kernel-env §7.2)
        self.lock_waiters: list[Any] = []
        self.completion_context: Any = None   # {Port, Key} of a completion port (completion.py)
        # A file on a mounted volume (stacks-services 4.25): the VPB it was opened through,
        # the file system's FCB and CCB, and what IoSetShareAccess recorded for this open.
        self.vpb: Any = None
        self.fs_context: Any = None
        self.fs_context2: Any = None
        self.read_access = self.write_access = self.delete_access = False
        self.shared_read = self.shared_write = self.shared_delete = False

    @property
    def synchronous(self) -> bool:
        return bool(self.flags & FO_SYNCHRONOUS_IO)

    def __repr__(self) -> str:
        return f"<FILE_OBJECT#{self.id} {self.name} refs={self.reference_count}>"


def io_create_device(driver: DriverObject, extension_size: int, name: str | None,
                     device_type: int = FILE_DEVICE_UNKNOWN, characteristics: int = 0,
                     exclusive: bool = False) -> tuple[int, DeviceObject | None]:
    """IoCreateDevice (io-core §8.3): StackSize 1, DO_DEVICE_INITIALIZING, list head."""
    kernel = driver.kernel
    device = DeviceObject(kernel, driver, name, device_type, characteristics)
    if exclusive:
        device.flags |= DO_EXCLUSIVE
    if name:
        status = kernel.namespace.insert(name, device)
        if status != NTSTATUS.STATUS_SUCCESS:
            return status, None
        device.flags |= DO_DEVICE_HAS_NAME
    device.next_device = driver.device_object
    driver.device_object = device
    return NTSTATUS.STATUS_SUCCESS, device


def io_delete_device(device: DeviceObject) -> None:
    """IoDeleteDevice (io-core §8.5, pnp-hardware §1.7): the IoTimer and the name go at
    once; the device leaves the driver's NextDevice chain now, or at its last close
    while it is still opened (the I/O manager's io/loader.py finishes it then)."""
    if device.doe_flags & DOE_DELETE_PENDING:
        device.kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x240,
                                device.id, 0, 0, reason="IoDeleteDevice called twice")
    device.doe_flags |= DOE_DELETE_PENDING
    if device.timer is not None:        # pnp-hardware §6.3: the IoTimer goes at once
        device.kernel.io_timers.remove(device.timer)
        device.timer = None
    if device.name:
        device.kernel.namespace.remove(device.name)
    if device.reference_count == 0:
        iop_unlink_device(device)


def iop_unlink_device(device: DeviceObject) -> None:
    """Take a deleted device out of its driver's NextDevice chain."""
    driver = device.driver_object
    prev, cur = None, driver.device_object
    while cur is not None and cur is not device:
        prev, cur = cur, cur.next_device
    if cur is device:
        if prev is None:
            driver.device_object = device.next_device
        else:
            prev.next_device = device.next_device
        if device.pointer_count:
            # the keep-alive goes, but pointers held keep the object and so its reference
            # on the driver object: the image stays (pnp-hardware §1.7, io/devstack.py)
            driver.references += 1


def io_create_symbolic_link(kernel: "Kernel", link_name: str, device_name: str) -> int:
    """IoCreateSymbolicLink (io-core §8.13)."""
    status: int = kernel.namespace.insert(link_name, SymbolicLink(link_name, device_name))
    return status


def io_delete_symbolic_link(kernel: "Kernel", link_name: str) -> int:
    """IoDeleteSymbolicLink."""
    if kernel.namespace.remove(link_name):
        return NTSTATUS.STATUS_SUCCESS
    return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND


def io_get_attached_device(device: DeviceObject) -> DeviceObject:
    """IoGetAttachedDevice: the top of ``device``'s stack (io-core §8.9)."""
    while device.attached_device is not None:
        device = device.attached_device
    return device


def io_get_attached_device_reference(device: DeviceObject) -> DeviceObject:
    """IoGetAttachedDeviceReference: the top of the stack, ObReferenceObject'ed - a
    pointer, not an open: it defers no unload (pnp-hardware §1.5, §8.2). The caller
    drops it with ObDereferenceObject (io/devstack.ob_dereference_device)."""
    top = io_get_attached_device(device)
    top.pointer_count += 1
    return top


def io_attach_device_to_device_stack(source: DeviceObject,
                                     target: DeviceObject) -> DeviceObject | None:
    """IoAttachDeviceToDeviceStack (io-core §8.6, §10.19).

    Attaches to the CURRENT top of ``target``'s stack and returns that top (or None if
    it is still initializing or going away). StackSize = top's + 1, fixed now; Flags,
    DeviceType and Characteristics are not inherited.
    """
    top = io_get_attached_device(target)
    if top.flags & DO_DEVICE_INITIALIZING or top.doe_flags & (
            DOE_UNLOAD_PENDING | DOE_DELETE_PENDING | DOE_REMOVE_PENDING | DOE_REMOVE_PROCESSED):
        return None
    top.attached_device = source
    source.attached_to = top
    source.stack_size = top.stack_size + 1
    source.alignment_requirement = top.alignment_requirement
    source.sector_size = top.sector_size
    source.doe_flags |= top.doe_flags & DOE_START_PENDING
    return top


def io_detach_device(lower: DeviceObject) -> None:
    """IoDetachDevice(Lower): undo the attachment above ``lower`` (io-core §8.8)."""
    upper = lower.attached_device
    if upper is None:
        lower.kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x202,
                               lower.id, 0, 0, reason="IoDetachDevice with nothing attached")
    lower.attached_device = None
    upper.attached_to = None


def copy_io_flags_from(filter_device: DeviceObject, lower: DeviceObject) -> None:
    """What a filter must copy from the device below (kernel-env §10.2)."""
    filter_device.device_type = lower.device_type
    filter_device.characteristics = lower.characteristics
    filter_device.flags |= lower.flags & (DO_BUFFERED_IO | DO_DIRECT_IO | DO_POWER_PAGABLE)
