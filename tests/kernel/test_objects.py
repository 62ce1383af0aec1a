"""Rules of driver and device objects, stacks and the namespace (io-core §2.4, §8, §10.18-19;
kernel-env §7.1, §10.1-§10.2)."""

from __future__ import annotations

import pytest

from harness.kernel import (DO_BUFFERED_IO, DO_DEVICE_HAS_NAME, DO_DEVICE_INITIALIZING,
                            DO_DIRECT_IO, DO_EXCLUSIVE, DO_POWER_PAGABLE, FILE_DEVICE_DISK,
                            FILE_DEVICE_UNKNOWN, IRP_MJ_MAXIMUM_FUNCTION, NTSTATUS,
                            BugCheckCode, BugCheckHalt, copy_io_flags_from,
                            io_attach_device_to_device_stack, io_create_device,
                            io_create_driver, io_create_symbolic_link, io_delete_device,
                            io_delete_symbolic_link, io_detach_device, io_get_attached_device,
                            io_get_attached_device_reference, iop_invalid_device_request)
from harness.kernel.io.device import DOE_DELETE_PENDING


def test_dispatch_table_has_0x1c_entries_defaulting_to_invalid_device_request(kernel):
    """io-core §2.4: IRP_MJ_MAXIMUM_FUNCTION + 1 = 0x1C entries, all IopInvalidDeviceRequest
    until the driver sets them."""
    driver = io_create_driver(kernel, "Empty")
    assert len(driver.major_function) == IRP_MJ_MAXIMUM_FUNCTION + 1 == 0x1C
    assert all(entry is iop_invalid_device_request for entry in driver.major_function)


def test_io_create_device_inserts_at_head_of_driver_list(kernel):
    """io-core §8.3 / §10.18: IoCreateDevice puts each new device at the HEAD of the
    driver's DeviceObject list (reverse creation order)."""
    driver = io_create_driver(kernel, "Three")
    made = [io_create_device(driver, 0, f"\\Device\\D{i}")[1] for i in range(3)]
    assert driver.device_object is made[2]
    assert driver.devices() == made[::-1]
    assert made[0].next_device is None


def test_io_create_device_starts_initializing_with_stack_size_one(kernel):
    """io-core §8.3: StackSize 1, Flags = DO_DEVICE_INITIALIZING (+ DO_DEVICE_HAS_NAME if
    named, + DO_EXCLUSIVE if exclusive)."""
    driver = io_create_driver(kernel, "New")
    status, named = io_create_device(driver, 0, "\\Device\\Named", exclusive=True)
    _, unnamed = io_create_device(driver, 0, None)
    assert status == NTSTATUS.STATUS_SUCCESS
    assert named.stack_size == 1 and unnamed.stack_size == 1
    assert named.flags == DO_DEVICE_INITIALIZING | DO_DEVICE_HAS_NAME | DO_EXCLUSIVE
    assert unnamed.flags == DO_DEVICE_INITIALIZING


def test_io_create_device_name_collision(kernel):
    """io-core §8.3: a name already in use fails with STATUS_OBJECT_NAME_COLLISION and the
    driver list is unchanged."""
    driver = io_create_driver(kernel, "Dup")
    io_create_device(driver, 0, "\\Device\\Same")
    status, device = io_create_device(driver, 0, "\\DEVICE\\same")
    assert status == NTSTATUS.STATUS_OBJECT_NAME_COLLISION and device is None
    assert len(driver.devices()) == 1


def test_attach_goes_to_current_top_and_sets_stack_size(make_device):
    """io-core §8.6 / §10.19: attaching to a device attaches to the CURRENT top of its
    stack, returns that top, and sets StackSize = top's + 1."""
    bottom = make_device("\\Device\\Bottom")
    middle = make_device(None)
    top = make_device(None)
    assert io_attach_device_to_device_stack(middle, bottom) is bottom
    assert io_attach_device_to_device_stack(top, bottom) is middle   # target: bottom
    assert (middle.attached_device, top.attached_to) == (top, middle)
    assert bottom.attached_device is middle
    assert (bottom.stack_size, middle.stack_size, top.stack_size) == (1, 2, 3)


def test_stack_size_is_fixed_at_attach_time(make_device):
    """io-core §8.6: devices attached later do not update the StackSize of lower ones."""
    bottom = make_device("\\Device\\Bottom")
    middle = make_device(None)
    io_attach_device_to_device_stack(middle, bottom)
    io_attach_device_to_device_stack(make_device(None), middle)
    assert (bottom.stack_size, middle.stack_size) == (1, 2)


def test_attach_does_not_inherit_flags(make_device):
    """io-core §8.6 / §10.19: Flags, DeviceType and Characteristics are not copied;
    AlignmentRequirement and SectorSize are."""
    lower = make_device("\\Device\\Disk", flags=DO_DIRECT_IO | DO_POWER_PAGABLE,
                        device_type=FILE_DEVICE_DISK)
    lower.characteristics = 0x1
    lower.alignment_requirement, lower.sector_size = 511, 512
    upper = make_device(None)
    io_attach_device_to_device_stack(upper, lower)
    assert upper.flags & (DO_DIRECT_IO | DO_POWER_PAGABLE) == 0
    assert upper.device_type == FILE_DEVICE_UNKNOWN and upper.characteristics == 0
    assert (upper.alignment_requirement, upper.sector_size) == (511, 512)


