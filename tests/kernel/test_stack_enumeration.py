"""Device-stack enumeration and the references it hands out (pnp-hardware §8.1, §8.2,
§9.20; the unload rules they must not disturb, §1.5, §1.7; sync-objects 7.2)."""

from __future__ import annotations

import pytest

from harness.kernel import (DRVO_LEGACY_DRIVER, NTSTATUS, BugCheckCode, BugCheckHalt,
                            DriverImage, NotModelledError, io_attach_device_to_device_stack,
                            io_create_driver, io_delete_device, io_enumerate_device_object_list,
                            io_get_attached_device, io_get_attached_device_reference,
                            io_get_device_attachment_base_ref, io_get_lower_device_object,
                            iop_device_stack, nt_unload_driver, ob_dereference_device,
                            ob_reference_device)
from harness.kernel.io.device import DOE_DELETE_PENDING, DOE_REMOVE_PENDING
from harness.kernel.io.loader import mm_load_system_image


@pytest.fixture
def stack(make_device):
    """\\Device\\Base with two filters attached: (base, lower filter, upper filter)."""
    base = make_device("\\Device\\Base")
    lower = make_device(None)
    upper = make_device(None)
    assert io_attach_device_to_device_stack(lower, base) is base
    assert io_attach_device_to_device_stack(upper, base) is lower   # the current top
    return base, lower, upper


def test_8_1_next_device_chain_is_newest_first_and_keeps_deferred_deletions(kernel,
                                                                              make_device):
    """§8.1: DriverObject->DeviceObject is the newest device, NextDevice the rest in
    reverse creation order; a device whose deletion waits for its last close stays in
    the chain, so IoEnumerateDeviceObjectList still counts it (§1.7)."""
    driver = io_create_driver(kernel, "Three")
    first = make_device("\\Device\\One", driver=driver)
    second = make_device("\\Device\\Two", driver=driver)
    third = make_device(None, driver=driver)
    assert driver.devices() == [third, second, first]
    second.reference_count = 1                      # still opened
    io_delete_device(second)
    status, count, devices = io_enumerate_device_object_list(driver, 3 * 4)
    assert (status, count, devices) == (NTSTATUS.STATUS_SUCCESS, 3, [third, second, first])


def test_8_2_io_get_attached_device_returns_the_top_without_a_reference(stack):
    """§8.2: IoGetAttachedDevice is the top of the stack and takes no reference."""
    base, lower, upper = stack
    assert io_get_attached_device(base) is upper
    assert io_get_attached_device(lower) is upper
    assert upper.pointer_count == 0


def test_8_2_io_get_attached_device_reference_takes_a_pointer_not_an_open(stack):
    """§8.2, §1.7: IoGetAttachedDeviceReference references the top: a pointer
    (ObReferenceObject), which ReferenceCount - the opens - does not count."""
    base, _lower, upper = stack
    assert io_get_attached_device_reference(base) is upper
    assert upper.pointer_count == 1
    assert upper.reference_count == 0
    ob_dereference_device(upper)
    assert upper.pointer_count == 0


def test_8_2_io_get_lower_device_object_is_the_device_below_referenced(stack):
    """§8.2: the device directly below (the DOE's AttachedTo), referenced."""
    base, lower, upper = stack
    assert io_get_lower_device_object(upper) is lower
    assert io_get_lower_device_object(lower) is base
    assert (lower.pointer_count, base.pointer_count) == (1, 1)


def test_8_2_io_get_lower_device_object_is_null_at_the_bottom(stack):
    """§8.2: NULL for the lowest device of the stack, and nothing referenced."""
    base, _lower, _upper = stack
    assert io_get_lower_device_object(base) is None
    assert base.pointer_count == 0


@pytest.mark.parametrize("flag", [DOE_DELETE_PENDING, DOE_REMOVE_PENDING])
def test_8_2_io_get_lower_device_object_is_null_when_the_lower_device_goes(stack, flag):
    """§8.2 (documented behaviour): NULL when the next-lower driver is being deleted or
    removed - the LOWER device's pending flags decide, not the caller's."""
    _base, lower, upper = stack
    lower.doe_flags |= flag
    assert io_get_lower_device_object(upper) is None
    assert lower.pointer_count == 0
    upper.doe_flags |= flag                        # the caller's own flags do not matter
    lower.doe_flags &= ~flag
    assert io_get_lower_device_object(upper) is lower


def test_8_2_io_get_lower_device_object_is_null_when_the_lower_driver_unloads(stack):
    """§8.2: NULL while the lower device's driver has an unload pending."""
    _base, lower, upper = stack
    lower.driver_object.unload_pending = True
    assert io_get_lower_device_object(upper) is None


def test_8_2_io_get_device_attachment_base_ref_is_the_bottom_referenced(stack):
    """§8.2: IoGetDeviceAttachmentBaseRef walks AttachedTo to the bottom, referenced."""
    base, _lower, upper = stack
    assert io_get_device_attachment_base_ref(upper) is base
    assert io_get_device_attachment_base_ref(base) is base
    assert base.pointer_count == 2


