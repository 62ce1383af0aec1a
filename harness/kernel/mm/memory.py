"""Buffers, address spaces and MDLs (kernel-env §8.1, §8.3).

Memory is modelled as byte arrays seen through *views* that carry a virtual address.
Two views can alias the same bytes at different addresses — a user buffer and its
system-space mapping through an MDL are two views of one array, which is the point of
the book's MDL experiment. Addresses come from per-kernel allocators, so they are the
same in every run. Page size 4096 as on x86.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BufferOverrun

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

PAGE_SIZE = 4096

# Where each allocator starts (x86 32-bit layout of the book's era).
USER_BASE = 0x0012F000       # an app's stack/heap buffers
POOL_BASE = 0x81A00000       # nonpaged pool (SystemBuffer)
SYSTEM_PTE_BASE = 0xF8A00000  # system PTEs: MmGetSystemAddressForMdlSafe mappings


class AddressSpace:
    """A bump allocator of virtual addresses; aligned to 8 bytes like pool blocks."""

    __slots__ = ("next",)

    def __init__(self, base: int) -> None:
        self.next = base

    def allocate(self, size: int, offset_in_page: int | None = None) -> int:
        addr = self.next
        if offset_in_page is not None:
            addr = (addr & ~(PAGE_SIZE - 1)) + PAGE_SIZE + offset_in_page
        self.next = (addr + max(size, 1) + 7) & ~7
        return addr


class Buffer:
    """A view of ``length`` bytes of ``data`` starting at ``offset``, at ``address``."""

    __slots__ = ("address", "data", "offset", "length", "freed")
    #: False for a user pointer with no memory behind it (usermem.UnmappedUserPointer)
    resident = True

    def __init__(self, address: int, data: bytearray, offset: int = 0,
                 length: int | None = None) -> None:
        self.address = address
        self.data = data
        self.offset = offset
        self.length = len(data) - offset if length is None else length
        self.freed = False

    @classmethod
    def new(cls, space: AddressSpace, size: int, fill: int = 0) -> "Buffer":
        return cls(space.allocate(size), bytearray([fill]) * size)

    def read(self, start: int = 0, count: int | None = None) -> bytes:
        count = self.length - start if count is None else count
        begin = self.offset + start
        return bytes(self.data[begin:begin + count])

    def write(self, payload: bytes, start: int = 0) -> None:
        self.check(start, len(payload))
        begin = self.offset + start
        self.data[begin:begin + len(payload)] = payload

    def fill(self, value: int, count: int | None = None, start: int = 0) -> None:
        count = self.length - start if count is None else count
        self.check(start, count)              # before building the bytes, however many
        self.write(bytes([value]) * count, start)

    def check(self, start: int, count: int) -> None:
        """Bytes start..start+count-1 lie in this view, or BufferOverrun."""
        if start < 0 or count < 0 or start + count > self.length:
            raise BufferOverrun(f"{count} bytes at offset {start} of a {self.length}-byte "
                                f"buffer at 0x{self.address:08X}")

    def view(self, address: int, start: int = 0, count: int | None = None) -> "Buffer":
        """Another view of the same bytes (aliasing), at another address."""
        count = self.length - start if count is None else count
        return Buffer(address, self.data, self.offset + start, count)

    def __repr__(self) -> str:
        return f"<Buffer 0x{self.address:08X} {self.length} bytes>"


class Mdl:
    """MDL: describes locked pages of a buffer (kernel-env §8.1, §8.3).

    ``buffer`` is the described range seen at its original virtual address.
    """

    __slots__ = ("id", "buffer", "next", "mapped", "locked", "freed", "partial_of")

    def __init__(self, mdl_id: int, buffer: Buffer) -> None:
        self.id = mdl_id
        self.buffer = buffer
        self.next: Mdl | None = None
        self.mapped: Buffer | None = None
        self.locked = False
        self.freed = False
        self.partial_of: Mdl | None = None

    @property
    def byte_count(self) -> int:
        return self.buffer.length

    @property
    def virtual_address(self) -> int:
        return self.buffer.address

    @property
    def byte_offset(self) -> int:
        return self.buffer.address & (PAGE_SIZE - 1)

    def __repr__(self) -> str:
        return (f"<MDL#{self.id} va=0x{self.virtual_address:08X} "
                f"count={self.byte_count} offset={self.byte_offset}>")


def io_allocate_mdl(kernel: "Kernel", buffer: Buffer) -> Mdl:
    """IoAllocateMdl(VirtualAddress, Length, ...): an MDL for ``buffer``'s range."""
    return Mdl(kernel.new_id("mdl"), buffer)


def io_free_mdl(mdl: Mdl) -> None:
    """IoFreeMdl."""
    mdl.freed = True
    mdl.mapped = None


def mm_probe_and_lock_pages(mdl: Mdl, write: bool = True) -> None:
    """MmProbeAndLockPages: the process's buffers are valid and resident; an unmapped
    user pointer raises STATUS_ACCESS_VIOLATION (win32-io 6.2), which the I/O services
    catch and return."""
    if not mdl.buffer.resident:
        mdl.buffer.access(write)              # type: ignore[attr-defined]
    mdl.locked = True


def mm_unlock_pages(mdl: Mdl) -> None:
    """MmUnlockPages."""
    mdl.locked = False


def mm_get_mdl_virtual_address(mdl: Mdl) -> int:
    """MmGetMdlVirtualAddress: the original (user) virtual address."""
    return mdl.virtual_address


def mm_get_mdl_byte_count(mdl: Mdl) -> int:
    """MmGetMdlByteCount."""
    return mdl.byte_count


def mm_get_mdl_byte_offset(mdl: Mdl) -> int:
    """MmGetMdlByteOffset: offset of the buffer within its first page."""
    return mdl.byte_offset


def mm_get_system_address_for_mdl_safe(kernel: "Kernel", mdl: Mdl) -> Buffer:
    """MmGetSystemAddressForMdlSafe: map once into system space and reuse the mapping.

    The returned view aliases the user buffer at a system-space address with the same
    offset within the page.
    """
    if mdl.mapped is None:
        address = kernel.system_ptes.allocate(mdl.byte_count, mdl.byte_offset)
        mdl.mapped = mdl.buffer.view(address)
    return mdl.mapped


def io_build_partial_mdl(source: Mdl, target: Mdl, virtual_address: int, length: int) -> None:
    """IoBuildPartialMdl: ``target`` describes a sub-range of ``source`` (0 = to the end)."""
    start = virtual_address - source.virtual_address
    if start < 0 or start > source.byte_count:
        raise BufferOverrun("IoBuildPartialMdl: the address lies outside the source MDL")
    length = source.byte_count - start if length == 0 else length
    target.buffer = source.buffer.view(virtual_address, start, length)
    target.partial_of = source
    target.mapped = None
    target.locked = source.locked


def mm_prepare_mdl_for_reuse(mdl: Mdl) -> None:
    """MmPrepareMdlForReuse: drop the partial mapping so the MDL can be rebuilt."""
    mdl.mapped = None
