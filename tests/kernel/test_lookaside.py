"""Rules of lookaside lists (stacks-services 4.2)."""

from __future__ import annotations

import pytest

from harness.kernel import (DISPATCH_LEVEL, BugCheckCode, BugCheckHalt, LookasideList,
                            NotModelledError, ex_allocate_from_lookaside_list,
                            ex_delete_lookaside_list, ex_free_to_lookaside_list,
                            ex_initialize_lookaside_list, tag_text)

TAG = 0x31323334            # '1234'


def _list(kernel, paged=True):
    lookaside = LookasideList(kernel, paged, "L")
    ex_initialize_lookaside_list(lookaside, 64, TAG)
    return lookaside


def test_lookaside_caches_up_to_its_depth_and_frees_the_rest_to_pool(kernel):
    """4.2: frees beyond the depth go back to the pool; later allocations reuse the
    cached blocks."""
    lookaside = _list(kernel)
    blocks = [ex_allocate_from_lookaside_list(lookaside) for _ in range(6)]
    for block in blocks:
        ex_free_to_lookaside_list(lookaside, block.address)
    assert len(lookaside.cache) == lookaside.depth == 4
    assert kernel.pool_blocks.usage() == {tag_text(TAG): (4, 256)}
    again = ex_allocate_from_lookaside_list(lookaside)
    assert again in blocks[:4]


def test_a_freed_lookaside_block_holds_the_slist_link_in_its_first_bytes(kernel):
    """4.2: the first pointer-size bytes of a freed block are overwritten by the link."""
    lookaside = _list(kernel)
    block = ex_allocate_from_lookaside_list(lookaside)
    block.fill(0xAA)
    ex_free_to_lookaside_list(lookaside, block.address)
    assert block.read(0, 8) == b"\0\0\0\0" + b"\xAA" * 4


def test_delete_frees_only_the_cached_blocks(kernel):
    """4.2: ExDelete...LookasideList frees the cache; blocks still held stay allocated."""
    lookaside = _list(kernel)
    held = ex_allocate_from_lookaside_list(lookaside)
    cached = ex_allocate_from_lookaside_list(lookaside)
    ex_free_to_lookaside_list(lookaside, cached.address)
    ex_delete_lookaside_list(lookaside)
    assert kernel.pool_blocks.usage() == {tag_text(TAG): (1, 64)}
    assert kernel.pool_blocks.containing(held.address) is not None


def test_paged_lookaside_allocation_at_dispatch_level_is_bad_pool_caller(kernel):
    """4.2 / 4.3: a paged lookaside list is for <= APC_LEVEL: its pool says 0xC2 0x08."""
    lookaside = _list(kernel)
    kernel.raise_irql(DISPATCH_LEVEL)
    with pytest.raises(BugCheckHalt):
        ex_allocate_from_lookaside_list(lookaside)
    assert (kernel.bugcheck.code, kernel.bugcheck.p1) == (BugCheckCode.BAD_POOL_CALLER, 0x08)


def test_nonpaged_lookaside_allocation_at_dispatch_level_is_fine(kernel):
    """4.2: the nonpaged kind works up to DISPATCH_LEVEL."""
    lookaside = _list(kernel, paged=False)
    kernel.raise_irql(DISPATCH_LEVEL)
    ex_free_to_lookaside_list(lookaside, ex_allocate_from_lookaside_list(lookaside).address)
    assert len(lookaside.cache) == 1


def test_freeing_to_a_lookaside_list_what_is_no_pool_block_is_refused(kernel):
    """4.2: freeing a foreign pointer corrupts memory silently: the model refuses it."""
    with pytest.raises(NotModelledError):
        ex_free_to_lookaside_list(_list(kernel), 0x12345678)