def test_copy_io_flags_from_copies_buffering_type_and_characteristics(make_device):
    """kernel-env §10.2: what a filter must copy itself: DeviceType, Characteristics and
    Flags & (DO_BUFFERED_IO | DO_DIRECT_IO | DO_POWER_PAGABLE), nothing else."""
    lower = make_device("\\Device\\Kbd", flags=DO_BUFFERED_IO | DO_POWER_PAGABLE | DO_EXCLUSIVE,
                        device_type=FILE_DEVICE_DISK)
    lower.characteristics = 0x100
    upper = make_device(None)
    copy_io_flags_from(upper, lower)
    assert upper.flags & (DO_BUFFERED_IO | DO_POWER_PAGABLE) == DO_BUFFERED_IO | DO_POWER_PAGABLE
    assert not upper.flags & DO_EXCLUSIVE
    assert (upper.device_type, upper.characteristics) == (FILE_DEVICE_DISK, 0x100)


def test_attach_to_initializing_device_fails(make_device):
    """io-core §8.4 / §8.6 / §10.23: attaching on top of a DO_DEVICE_INITIALIZING device
    returns NULL and links nothing."""
    lower = make_device("\\Device\\Fresh", ready=False)
    upper = make_device(None)
    assert io_attach_device_to_device_stack(upper, lower) is None
    assert lower.attached_device is None and upper.attached_to is None
    assert upper.stack_size == 1


def test_attach_to_delete_pending_device_fails(make_device):
    """io-core §8.6: a top with DOE_DELETE_PENDING refuses attachments."""
    lower = make_device("\\Device\\Going")
    io_delete_device(lower)
    assert lower.doe_flags & DOE_DELETE_PENDING
    assert io_attach_device_to_device_stack(make_device(None), lower) is None


def test_get_attached_device_returns_top_and_reference_variant_references(make_device):
    """io-core §8.9: IoGetAttachedDevice follows AttachedDevice to the top without a
    reference; IoGetAttachedDeviceReference adds one."""
    bottom = make_device("\\Device\\B")
    top = make_device(None)
    io_attach_device_to_device_stack(top, bottom)
    assert io_get_attached_device(bottom) is top
    assert top.pointer_count == 0
    assert io_get_attached_device_reference(bottom) is top
    # a pointer reference, not an open (pnp-hardware §1.7): ReferenceCount stays 0
    assert top.pointer_count == 1 and top.reference_count == 0


def test_detach_clears_both_links(make_device):
    """io-core §8.8: IoDetachDevice(Lower) clears Lower->AttachedDevice and the upper
    device's AttachedTo."""
    lower = make_device("\\Device\\L")
    upper = make_device(None)
    io_attach_device_to_device_stack(upper, lower)
    io_detach_device(lower)
    assert lower.attached_device is None and upper.attached_to is None
    assert io_get_attached_device(lower) is lower


def test_detach_with_nothing_attached_bugchecks_0xc9_0x202(make_device, kernel):
    """io-core §8.8 / §9.4: detaching a device with nothing attached is 0xC9 / 0x202."""
    lonely = make_device("\\Device\\Lonely")
    with pytest.raises(BugCheckHalt):
        io_detach_device(lonely)
    assert kernel.bugcheck.code == BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION
    assert kernel.bugcheck.p1 == 0x202


def test_delete_device_unlinks_from_driver_list_and_drops_name(kernel):
    """io-core §8.5: IoDeleteDevice removes the device from the driver's list and its name
    from the namespace."""
    driver = io_create_driver(kernel, "Del")
    _, first = io_create_device(driver, 0, "\\Device\\First")
    _, second = io_create_device(driver, 0, "\\Device\\Second")
    io_delete_device(first)
    assert driver.devices() == [second]
    assert kernel.namespace.lookup("\\Device\\First") is None
    assert kernel.namespace.lookup("\\Device\\Second") is second


def test_delete_device_twice_bugchecks_0xc9_0x240(make_device, kernel):
    """io-core §8.5 / §9.4: calling IoDeleteDevice twice is 0xC9 / 0x240."""
    device = make_device("\\Device\\Twice")
    io_delete_device(device)
    with pytest.raises(BugCheckHalt):
        io_delete_device(device)
    assert kernel.bugcheck.p1 == 0x240


def test_symbolic_link_is_case_insensitive_and_dosdevices_is_an_alias(make_device, kernel):
    """io-core §8.13 / kernel-env §7.1: links are case-insensitive; \\DosDevices is an alias
    of \\??; lookup follows the link to the device."""
    device = make_device("\\Device\\Hello")
    assert io_create_symbolic_link(kernel, "\\DosDevices\\HelloLink", "\\Device\\Hello") == 0
    assert kernel.namespace.lookup("\\??\\hellolink") is device
    assert kernel.namespace.lookup("\\DOSDEVICES\\HELLOLINK") is device
    assert io_delete_symbolic_link(kernel, "\\??\\HelloLink") == NTSTATUS.STATUS_SUCCESS
    assert kernel.namespace.lookup("\\??\\HelloLink") is None
    assert io_delete_symbolic_link(kernel, "\\??\\HelloLink") == \
        NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND
