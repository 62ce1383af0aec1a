"""Rules of buffers, address spaces and MDLs (kernel-env §8.1, §8.3)."""

from __future__ import annotations

import pytest

from harness.kernel import (Buffer, BufferOverrun, Kernel, io_allocate_mdl, io_build_partial_mdl,
                            mm_get_mdl_byte_count, mm_get_mdl_byte_offset,
                            mm_get_mdl_virtual_address, mm_get_system_address_for_mdl_safe,
                            mm_prepare_mdl_for_reuse, mm_probe_and_lock_pages)
from harness.kernel.mm.memory import PAGE_SIZE, SYSTEM_PTE_BASE, USER_BASE, AddressSpace


def user_buffer(size, offset_in_page=0x234):
    space = AddressSpace(USER_BASE)
    return Buffer(space.allocate(size, offset_in_page), bytearray(size))


def test_mdl_describes_user_va_length_and_page_offset(kernel):
    """kernel-env §8.1: MmGetMdlVirtualAddress is the original user VA, MmGetMdlByteCount
    the length, MmGetMdlByteOffset the offset within the first page."""
    buf = user_buffer(100)
    mdl = io_allocate_mdl(kernel, buf)
    assert mm_get_mdl_virtual_address(mdl) == buf.address
    assert mm_get_mdl_byte_count(mdl) == 100
    assert mm_get_mdl_byte_offset(mdl) == buf.address % PAGE_SIZE == 0x234


def test_system_mapping_keeps_page_offset_and_aliases_bytes(kernel):
    """kernel-env §8.1: MmGetSystemAddressForMdlSafe maps the same physical bytes at a
    system-space address with the same offset in the page; writes through either view are
    seen through the other."""
    buf = user_buffer(16)
    mdl = io_allocate_mdl(kernel, buf)
    mm_probe_and_lock_pages(mdl)
    system = mm_get_system_address_for_mdl_safe(kernel, mdl)
    assert system.address >= SYSTEM_PTE_BASE and system.address != buf.address
    assert system.address % PAGE_SIZE == buf.address % PAGE_SIZE
    system.write(b"kernel")
    assert buf.read(0, 6) == b"kernel"
    buf.write(b"USER", 10)
    assert system.read(10, 4) == b"USER"


def test_system_mapping_is_reused(kernel):
    """kernel-env §8.1: an MDL already mapped returns the existing system VA."""
    mdl = io_allocate_mdl(kernel, user_buffer(8))
    first = mm_get_system_address_for_mdl_safe(kernel, mdl)
    assert mm_get_system_address_for_mdl_safe(kernel, mdl) is first


def test_partial_mdl_describes_a_sub_range_of_the_same_pages(kernel):
    """kernel-env §8.3: IoBuildPartialMdl makes the target describe a sub-range of the
    source's locked pages (same bytes, VA inside the source)."""
    buf = user_buffer(64)
    source = io_allocate_mdl(kernel, buf)
    mm_probe_and_lock_pages(source)
    target = io_allocate_mdl(kernel, user_buffer(1))
    io_build_partial_mdl(source, target, buf.address + 16, 8)
    assert mm_get_mdl_virtual_address(target) == buf.address + 16
    assert mm_get_mdl_byte_count(target) == 8
    assert target.locked
    mm_get_system_address_for_mdl_safe(kernel, target).write(b"12345678")
    assert buf.read(16, 8) == b"12345678"


def test_partial_mdl_length_zero_means_to_the_end(kernel):
    """kernel-env §8.3: Length 0 = to the end of the source."""
    buf = user_buffer(64)
    source = io_allocate_mdl(kernel, buf)
    target = io_allocate_mdl(kernel, user_buffer(1))
    io_build_partial_mdl(source, target, buf.address + 60, 0)
    assert mm_get_mdl_byte_count(target) == 4


def test_prepare_mdl_for_reuse_drops_the_mapping(kernel):
    """kernel-env §8.3: a partial MDL is unmapped before it is rebuilt for the next chunk."""
    buf = user_buffer(64)
    source = io_allocate_mdl(kernel, buf)
    target = io_allocate_mdl(kernel, user_buffer(1))
    io_build_partial_mdl(source, target, buf.address, 8)
    first = mm_get_system_address_for_mdl_safe(kernel, target)
    mm_prepare_mdl_for_reuse(target)
    io_build_partial_mdl(source, target, buf.address + 8, 8)
    second = mm_get_system_address_for_mdl_safe(kernel, target)
    assert second is not first
    second.write(b"B" * 8)
    assert buf.read(0, 16) == bytes(8) + b"B" * 8


def test_buffer_write_past_its_end_is_refused():
    """kernel-env §8.1: the model never silently writes past a buffer (an overrun is a
    harness-visible error, not corrupted neighbouring data)."""
    buf = Buffer(0x1000, bytearray(4))
    with pytest.raises(BufferOverrun):
        buf.write(b"12345")
    assert buf.read() == bytes(4)


def test_addresses_are_deterministic_per_kernel():
    """memory.py: addresses come from per-kernel allocators, so two kernels hand out the
    same ones (deterministic traces)."""
    def addresses():
        kernel = Kernel()
        pool = [Buffer.new(kernel.pool, 24).address for _ in range(3)]
        mdl = io_allocate_mdl(kernel, user_buffer(8))
        return pool, mm_get_system_address_for_mdl_safe(kernel, mdl).address, mdl.id

    assert addresses() == addresses()
