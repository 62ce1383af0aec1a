"""Rules of mutexes, fast and guarded mutexes, events, semaphores, waits, system threads, spin
locks, remove locks, the object manager and the time services (sync-objects §1-§8)."""

from __future__ import annotations

import pytest

from harness.kernel import (APC_LEVEL, BOOT_SYSTEM_TIME, DISPATCH_LEVEL, DUPLICATE_CLOSE_SOURCE,
                            DUPLICATE_SAME_ACCESS, EVENT_ALL_ACCESS, EVENT_MODIFY_STATE,
                            EVENT_QUERY_STATE, KERNEL_HANDLE_BIT, NT_CURRENT_PROCESS, NTSTATUS,
                            OBJ_KERNEL_HANDLE, OBJ_OPENIF, PASSIVE_LEVEL, PERFORMANCE_FREQUENCY,
                            BugCheckCode, BugCheckHalt, IoRemoveLock, Kernel, KEvent,
                            NotificationEvent, NotificationTimer, SynchronizationEvent,
                            SynchronizationTimer, WaitAll, WaitAny, ex_acquire_fast_mutex,
                            ex_initialize_fast_mutex, ex_interlocked_add_ulong,
                            ex_local_time_to_system_time, ex_release_fast_mutex,
                            ex_system_time_to_local_time, ex_try_to_acquire_fast_mutex,
                            io_acquire_remove_lock, io_create_event, io_initialize_remove_lock,
                            io_release_remove_lock, io_release_remove_lock_and_wait,
                            ke_acquire_guarded_mutex, ke_acquire_in_stack_queued_spin_lock,
                            ke_acquire_spin_lock, ke_acquire_spin_lock_at_dpc_level,
                            ke_acquire_spin_lock_spinning, ke_clear_event,
                            ke_delay_execution_thread, ke_initialize_dpc,
                            ke_initialize_guarded_mutex, ke_initialize_mutant,
                            ke_initialize_mutex, ke_initialize_semaphore,
                            ke_initialize_spin_lock, ke_initialize_timer, ke_insert_queue_dpc,
                            ke_pulse_event, ke_query_interrupt_time,
                            ke_query_performance_counter, ke_query_priority_thread,
                            ke_query_system_time, ke_query_tick_count, ke_query_time_increment,
                            ke_read_state_event, ke_read_state_mutex, ke_read_state_semaphore,
                            ke_read_state_timer, ke_release_guarded_mutex, ke_release_mutant,
                            ke_release_mutex, ke_release_semaphore, ke_release_spin_lock,
                            ke_release_spin_lock_from_dpc_level, ke_set_base_priority_thread,
                            ke_set_event, ke_set_importance_dpc, ke_set_priority_thread,
                            ke_set_target_processor_dpc, ke_set_timer,
                            ke_stall_execution_processor, ke_test_spin_lock,
                            ke_try_to_acquire_guarded_mutex,
                            ke_try_to_acquire_spin_lock_at_dpc_level,
                            ke_wait_for_multiple_objects, ke_wait_for_single_object,
                            ob_reference_object_by_handle, parse_time_zone,
                            ps_create_system_thread, ps_get_current_process,
                            ps_terminate_system_thread, rtl_time_fields_to_time,
                            rtl_time_to_time_fields, zw_cancel_timer, zw_create_event,
                            zw_create_timer, zw_duplicate_object, zw_open_timer, zw_set_timer,
                            zw_wait_for_single_object)
from harness.kernel.ex.timer import TIMER_ALL_ACCESS
from harness.kernel.ke.timers import HighImportance, LowImportance, MediumImportance

SUCCESS = NTSTATUS.STATUS_SUCCESS
TIMEOUT = NTSTATUS.STATUS_TIMEOUT
ABANDONED = NTSTATUS.STATUS_ABANDONED
TICK = 156250
HNS_PER_DAY = 864_000_000_000
HOUR = 36_000_000_000


def delay(kernel, hns):
    """KeDelayExecutionThread for ``hns`` (relative; ends on the next tick at/after it)."""
    return ke_delay_execution_thread(kernel, 0, False, -hns)


def app_thread(kernel, body, name="App", process="test.exe"):
    """A thread of an application (a dispatch routine in its context): not a system thread."""
    return kernel.create_thread(body, name=name, process=process, user=True)


# -- 1. KMUTEX / KMUTANT ---------------------------------------------------------------------

def test_owner_recursive_wait_succeeds_at_once_and_non_owner_blocks(kernel, spawn):
    """sync-objects 1.3: a mutex is satisfiable for its owner, so the owner's recursive wait
    returns STATUS_SUCCESS at once even with a zero timeout (SignalState -> -1); another
    thread's zero-timeout wait times out without touching it, and its blocking wait lasts
    until the owner's last release."""
    mutex = ke_initialize_mutex(kernel, 0)
    log = []

    def owner():
        log.append(("owner", (yield from ke_wait_for_single_object(mutex))))
        log.append(("recursive", (yield from ke_wait_for_single_object(mutex, timeout=0)),
                    ke_read_state_mutex(mutex)))
        yield from delay(kernel, 1)
        ke_release_mutex(mutex)
        ke_release_mutex(mutex)

    def other():
        log.append(("poll", (yield from ke_wait_for_single_object(mutex, timeout=0)),
                    ke_read_state_mutex(mutex)))
        log.append(("blocking", (yield from ke_wait_for_single_object(mutex)), kernel.now))
        ke_release_mutex(mutex)

    spawn(owner, name="Owner")
    spawn(other, name="Other")
    assert kernel.run() is None
    assert log == [("owner", SUCCESS), ("recursive", SUCCESS, -1), ("poll", TIMEOUT, -1),
                   ("blocking", SUCCESS, TICK)]


def test_release_mutex_returns_previous_signal_state(kernel, call):
    """sync-objects 1.4: KeReleaseMutex returns the PREVIOUS SignalState: negative while the
    caller still owns it recursively, 0 when this call freed it (KeReadStateMutex: 1 free,
    0 owned once, negative owned recursively)."""
    mutex = ke_initialize_mutex(kernel, 0)

    def body():
        states = [ke_read_state_mutex(mutex)]
        for _ in range(3):
            yield from ke_wait_for_single_object(mutex)
            states.append(ke_read_state_mutex(mutex))
        returned = [ke_release_mutex(mutex) for _ in range(3)]
        return states, returned, mutex.owner

    assert call(body) == ([1, 0, -1, -2], [-2, -1, 0], None)
    assert ke_read_state_mutex(mutex) == 1


def test_released_mutex_passes_to_first_waiter_without_barging(kernel, spawn):
    """sync-objects 1.4: the release makes the FIRST waiter the owner at once (SignalState
    back to 0); a third thread that waits after the release but before the woken waiter
    runs finds the mutex owned and blocks behind it."""
    mutex = ke_initialize_mutex(kernel, 0)
    log, after_release = [], []

    def holder():
        yield from ke_wait_for_single_object(mutex)
        yield from delay(kernel, 1)
        after_release.append(ke_release_mutex(mutex))
        after_release.append((mutex.owner.name, ke_read_state_mutex(mutex)))
        spawn(waiter, "Late", name="Late")        # runs before First is resumed

    def waiter(name):
        status = yield from ke_wait_for_single_object(mutex)
        log.append((name, status, kernel.now))
        yield from delay(kernel, 1)
        ke_release_mutex(mutex)

    spawn(holder, name="Holder")
    spawn(waiter, "First", name="First")
    assert kernel.run() is None
    assert after_release == [0, ("First", 0)]
    assert log == [("First", SUCCESS, TICK), ("Late", SUCCESS, 2 * TICK)]


def test_kmutex_owner_gets_normal_kernel_apcs_only_after_release(kernel, spawn):
    """sync-objects 1.3 / 1.4: owning a KMUTEX blocks NORMAL kernel APCs for the owner (they
    run when KeReleaseMutex leaves the critical region); special kernel APCs still arrive."""
    mutex = ke_initialize_mutex(kernel, 0)
    log = []

    def normal_apc():
        log.append(("normal", kernel.now, kernel.cpu.irql))
        yield from ()

    def owner():
        yield from ke_wait_for_single_object(mutex)
        yield from delay(kernel, 1)
        log.append(("release", kernel.now))
        ke_release_mutex(mutex)
        log.append(("released", kernel.now))

    def queuer(target):
        kernel.queue_kernel_apc(target, normal_apc, normal=True)
        kernel.queue_kernel_apc(target, lambda: log.append(("special", kernel.now)))
        yield from ()

    target = spawn(owner, name="Owner")
    spawn(queuer, target, name="Queuer")
    assert kernel.run() is None
    assert log == [("special", 0), ("release", TICK), ("normal", TICK, PASSIVE_LEVEL),
                   ("released", TICK)]


def test_mutant_owner_still_gets_normal_kernel_apcs(kernel, call):
    """sync-objects 1.1 / 1.3: a mutant (KeInitializeMutant, ApcDisable 0) changes no APC
    state: a normal kernel APC reaches its owner at once."""
    mutant = ke_initialize_mutant(kernel, False)
    log = []

    def normal_apc():
        log.append("normal")
        yield from ()

    def body():
        yield from ke_wait_for_single_object(mutant)
        kernel.queue_kernel_apc(kernel.current_thread, normal_apc, normal=True)
        log.append("queued")
        ke_release_mutant(mutant)

    call(body)
    assert log == ["normal", "queued"]


@pytest.mark.parametrize("owned_by", ["another thread", "nobody"])
def test_non_owner_release_raises_mutant_not_owned_0x7e(kernel, spawn, owned_by):
    """sync-objects 1.5: KeReleaseMutex by a thread that does not own the mutex changes
    nothing and raises STATUS_MUTANT_NOT_OWNED; unhandled in a system thread that is bug
    check 0x7E with P1 = 0xC0000046."""
    mutex = ke_initialize_mutex(kernel, 0)

    def owner():
        yield from ke_wait_for_single_object(mutex)
        yield from delay(kernel, 10 * TICK)
        ke_release_mutex(mutex)

    def intruder():
        ke_release_mutex(mutex)
        yield from ()

    holder = spawn(owner, name="Owner") if owned_by == "another thread" else None
    spawn(intruder, name="Intruder")
    check = kernel.run()
    assert check is not None
    assert check.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED == 0x7E
    assert check.p1 == NTSTATUS.STATUS_MUTANT_NOT_OWNED == 0xC0000046
    assert (mutex.owner, ke_read_state_mutex(mutex)) == ((holder, 0) if holder else (None, 1))


def test_release_of_abandoned_mutant_by_non_owner_raises_status_abandoned(kernel, spawn):
    """sync-objects 1.5: a non-owner release of a mutant in the abandoned state raises
    STATUS_ABANDONED instead of STATUS_MUTANT_NOT_OWNED."""
    mutant = ke_initialize_mutant(kernel, False)

    def quitter():
        yield from ke_wait_for_single_object(mutant)

    def releaser():
        yield from delay(kernel, 1)
        ke_release_mutant(mutant)

    spawn(quitter, name="Quitter")
    spawn(releaser, name="Releaser")
    check = kernel.run()
    assert check is not None and check.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
    assert check.p1 == ABANDONED
    assert mutant.abandoned and ke_read_state_mutex(mutant) == 1


@pytest.mark.parametrize("mutexes, acquisitions, p2", [(1, 1, 0xFFFF), (1, 2, 0xFFFF),
                                                        (2, 1, 0xFFFE)])
def test_system_thread_exiting_with_kmutex_bugchecks_0x20(kernel, spawn, mutexes,
                                                          acquisitions, p2):
    """sync-objects 1.6 step 1: a thread that exits still owning a KMUTEX stops at the
    APC-disable check: 0x20 KERNEL_APC_PENDING_DURING_EXIT (P1 0, P2 CombinedApcDisable =
    0xFFFF for one KMUTEX however often it is held, 0xFFFE for two, P3 0, P4 1), not
    0x4000008A."""
    held = [ke_initialize_mutex(kernel, 0) for _ in range(mutexes)]

    def body():
        for mutex in held:
            for _ in range(acquisitions):
                yield from ke_wait_for_single_object(mutex)

    spawn(body)
    check = kernel.run()
    assert check is not None
    assert check.code == BugCheckCode.KERNEL_APC_PENDING_DURING_EXIT == 0x20
    assert (check.p1, check.p2, check.p3, check.p4) == (0, p2, 0, 1)


def test_ps_terminate_with_kmutex_held_bugchecks_0x20(kernel, spawn):
    """sync-objects 1.6 / 4.3: PsTerminateSystemThread runs the same exit checks: a KMUTEX
    still owned is 0x20 with P2 0xFFFF."""
    mutex = ke_initialize_mutex(kernel, 0)

    def body():
        yield from ke_wait_for_single_object(mutex)
        ps_terminate_system_thread(kernel, SUCCESS)

    spawn(body)
    check = kernel.run()
    assert check is not None and (check.code, check.p2) == (0x20, 0xFFFF)


def test_mutant_owned_recursively_by_exiting_thread_is_abandoned(kernel, spawn):
    """sync-objects 1.6 step 3 (BE #17): a mutant still owned by an exiting thread, even
    recursively (acquired twice, released once), is freed and abandoned; the next waiter
    becomes its owner and its wait returns STATUS_ABANDONED (0x80)."""
    mutant = ke_initialize_mutant(kernel, False)
    log = []

    def quitter():
        yield from ke_wait_for_single_object(mutant)
        yield from ke_wait_for_single_object(mutant)
        ke_release_mutant(mutant)
        yield from delay(kernel, 1)

    def waiter():
        status = yield from ke_wait_for_single_object(mutant)
        log.append((status, kernel.now, mutant.owner.name, ke_read_state_mutex(mutant),
                    mutant.abandoned))
        log.append(ke_release_mutant(mutant))

    spawn(quitter, name="Quitter")
    spawn(waiter, name="Waiter")
    assert kernel.run() is None
    assert log == [(ABANDONED, TICK, "Waiter", 0, False), 0]
    assert ke_read_state_mutex(mutant) == 1


# -- 2. FAST_MUTEX ---------------------------------------------------------------------------

def test_fast_mutex_runs_at_apc_level_and_release_restores_irql(kernel, call):
    """sync-objects 2.2 / 2.3: ExAcquireFastMutex returns at APC_LEVEL with the caller as
    owner; ExReleaseFastMutex frees it and goes back to the IRQL the acquire was called at
    (PASSIVE_LEVEL, or APC_LEVEL if the caller was already there)."""
    fm = ex_initialize_fast_mutex(kernel, "FM")

    def body():
        seen = []
        yield from ex_acquire_fast_mutex(fm)
        seen.append((kernel.cpu.irql, fm.owner is kernel.current_thread, fm.count))
        ex_release_fast_mutex(fm)
        seen.append((kernel.cpu.irql, fm.owner, fm.count))
        kernel.raise_irql(APC_LEVEL)
        yield from ex_acquire_fast_mutex(fm)
        ex_release_fast_mutex(fm)
        seen.append(kernel.cpu.irql)
        kernel.lower_irql(PASSIVE_LEVEL)
        return seen

    assert call(body) == [(APC_LEVEL, True, 0), (PASSIVE_LEVEL, None, 1), APC_LEVEL]


def test_fast_mutex_holds_off_all_apcs_until_release(kernel, call):
    """sync-objects 2.2: the holder runs at APC_LEVEL, so no APC of any kind (a special
    kernel APC either) reaches it until ExReleaseFastMutex lowers the IRQL."""
    fm = ex_initialize_fast_mutex(kernel, "FM")
    log = []

    def body():
        yield from ex_acquire_fast_mutex(fm)
        kernel.queue_kernel_apc(kernel.current_thread, lambda: log.append("special"))
        log.append("holding")
        ex_release_fast_mutex(fm)
        log.append("released")

    call(body)
    assert log == ["holding", "special", "released"]


@pytest.mark.parametrize("kind", ["fast", "guarded"])
def test_count_mutex_release_wakes_exactly_one_waiter_fifo(kernel, spawn, kind):
    """sync-objects 2.3 (and 2.9 for guarded mutexes): a release wakes exactly the first
    waiter, which owns the mutex when it runs; the others keep waiting in arrival order.
    Fast-mutex waiters resume at APC_LEVEL (the IRQL they waited at), guarded-mutex
    waiters at PASSIVE_LEVEL."""
    init, acquire, release, irql = {
        "fast": (ex_initialize_fast_mutex, ex_acquire_fast_mutex, ex_release_fast_mutex,
                 APC_LEVEL),
        "guarded": (ke_initialize_guarded_mutex, ke_acquire_guarded_mutex,
                    ke_release_guarded_mutex, PASSIVE_LEVEL)}[kind]
    mutex = init(kernel, "M")
    log = []

    def user(name):
        yield from acquire(mutex)
        log.append((name, kernel.now, kernel.cpu.irql, mutex.owner.name))
        yield from delay(kernel, 1)
        release(mutex)

    for name in ("A", "B", "C"):
        spawn(user, name, name=name)
    assert kernel.run() is None
    assert log == [("A", 0, irql, "A"), ("B", TICK, irql, "B"), ("C", 2 * TICK, irql, "C")]
    assert (mutex.count, mutex.owner, mutex.contention) == (1, None, 2)


def test_try_to_acquire_fast_mutex_fails_without_waiting_when_held(kernel, spawn):
    """sync-objects 2.4: ExTryToAcquireFastMutex takes a free mutex (TRUE, APC_LEVEL); on a
    held one it returns FALSE at once with the IRQL restored and the count unchanged."""
    fm = ex_initialize_fast_mutex(kernel, "FM")
    log = []

    def holder():
        log.append(("holder", ex_try_to_acquire_fast_mutex(fm), kernel.cpu.irql))
        yield from delay(kernel, 1)
        ex_release_fast_mutex(fm)

    def trier():
        log.append(("trier", ex_try_to_acquire_fast_mutex(fm), kernel.cpu.irql, kernel.now,
                    fm.count, fm.owner.name))
        yield from ()

    spawn(holder, name="Holder")
    spawn(trier, name="Trier")
    assert kernel.run() is None
    assert log == [("holder", True, APC_LEVEL), ("trier", False, PASSIVE_LEVEL, 0, 0, "Holder")]


def test_recursive_fast_mutex_acquire_hangs_silently(kernel, spawn):
    """sync-objects 2.6: the owner acquiring its fast mutex again waits forever (Count -1):
    no bug check, the thread is still blocked when the machine runs out of work."""
    fm = ex_initialize_fast_mutex(kernel, "FM")
    reached = []

    def body():
        yield from ex_acquire_fast_mutex(fm)
        yield from ex_acquire_fast_mutex(fm)
        reached.append("second acquire returned")

    thread = spawn(body)
    assert kernel.run() is None
    assert thread.alive and thread.blocked and reached == []
    assert fm.count == -1


# -- 2.9 Guarded mutexes ---------------------------------------------------------------------

def test_guarded_mutex_acquire_does_not_raise_irql(kernel, call):
    """sync-objects 2.9: KeAcquireGuardedMutex enters a guarded region WITHOUT raising the
    IRQL: the owner stays at PASSIVE_LEVEL (SpecialApcDisable -1); KeReleaseGuardedMutex
    frees it and leaves the region."""
    gm = ke_initialize_guarded_mutex(kernel, "GM")

    def body():
        thread = kernel.current_thread
        yield from ke_acquire_guarded_mutex(gm)
        held = (kernel.cpu.irql, gm.owner is thread, gm.count, thread.special_apc_disable)
        ke_release_guarded_mutex(gm)
        return held, (kernel.cpu.irql, gm.owner, gm.count, thread.special_apc_disable)

    assert call(body) == ((PASSIVE_LEVEL, True, 0, -1), (PASSIVE_LEVEL, None, 1, 0))


def test_guarded_mutex_holds_off_special_kernel_apcs_until_release(kernel, spawn):
    """sync-objects 2.9: the guarded region blocks ALL APCs, even special kernel APCs (which
    reach a KMUTEX owner at once, 1.3) although the owner is at PASSIVE_LEVEL; both kinds run
    when KeReleaseGuardedMutex leaves the region, the special one at APC_LEVEL."""
    gm = ke_initialize_guarded_mutex(kernel, "GM")
    log = []

    def normal_apc():
        log.append(("normal", kernel.now, kernel.cpu.irql))
        yield from ()

    def owner():
        yield from ke_acquire_guarded_mutex(gm)
        kernel.queue_kernel_apc(kernel.current_thread,
                                lambda: log.append(("special", kernel.now, kernel.cpu.irql)),
                                normal=False)
        yield from delay(kernel, 1)
        log.append(("release", kernel.now, kernel.cpu.irql))
        ke_release_guarded_mutex(gm)
        log.append(("released", kernel.now))

    def queuer(target):
        kernel.queue_kernel_apc(target, normal_apc, normal=True)
        yield from ()

    target = spawn(owner, name="Owner")
    spawn(queuer, target, name="Queuer")
    assert kernel.run() is None
    assert log == [("release", TICK, PASSIVE_LEVEL), ("special", TICK, APC_LEVEL),
                   ("normal", TICK, PASSIVE_LEVEL), ("released", TICK)]


def test_guarded_mutex_waiter_is_already_in_its_guarded_region(kernel, spawn):
    """sync-objects 2.9: the guarded region is entered BEFORE the lock is taken or waited
    for: a special kernel APC queued to a thread waiting for the mutex does not run during
    the wait, only when that thread releases the mutex in its turn."""
    gm = ke_initialize_guarded_mutex(kernel, "GM")
    log = []

    def holder():
        yield from ke_acquire_guarded_mutex(gm)
        yield from delay(kernel, 1)
        log.append(("holder releases", kernel.now))
        ke_release_guarded_mutex(gm)

    def waiter():
        yield from ke_acquire_guarded_mutex(gm)
        log.append(("waiter owns", kernel.now))
        ke_release_guarded_mutex(gm)
        log.append(("waiter released", kernel.now))

    def queuer(target):
        kernel.queue_kernel_apc(target, lambda: log.append(("special", kernel.now)))
        yield from ()

    spawn(holder, name="Holder")
    target = spawn(waiter, name="Waiter")
    spawn(queuer, target, name="Queuer")
    assert kernel.run() is None
    assert log == [("holder releases", TICK), ("waiter owns", TICK), ("special", TICK),
                   ("waiter released", TICK)]


def test_try_to_acquire_guarded_mutex_false_when_held(kernel, spawn):
    """sync-objects 2.9: KeTryToAcquireGuardedMutex takes a free mutex (TRUE, in a guarded
    region, IRQL unchanged); on a held one it returns FALSE at once, never waits, and
    leaves no guarded region behind."""
    gm = ke_initialize_guarded_mutex(kernel, "GM")
    log = []

    def holder():
        log.append(("holder", ke_try_to_acquire_guarded_mutex(gm), kernel.cpu.irql,
                    kernel.current_thread.special_apc_disable))
        yield from delay(kernel, 1)
        ke_release_guarded_mutex(gm)

    def trier():
        log.append(("trier", ke_try_to_acquire_guarded_mutex(gm), kernel.cpu.irql,
                    kernel.current_thread.special_apc_disable, kernel.now, gm.count,
                    gm.owner.name))
        yield from ()

    spawn(holder, name="Holder")
    spawn(trier, name="Trier")
    assert kernel.run() is None
    assert log == [("holder", True, PASSIVE_LEVEL, -1),
                   ("trier", False, PASSIVE_LEVEL, 0, 0, 0, "Holder")]
    assert (gm.count, gm.owner, gm.contention) == (1, None, 0)


def test_recursive_guarded_mutex_acquire_hangs_silently(kernel, spawn):
    """sync-objects 2.9 / 2.6: guarded mutexes are not recursive: the owner's second
    KeAcquireGuardedMutex waits forever (no bug check)."""
    gm = ke_initialize_guarded_mutex(kernel, "GM")
    reached = []

    def body():
        yield from ke_acquire_guarded_mutex(gm)
        yield from ke_acquire_guarded_mutex(gm)
        reached.append("second acquire returned")

    thread = spawn(body)
    assert kernel.run() is None
    assert thread.alive and thread.blocked and reached == []
    assert gm.count == -1


def test_thread_exiting_with_guarded_mutex_bugchecks_0x20_p2_ffff0000(kernel, spawn):
    """sync-objects 2.9 / 1.6 step 1 (VR R81): a thread that exits still holding a guarded
    mutex exits inside a guarded region: 0x20 KERNEL_APC_PENDING_DURING_EXIT with P2
    CombinedApcDisable = 0xFFFF0000 (SpecialApcDisable -1 in the high word)."""
    gm = ke_initialize_guarded_mutex(kernel, "GM")

    def body():
        yield from ke_acquire_guarded_mutex(gm)

    spawn(body)
    check = kernel.run()
    assert check is not None
    assert check.code == BugCheckCode.KERNEL_APC_PENDING_DURING_EXIT == 0x20
    assert (check.p1, check.p2, check.p3, check.p4) == (0, 0xFFFF0000, 0, 1)


# -- 3. Events, semaphores, waits ------------------------------------------------------------

def test_set_event_returns_previous_state_not_whether_a_waiter_woke(kernel, spawn):
    """sync-objects 3.1: KeSetEvent returns the previous SignalState and leaves it exactly 1
    (or 0 again when a synchronization event's waiter took it); 0 is returned both when a
    waiter was released and when nobody waited."""
    sync = KEvent(kernel, SynchronizationEvent)
    lonely = KEvent(kernel, SynchronizationEvent)
    log = []

    def waiter():
        log.append(("woken", (yield from ke_wait_for_single_object(sync))))

    def setter():
        log.append(("with waiter", ke_set_event(sync), ke_read_state_event(sync)))
        log.append(("no waiter", ke_set_event(lonely), ke_read_state_event(lonely)))
        log.append(("again", ke_set_event(lonely), ke_read_state_event(lonely)))
        yield from ()

    spawn(waiter, name="W")
    spawn(setter, name="S")
    assert kernel.run() is None
    assert log == [("with waiter", 0, 0), ("no waiter", 0, 1), ("again", 1, 1),
                   ("woken", SUCCESS)]


def test_pulse_event_releases_waiters_and_leaves_event_reset(kernel, spawn):
    """sync-objects 3.4: KePulseEvent on a non-signaled notification event releases every
    waiter, leaves the event non-signaled and returns 0; on an already-signaled event it
    just resets it (returns 1)."""
    event = KEvent(kernel, NotificationEvent)
    log = []

    def waiter(name):
        log.append((name, (yield from ke_wait_for_single_object(event)), kernel.now))

    def pulser():
        yield from delay(kernel, 1)
        log.append(("pulse", ke_pulse_event(event), ke_read_state_event(event)))
        ke_set_event(event)
        log.append(("pulse signaled", ke_pulse_event(event), ke_read_state_event(event)))

    spawn(waiter, "a", name="a")
    spawn(waiter, "b", name="b")
    spawn(pulser, name="P")
    assert kernel.run() is None
    assert log == [("pulse", 0, 0), ("pulse signaled", 1, 0), ("a", SUCCESS, TICK),
                   ("b", SUCCESS, TICK)]


def test_pulse_event_never_satisfies_wait_all(kernel, spawn):
    """sync-objects 3.4 / 9.8: a WaitAll waiter woken by a pulse finds the event reset and
    goes back to waiting, even if every other object of its wait is signaled."""
    pulsed = KEvent(kernel, NotificationEvent)
    other = KEvent(kernel, NotificationEvent, state=True)
    log = []

    def waiter():
        log.append((yield from ke_wait_for_multiple_objects(kernel, [other, pulsed], WaitAll)))

    def pulser():
        yield from delay(kernel, 1)
        log.append(("pulse", ke_pulse_event(pulsed)))

    thread = spawn(waiter, name="W")
    spawn(pulser, name="P")
    assert kernel.run() is None
    assert log == [("pulse", 0)]
    assert thread.alive and ke_read_state_event(pulsed) == 0


def test_release_semaphore_beyond_limit_raises_and_keeps_count(kernel, spawn):
    """sync-objects 3.5: a release past the Limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED with
    the count unchanged; unhandled in a system thread: bug check 0x7E, P1 0xC0000047."""
    sem = ke_initialize_semaphore(kernel, 1, 2)

    def body():
        ke_release_semaphore(sem, 0, 2)
        yield from ()

    spawn(body)
    check = kernel.run()
    assert check is not None and check.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
    assert check.p1 == NTSTATUS.STATUS_SEMAPHORE_LIMIT_EXCEEDED == 0xC0000047
    assert ke_read_state_semaphore(sem) == 1


def test_release_semaphore_negative_adjustment_raises(kernel, spawn):
    """sync-objects 3.5: an Adjustment that makes the count smaller (New < Prev) raises
    STATUS_SEMAPHORE_LIMIT_EXCEEDED too, count unchanged."""
    sem = ke_initialize_semaphore(kernel, 1, 2)

    def body():
        ke_release_semaphore(sem, 0, -1)
        yield from ()

    spawn(body)
    check = kernel.run()
    assert check is not None and check.p1 == NTSTATUS.STATUS_SEMAPHORE_LIMIT_EXCEEDED
    assert ke_read_state_semaphore(sem) == 1


def test_release_semaphore_wakes_waiter_and_returns_previous_count(kernel, spawn):
    """sync-objects 3.5 / 3.6 (BE #22): (2, 2): two waits leave 0, the third blocks until a
    KeReleaseSemaphore(+1), which returns 0 and releases it (the count goes back to 0)."""
    sem = ke_initialize_semaphore(kernel, 2, 2)
    log = []

    def taker():
        for _ in range(3):
            yield from ke_wait_for_single_object(sem)
            log.append(("took", kernel.now, ke_read_state_semaphore(sem)))

    def releaser():
        yield from delay(kernel, 1)
        log.append(("release", ke_release_semaphore(sem, 0, 1)))

    spawn(taker, name="Taker")
    spawn(releaser, name="Releaser")
    assert kernel.run() is None
    assert log == [("took", 0, 1), ("took", 0, 0), ("release", 0), ("took", TICK, 0)]


def test_wait_any_takes_lowest_satisfiable_index(kernel, drive):
    """sync-objects 3.6 / 3.7: WaitAny over semaphores takes the lowest index whose count is
    > 0 and decrements only that one: STATUS_WAIT_0 + index."""
    sems = [ke_initialize_semaphore(kernel, count, 5) for count in (0, 1, 1)]
    assert drive(ke_wait_for_multiple_objects(kernel, sems, WaitAny, 0)) == 1
    assert [ke_read_state_semaphore(s) for s in sems] == [0, 0, 1]


def test_wait_any_abandoned_mutant_returns_abandoned_wait_0_plus_index(kernel, spawn):
    """sync-objects 3.7 / 1.6: a WaitAny satisfied by an abandoned mutant at index i returns
    STATUS_ABANDONED_WAIT_0 + i."""
    mutant = ke_initialize_mutant(kernel, False)
    event = KEvent(kernel, NotificationEvent)
    log = []

    def quitter():
        yield from ke_wait_for_single_object(mutant)
        yield from delay(kernel, 1)

    def waiter():
        log.append((yield from ke_wait_for_multiple_objects(kernel, [event, mutant], WaitAny)))
        ke_release_mutant(mutant)

    spawn(quitter, name="Quitter")
    spawn(waiter, name="Waiter")
    assert kernel.run() is None
    assert log == [ABANDONED + 1]


def test_wait_all_on_two_thread_objects_succeeds_after_both_exit(kernel, spawn):
    """sync-objects 3.7 / 3.9 (BE #22): KeWaitForMultipleObjects(WaitAll) on two thread
    objects returns STATUS_SUCCESS once both threads have exited (the later exit)."""
    log = []

    def worker(ticks):
        yield from delay(kernel, ticks * TICK)

    first = spawn(worker, 1, name="W1")
    second = spawn(worker, 3, name="W2")

    def creator():
        status = yield from ke_wait_for_multiple_objects(kernel, [first, second], WaitAll)
        log.append((status, kernel.now, first.alive, second.alive))

    spawn(creator, name="Creator")
    assert kernel.run() is None
    assert log == [(SUCCESS, 3 * TICK, False, False)]


def test_more_than_three_objects_without_wait_block_array_bugchecks_0xc(kernel, drive):
    """sync-objects 3.7: with a NULL WaitBlockArray the thread's 3 built-in wait blocks are
    the limit: 3 objects wait normally, 4 are bug check 0xC (no parameters)."""
    events = [KEvent(kernel, NotificationEvent) for _ in range(4)]
    assert drive(ke_wait_for_multiple_objects(kernel, events[:3], WaitAny, 0,
                                              wait_block_array=False)) == TIMEOUT
    assert drive(ke_wait_for_multiple_objects(kernel, events, WaitAny, 0)) == TIMEOUT
    with pytest.raises(BugCheckHalt):
        drive(ke_wait_for_multiple_objects(kernel, events, WaitAny, 0, wait_block_array=False))
    check = kernel.bugcheck
    assert check.code == BugCheckCode.MAXIMUM_WAIT_OBJECTS_EXCEEDED == 0xC
    assert (check.p1, check.p2, check.p3, check.p4) == (0, 0, 0, 0)


def test_wait_on_ktimer_returns_at_first_tick_after_due(kernel, call):
    """sync-objects 3.9 (BE #31 method 4): waiting with no timeout on a KTIMER set by
    KeSetTimer (no DPC) returns STATUS_SUCCESS at the first clock tick at or after the due
    time; a notification timer then stays signaled."""
    timer = ke_initialize_timer(kernel)

    def body():
        yield from ke_stall_execution_processor(kernel, 50)      # off the tick: t = 500
        ke_set_timer(timer, -TICK)                                 # due at TICK + 500
        first = yield from ke_wait_for_single_object(timer)
        at = kernel.now
        again = yield from ke_wait_for_single_object(timer, timeout=0)
        return first, at, again

    assert call(body) == (SUCCESS, 2 * TICK, SUCCESS)


# -- 4. System threads -----------------------------------------------------------------------

@pytest.mark.parametrize("process_handle, process", [(NT_CURRENT_PROCESS, "test.exe"),
                                                      (0, "System")])
def test_ps_create_system_thread_process_context(kernel, process_handle, process):
    """sync-objects 4.1: from a thread of test.exe, PsCreateSystemThread with
    NtCurrentProcess() starts the system thread in test.exe, with ProcessHandle NULL in the
    System process; the new thread is readied, not run: the creator goes on first."""
    seen = []

    def start(context):
        seen.append((context, ps_get_current_process(kernel).name,
                     kernel.current_thread.system))
        yield from ()

    def creator():
        status, _h = ps_create_system_thread(kernel, start, "ctx", process_handle)
        seen.append(("created", status))
        yield from ()

    app_thread(kernel, creator)
    assert kernel.run() is None
    assert seen == [("created", SUCCESS), ("ctx", process, True)]


@pytest.mark.parametrize("kernel_handle", [False, True])
def test_ps_create_system_thread_handle_placement(kernel, kernel_handle):
    """sync-objects 4.1 / 4.2 / 7.1: the thread handle lands in the calling process's table
    (test.exe) unless OBJ_KERNEL_HANDLE, which gives a kernel handle (top bit set);
    ObReferenceObjectByHandle(h, *PsThreadType) gives the KTHREAD."""
    seen = {}

    def start(context):
        yield from ()

    def creator():
        status, handle = ps_create_system_thread(kernel, start, None, 0,
                                                 kernel_handle=kernel_handle, name="Sys")
        seen["handle"] = handle
        seen["ref"] = ob_reference_object_by_handle(kernel, handle, "Thread")
        yield from ()

    app_thread(kernel, creator)
    assert kernel.run() is None
    handle = seen["handle"]
    status, thread = seen["ref"]
    assert status == SUCCESS and thread.name == "Sys" and thread.system
    assert bool(handle & KERNEL_HANDLE_BIT) == kernel_handle
    app_table = kernel.handle_tables.get("test.exe")
    in_app_table = app_table is not None and app_table.lookup(handle) is not None
    assert in_app_table == (not kernel_handle)
    kernel_table = kernel.handle_tables.get("<kernel>")
    in_kernel_table = kernel_table is not None and kernel_table.lookup(handle) is not None
    assert in_kernel_table == kernel_handle


def test_ps_terminate_system_thread_from_non_system_thread_returns_invalid_parameter(kernel):
    """sync-objects 4.3: PsTerminateSystemThread called in a thread that is not a system
    thread (an app's thread) returns STATUS_INVALID_PARAMETER and terminates nothing."""
    log = []

    def body():
        log.append(ps_terminate_system_thread(kernel, 0x1234))
        log.append("continued")
        yield from ()

    thread = app_thread(kernel, body)
    assert kernel.run() is None
    assert log == [NTSTATUS.STATUS_INVALID_PARAMETER, "continued"]
    assert thread.exit_status is None


def test_ps_terminate_system_thread_ends_the_thread_with_exit_status(kernel, spawn):
    """sync-objects 4.3: in a system thread PsTerminateSystemThread does not return: the
    code after it never runs, the thread ends with ExitStatus and its object is signaled."""
    log = []

    def start(context):
        log.append("started")
        yield from delay(kernel, 1)
        ps_terminate_system_thread(kernel, 0x1234)
        log.append("after terminate")

    def creator():
        _status, handle = ps_create_system_thread(kernel, start, None)
        _s, thread = ob_reference_object_by_handle(kernel, handle, "Thread")
        log.append(("waited", (yield from ke_wait_for_single_object(thread)), kernel.now))
        log.append(("exit status", thread.exit_status, thread.alive))

    spawn(creator, name="Creator")
    assert kernel.run() is None
    assert log == ["started", ("waited", SUCCESS, TICK), ("exit status", 0x1234, False)]


def test_stall_keeps_the_cpu_busy(kernel, spawn):
    """sync-objects 4.6: KeStallExecutionProcessor(50) burns 50 us of the caller's CPU: the
    caller's time advances by 500 hns and another thread bound to the same CPU starts only
    when the stall ends."""
    log = []

    def staller():
        log.append(("stall begins", kernel.now))
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("stall ends", kernel.now))

    def neighbour():
        log.append(("neighbour runs", kernel.now))
        yield from ()

    spawn(staller, name="Staller", cpu=0)
    spawn(neighbour, name="Neighbour", cpu=0)
    assert kernel.run() is None
    assert log == [("stall begins", 0), ("stall ends", 500), ("neighbour runs", 500)]


def test_stall_delays_a_woken_thread_of_the_same_cpu(kernel, spawn):
    """sync-objects 4.6: the stall never yields: a thread of the same CPU released by an
    event the staller set just before stalling runs only after the stall."""
    event = KEvent(kernel, NotificationEvent)
    log = []

    def waiter():
        yield from ke_wait_for_single_object(event)
        log.append(("waiter resumes", kernel.now))

    def staller():
        ke_set_event(event)
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("stall ends", kernel.now))

    spawn(waiter, name="Waiter", cpu=0)
    spawn(staller, name="Staller", cpu=0)
    assert kernel.run() is None
    assert log == [("stall ends", 500), ("waiter resumes", 500)]


def test_stall_does_not_hold_another_cpu(recorder):
    """sync-objects 4.6: the stall occupies only its own CPU: a thread on CPU 1 runs at once."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    log = []

    def staller():
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("stall ends", kernel.now))

    def other():
        log.append(("cpu1 runs", kernel.now, kernel.cpu.index))
        yield from ()

    kernel.create_thread(staller, name="Staller", cpu=0)
    kernel.create_thread(other, name="Other", cpu=1)
    assert kernel.run() is None
    assert log == [("cpu1 runs", 0, 1), ("stall ends", 500)]


# -- 5. Multiprocessor spin locks ------------------------------------------------------------

def test_spinning_cpu_gets_lock_when_holder_releases(recorder):
    """sync-objects 5.2: on 2 CPUs, a thread acquiring a spin lock held by the other CPU
    (whose holder stalls 50 us under it) spins at DISPATCH_LEVEL and gets the lock exactly
    when it is released, 50 us later; meanwhile no other thread runs on the spinning CPU."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    lock = ke_initialize_spin_lock(kernel, "L")
    log = []

    def holder():
        old = ke_acquire_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("holder releases", kernel.now))
        ke_release_spin_lock(lock, old)

    def spinner():
        old = yield from ke_acquire_spin_lock_spinning(lock)
        log.append(("spinner owns", kernel.now, kernel.cpu.irql, lock.owner is kernel.cpu))
        ke_release_spin_lock(lock, old)

    def bystander():
        log.append(("cpu1 bystander runs", kernel.now))
        yield from ()

    kernel.create_thread(holder, name="Holder", cpu=0)
    kernel.create_thread(spinner, name="Spinner", cpu=1)
    kernel.create_thread(bystander, name="Bystander", cpu=1)
    assert kernel.run() is None
    assert log == [("holder releases", 500), ("spinner owns", 500, DISPATCH_LEVEL, True),
                   ("cpu1 bystander runs", 500)]


def test_try_to_acquire_spin_lock_at_dpc_level_true_when_free_false_when_held(recorder):
    """sync-objects 5.4: KeTryToAcquireSpinLockAtDpcLevel never spins: FALSE at once while
    another CPU holds the lock (its holder stalls 50 us under it), TRUE (and held) once it
    is free."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    lock = ke_initialize_spin_lock(kernel, "L")
    log = []

    def holder():
        old = ke_acquire_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 50)
        ke_release_spin_lock(lock, old)

    def trier():
        old = kernel.raise_irql(DISPATCH_LEVEL)
        log.append(("busy", ke_try_to_acquire_spin_lock_at_dpc_level(lock), kernel.now,
                    lock.owner.index))
        yield from ke_stall_execution_processor(kernel, 100)
        log.append(("free", ke_try_to_acquire_spin_lock_at_dpc_level(lock), kernel.now,
                    lock.owner is kernel.cpu))
        ke_release_spin_lock_from_dpc_level(lock)
        kernel.lower_irql(old)

    kernel.create_thread(holder, name="Holder", cpu=0)
    kernel.create_thread(trier, name="Trier", cpu=1)
    assert kernel.run() is None
    assert log == [("busy", False, 0, 0), ("free", True, 1000, True)]
    assert lock.owner is None


def test_test_spin_lock_reports_state_and_acquires_nothing(recorder):
    """sync-objects 5.4: KeTestSpinLock is TRUE when the lock looks free, FALSE while another
    CPU holds it; it never acquires and never changes the IRQL."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    lock = ke_initialize_spin_lock(kernel, "L")
    log = []

    def holder():
        old = ke_acquire_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 50)
        ke_release_spin_lock(lock, old)

    def tester():
        log.append((ke_test_spin_lock(lock), kernel.cpu.irql, lock.owner.index))
        yield from ke_stall_execution_processor(kernel, 100)
        log.append((ke_test_spin_lock(lock), kernel.cpu.irql, lock.owner))

    kernel.create_thread(holder, name="Holder", cpu=0)
    kernel.create_thread(tester, name="Tester", cpu=1)
    assert kernel.run() is None
    assert log == [(False, PASSIVE_LEVEL, 0), (True, PASSIVE_LEVEL, None)]


def test_in_stack_queued_spin_lock_granted_in_arrival_order(recorder):
    """sync-objects 5.5: on 3 CPUs, two CPUs spinning on a queued spin lock get it in the
    order they arrived (CPU 2 at 0, CPU 1 at 10 us), not by CPU number; each release hands it
    to the next at once, and the acquire returns the caller's previous IRQL."""
    kernel = Kernel(cpus=3, instruments=[recorder])
    lock = ke_initialize_spin_lock(kernel, "Q")
    log = []

    def holder():
        old = yield from ke_acquire_in_stack_queued_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 50)
        ke_release_spin_lock(lock, old)

    def spinner(name, arrive_us):
        yield from ke_stall_execution_processor(kernel, arrive_us)
        old = yield from ke_acquire_in_stack_queued_spin_lock(lock)
        log.append((name, kernel.now, kernel.cpu.index, old, kernel.cpu.irql))
        yield from ke_stall_execution_processor(kernel, 50)
        ke_release_spin_lock(lock, old)

    kernel.create_thread(holder, name="Holder", cpu=0)
    kernel.create_thread(spinner, "Late", 10, name="Late", cpu=1)
    kernel.create_thread(spinner, "Early", 0, name="Early", cpu=2)
    assert kernel.run() is None
    assert log == [("Early", 500, 2, PASSIVE_LEVEL, DISPATCH_LEVEL),
                   ("Late", 1000, 1, PASSIVE_LEVEL, DISPATCH_LEVEL)]
    assert lock.owner is None