def test_8_2_enumerate_with_size_0_is_buffer_too_small_and_sets_count(kernel, make_device):
    """§8.2: Count is always set; Count x sizeof(PVOID) > SizeInBytes is
    STATUS_BUFFER_TOO_SMALL, with nothing referenced (the first of the two calls)."""
    driver = io_create_driver(kernel, "Two")
    devices = [make_device(None, driver=driver), make_device(None, driver=driver)]
    assert io_enumerate_device_object_list(driver, 0) == (
        NTSTATUS.STATUS_BUFFER_TOO_SMALL, 2, [])
    assert io_enumerate_device_object_list(driver, 7) == (
        NTSTATUS.STATUS_BUFFER_TOO_SMALL, 2, [])
    assert all(device.pointer_count == 0 for device in devices)


def test_8_2_enumerate_fills_in_next_device_order_referencing_each(kernel, make_device):
    """§8.2: with room for Count pointers, the devices in NextDevice order, each
    referenced (the caller dereferences each)."""
    driver = io_create_driver(kernel, "Two")
    older = make_device(None, driver=driver)
    newer = make_device(None, driver=driver)
    status, count, devices = io_enumerate_device_object_list(driver, 8)
    assert (status, count, devices) == (NTSTATUS.STATUS_SUCCESS, 2, [newer, older])
    assert (newer.pointer_count, older.pointer_count) == (1, 1)


def test_8_2_enumerate_an_empty_driver_succeeds_with_count_0(kernel):
    """§8.2: no device fits in any size: SUCCESS, Count 0."""
    driver = io_create_driver(kernel, "Empty")
    assert io_enumerate_device_object_list(driver, 0) == (NTSTATUS.STATUS_SUCCESS, 0, [])


def test_8_3_device_stack_is_listed_top_to_bottom_from_any_member(stack):
    """§8.3: !devstack lists the whole stack top to bottom, whichever member is asked."""
    base, lower, upper = stack
    assert iop_device_stack(lower) == [upper, lower, base]
    assert iop_device_stack(base) == iop_device_stack(upper)


def _loaded_driver(kernel, make_device, gen, unload_body):
    driver = io_create_driver(kernel, "Leaky")
    image = DriverImage("Leaky", entry=None)
    mm_load_system_image(kernel, image)
    driver.image = image
    driver.flags |= DRVO_LEGACY_DRIVER
    driver.driver_unload = gen(unload_body)
    device = make_device("\\Device\\Leaky", driver=driver)
    return driver, image, device


def test_1_5_a_pointer_reference_does_not_defer_the_unload(kernel, make_device, gen, call):
    """§1.5 step 3: only opens (ReferenceCount) and attached devices defer DriverUnload;
    a pointer from IoGetAttachedDeviceReference does not."""
    ran = []
    driver, _image, device = _loaded_driver(kernel, make_device, gen,
                                            lambda drv: ran.append(drv))
    io_get_attached_device_reference(device)
    assert call(nt_unload_driver, kernel, "Leaky") == NTSTATUS.STATUS_SUCCESS
    assert ran == [driver]


def test_1_7_a_pointer_kept_after_delete_keeps_the_image_until_dereferenced(
        kernel, make_device, gen, call):
    """§1.7, §1.5 step 4: IoDeleteDevice unlinks an unopened device at once, but the
    object lives while a pointer is held, and with it its reference on the driver
    object: the image is unmapped only at that pointer's ObDereferenceObject."""
    driver, image, device = _loaded_driver(kernel, make_device, gen,
                                           lambda drv: io_delete_device(device))
    ob_reference_device(device)
    call(nt_unload_driver, kernel, "Leaky")
    assert driver.device_object is None               # out of the list
    assert image.mapped and driver.references == 1    # the leaked pointer holds it
    ob_dereference_device(device)
    assert not image.mapped and driver.references == 0


def test_sync_7_2_dereference_below_zero_of_a_freed_device_is_0x18(kernel, make_device):
    """sync-objects 7.2: a dereference past the last reference of a device that is
    already freed (deleted, unlinked, no pointer left) is REFERENCE_BY_POINTER."""
    device = make_device(None)
    io_delete_device(device)
    with pytest.raises(BugCheckHalt):
        ob_dereference_device(device)
    assert kernel.bugcheck.code == BugCheckCode.REFERENCE_BY_POINTER == 0x18
    assert kernel.bugcheck.p2 == kernel.objects.address_of(device)


def test_sync_7_2_dereference_of_the_keep_alive_is_not_modelled(make_device):
    """A dereference nobody took a reference for on a live device frees it under its
    driver's list: a use after free the model refuses to guess at."""
    device = make_device(None)
    with pytest.raises(NotModelledError, match="keep-alive"):
        ob_dereference_device(device)
