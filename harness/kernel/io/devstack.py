"""Walking device stacks and a driver's device list, as drivers and tools do it
(pnp-hardware §8; io-core §8.9).

Vertically a device points up (``AttachedDevice``) and, in its DEVOBJ_EXTENSION, down
(``AttachedTo``); horizontally a driver's devices are chained newest first
(``DriverObject->DeviceObject``, ``NextDevice``). The accessors here walk those links
under the I/O database lock (a driver that walks them by hand races with attach and
delete: books #4, #5, #43), and all but IoGetAttachedDevice hand back a referenced
object the caller must ObDereferenceObject (§8.2, §9.20).

Two counts, never confused (§1.5, §1.7):

* ``DeviceObject.reference_count`` is DEVICE_OBJECT.ReferenceCount: the opens (file
  objects). While it is not 0 an unload is deferred and a deleted device stays in its
  driver's list.
* ``DeviceObject.pointer_count`` is the object header's PointerCount less the keep-alive
  reference the object holds on itself until IoDeleteDevice unlinks it: the
  ObReferenceObject pointers drivers took. They defer nothing - DriverUnload runs, the
  device leaves the list - but the object's memory stays while one is held, and with it
  the device's reference on its driver object, so the image stays mapped (win32-io
  §7.5: a later StartService is ERROR_SERVICE_ALREADY_RUNNING).
"""

from __future__ import annotations

from typing import Any

from ..constants import NTSTATUS, BugCheckCode
from ..errors import NotModelledError
from ..ob.object import ObjectType
from .device import (DOE_DELETE_PENDING, DOE_REMOVE_PENDING, DOE_REMOVE_PROCESSED,
                     DOE_UNLOAD_PENDING, DeviceObject, DriverObject)
from .loader import DRVO_UNLOAD_INVOKED, iop_release_image

#: *IoDeviceObjectType: the OBJECT_TYPE bug check 0x18 names.
IoDeviceObjectType = ObjectType("Device")

#: sizeof(PVOID) on the modelled x86 machine.
POINTER_SIZE = 4

_GOING = DOE_UNLOAD_PENDING | DOE_DELETE_PENDING | DOE_REMOVE_PENDING | DOE_REMOVE_PROCESSED


def ob_reference_device(device: DeviceObject) -> DeviceObject:
    """ObReferenceObject(DeviceObject): one more pointer; it defers no unload (§1.5)."""
    device.pointer_count += 1
    return device


def _linked(device: DeviceObject) -> bool:
    """Whether the device is still in its driver's NextDevice chain (holds its keep-alive)."""
    return any(d is device for d in device.driver_object.devices())


def ob_dereference_device(device: DeviceObject) -> None:
    """ObDereferenceObject(DeviceObject) (<= DISPATCH_LEVEL).

    The last pointer of a device IoDeleteDevice already unlinked frees it: its reference
    on the driver object goes, and a driver that is unloaded loses its image now
    (§1.5 step 4). A dereference nobody took a reference for: on a device that still has
    its keep-alive, Windows frees the object under its driver's list (a use after free
    the model does not follow: NotModelledError); on one already freed the count goes
    below zero, bug check 0x18 REFERENCE_BY_POINTER (P1 the object type, P2 the object;
    sync-objects 7.2).
    """
    kernel = device.kernel
    if device.pointer_count == 0:
        if _linked(device):
            raise NotModelledError("ObDereferenceObject", f"{device!r} holds no reference "
                                   "taken by a driver: this dereference drops the object's "
                                   "keep-alive and frees it while its driver still lists it "
                                   "(a use after free)")
        kernel.bug_check(BugCheckCode.REFERENCE_BY_POINTER,
                         kernel.objects.address_of(IoDeviceObjectType),
                         kernel.objects.address_of(device), 0, 0,
                         reason=f"ObDereferenceObject({device.label}): its reference count "
                                "would go below zero")
    device.pointer_count -= 1
    if device.pointer_count == 0 and device.doe_flags & DOE_DELETE_PENDING \
            and not _linked(device):
        driver = device.driver_object       # IopDeleteDevice: the driver object's reference
        driver.references -= 1
        iop_release_image(driver)


def _driver_going(driver: DriverObject) -> bool:
    image = driver.image
    return bool(driver.unload_pending or driver.flags & DRVO_UNLOAD_INVOKED
                or (image is not None and not image.mapped))


def io_get_lower_device_object(device: DeviceObject) -> DeviceObject | None:
    """IoGetLowerDeviceObject(Dev) (§8.2): the device directly below, referenced; NULL
    when Dev is the bottom of its stack or the lower driver is not loaded or is being
    unloaded, removed or deleted. That is the documented rule, and the model tests the
    LOWER device (its DOE_UNLOAD/DELETE/REMOVE_PENDING, REMOVE_PROCESSED) and its driver
    (unload asked or invoked, image gone); ReactOS tests the pending flags the other
    way round (§8.2's warning), which is not copied."""
    lower = device.attached_to
    if lower is None or lower.doe_flags & _GOING or _driver_going(lower.driver_object):
        return None
    return ob_reference_device(lower)


def io_get_device_attachment_base(device: DeviceObject) -> DeviceObject:
    """The bottom of Dev's stack (IopGetDeviceAttachmentBase: AttachedTo down), no
    reference: the PDO of a PnP stack."""
    while device.attached_to is not None:
        device = device.attached_to
    return device


def io_get_device_attachment_base_ref(device: DeviceObject) -> DeviceObject:
    """IoGetDeviceAttachmentBaseRef(Dev): the bottom of the stack, referenced (§8.2)."""
    return ob_reference_device(io_get_device_attachment_base(device))


def io_enumerate_device_object_list(driver: DriverObject, size_in_bytes: int
                                    ) -> tuple[int, int, list[DeviceObject]]:
    """IoEnumerateDeviceObjectList(Driver, Array, SizeInBytes, &Count) (§8.2): (status,
    Count, the devices to store in Array). Count is the number of devices in the
    driver's list, always, deferred deletions included (§8.1); if Count pointers do not
    fit in SizeInBytes: STATUS_BUFFER_TOO_SMALL and nothing referenced (so a first call
    with size 0 learns Count); else the devices in NextDevice order, each referenced
    (the caller dereferences each), STATUS_SUCCESS."""
    devices = driver.devices()
    if len(devices) * POINTER_SIZE > size_in_bytes:
        return NTSTATUS.STATUS_BUFFER_TOO_SMALL, len(devices), []
    return NTSTATUS.STATUS_SUCCESS, len(devices), [ob_reference_device(d) for d in devices]


def iop_device_stack(device: DeviceObject) -> list[DeviceObject]:
    """The whole stack ``device`` is in, top first (what ``!devstack`` walks)."""
    top = device
    while top.attached_device is not None:
        top = top.attached_device
    stack = []
    current: DeviceObject | None = top
    while current is not None:
        stack.append(current)
        current = current.attached_to
    return stack


def iop_devnode_of(device: DeviceObject) -> Any:
    """The devnode whose PDO is the bottom of ``device``'s stack, or None (a legacy
    stack)."""
    pnp = getattr(device.kernel, "pnp", None)
    return pnp.devnode_of(device) if pnp is not None else None
