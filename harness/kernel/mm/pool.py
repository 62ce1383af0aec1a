"""Executive pool: ExAllocatePool(WithTag), ExFreePool(WithTag) (stacks-services 4.3,
4.4; verifier-rules R76).

Each allocation is a tracked block with its type, size and tag (the run's pool usage,
as `!poolused` shows it). The allocator checks the IRQL itself, Verifier or not: paged
pool above APC_LEVEL or nonpaged above DISPATCH_LEVEL is bug check 0xC2
BAD_POOL_CALLER (0x08 allocating, 0x09 freeing); Driver Verifier reports the same as
0xC4 (0x01 / 0x02 allocating, 0x11 / 0x12 freeing; a zero-byte request 0x00). A double
free of a small block is 0xC2 0x07, freeing an address no pool block has 0x42 (a user
address 0x40), the wrong tag 0x0A. Blocks are raw pool: not zeroed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..constants import APC_LEVEL, DISPATCH_LEVEL, BugCheckCode
from .memory import Buffer

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

NonPagedPool, PagedPool, NonPagedPoolMustSucceed = 0, 1, 2
NonPagedPoolCacheAligned, PagedPoolCacheAligned = 4, 5
POOL_TYPES = {"NonPagedPool": NonPagedPool, "PagedPool": PagedPool,
              "NonPagedPoolMustSucceed": NonPagedPoolMustSucceed,
              "NonPagedPoolCacheAligned": NonPagedPoolCacheAligned,
              "PagedPoolCacheAligned": PagedPoolCacheAligned}
TAG_NONE = 0x656E6F4E              # 'None': ExAllocatePool's tag
USER_LIMIT = 0x80000000
BAD_POOL_CALLER = BugCheckCode.BAD_POOL_CALLER
VERIFIER = BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION
#: the bytes a raw pool block holds before the driver writes it (not zeroed)
POOL_GARBAGE = 0xCD


def paged(pool_type: int) -> bool:
    return pool_type & 1 == 1


def tag_text(tag: int) -> str:
    """A pool tag as `!poolused` prints it: its four bytes, lowest first."""
    return tag.to_bytes(4, "little").decode("latin-1")


class PoolBlock:
    """One allocation: its memory, type, size and tag; freed stays as a tombstone."""

    __slots__ = ("buffer", "pool_type", "size", "tag", "freed", "owner")

    def __init__(self, buffer: Buffer, pool_type: int, size: int, tag: int,
                 owner: Any = None) -> None:
        self.buffer, self.pool_type, self.size, self.tag = buffer, pool_type, size, tag
        self.freed = False
        self.owner = owner         # the driver image whose code asked (Verifier's tracking)


class Pool:
    """The kernel's pool blocks by address."""

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self.blocks: dict[int, PoolBlock] = {}

    def usage(self) -> dict[str, tuple[int, int]]:
        """Live allocations per tag: (count, bytes)."""
        out: dict[str, tuple[int, int]] = {}
        for block in self.blocks.values():
            if not block.freed:
                count, size = out.get(tag_text(block.tag), (0, 0))
                out[tag_text(block.tag)] = (count + 1, size + block.size)
        return out

    def containing(self, address: int) -> PoolBlock | None:
        """The live block ``address`` points into (a pointer may point inside one)."""
        for start, block in self.blocks.items():
            if start <= address < start + max(block.size, 1) and not block.freed:
                return block
        return None


def ex_allocate_pool_with_tag(kernel: "Kernel", pool_type: int, size: int,
                              tag: int = TAG_NONE) -> Buffer:
    """ExAllocatePoolWithTag (4.3): a block of raw pool, or a bug check for an illegal
    request."""
    irql = kernel.cpu.irql
    limit = APC_LEVEL if paged(pool_type) else DISPATCH_LEVEL
    if kernel.verifier:
        if irql > limit:         # R76: 0xC4 0x01 (paged) / 0x02 (nonpaged): IRQL, type, size
            kernel.bug_check(VERIFIER, 0x1 if paged(pool_type) else 0x2, irql, pool_type,
                             size, reason=f"ExAllocatePoolWithTag({pool_type}) at IRQL {irql}")
        if size == 0:
            kernel.bug_check(VERIFIER, 0x0, irql, pool_type, size,
                             reason="ExAllocatePoolWithTag of zero bytes")
    if irql > limit:
        kernel.bug_check(BAD_POOL_CALLER, 0x08, irql, pool_type, size,
                         reason=f"{'paged' if paged(pool_type) else 'nonpaged'} pool "
                                f"requested at IRQL {irql}")
    if pool_type == NonPagedPoolMustSucceed:
        kernel.bug_check(BAD_POOL_CALLER, 0x9A, pool_type, size, tag,
                         reason="NonPagedPoolMustSucceed is not allowed")
    buffer = Buffer.new(kernel.pool, size, POOL_GARBAGE)
    kernel.pool_blocks.blocks[buffer.address] = PoolBlock(
        buffer, pool_type, size, tag, kernel.current_thread.running_image)
    kernel.objects.register(buffer.address, buffer)
    return buffer


def ex_allocate_pool(kernel: "Kernel", pool_type: int, size: int) -> Buffer:
    """ExAllocatePool = ExAllocatePoolWithTag(type, size, 'None')."""
    return ex_allocate_pool_with_tag(kernel, pool_type, size, TAG_NONE)


def ex_free_pool_with_tag(kernel: "Kernel", address: int, tag: int | None = None) -> None:
    """ExFreePoolWithTag / ExFreePool (4.4)."""
    irql = kernel.cpu.irql
    block = kernel.pool_blocks.blocks.get(address)
    if block is None:
        code = 0x40 if address < USER_LIMIT else 0x42
        kernel.bug_check(BAD_POOL_CALLER, code, address, 0, 0,
                         reason=f"ExFreePool(0x{address:08X}): "
                                f"{'a user-mode address' if code == 0x40 else 'no pool block'}")
    if block.freed:
        # 4.4: a small block freed twice: 0x07, P3 the header's contents (not modelled:
        # 0), P4 the block
        kernel.bug_check(BAD_POOL_CALLER, 0x07, 0, 0, address,
                         reason=f"ExFreePool(0x{address:08X}) of a block already freed")
    limit = APC_LEVEL if paged(block.pool_type) else DISPATCH_LEVEL
    if irql > limit:
        if kernel.verifier:
            kernel.bug_check(VERIFIER, 0x11 if paged(block.pool_type) else 0x12, irql,
                             block.pool_type, address, reason=f"ExFreePool at IRQL {irql}")
        kernel.bug_check(BAD_POOL_CALLER, 0x09, irql, block.pool_type, address,
                         reason=f"pool freed at IRQL {irql}")
    if tag is not None and tag != block.tag:
        kernel.bug_check(BAD_POOL_CALLER, 0x0A, address, tag, block.tag,
                         reason=f"ExFreePoolWithTag with tag {tag_text(tag)!r}, allocated "
                                f"with {tag_text(block.tag)!r}")
    block.freed = True
    block.buffer.freed = True
