"""Rules of spin locks and the cancel spin lock (kernel-env §2.1, §2.2, §2.4; io-core §7.1)."""

from __future__ import annotations

import pytest

from harness.kernel import (APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL, PASSIVE_LEVEL, BugCheckCode,
                            BugCheckHalt, io_acquire_cancel_spin_lock,
                            io_release_cancel_spin_lock, ke_acquire_spin_lock,
                            ke_initialize_dpc, ke_initialize_spin_lock, ke_insert_queue_dpc,
                            ke_release_spin_lock)


def test_acquire_raises_to_dispatch_and_returns_old_irql(kernel):
    """kernel-env §2.1: KeAcquireSpinLock raises to DISPATCH_LEVEL and returns the old IRQL."""
    lock = ke_initialize_spin_lock(kernel, "L")
    kernel.raise_irql(APC_LEVEL)
    assert ke_acquire_spin_lock(lock) == APC_LEVEL
    assert kernel.cpu.irql == DISPATCH_LEVEL
    assert lock.owner is kernel.cpu


def test_release_lowers_to_the_given_irql(kernel):
    """kernel-env §2.1: KeReleaseSpinLock releases and lowers to the saved IRQL."""
    lock = ke_initialize_spin_lock(kernel, "L")
    old = ke_acquire_spin_lock(lock)
    ke_release_spin_lock(lock, old)
    assert kernel.cpu.irql == PASSIVE_LEVEL and lock.owner is None


def test_recursive_acquire_bugchecks_0xf(kernel):
    """kernel-env §2.2 / §12.13: a recursive acquire is modelled as the checked-build
    outcome, SPIN_LOCK_ALREADY_OWNED 0xF, never as success."""
    lock = ke_initialize_spin_lock(kernel, "L")
    ke_acquire_spin_lock(lock)
    with pytest.raises(BugCheckHalt):
        ke_acquire_spin_lock(lock)
    assert kernel.bugcheck.code == BugCheckCode.SPIN_LOCK_ALREADY_OWNED == 0xF


def test_release_of_a_free_lock_bugchecks_0x10(kernel):
    """kernel-env §0: releasing a lock that is not held is SPIN_LOCK_NOT_OWNED 0x10."""
    lock = ke_initialize_spin_lock(kernel, "L")
    kernel.raise_irql(DISPATCH_LEVEL)
    with pytest.raises(BugCheckHalt):
        ke_release_spin_lock(lock, PASSIVE_LEVEL)
    assert kernel.bugcheck.code == BugCheckCode.SPIN_LOCK_NOT_OWNED == 0x10


def test_acquire_above_dispatch_bugchecks_0xa(kernel):
    """kernel-env §2.1: KeAcquireSpinLock is callable at <= DISPATCH_LEVEL only."""
    lock = ke_initialize_spin_lock(kernel, "L")
    kernel.raise_irql(HIGH_LEVEL)
    with pytest.raises(BugCheckHalt):
        ke_acquire_spin_lock(lock)
    assert kernel.bugcheck.code == BugCheckCode.IRQL_NOT_LESS_OR_EQUAL


def test_dpc_queued_under_a_spin_lock_runs_at_release(kernel):
    """kernel-env §1.2 / §5.1: a DPC queued while holding a spin lock (DISPATCH_LEVEL)
    runs when the release drops IRQL below DISPATCH_LEVEL, not before."""
    ran = []

    def routine(dpc, context, a1, a2):
        ran.append(lock.owner)
        return None
        yield  # pragma: no cover

    lock = ke_initialize_spin_lock(kernel, "L")
    old = ke_acquire_spin_lock(lock)
    ke_insert_queue_dpc(ke_initialize_dpc(kernel, routine, None))
    assert ran == []
    ke_release_spin_lock(lock, old)
    assert ran == [None]                          # ran after the lock was released


def test_cancel_spin_lock_is_one_global_lock(kernel):
    """kernel-env §2.4 / io-core §7.1: IoAcquireCancelSpinLock takes the single system-wide
    cancel lock at DISPATCH_LEVEL; taking it again on the same CPU is 0xF."""
    old = io_acquire_cancel_spin_lock(kernel)
    assert old == PASSIVE_LEVEL and kernel.cpu.irql == DISPATCH_LEVEL
    assert kernel.cancel_spin_lock.owner is kernel.cpu
    io_release_cancel_spin_lock(kernel, old)
    assert kernel.cpu.irql == PASSIVE_LEVEL
    io_acquire_cancel_spin_lock(kernel)
    with pytest.raises(BugCheckHalt):
        io_acquire_cancel_spin_lock(kernel)
    assert kernel.bugcheck.code == 0xF
