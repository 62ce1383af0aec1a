"""Lookaside lists: ExInitialize(N)PagedLookasideList, ExAllocateFrom..., ExFreeTo...,
ExDelete... (stacks-services 4.2, kernel-env §11.2).

A lookaside list caches up to ``depth`` freed blocks of one size and tag; an
allocation takes a cached block or asks the pool; a free caches the block or returns it
to the pool. Blocks are raw pool (not zeroed); a freed block's first pointer-sized
bytes hold the SList link. ExDelete... frees only the cached blocks: blocks the driver
still holds stay allocated. The paged kind is for <= APC_LEVEL (its pool checks the
IRQL), the nonpaged kind for <= DISPATCH_LEVEL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotModelledError
from .memory import Buffer
from .pool import NonPagedPool, PagedPool, ex_allocate_pool_with_tag, ex_free_pool_with_tag

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

#: ExInitialize...LookasideList's Depth is "reserved, must be 0"; the system's minimum
#: depth is 4 and it adapts it later (not modelled: the depth stays 4)
MINIMUM_DEPTH = 4


class LookasideList:
    """PAGED_LOOKASIDE_LIST / NPAGED_LOOKASIDE_LIST."""

    __slots__ = ("kernel", "paged", "size", "tag", "depth", "cache", "initialized", "name")

    def __init__(self, kernel: "Kernel", paged: bool, name: str = "") -> None:
        self.kernel, self.paged, self.name = kernel, paged, name
        self.size = self.tag = 0
        self.depth = MINIMUM_DEPTH
        self.cache: list[Buffer] = []
        self.initialized = False


def ex_initialize_lookaside_list(lookaside: LookasideList, size: int, tag: int) -> None:
    """ExInitialize(N)PagedLookasideList(&list, NULL, NULL, 0, size, tag, 0)."""
    lookaside.size, lookaside.tag, lookaside.initialized = size, tag, True
    lookaside.cache = []


def _check(lookaside: LookasideList, routine: str) -> None:
    if not lookaside.initialized:
        raise NotModelledError(routine, f"{lookaside.name or 'a lookaside list'} was never "
                               "initialized (what its zeroed memory does is not modelled)")


def ex_allocate_from_lookaside_list(lookaside: LookasideList) -> Buffer:
    """ExAllocateFrom(N)PagedLookasideList: a cached block, else one from the pool."""
    _check(lookaside, "ExAllocateFromLookasideList")
    if lookaside.cache:
        block = lookaside.cache.pop()
        return block
    return ex_allocate_pool_with_tag(lookaside.kernel, PagedPool if lookaside.paged
                                     else NonPagedPool, lookaside.size, lookaside.tag)


def ex_free_to_lookaside_list(lookaside: LookasideList, address: int) -> None:
    """ExFreeTo(N)PagedLookasideList: cache it while below the depth, else free it."""
    _check(lookaside, "ExFreeToLookasideList")
    blocks = lookaside.kernel.pool_blocks.blocks
    block = blocks.get(address)
    if block is None or block.freed:
        # freeing to a list what did not come from it corrupts memory silently (4.2)
        raise NotModelledError("ExFreeToLookasideList", f"0x{address:08X} is no live pool "
                               "block: the corruption that follows is not modelled")
    if len(lookaside.cache) < lookaside.depth:
        block.buffer.write(b"\0\0\0\0", 0)        # the SList link
        lookaside.cache.append(block.buffer)
    else:
        ex_free_pool_with_tag(lookaside.kernel, address, lookaside.tag)


def ex_delete_lookaside_list(lookaside: LookasideList) -> None:
    """ExDelete(N)PagedLookasideList: free the cached blocks (not the ones still held)."""
    _check(lookaside, "ExDeleteLookasideList")
    for buffer in lookaside.cache:
        ex_free_pool_with_tag(lookaside.kernel, buffer.address, lookaside.tag)
    lookaside.cache = []
    lookaside.initialized = False