def test_in_stack_queued_spin_lock_releaser_cannot_jump_the_queue(recorder):
    """sync-objects 5.5: FIFO also binds the releasing CPU: a holder that releases and at
    once acquires the queued lock again queues behind the CPU already spinning on it."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    lock = ke_initialize_spin_lock(kernel, "Q")
    log = []

    def holder():
        old = yield from ke_acquire_in_stack_queued_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 50)
        ke_release_spin_lock(lock, old)
        old = yield from ke_acquire_in_stack_queued_spin_lock(lock)
        log.append(("Holder again", kernel.now))
        ke_release_spin_lock(lock, old)

    def spinner():
        old = yield from ke_acquire_in_stack_queued_spin_lock(lock)
        log.append(("Spinner", kernel.now))
        yield from ke_stall_execution_processor(kernel, 50)
        ke_release_spin_lock(lock, old)

    kernel.create_thread(holder, name="Holder", cpu=0)
    kernel.create_thread(spinner, name="Spinner", cpu=1)
    assert kernel.run() is None
    assert log == [("Spinner", 500), ("Holder again", 1000)]


@pytest.mark.parametrize("call_below, subcode, irql", [("acquire", 0x40, PASSIVE_LEVEL),
                                                       ("release", 0x41, APC_LEVEL)])
def test_dpc_level_spin_lock_call_below_dispatch_is_verifier_0x40_0x41(recorder, call_below,
                                                                       subcode, irql):
    """verifier-rules R71 / sync-objects 5.3: with Driver Verifier, KeAcquireSpinLockAtDpcLevel
    below DISPATCH_LEVEL is 0xC4 0x40, KeReleaseSpinLockFromDpcLevel below it 0xC4 0x41
    (P2 the IRQL, P3 the lock)."""
    kernel = Kernel(instruments=[recorder], verifier=True)
    lock = ke_initialize_spin_lock(kernel, "L")

    def body():
        if call_below == "release":
            kernel.raise_irql(DISPATCH_LEVEL)
            ke_acquire_spin_lock_at_dpc_level(lock)
            kernel.lower_irql(irql)
        ke_acquire_spin_lock_at_dpc_level(lock) if call_below == "acquire" else \
            ke_release_spin_lock_from_dpc_level(lock)
        yield from ()

    kernel.create_thread(body, name="T")
    check = kernel.run()
    assert check is not None
    assert check.code == BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION == 0xC4
    assert (check.p1, check.p2, check.p3) == (subcode, irql, lock.id)


def test_dpc_level_spin_lock_calls_below_dispatch_pass_without_verifier(kernel, call):
    """sync-objects 5.3 / verifier-rules R71: without Verifier the DPC-level calls below
    DISPATCH_LEVEL take and drop the lock anyway and leave the IRQL as it was."""
    lock = ke_initialize_spin_lock(kernel, "L")

    def body():
        ke_acquire_spin_lock_at_dpc_level(lock)
        held = (lock.owner is kernel.cpu, kernel.cpu.irql)
        ke_release_spin_lock_from_dpc_level(lock)
        return held, (lock.owner, kernel.cpu.irql)
        yield

    assert call(body) == ((True, PASSIVE_LEVEL), (None, PASSIVE_LEVEL))


# -- 6. Remove locks -------------------------------------------------------------------------

def test_initialize_remove_lock_sets_count_one(kernel):
    """sync-objects 6.2: IoInitializeRemoveLock sets IoCount 1 (the bias) and Removed FALSE,
    the RemoveEvent non-signaled."""
    lock = IoRemoveLock(kernel, "RL")
    io_initialize_remove_lock(lock)
    assert (lock.io_count, lock.removed, ke_read_state_event(lock.remove_event)) == (1, False, 0)
    assert io_acquire_remove_lock(lock, "Irp1") == SUCCESS and lock.io_count == 2
    io_release_remove_lock(lock, "Irp1")
    assert lock.io_count == 1 and ke_read_state_event(lock.remove_event) == 0


def test_acquire_after_release_and_wait_is_delete_pending_with_no_net_change(kernel, call):
    """sync-objects 6.3 / 6.5: after IoReleaseRemoveLockAndWait every IoAcquireRemoveLock
    returns STATUS_DELETE_PENDING (0xC0000056) with no net count change (the count touching
    0 on the way sets the RemoveEvent)."""
    lock = IoRemoveLock(kernel, "RL")
    io_initialize_remove_lock(lock)

    def body():
        io_acquire_remove_lock(lock, "Remove")
        yield from io_release_remove_lock_and_wait(lock, "Remove")
        before = (lock.io_count, lock.removed)
        statuses = [io_acquire_remove_lock(lock, "Late"), io_acquire_remove_lock(lock, "Late")]
        return before, statuses, lock.io_count, ke_read_state_event(lock.remove_event)

    assert call(body) == ((0, True), [NTSTATUS.STATUS_DELETE_PENDING] * 2, 0, 1)
    assert NTSTATUS.STATUS_DELETE_PENDING == 0xC0000056


def test_release_and_wait_waits_for_the_outstanding_release(kernel, spawn):
    """sync-objects 6.4 / 6.5: with one acquisition outstanding, IoReleaseRemoveLockAndWait
    drops the caller's count and the bias and waits; the outstanding IoReleaseRemoveLock,
    one tick later from another thread, brings the count to 0, sets the event and the
    remover returns at that time."""
    lock = IoRemoveLock(kernel, "RL")
    io_initialize_remove_lock(lock)
    log = []

    def io_thread():
        io_acquire_remove_lock(lock, "Irp")
        yield from delay(kernel, 1)
        log.append(("released", kernel.now))
        io_release_remove_lock(lock, "Irp")

    def remover():
        io_acquire_remove_lock(lock, "Remove")
        log.append(("waits", kernel.now, lock.io_count))
        yield from io_release_remove_lock_and_wait(lock, "Remove")
        log.append(("returns", kernel.now, lock.io_count))

    spawn(io_thread, name="Io")
    spawn(remover, name="Remover")
    assert kernel.run() is None
    assert log == [("waits", 0, 3), ("released", TICK), ("returns", TICK, 0)]


def test_release_and_wait_with_nothing_outstanding_does_not_wait(kernel, call):
    """sync-objects 6.5: with only the caller's own acquisition, IoReleaseRemoveLockAndWait
    brings the count to 0 and returns at once."""
    lock = IoRemoveLock(kernel, "RL")
    io_initialize_remove_lock(lock)

    def body():
        io_acquire_remove_lock(lock, "Remove")
        yield from io_release_remove_lock_and_wait(lock, "Remove")
        return kernel.now, lock.io_count, lock.removed

    assert call(body) == (0, 0, True)


def test_release_and_wait_without_prior_acquire_goes_negative_and_does_not_wait(kernel,
                                                                                spawn):
    """sync-objects 6.5 (misuse): IoReleaseRemoveLockAndWait without the caller's own acquire
    returns at once even though an acquisition is outstanding (2 -> 0); that acquisition's
    later release drives the count to -1 and signals nothing."""
    lock = IoRemoveLock(kernel, "RL")
    io_initialize_remove_lock(lock)
    log = []

    def io_thread():
        io_acquire_remove_lock(lock, "Irp")
        yield from delay(kernel, 1)
        io_release_remove_lock(lock, "Irp")
        log.append(("released", kernel.now, lock.io_count))

    def remover():
        yield from io_release_remove_lock_and_wait(lock, "Remove")
        log.append(("returns", kernel.now, lock.io_count))

    spawn(io_thread, name="Io")
    spawn(remover, name="Remover")
    assert kernel.run() is None
    assert log == [("returns", 0, 0), ("released", TICK, -1)]
    assert ke_read_state_event(lock.remove_event) == 0


def test_release_and_wait_without_any_acquire_drives_count_negative(kernel, call):
    """sync-objects 6.5 (misuse): on a lock nobody acquired, IoReleaseRemoveLockAndWait takes
    the count 1 -> 0 -> -1 and does not wait."""
    lock = IoRemoveLock(kernel, "RL")
    io_initialize_remove_lock(lock)

    def body():
        yield from io_release_remove_lock_and_wait(lock, "Remove")
        return kernel.now, lock.io_count

    assert call(body) == (0, -1)


# -- 7. Object manager -----------------------------------------------------------------------

def test_reference_by_handle_mode_checks(kernel):
    """sync-objects 7.3: UserMode rejects a kernel handle (STATUS_INVALID_HANDLE) and a
    handle lacking the desired access (STATUS_ACCESS_DENIED); KernelMode skips the access
    check (and accepts the kernel handle) but still checks the type."""
    seen = {}

    def body():
        _s, handle, event = zw_create_event(kernel, EVENT_QUERY_STATE, None, 0,
                                            NotificationEvent, False)
        _s, khandle, kevent = zw_create_event(kernel, EVENT_QUERY_STATE, None,
                                              OBJ_KERNEL_HANDLE, NotificationEvent, False)
        ref = ob_reference_object_by_handle
        seen["objects"] = (event, kevent)
        seen["results"] = [
            ref(kernel, khandle, "Event", EVENT_QUERY_STATE, user_mode=True),
            ref(kernel, handle, "Event", EVENT_MODIFY_STATE, user_mode=True),
            ref(kernel, handle, "Event", EVENT_QUERY_STATE, user_mode=True),
            ref(kernel, handle, "Event", EVENT_MODIFY_STATE, user_mode=False),
            ref(kernel, khandle, "Event", EVENT_MODIFY_STATE, user_mode=False),
            ref(kernel, handle, "Thread", 0, user_mode=False),
        ]
        yield from ()

    app_thread(kernel, body)
    assert kernel.run() is None
    event, kevent = seen["objects"]
    assert seen["results"] == [(NTSTATUS.STATUS_INVALID_HANDLE, None),
                               (NTSTATUS.STATUS_ACCESS_DENIED, None),
                               (SUCCESS, event), (SUCCESS, event), (SUCCESS, kevent),
                               (NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None)]


def test_process_handle_is_meaningless_in_another_process(kernel, spawn):
    """sync-objects 7.1: a handle in test.exe's table does not resolve from a thread of the
    System process (STATUS_INVALID_HANDLE); a kernel handle resolves from both."""
    handles, seen = {}, []

    def app():
        handles["process"] = zw_create_event(kernel, EVENT_QUERY_STATE, None, 0,
                                             NotificationEvent, False)[1]
        handles["kernel"] = zw_create_event(kernel, EVENT_QUERY_STATE, None,
                                            OBJ_KERNEL_HANDLE, NotificationEvent, False)[1]
        yield from ()

    def system():
        yield from delay(kernel, 1)
        seen.append(ob_reference_object_by_handle(kernel, handles["process"], "Event")[0])
        seen.append(ob_reference_object_by_handle(kernel, handles["kernel"], "Event")[0])

    app_thread(kernel, app)
    spawn(system, name="Sys")
    assert kernel.run() is None
    assert seen == [NTSTATUS.STATUS_INVALID_HANDLE, SUCCESS]


def test_named_create_collision_and_openif(kernel, drive):
    """sync-objects 7.7: creating a taken name fails with STATUS_OBJECT_NAME_COLLISION (no
    handle) without OBJ_OPENIF; with it the EXISTING object is opened, its type and state
    untouched, with the success status STATUS_OBJECT_NAME_EXISTS."""
    name = "\\BaseNamedObjects\\SyncTest"
    status, handle, event = zw_create_event(kernel, EVENT_QUERY_STATE, name, 0,
                                            NotificationEvent, False)
    assert status == SUCCESS and handle and isinstance(event, KEvent)
    assert zw_create_event(kernel, EVENT_QUERY_STATE, name, 0, SynchronizationEvent,
                           True) == (NTSTATUS.STATUS_OBJECT_NAME_COLLISION, 0, None)
    status, handle2, again = zw_create_event(kernel, EVENT_QUERY_STATE, name, OBJ_OPENIF,
                                             SynchronizationEvent, True)
    assert status == NTSTATUS.STATUS_OBJECT_NAME_EXISTS == 0x40000000
    assert again is event and handle2 not in (0, handle)
    assert (event.event_type, ke_read_state_event(event)) == (NotificationEvent, 0)


def test_named_create_over_other_type_is_type_mismatch(kernel):
    """sync-objects 7.7: with OBJ_OPENIF, a name held by an object of another type (here a
    semaphore) is STATUS_OBJECT_TYPE_MISMATCH and no handle; without it still COLLISION."""
    name = "\\BaseNamedObjects\\NotAnEvent"
    sem = ke_initialize_semaphore(kernel, 0, 1)
    kernel.namespace.insert(name, sem)
    assert zw_create_event(kernel, EVENT_QUERY_STATE, name, OBJ_OPENIF, NotificationEvent,
                           False) == (NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, 0, None)
    assert zw_create_event(kernel, EVENT_QUERY_STATE, name, 0, NotificationEvent,
                           False) == (NTSTATUS.STATUS_OBJECT_NAME_COLLISION, 0, None)
    assert kernel.namespace.lookup(name) is sem


def test_named_create_in_missing_directory_is_path_not_found(kernel):
    """sync-objects 7.6 / 7.7: directories are never created implicitly: a create under a
    missing directory is STATUS_OBJECT_PATH_NOT_FOUND."""
    assert zw_create_event(kernel, EVENT_QUERY_STATE, "\\NoSuchDirectory\\E", OBJ_OPENIF,
                           NotificationEvent, False) == (NTSTATUS.STATUS_OBJECT_PATH_NOT_FOUND,
                                                         0, None)


def test_io_create_event_new_is_signaled_existing_is_unchanged(kernel):
    """sync-objects 7.9 (BE #21): IoCreateNotificationEvent creates a SIGNALED event with a
    kernel handle; a second call (even IoCreateSynchronizationEvent) opens the same event
    as it is: same state, same type."""
    name = "\\BaseNamedObjects\\Shared"
    event, handle = io_create_event(kernel, name, NotificationEvent)
    assert isinstance(event, KEvent) and handle & KERNEL_HANDLE_BIT
    assert (event.event_type, ke_read_state_event(event)) == (NotificationEvent, 1)
    ke_clear_event(event)
    again, handle2 = io_create_event(kernel, name, SynchronizationEvent)
    assert again is event and handle2 & KERNEL_HANDLE_BIT
    assert (again.event_type, ke_read_state_event(again)) == (NotificationEvent, 0)


def test_io_create_event_failure_returns_null(kernel):
    """sync-objects 7.9: any failure (missing directory, a non-event under the name) is a
    NULL event pointer."""
    name = "\\BaseNamedObjects\\Sem"
    kernel.namespace.insert(name, ke_initialize_semaphore(kernel, 0, 1))
    assert io_create_event(kernel, name, NotificationEvent) == (None, 0)
    assert io_create_event(kernel, "\\Missing\\E", NotificationEvent) == (None, 0)


# -- 8. Time services ------------------------------------------------------------------------

def test_system_time_and_tick_count_step_only_at_clock_ticks(kernel, call):
    """sync-objects 8.4-8.6: KeQuerySystemTime, KeQueryInterruptTime and KeQueryTickCount are
    constant between clock ticks (a 50 us stall changes none of them) and step at each
    tick: system time by the time increment, the tick count by 1."""
    def sample():
        return (ke_query_system_time(kernel), ke_query_interrupt_time(kernel),
                ke_query_tick_count(kernel))

    def body():
        samples = [sample()]
        yield from ke_stall_execution_processor(kernel, 50)
        samples.append(sample())
        yield from delay(kernel, 1)
        samples.append(sample())
        return samples

    assert call(body) == [(BOOT_SYSTEM_TIME, 0, 0), (BOOT_SYSTEM_TIME, 0, 0),
                          (BOOT_SYSTEM_TIME + TICK, TICK, 1)]


def test_time_increment_is_the_clock_tick(recorder):
    """sync-objects 8.7: KeQueryTimeIncrement returns the clock interval in hns (default
    156250 = 15.625 ms; configurable, e.g. 100144 for an XP uniprocessor PIC HAL), and
    elapsed time = ticks x increment."""
    assert ke_query_time_increment(Kernel(instruments=[recorder])) == 156250
    kernel = Kernel(clock_tick=100144)

    def body():
        yield from delay(kernel, 3 * 100144)
        return ke_query_tick_count(kernel) * ke_query_time_increment(kernel)

    thread = kernel.create_thread(body, name="T")
    assert kernel.run() is None
    assert ke_query_time_increment(kernel) == 100144
    assert thread.exit_status == 3 * 100144 == ke_query_interrupt_time(kernel)


def test_performance_counter_frequency_and_sub_tick_resolution(kernel, call):
    """sync-objects 8.8: KeQueryPerformanceCounter returns floor(seconds x Freq) with a fixed
    frequency (default 3,579,545 Hz): unlike the tick clocks it advances within a tick."""
    def body():
        first = ke_query_performance_counter(kernel)
        yield from ke_stall_execution_processor(kernel, 50)
        return first, ke_query_performance_counter(kernel)

    (c0, f0), (c1, f1) = call(body)
    assert f0 == f1 == PERFORMANCE_FREQUENCY == 3_579_545
    assert (c0, c1) == (0, 500 * 3_579_545 // 10_000_000) and c1 > 0


def test_system_time_to_local_time_applies_time_zone_bias(kernel):
    """sync-objects 8.9: ExSystemTimeToLocalTime subtracts the bias (UTC - local): for
    China Standard Time (UTC+08:00) local = system + 8 h; ExLocalTimeToSystemTime inverts."""
    kernel.time_zone_bias = parse_time_zone("UTC+08:00")
    system = ke_query_system_time(kernel)
    local = ex_system_time_to_local_time(kernel, system)
    assert local - system == 8 * HOUR
    assert ex_local_time_to_system_time(kernel, local) == system
    assert parse_time_zone("UTC-05:00") == 5 * HOUR


def test_time_to_time_fields_weekday_and_truncated_milliseconds():
    """sync-objects 8.10: RtlTimeToTimeFields gives Weekday 0 = Sunday (2008-06-01 was a
    Sunday, 1601-01-01 a Monday) and truncates the sub-millisecond part."""
    june_1 = BOOT_SYSTEM_TIME - HNS_PER_DAY        # boot is 2008-06-02 00:00 UTC
    t = june_1 + ((12 * 60 + 34) * 60 + 56) * 10_000_000 + 789 * 10_000 + 9_999
    assert rtl_time_to_time_fields(t) == {"Year": 2008, "Month": 6, "Day": 1, "Hour": 12,
                                          "Minute": 34, "Second": 56, "Milliseconds": 789,
                                          "Weekday": 0}
    assert rtl_time_to_time_fields(BOOT_SYSTEM_TIME)["Weekday"] == 1
    assert rtl_time_to_time_fields(0)["Weekday"] == 1


def test_time_fields_to_time_rejects_invalid_fields():
    """sync-objects 8.10: RtlTimeFieldsToTime ignores Weekday and fails (FALSE, here None)
    for any out-of-range field: 30 February, month 13, a year before 1601."""
    fields = {"Year": 2008, "Month": 6, "Day": 1, "Hour": 12, "Minute": 34, "Second": 56,
              "Milliseconds": 789, "Weekday": 5}
    expected = BOOT_SYSTEM_TIME - HNS_PER_DAY + ((12 * 60 + 34) * 60 + 56) * 10_000_000 \
        + 789 * 10_000
    assert rtl_time_fields_to_time(fields) == expected
    assert rtl_time_fields_to_time(dict(fields, Month=2, Day=30)) is None
    assert rtl_time_fields_to_time(dict(fields, Month=13)) is None
    assert rtl_time_fields_to_time(dict(fields, Year=1600)) is None


# -- 4.4 Thread priorities -------------------------------------------------------------------

def test_set_priority_thread_returns_old_current_priority_and_bumps_zero_to_one(kernel, call):
    """sync-objects 4.4: KeSetPriorityThread returns the OLD current priority (not the base)
    and KeQueryPriorityThread the current one; Pri 0 becomes 1 (the base stays 8), except
    for a thread whose base priority is 0 (as the idle thread's)."""
    def body():
        thread = kernel.current_thread
        seen = [ke_query_priority_thread(thread), ke_set_priority_thread(thread, 12),
                ke_query_priority_thread(thread), ke_set_priority_thread(thread, 10),
                ke_set_priority_thread(thread, 0), ke_query_priority_thread(thread),
                thread.base_priority]
        thread.base_priority = 0
        seen += [ke_set_priority_thread(thread, 0), ke_query_priority_thread(thread)]
        return seen
        yield

    assert call(body) == [8, 8, 12, 12, 10, 1, 8, 1, 0]


def test_set_base_priority_thread_returns_previous_increment_and_clamps_to_1_15(kernel, call):
    """sync-objects 4.4: KeSetBasePriorityThread sets base = process base (8) + Increment,
    kept inside the dynamic class 1..15, and returns the PREVIOUS increment (old base - 8)."""
    def body():
        thread = kernel.current_thread
        seen = []
        for increment in (2, -3, 6, 0, -9, 0):
            seen.append((ke_set_base_priority_thread(thread, increment), thread.base_priority))
        return seen
        yield

    assert call(body) == [(0, 10), (2, 5), (-3, 14), (6, 8), (0, 1), (-7, 8)]


def test_set_base_priority_thread_saturated_increment_is_returned_as_16(kernel, call):
    """sync-objects 4.4: |Increment| >= 16 saturates to the class edge (15 / 1), and the
    next call returns +16 / -16 for it, not the old base - 8 (an increment of 7 that also
    reaches 15 is returned as 7)."""
    def body():
        thread = kernel.current_thread
        seen = []
        for increment in (16, 7, -20, 0):
            seen.append((ke_set_base_priority_thread(thread, increment), thread.base_priority))
        seen.append(ke_set_base_priority_thread(thread, 0))
        return seen
        yield

    assert call(body) == [(0, 15), (16, 15), (7, 1), (-16, 8), 0]


# -- 5.1 ExInterlocked* ----------------------------------------------------------------------

def _ulong(value):
    """A ULONG in memory: (cell, read, write) for ExInterlockedAddUlong."""
    cell = {"value": value}
    return cell, (lambda: cell["value"]), (lambda new: cell.update(value=new))


@pytest.mark.parametrize("irql", [PASSIVE_LEVEL, DISPATCH_LEVEL])
def test_ex_interlocked_add_ulong_returns_original_value_and_adds(kernel, call, irql):
    """sync-objects 5.1: ExInterlockedAddUlong returns the ORIGINAL value and stores the sum
    (32-bit wrap), at any IRQL; the lock is free again afterwards and the IRQL unchanged."""
    lock = ke_initialize_spin_lock(kernel, "AddLock")
    cell, read, write = _ulong(5)

    def body():
        old = kernel.raise_irql(irql)
        first = yield from ex_interlocked_add_ulong(lock, read, write, 3)
        after_first = cell["value"]
        write(0xFFFFFFFF)
        second = yield from ex_interlocked_add_ulong(lock, read, write, 2)
        seen = (first, after_first, second, cell["value"], lock.owner, kernel.cpu.irql)
        kernel.lower_irql(old)
        return seen

    assert call(body) == (5, 8, 0xFFFFFFFF, 1, None, irql)


def test_ex_interlocked_add_ulong_with_lock_held_by_same_cpu_bugchecks_0xf(kernel, spawn):
    """sync-objects 5.1 / kernel-env 2.5 / 2.2: the lock of ExInterlockedAddUlong must serve
    ExInterlocked* only; held by this very CPU through KeAcquireSpinLock it is a recursive
    acquire: 0xF SPIN_LOCK_ALREADY_OWNED (P1 the lock), the value untouched."""
    lock = ke_initialize_spin_lock(kernel, "AddLock")
    cell, read, write = _ulong(5)

    def body():
        ke_acquire_spin_lock(lock)
        yield from ex_interlocked_add_ulong(lock, read, write, 3)

    spawn(body)
    check = kernel.run()
    assert check is not None
    assert check.code == BugCheckCode.SPIN_LOCK_ALREADY_OWNED == 0xF
    assert check.p1 == lock.id and cell["value"] == 5


def test_ex_interlocked_add_ulong_spins_while_another_cpu_holds_the_lock(recorder):
    """sync-objects 5.1 / 5.2: with the lock held by another CPU (its holder stalls 50 us
    under it) ExInterlockedAddUlong spins until the release, then adds and returns the
    original value; the caller's IRQL is unchanged (PASSIVE_LEVEL)."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    lock = ke_initialize_spin_lock(kernel, "AddLock")
    cell, read, write = _ulong(40)
    log = []

    def holder():
        old = ke_acquire_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("holder releases", kernel.now))
        ke_release_spin_lock(lock, old)

    def adder():
        original = yield from ex_interlocked_add_ulong(lock, read, write, 2)
        log.append(("added", kernel.now, original, cell["value"], kernel.cpu.irql))

    kernel.create_thread(holder, name="Holder", cpu=0)
    kernel.create_thread(adder, name="Adder", cpu=1)
    assert kernel.run() is None
    assert log == [("holder releases", 500), ("added", 500, 40, 42, PASSIVE_LEVEL)]


# -- 7.11 ZwDuplicateObject ------------------------------------------------------------------

def test_duplicate_app_handle_into_kernel_handle_usable_from_system_thread(kernel, spawn):
    """sync-objects 7.11 / 7.1: in the app's context ZwDuplicateObject(NtCurrentProcess(),
    hUser, NtCurrentProcess(), &hK, 0, OBJ_KERNEL_HANDLE, DUPLICATE_SAME_ACCESS) gives a
    kernel handle (top bit set) to the same event; a System thread resolves it later, while
    the app's own handle means nothing there. The source handle stays open."""
    handles, seen = {}, []

    def app():
        _s, user, event = zw_create_event(kernel, EVENT_ALL_ACCESS, None, 0,
                                          NotificationEvent, False)
        status, khandle = zw_duplicate_object(kernel, NT_CURRENT_PROCESS, user,
                                              NT_CURRENT_PROCESS, 0, OBJ_KERNEL_HANDLE,
                                              DUPLICATE_SAME_ACCESS)
        handles.update(user=user, kernel=khandle, event=event, status=status)
        handles["source"] = ob_reference_object_by_handle(kernel, user, "Event")
        yield from ()

    def system():
        yield from delay(kernel, 1)
        seen.append(ob_reference_object_by_handle(kernel, handles["kernel"], "Event"))
        seen.append(ob_reference_object_by_handle(kernel, handles["user"], "Event")[0])

    app_thread(kernel, app)
    spawn(system, name="Sys")
    assert kernel.run() is None
    event = handles["event"]
    assert handles["status"] == SUCCESS and handles["kernel"] & KERNEL_HANDLE_BIT
    assert handles["source"] == (SUCCESS, event)
    assert seen == [(SUCCESS, event), NTSTATUS.STATUS_INVALID_HANDLE]


def test_duplicate_close_source_closes_the_source_handle(kernel):
    """sync-objects 7.11: DUPLICATE_CLOSE_SOURCE closes the source handle (it no longer
    resolves: STATUS_INVALID_HANDLE) and the new handle names the object."""
    seen = {}

    def app():
        _s, user, event = zw_create_event(kernel, EVENT_ALL_ACCESS, None, 0,
                                          NotificationEvent, False)
        status, new = zw_duplicate_object(kernel, NT_CURRENT_PROCESS, user,
                                          NT_CURRENT_PROCESS, 0, OBJ_KERNEL_HANDLE,
                                          DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE)
        seen.update(event=event, status=status, new=new,
                    old=ob_reference_object_by_handle(kernel, user, "Event"),
                    again=zw_duplicate_object(kernel, NT_CURRENT_PROCESS, user,
                                              NT_CURRENT_PROCESS, 0, 0, DUPLICATE_SAME_ACCESS),
                    ref=ob_reference_object_by_handle(kernel, new, "Event"))
        yield from ()

    app_thread(kernel, app)
    assert kernel.run() is None
    assert seen["status"] == SUCCESS and seen["new"] & KERNEL_HANDLE_BIT
    assert seen["old"] == (NTSTATUS.STATUS_INVALID_HANDLE, None)
    assert seen["again"] == (NTSTATUS.STATUS_INVALID_HANDLE, 0)
    assert seen["ref"] == (SUCCESS, seen["event"])


@pytest.mark.parametrize("options, modify", [(DUPLICATE_SAME_ACCESS, SUCCESS),
                                             (0, NTSTATUS.STATUS_ACCESS_DENIED)])
def test_duplicate_same_access_copies_the_granted_access(kernel, options, modify):
    """sync-objects 7.11 / 7.3: with DUPLICATE_SAME_ACCESS the new handle has the source's
    granted access and the Access argument is ignored; without it the new handle has just
    Access (here EVENT_QUERY_STATE), which a UserMode reference asking for
    EVENT_MODIFY_STATE is denied."""
    seen = {}

    def app():
        _s, user, event = zw_create_event(kernel, EVENT_ALL_ACCESS, None, 0,
                                          NotificationEvent, False)
        _s, new = zw_duplicate_object(kernel, NT_CURRENT_PROCESS, user, NT_CURRENT_PROCESS,
                                      EVENT_QUERY_STATE, 0, options)
        seen["modify"] = ob_reference_object_by_handle(kernel, new, "Event",
                                                       EVENT_MODIFY_STATE, user_mode=True)
        seen["query"] = ob_reference_object_by_handle(kernel, new, "Event", EVENT_QUERY_STATE,
                                                      user_mode=True)
        seen["event"] = event
        yield from ()

    app_thread(kernel, app)
    assert kernel.run() is None
    assert seen["modify"][0] == modify
    assert seen["query"] == (SUCCESS, seen["event"])


# -- 8.1-8.3 Executive timers ----------------------------------------------------------------

def _new_timer(kernel, timer_type=NotificationTimer, name=None):
    status, handle, timer = zw_create_timer(kernel, TIMER_ALL_ACCESS, name, 0, timer_type)
    assert status == SUCCESS and handle, status
    return handle, timer


def test_zw_create_timer_bad_type_is_invalid_parameter_4(kernel):
    """sync-objects 8.1: a TimerType other than NotificationTimer (0) / SynchronizationTimer
    (1) is STATUS_INVALID_PARAMETER_4 and no handle; a good one gives a timer not set and
    not signaled, and a named one is found again by ZwOpenTimer."""
    assert zw_create_timer(kernel, TIMER_ALL_ACCESS, None, 0, 2) == \
        (NTSTATUS.STATUS_INVALID_PARAMETER_4, 0, None)
    assert NTSTATUS.STATUS_INVALID_PARAMETER_4 == 0xC00000F2
    handle, timer = _new_timer(kernel, SynchronizationTimer, "\\BaseNamedObjects\\T")
    assert (timer.inserted, ke_read_state_timer(timer), timer.synchronization) == \
        (False, 0, True)
    status, handle2, again = zw_open_timer(kernel, TIMER_ALL_ACCESS, "\\BaseNamedObjects\\T", 0)
    assert status == SUCCESS and again is timer and handle2 not in (0, handle)


def test_zw_set_timer_negative_period_is_invalid_parameter_6(kernel, call):
    """sync-objects 8.2 step 1: Period < 0 is STATUS_INVALID_PARAMETER_6 and the timer is
    not set."""
    def body():
        handle, timer = _new_timer(kernel)
        return zw_set_timer(kernel, handle, -TICK, None, None, -1), timer.inserted
        yield

    assert call(body) == ((NTSTATUS.STATUS_INVALID_PARAMETER_6, 0), False)
    assert NTSTATUS.STATUS_INVALID_PARAMETER_6 == 0xC00000F4


def test_zw_set_timer_previous_state_is_signal_state_before_rearming(kernel, call):
    """sync-objects 8.2 step 3 / 5: PreviousState is the timer's SIGNAL state before the
    re-arming: FALSE for a fresh timer and for one still pending, TRUE once it has expired;
    setting resets the signal state, so the next PreviousState is FALSE again."""
    def body():
        handle, timer = _new_timer(kernel)
        seen = [zw_set_timer(kernel, handle, -TICK, None, None)[1],
                zw_set_timer(kernel, handle, -TICK, None, None)[1]]
        yield from delay(kernel, 2 * TICK)
        seen.append(ke_read_state_timer(timer))
        seen.append(zw_set_timer(kernel, handle, -TICK, None, None))
        seen.append(ke_read_state_timer(timer))
        seen.append(zw_set_timer(kernel, handle, -TICK, None, None)[1])
        zw_cancel_timer(kernel, handle)
        return seen

    assert call(body) == [False, False, 1, (SUCCESS, True), 0, False]


def test_zw_set_timer_apc_runs_at_passive_in_setting_thread_each_period(kernel, call):
    """sync-objects 8.2 step 4 / 5: a KernelMode caller's ApcRoutine is a normal kernel APC
    bound to the thread that called ZwSetTimer: it runs ApcRoutine(ApcContext) at
    PASSIVE_LEVEL in that thread at each expiry (Period 30 ms: ticks 1, 3 and 5) while the
    thread sits in a NON-alertable KeDelayExecutionThread, which still lasts its interval."""
    log, me = [], {}

    def apc(context):
        log.append((context, kernel.now, kernel.cpu.irql, kernel.current_thread is me["t"]))
        yield from ()

    def body():
        me["t"] = kernel.current_thread
        handle, _timer = _new_timer(kernel)
        zw_set_timer(kernel, handle, -TICK, apc, "ctx", 30)
        status = yield from ke_delay_execution_thread(kernel, 0, False, -6 * TICK)
        zw_cancel_timer(kernel, handle)
        return status, kernel.now

    assert call(body) == (SUCCESS, 6 * TICK)
    assert log == [("ctx", t * TICK, PASSIVE_LEVEL, True) for t in (1, 3, 5)]


@pytest.mark.parametrize("hold", ["APC_LEVEL", "KMUTEX"])
def test_periodic_timer_apc_still_queued_is_not_queued_twice(kernel, call, hold):
    """sync-objects 8.2 step 5: while the setting thread cannot take normal kernel APCs (at
    APC_LEVEL, or owning a KMUTEX), the expiries at ticks 1 and 3 (Period 30 ms) queue the
    APC once: a single run when the thread lets APCs in again (tick 4); the next period
    (tick 5) queues it anew."""
    mutex = ke_initialize_mutex(kernel, 0)
    log = []

    def apc(context):
        log.append(kernel.now)
        yield from ()

    def body():
        handle, _timer = _new_timer(kernel)
        zw_set_timer(kernel, handle, -TICK, apc, None, 30)
        if hold == "APC_LEVEL":
            old = kernel.raise_irql(APC_LEVEL)
        else:
            yield from ke_wait_for_single_object(mutex)
        yield from delay(kernel, 4 * TICK)
        held = list(log)
        if hold == "APC_LEVEL":
            kernel.lower_irql(old)
        else:
            ke_release_mutex(mutex)
        yield from delay(kernel, 2 * TICK)
        zw_cancel_timer(kernel, handle)
        return held

    assert call(body) == []
    assert log == [4 * TICK, 5 * TICK]


def test_zw_cancel_timer_current_state_is_signal_state_after_cancel(kernel, call):
    """sync-objects 8.3: ZwCancelTimer's CurrentState is the signal state after the cancel:
    FALSE for a timer never set and for one still pending (unlike KeCancelTimer's TRUE),
    TRUE for one that has already expired."""
    def body():
        handle, timer = _new_timer(kernel)
        seen = [zw_cancel_timer(kernel, handle)]
        zw_set_timer(kernel, handle, -TICK, None, None)
        seen.append(zw_cancel_timer(kernel, handle))
        seen.append(timer.inserted)
        zw_set_timer(kernel, handle, -TICK, None, None)
        yield from delay(kernel, 2 * TICK)
        seen.append(zw_cancel_timer(kernel, handle))
        return seen

    assert call(body) == [(SUCCESS, False), (SUCCESS, False), False, (SUCCESS, True)]


def test_zw_cancel_timer_takes_back_a_queued_apc(kernel, call):
    """sync-objects 8.3: ZwCancelTimer removes the timer's APC if it is still queued: the
    APC queued at the expiry (tick 1) to a thread owning a KMUTEX never runs, neither at
    KeReleaseMutex nor later."""
    mutex = ke_initialize_mutex(kernel, 0)
    log = []

    def apc(context):
        log.append(kernel.now)
        yield from ()

    def body():
        yield from ke_wait_for_single_object(mutex)
        handle, _timer = _new_timer(kernel)
        zw_set_timer(kernel, handle, -TICK, apc, None)
        yield from delay(kernel, 2 * TICK)
        queued = len(kernel.current_thread.apc_queue)
        cancelled = zw_cancel_timer(kernel, handle)
        ke_release_mutex(mutex)
        yield from delay(kernel, 2 * TICK)
        return queued, cancelled, len(kernel.current_thread.apc_queue)

    assert call(body) == (1, (SUCCESS, True), 0)
    assert log == []


def test_zw_set_timer_again_takes_back_the_queued_apc(kernel, call):
    """sync-objects 8.2 step 2: re-setting cancels the current setting including its queued
    APC: routine A, queued at tick 1 while the thread owns a KMUTEX, never runs; the new
    setting's routine B runs at its own expiry (tick 3)."""
    mutex = ke_initialize_mutex(kernel, 0)
    log = []

    def apc(context):
        log.append((context, kernel.now))
        yield from ()

    def body():
        yield from ke_wait_for_single_object(mutex)
        handle, _timer = _new_timer(kernel)
        zw_set_timer(kernel, handle, -TICK, apc, "A")
        yield from delay(kernel, 2 * TICK)
        previous = zw_set_timer(kernel, handle, -TICK, apc, "B")
        ke_release_mutex(mutex)
        yield from delay(kernel, 2 * TICK)
        return previous

    assert call(body) == (SUCCESS, True)
    assert log == [("B", 3 * TICK)]


@pytest.mark.parametrize("timer_type, again", [(NotificationTimer, SUCCESS),
                                               (SynchronizationTimer, TIMEOUT)])
def test_wait_on_timer_handle_returns_at_the_due_tick(kernel, call, timer_type, again):
    """sync-objects 8.2 (end) / 3.9: ZwWaitForSingleObject on the timer handle waits on the
    KTIMER: STATUS_SUCCESS at the first tick at or after the due time (set at t = 500 for
    one tick: tick 2); a notification timer then stays signaled, a synchronization timer
    was reset by the wait."""
    def body():
        handle, _timer = _new_timer(kernel, timer_type)
        yield from ke_stall_execution_processor(kernel, 50)
        zw_set_timer(kernel, handle, -TICK, None, None)
        first = yield from zw_wait_for_single_object(kernel, handle)
        at = kernel.now
        second = yield from zw_wait_for_single_object(kernel, handle, timeout=0)
        return first, at, second

    assert call(body) == (SUCCESS, 2 * TICK, again)


def test_thread_exit_cancels_its_apc_timers(kernel):
    """sync-objects 8.2 (end) / 4.3: when the thread bound to a timer's APC terminates, the
    timer is cancelled (ExTimerRundown): a periodic timer set with an ApcRoutine by a
    thread that then exits fires no more and leaves the timer table."""
    log, timers = [], {}

    def apc(context):
        log.append(kernel.now)
        yield from ()

    def body():
        handle, timers["t"] = _new_timer(kernel)
        zw_set_timer(kernel, handle, -TICK, apc, None, 15)
        yield from delay(kernel, TICK)

    kernel.create_thread(body, name="Setter")
    assert kernel.run(until=6 * TICK) is None
    assert log == [TICK]
    assert timers["t"].inserted is False and kernel.armed_timers == {}


# -- kernel-env 5.1 DPC importance and target CPU --------------------------------------------

def _dpc(kernel, log, name):
    def routine(dpc, context, arg1, arg2):
        log.append((context, kernel.cpu.index, kernel.now, kernel.cpu.irql))
        return None
        yield  # pragma: no cover
    return ke_initialize_dpc(kernel, routine, name)


@pytest.mark.parametrize("importance", [MediumImportance, HighImportance])
def test_dpc_targeted_at_another_cpu_runs_there_at_once(recorder, importance):
    """kernel-env 5.1: KeSetTargetProcessorDpc(1) on a Medium or High DPC queued from CPU 0:
    it runs on CPU 1 at DISPATCH_LEVEL at the same instant, interrupting the thread that
    stalls there, while CPU 0's thread stalls on."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    log = []

    def inserter():
        dpc = _dpc(kernel, log, "dpc")
        ke_set_importance_dpc(dpc, importance)
        ke_set_target_processor_dpc(dpc, 1)
        log.append(("inserted", ke_insert_queue_dpc(dpc), kernel.now))
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("cpu0 stall ends", kernel.now))

    def busy():
        yield from ke_stall_execution_processor(kernel, 100)
        log.append(("cpu1 stall ends", kernel.now))

    kernel.create_thread(busy, name="Busy", cpu=1)
    kernel.create_thread(inserter, name="Inserter", cpu=0)
    assert kernel.run() is None
    assert log == [("inserted", True, 0), ("dpc", 1, 0, DISPATCH_LEVEL),
                   ("cpu0 stall ends", 500), ("cpu1 stall ends", 1000)]


def test_high_importance_dpc_goes_to_the_head_of_the_queue(kernel, call):
    """kernel-env 5.1: KeSetImportanceDpc(HighImportance) puts the DPC at the HEAD of the
    CPU's queue: queued at DISPATCH_LEVEL after two Medium ones, it runs first when the IRQL
    drops."""
    log = []

    def body():
        first, second, high = (_dpc(kernel, log, name) for name in ("M1", "M2", "H"))
        ke_set_importance_dpc(high, HighImportance)
        old = kernel.raise_irql(DISPATCH_LEVEL)
        for dpc in (first, second, high):
            ke_insert_queue_dpc(dpc)
        queued = list(log)
        kernel.lower_irql(old)
        return queued
        yield

    assert call(body) == []
    assert [name for name, *_ in log] == ["H", "M1", "M2"]


def test_targeted_high_dpc_waits_for_a_cpu_at_dispatch_and_runs_first(recorder):
    """kernel-env 5.1 / sync-objects 5.2: a CPU at DISPATCH_LEVEL (its thread stalls under a
    spin lock) takes DPCs targeted at it only when it drops below DISPATCH_LEVEL; the High
    one queued after the Medium one runs first, both on CPU 1 at the release (t = 500)."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    lock = ke_initialize_spin_lock(kernel, "L")
    log = []

    def holder():
        old = ke_acquire_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("releasing", kernel.now))
        ke_release_spin_lock(lock, old)
        log.append(("released", kernel.now))

    def inserter():
        medium, high = _dpc(kernel, log, "M"), _dpc(kernel, log, "H")
        ke_set_importance_dpc(high, HighImportance)
        for dpc in (medium, high):
            ke_set_target_processor_dpc(dpc, 1)
            ke_insert_queue_dpc(dpc)
        log.append(("inserted", kernel.now))
        yield from ()

    kernel.create_thread(holder, name="Holder", cpu=1)
    kernel.create_thread(inserter, name="Inserter", cpu=0)
    assert kernel.run() is None
    assert log == [("inserted", 0), ("releasing", 500), ("H", 1, 500, DISPATCH_LEVEL),
                   ("M", 1, 500, DISPATCH_LEVEL), ("released", 500)]


