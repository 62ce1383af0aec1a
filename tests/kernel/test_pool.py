"""Rules of the executive pool and the probes (stacks-services 4.3, 4.4, 4.7;
verifier-rules R76)."""

from __future__ import annotations

import pytest

from harness.kernel import (DISPATCH_LEVEL, NTSTATUS, TAG_NONE, BugCheckCode, BugCheckHalt,
                            Kernel, StatusRaised, ex_allocate_pool, ex_allocate_pool_with_tag,
                            ex_free_pool_with_tag, probe_for_read, probe_for_write, tag_text)

C2 = BugCheckCode.BAD_POOL_CALLER
PAGED, NONPAGED = 1, 0


def stop(kernel: Kernel, call) -> tuple:
    with pytest.raises(BugCheckHalt):
        call()
    check = kernel.bugcheck
    return (check.code, check.p1, check.p2, check.p3, check.p4)


def test_ex_allocate_pool_uses_the_tag_none_and_raw_memory(kernel):
    """4.3: ExAllocatePool = ExAllocatePoolWithTag(type, n, 'None'); pool is not zeroed."""
    block = ex_allocate_pool(kernel, PAGED, 16)
    assert tag_text(TAG_NONE) == "None"
    assert kernel.pool_blocks.usage() == {"None": (1, 16)}
    assert block.read(0, 16) != bytes(16)


def test_paged_pool_above_apc_level_is_bad_pool_caller_0x08(kernel):
    """4.3: the allocator's own IRQL check: 0xC2 (0x08, IRQL, type, size)."""
    kernel.raise_irql(DISPATCH_LEVEL)
    assert stop(kernel, lambda: ex_allocate_pool_with_tag(kernel, PAGED, 64)) == \
        (C2, 0x08, DISPATCH_LEVEL, PAGED, 64)


def test_nonpaged_pool_at_dispatch_level_is_fine(kernel):
    """4.3: nonpaged pool may be allocated and freed up to DISPATCH_LEVEL."""
    kernel.raise_irql(DISPATCH_LEVEL)
    block = ex_allocate_pool_with_tag(kernel, NONPAGED, 8, 0x41424344)
    ex_free_pool_with_tag(kernel, block.address, 0x41424344)
    assert kernel.pool_blocks.usage() == {}


def test_verifier_reports_paged_pool_above_apc_level_as_0xc4_0x01():
    """verifier-rules R76: 0xC4 (0x01, IRQL, type, size); a zero-byte request 0x00."""
    kernel = Kernel(verifier=True)
    kernel.raise_irql(DISPATCH_LEVEL)
    assert stop(kernel, lambda: ex_allocate_pool_with_tag(kernel, PAGED, 64))[:2] == \
        (BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x01)
    zero = Kernel(verifier=True)
    assert stop(zero, lambda: ex_allocate_pool_with_tag(zero, NONPAGED, 0))[:2] == \
        (BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00)


def test_double_free_of_a_small_block_is_0x07_with_the_block(kernel):
    """4.4: 0xC2 (0x07, 0, header contents (0 here), the block)."""
    block = ex_allocate_pool_with_tag(kernel, NONPAGED, 100)
    ex_free_pool_with_tag(kernel, block.address)
    assert stop(kernel, lambda: ex_free_pool_with_tag(kernel, block.address)) == \
        (C2, 0x07, 0, 0, block.address)


def test_freeing_what_no_block_starts_at_is_0x42_and_a_user_address_0x40(kernel):
    """4.4: an address never in any pool: 0x42 (P2 the address); a user address 0x40."""
    block = ex_allocate_pool_with_tag(kernel, NONPAGED, 100)
    assert stop(kernel, lambda: ex_free_pool_with_tag(kernel, block.address + 8))[:2] == \
        (C2, 0x42)
    other = Kernel()
    assert stop(other, lambda: ex_free_pool_with_tag(other, 0x00130000))[:2] == (C2, 0x40)


def test_ex_free_pool_with_the_wrong_tag_is_0x0a(kernel):
    """4.4: ExFreePoolWithTag with another tag than the allocation's: 0xC2 0x0A."""
    block = ex_allocate_pool_with_tag(kernel, NONPAGED, 8, 0x31323334)
    assert stop(kernel, lambda: ex_free_pool_with_tag(kernel, block.address, 0x41414141)) \
        == (C2, 0x0A, block.address, 0x41414141, 0x31323334)


def test_paged_pool_freed_above_apc_level_is_0x09(kernel):
    """4.3: frees check the IRQL too: 0xC2 (0x09, IRQL, type, the block)."""
    block = ex_allocate_pool_with_tag(kernel, PAGED, 8)
    kernel.raise_irql(DISPATCH_LEVEL)
    assert stop(kernel, lambda: ex_free_pool_with_tag(kernel, block.address)) == \
        (C2, 0x09, DISPATCH_LEVEL, PAGED, block.address)


def _raised(kernel, call) -> int | None:
    thread = kernel.current_thread
    thread.exception_handlers += 1
    try:
        call()
    except StatusRaised as raised:
        return raised.status
    finally:
        thread.exception_handlers -= 1
    return None


def test_probe_for_read_of_null_succeeds_probe_for_write_raises(kernel):
    """4.7: ProbeForRead touches nothing (NULL..99 is below MmUserProbeAddress);
    ProbeForWrite writes the unmapped page 0: STATUS_ACCESS_VIOLATION."""
    assert _raised(kernel, lambda: probe_for_read(kernel, 0, 100, 4)) is None
    assert _raised(kernel, lambda: probe_for_write(kernel, 0, 100, 4)) == \
        NTSTATUS.STATUS_ACCESS_VIOLATION


def test_probes_check_alignment_range_and_ignore_zero_length(kernel):
    """4.7: misaligned -> STATUS_DATATYPE_MISALIGNMENT; past MmUserProbeAddress ->
    STATUS_ACCESS_VIOLATION; a zero length checks nothing at all."""
    assert _raised(kernel, lambda: probe_for_read(kernel, 0x130001, 8, 4)) == 0x80000002
    assert _raised(kernel, lambda: probe_for_read(kernel, 0x7FFEFFF0, 0x20, 1)) == \
        NTSTATUS.STATUS_ACCESS_VIOLATION
    assert _raised(kernel, lambda: probe_for_write(kernel, 0x80000001, 0, 4)) is None


def test_a_probe_outside_any_try_is_the_unhandled_exception_bug_check(kernel):
    """4.7: with no __try the raise is unhandled: the unhandled-exception bug check with
    P1 the exception code."""
    with pytest.raises(BugCheckHalt):
        probe_for_write(kernel, 0, 100, 4)
    assert kernel.bugcheck.p1 == NTSTATUS.STATUS_ACCESS_VIOLATION