def test_low_importance_dpc_waits_until_the_cpu_drains_its_queue(recorder):
    """kernel-env 5.1: a LowImportance DPC requests no DPC interrupt: targeted at CPU 1 (or
    at the current CPU) it has not run when KeInsertQueueDpc returns nor 50 us later; it
    runs when the CPU next drains its queue, here for a Medium DPC queued after it, which
    then runs behind it."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    log = []

    def inserter():
        low = _dpc(kernel, log, "low")
        ke_set_importance_dpc(low, LowImportance)
        ke_set_target_processor_dpc(low, 1)
        log.append(("low queued", ke_insert_queue_dpc(low), kernel.now))
        yield from ke_stall_execution_processor(kernel, 50)
        medium = _dpc(kernel, log, "medium")
        ke_set_target_processor_dpc(medium, 1)
        log.append(("medium queued", ke_insert_queue_dpc(medium), kernel.now))
        yield from ke_stall_execution_processor(kernel, 50)

    kernel.create_thread(inserter, name="Inserter", cpu=0)
    assert kernel.run() is None
    assert log == [("low queued", True, 0), ("medium queued", True, 500),
                   ("low", 1, 500, DISPATCH_LEVEL), ("medium", 1, 500, DISPATCH_LEVEL)]


def test_low_importance_dpc_on_current_cpu_does_not_run_at_insert(kernel, call):
    """kernel-env 5.1: queued at PASSIVE_LEVEL for the current CPU, a LowImportance DPC does
    not run before KeInsertQueueDpc returns (a Medium one would); it runs at the CPU's next
    drain, e.g. when a raised IRQL drops below DISPATCH_LEVEL."""
    log = []

    def body():
        low = _dpc(kernel, log, "low")
        ke_set_importance_dpc(low, LowImportance)
        inserted = ke_insert_queue_dpc(low)
        before = list(log)
        old = kernel.raise_irql(DISPATCH_LEVEL)
        kernel.lower_irql(old)
        return inserted, before
        yield

    assert call(body) == (True, [])
    assert log == [("low", 0, 0, DISPATCH_LEVEL)]


# -- 3.8 KernelMode alertable waits ----------------------------------------------------------

def test_kernel_mode_alertable_delay_behaves_as_non_alertable(kernel, call):
    """sync-objects 3.8: KeDelayExecutionThread(KernelMode, Alertable=TRUE) is not ended by a
    kernel APC: an executive timer's APC runs inside it at tick 1 and the delay still ends
    at tick 3 with STATUS_SUCCESS, exactly as a non-alertable delay."""
    log = []

    def apc(context):
        log.append((kernel.now, kernel.cpu.irql))
        yield from ()

    def body():
        handle, _timer = _new_timer(kernel)
        zw_set_timer(kernel, handle, -TICK, apc, None)
        status = yield from ke_delay_execution_thread(kernel, 0, True, -3 * TICK)
        return status, kernel.now

    assert call(body) == (SUCCESS, 3 * TICK)
    assert log == [(TICK, PASSIVE_LEVEL)]


def test_set_sync_event_wakes_wait_all_waiter_to_retest_and_gives_the_signal_on(kernel, spawn):
    """sync-objects 3.1 step 3: setting a synchronization event only wakes a WaitAll waiter
    to test its objects again; the walk goes on and the first WaitAny waiter behind it
    takes the signal, so the WaitAll waiter finds the event reset and waits again."""
    sync_event = KEvent(kernel, SynchronizationEvent)
    other = KEvent(kernel, NotificationEvent, True)
    log = []

    def wait_all():
        status = yield from ke_wait_for_multiple_objects(kernel, [sync_event, other], WaitAll)
        log.append(("all", status, kernel.now))

    def wait_any():
        status = yield from ke_wait_for_single_object(sync_event)
        log.append(("any", status, kernel.now))

    def setter():
        yield from delay(kernel, 1)
        ke_set_event(sync_event)

    spawn(wait_all, name="WaitAll")
    spawn(wait_any, name="WaitAny")
    spawn(setter, name="Setter")
    assert kernel.run() is None
    assert log == [("any", NTSTATUS.STATUS_SUCCESS, TICK)]
    assert sync_event.signal_state == 0 and len(sync_event.wait_list) == 1
