"""Rules of the cancel-safe queue library: IoCsqInsertIrp, the library's cancel routine,
IoCsqRemoveNextIrp and IoCsqRemoveIrp (pnp-hardware §7.3-§7.5)."""

from __future__ import annotations

from harness.kernel import (IRP_MJ, NTSTATUS, PASSIVE_LEVEL, SL_PENDING_RETURNED, IoCsq,
                            IoCsqIrpContext, KSpinLock, io_allocate_irp, io_call_driver,
                            io_cancel_irp, io_complete_request, io_csq_insert_irp,
                            io_csq_remove_irp, io_csq_remove_next_irp,
                            io_get_current_irp_stack_location, io_get_next_irp_stack_location,
                            io_set_cancel_routine, io_set_completion_routine,
                            ke_acquire_spin_lock, ke_release_spin_lock)

READ = IRP_MJ.IRP_MJ_READ
SUCCESS = NTSTATUS.STATUS_SUCCESS
PENDING = NTSTATUS.STATUS_PENDING
CANCELLED = NTSTATUS.STATUS_CANCELLED
SMPR = NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED


# -- a driver with a cancel-safe queue --------------------------------------------------------

class Driver:
    """The six callbacks a CSQ driver writes (as harness/blocks/queueing.py ``_csq``), over
    a list, each logging what it sees to ``log``; ``insert_status`` is what CsqInsertIrp
    returns (a failing insert does not queue the IRP)."""

    def __init__(self, kernel, insert_status=SUCCESS):
        self.kernel = kernel
        self.items = []
        self.log = []
        self.lock = KSpinLock(kernel, "QueueLock")
        self.insert_status = insert_status
        self.statuses = []           # what io_csq_insert_irp returned, per dispatch
        self.contexts = {}           # IRP id -> IoCsqIrpContext to give the insert
        self.csq = IoCsq(kernel, self.insert, self.remove, self.peek_next, self.acquire_lock,
                         self.release_lock, self.complete_canceled, "TestCsq")

    def insert(self, csq, irp):
        loc = io_get_current_irp_stack_location(irp)
        self.log.append(("InsertIrp", irp, {
            "pending": bool(loc.control & SL_PENDING_RETURNED),
            "cancel_routine": irp.cancel_routine is not None,
            "locked": self.lock.owner is not None}))
        if self.insert_status != SUCCESS:
            return self.insert_status
        self.items.append(irp)
        return SUCCESS

    def remove(self, csq, irp):
        self.log.append(("RemoveIrp", irp, {"locked": self.lock.owner is not None}))
        self.items.remove(irp)

    def peek_next(self, csq, irp, file_object):
        self.log.append(("PeekNextIrp", irp, {"locked": self.lock.owner is not None}))
        start = 0 if irp is None else self.items.index(irp) + 1
        for candidate in self.items[start:]:
            if file_object is None or \
                    io_get_current_irp_stack_location(candidate).file_object is file_object:
                return candidate
        return None

    def acquire_lock(self, csq):
        self.log.append(("AcquireLock", None, {
            "cancel_lock_free": self.kernel.cancel_spin_lock.owner is None}))
        return ke_acquire_spin_lock(self.lock)

    def release_lock(self, csq, irql):
        self.log.append(("ReleaseLock", None, {}))
        ke_release_spin_lock(self.lock, irql)

    def complete_canceled(self, csq, irp):
        self.log.append(("CompleteCanceledIrp", irp, {
            "locked": self.lock.owner is not None,
            "queued": irp in self.items,
            "cancel_lock_free": self.kernel.cancel_spin_lock.owner is None}))
        irp.io_status.status, irp.io_status.information = CANCELLED, 0
        yield from io_complete_request(irp)

    def dispatch(self, device, irp):
        """IRP_MJ_READ: queue it on the CSQ; an insert failure completes it (it is already
        marked pending, so the routine returns STATUS_PENDING, §7.4)."""
        status = yield from io_csq_insert_irp(self.csq, irp, self.contexts.get(irp.id))
        self.statuses.append(status)
        if status != SUCCESS:
            irp.io_status.status, irp.io_status.information = status, 0
            yield from io_complete_request(irp)
        return PENDING

    def names(self):
        return [name for name, _irp, _seen in self.log]


def _creator(log):
    def routine(device, irp, context):
        log.append((irp.id, irp.io_status.status))
        return SMPR                   # keep the IRP: the test looks at it afterwards
        yield  # pragma: no cover
    return routine


def setup(kernel, make_device, **kwargs):
    driver = Driver(kernel, **kwargs)
    device = make_device(dispatch={READ: driver.dispatch})
    return driver, device


def new_irp(kernel, device, completed, file_object=None):
    """An IoAllocateIrp read for ``device`` whose creator routine logs its completion."""
    irp = io_allocate_irp(kernel, device.stack_size)
    loc = io_get_next_irp_stack_location(irp)
    loc.major_function = READ
    loc.file_object = file_object
    io_set_completion_routine(irp, _creator(completed), None, True, True, True)
    return irp


def send(drive, device, irp):
    return drive(io_call_driver(device, irp))


# -- IoCsqInsertIrp ---------------------------------------------------------------------------

def test_insert_locks_marks_pending_inserts_sets_cancel_routine_unlocks_in_order(
        kernel, make_device, drive):
    """pnp-hardware §7.4 IoCsqInsertIrp: lock -> IoMarkIrpPending -> CsqInsertIrp -> set the
    library cancel routine -> unlock; returns STATUS_SUCCESS and the IRP stays queued."""
    driver, device = setup(kernel, make_device)
    irp = new_irp(kernel, device, [])
    marks = []
    original = driver.acquire_lock

    def acquire_lock(csq):
        marks.append(bool(io_get_current_irp_stack_location(irp).control
                          & SL_PENDING_RETURNED))
        return original(csq)
    driver.csq.acquire_lock = acquire_lock

    assert send(drive, device, irp) == PENDING
    assert driver.statuses == [SUCCESS]
    assert driver.names() == ["AcquireLock", "InsertIrp", "ReleaseLock"]
    assert marks == [False]                               # not yet marked when locking
    assert driver.log[1][2] == {"pending": True, "cancel_routine": False, "locked": True}
    assert irp.cancel_routine is not None                 # set before ReleaseLock
    assert driver.items == [irp]
    assert irp.driver_context[3] is driver.csq            # DriverContext[3] = Csq (§7.3)
    assert driver.lock.owner is None and kernel.cpu.irql == PASSIVE_LEVEL


def test_insert_sets_cancel_routine_before_release_lock(kernel, make_device, drive):
    """pnp-hardware §7.4 IoCsqInsertIrp: the cancel routine is set while the queue lock is
    still held (before CsqReleaseLock)."""
    driver, device = setup(kernel, make_device)
    irp = new_irp(kernel, device, [])
    seen = []
    original = driver.release_lock

    def release_lock(csq, irql):
        seen.append(irp.cancel_routine is not None)
        original(csq, irql)
    driver.csq.release_lock = release_lock
    send(drive, device, irp)
    assert seen == [True]


def test_insert_with_context_links_context_and_irp(kernel, make_device, drive):
    """pnp-hardware §7.3 / §7.4: with a context, DriverContext[3] = Context and
    Context->Irp / Context->Csq are set."""
    driver, device = setup(kernel, make_device)
    irp = new_irp(kernel, device, [])
    context = driver.contexts[irp.id] = IoCsqIrpContext()
    send(drive, device, irp)
    assert irp.driver_context[3] is context
    assert context.irp is irp and context.csq is driver.csq


def test_insert_of_already_canceled_irp_removes_it_and_completes_canceled_under_the_lock(
        kernel, make_device, drive):
    """pnp-hardware §7.4 / §7.5: an IRP with Irp->Cancel set when inserted is taken back out
    (CsqRemoveIrp) and completed through CsqCompleteCanceledIrp still under the driver's
    lock (ReactOS's order, the spec's default); it is never left in the queue."""
    driver, device = setup(kernel, make_device)
    completed = []
    irp = new_irp(kernel, device, completed)
    context = driver.contexts[irp.id] = IoCsqIrpContext()
    irp.cancel = True
    assert send(drive, device, irp) == PENDING
    assert driver.statuses == [SUCCESS]
    assert driver.names() == ["AcquireLock", "InsertIrp", "RemoveIrp", "CompleteCanceledIrp",
                              "ReleaseLock"]
    completion = driver.log[-2]
    assert completion[1] is irp
    assert completion[2] == {"locked": True, "queued": False, "cancel_lock_free": True}
    assert driver.items == []
    assert irp.cancel_routine is None
    assert context.irp is None and irp.driver_context[3] is None
    assert completed == [(irp.id, CANCELLED)]


def test_insert_callback_error_is_returned_irp_not_queued_no_cancel_routine(
        kernel, make_device, drive):
    """pnp-hardware §7.4 IoCsqInsertIrp(Ex): CsqInsertIrp returning non-SUCCESS -> unlock and
    return that status; the IRP is not queued, no cancel routine is set (but it is marked
    pending, so the dispatch routine completes it and returns STATUS_PENDING)."""
    error = NTSTATUS.STATUS_INSUFFICIENT_RESOURCES
    driver, device = setup(kernel, make_device, insert_status=error)
    completed = []
    irp = new_irp(kernel, device, completed)
    assert send(drive, device, irp) == PENDING
    assert driver.statuses == [error]
    assert driver.names() == ["AcquireLock", "InsertIrp", "ReleaseLock"]
    assert driver.items == []
    assert irp.cancel_routine is None
    assert completed == [(irp.id, error)]
    assert irp.pending_returned is True                   # the mark and PENDING agree
    assert kernel.bugcheck is None


# -- the library cancel routine ---------------------------------------------------------------

def test_cancel_routine_releases_cancel_lock_before_queue_lock(kernel, make_device, drive):
    """pnp-hardware §7.4 / §7.5: the library cancel routine calls IoReleaseCancelSpinLock
    first; CsqAcquireLock runs with the cancel spin lock free (no lock-order inversion)."""
    driver, device = setup(kernel, make_device)
    irp = new_irp(kernel, device, [])
    send(drive, device, irp)
    driver.log.clear()
    assert drive(io_cancel_irp(irp)) is True
    assert driver.names()[0] == "AcquireLock"
    assert driver.log[0][2] == {"cancel_lock_free": True}
    assert kernel.cancel_spin_lock.owner is None


def test_cancel_of_queued_irp_removes_then_completes_outside_queue_lock(
        kernel, make_device, drive):
    """pnp-hardware §7.4: cancel of a queued IRP -> lock -> CsqRemoveIrp -> unlock ->
    CsqCompleteCanceledIrp (outside the lock; STATUS_CANCELLED, Information 0)."""
    driver, device = setup(kernel, make_device)
    completed = []
    irp = new_irp(kernel, device, completed)
    send(drive, device, irp)
    driver.log.clear()
    assert drive(io_cancel_irp(irp)) is True
    assert driver.names() == ["AcquireLock", "RemoveIrp", "ReleaseLock",
                              "CompleteCanceledIrp"]
    assert driver.log[1][1] is irp and driver.log[1][2] == {"locked": True}
    assert driver.log[3][2] == {"locked": False, "queued": False, "cancel_lock_free": True}
    assert driver.items == []
    assert completed == [(irp.id, CANCELLED)]
    assert irp.io_status.information == 0
    assert kernel.cpu.irql == PASSIVE_LEVEL and kernel.bugcheck is None


def test_cancel_of_queued_irp_clears_context_irp(kernel, make_device, drive):
    """pnp-hardware §7.4: the library cancel routine sets Context->Irp = NULL."""
    driver, device = setup(kernel, make_device)
    irp = new_irp(kernel, device, [])
    context = driver.contexts[irp.id] = IoCsqIrpContext()
    send(drive, device, irp)
    drive(io_cancel_irp(irp))
    assert context.irp is None


def test_cancel_from_a_thread_completes_once(kernel, make_device, call):
    """pnp-hardware §7.4 "who completes": a cancel issued by a simulated thread goes through
    the library routine, which completes the IRP exactly once through CsqCompleteCanceledIrp."""
    driver, device = setup(kernel, make_device)
    completed = []
    irp = new_irp(kernel, device, completed)

    def body():
        yield from io_call_driver(device, irp)
        return (yield from io_cancel_irp(irp))
    assert call(body) is True
    assert driver.names().count("CompleteCanceledIrp") == 1
    assert completed == [(irp.id, CANCELLED)]


# -- IoCsqRemoveNextIrp -----------------------------------------------------------------------

def test_remove_next_returns_irps_in_peek_order(kernel, make_device, drive):
    """pnp-hardware §7.4 IoCsqRemoveNextIrp: lock -> CsqPeekNextIrp -> take the cancel
    routine back -> CsqRemoveIrp -> unlock; successive calls return the IRPs in the order
    CsqPeekNextIrp gives them, each no longer cancelable and no longer in DriverContext[3]."""
    driver, device = setup(kernel, make_device)
    irps = [new_irp(kernel, device, []) for _ in range(3)]
    for irp in irps:
        send(drive, device, irp)
    driver.log.clear()
    got = [io_csq_remove_next_irp(driver.csq, None) for _ in irps]
    assert got == irps
    assert driver.names()[:4] == ["AcquireLock", "PeekNextIrp", "RemoveIrp", "ReleaseLock"]
    assert all(irp.cancel_routine is None and irp.driver_context[3] is None for irp in irps)
    assert driver.items == []


def test_remove_next_matches_peek_context(kernel, make_device, drive):
    """pnp-hardware §7.3 / §7.5: PeekContext (here a file object, as IRP_MJ_CLEANUP uses it)
    is passed to CsqPeekNextIrp; only a matching IRP is removed."""
    driver, device = setup(kernel, make_device)
    mine, other = object(), object()
    a = new_irp(kernel, device, [], other)
    b = new_irp(kernel, device, [], mine)
    c = new_irp(kernel, device, [], other)
    for irp in (a, b, c):
        send(drive, device, irp)
    assert io_csq_remove_next_irp(driver.csq, mine) is b
    assert io_csq_remove_next_irp(driver.csq, mine) is None
    assert driver.items == [a, c]
    assert a.cancel_routine is not None and c.cancel_routine is not None


def test_remove_next_skips_irp_whose_cancel_routine_was_taken(kernel, make_device, drive):
    """pnp-hardware §7.4: if IoSetCancelRoutine(Irp, NULL) returns NULL the IRP is being
    canceled (its cancel routine waits on the queue lock) -> skip to the next; it stays
    queued for the cancel routine to remove."""
    driver, device = setup(kernel, make_device)
    a, b = new_irp(kernel, device, []), new_irp(kernel, device, [])
    send(drive, device, a)
    send(drive, device, b)
    io_set_cancel_routine(a, None)           # IoCancelIrp on another CPU took it first
    driver.log.clear()
    assert io_csq_remove_next_irp(driver.csq, None) is b
    assert driver.names() == ["AcquireLock", "PeekNextIrp", "PeekNextIrp", "RemoveIrp",
                              "ReleaseLock"]
    assert driver.items == [a]
    assert io_csq_remove_next_irp(driver.csq, None) is None


def test_remove_next_on_empty_queue_returns_none(kernel, make_device):
    """pnp-hardware §7.4: IoCsqRemoveNextIrp returns NULL if no IRP is found."""
    driver, _device = setup(kernel, make_device)
    assert io_csq_remove_next_irp(driver.csq, None) is None
    assert driver.names() == ["AcquireLock", "PeekNextIrp", "ReleaseLock"]
    assert driver.lock.owner is None and kernel.cpu.irql == PASSIVE_LEVEL


def test_cancel_after_remove_next_calls_no_cancel_routine(kernel, make_device, drive):
    """pnp-hardware §7.4 "who completes": once the dequeuer cleared the cancel routine the
    driver owns the IRP; IoCancelIrp finds no routine (returns FALSE), no callback runs and
    nothing completes it until the driver does."""
    driver, device = setup(kernel, make_device)
    completed = []
    irp = new_irp(kernel, device, completed)
    send(drive, device, irp)
    assert io_csq_remove_next_irp(driver.csq, None) is irp
    driver.log.clear()
    assert drive(io_cancel_irp(irp)) is False
    assert irp.cancel is True
    assert driver.log == [] and completed == []
    irp.io_status.status = SUCCESS
    drive(io_complete_request(irp))
    assert completed == [(irp.id, SUCCESS)]


# -- IoCsqRemoveIrp ---------------------------------------------------------------------------

def test_remove_irp_with_context_returns_it_once_then_none(kernel, make_device, drive):
    """pnp-hardware §7.4 IoCsqRemoveIrp: lock -> CsqRemoveIrp, clear -> unlock -> the IRP;
    afterwards Context->Irp is NULL and a second call returns NULL."""
    driver, device = setup(kernel, make_device)
    a, b = new_irp(kernel, device, []), new_irp(kernel, device, [])
    context = driver.contexts[b.id] = IoCsqIrpContext()
    send(drive, device, a)
    send(drive, device, b)
    driver.log.clear()
    assert io_csq_remove_irp(driver.csq, context) is b
    assert driver.names() == ["AcquireLock", "RemoveIrp", "ReleaseLock"]
    assert context.irp is None and b.cancel_routine is None and b.driver_context[3] is None
    assert driver.items == [a]
    assert io_csq_remove_irp(driver.csq, context) is None
    assert driver.items == [a]


def test_remove_irp_after_cancel_returns_none(kernel, make_device, drive):
    """pnp-hardware §7.4 IoCsqRemoveIrp: Context->Irp NULL (already canceled) -> NULL; the
    cancel routine alone completed the IRP."""
    driver, device = setup(kernel, make_device)
    completed = []
    irp = new_irp(kernel, device, completed)
    context = driver.contexts[irp.id] = IoCsqIrpContext()
    send(drive, device, irp)
    drive(io_cancel_irp(irp))
    driver.log.clear()
    assert io_csq_remove_irp(driver.csq, context) is None
    assert "RemoveIrp" not in driver.names()
    assert completed == [(irp.id, CANCELLED)]


def test_remove_irp_while_cancel_routine_taken_returns_none(kernel, make_device, drive):
    """pnp-hardware §7.4 IoCsqRemoveIrp: IoSetCancelRoutine(NULL) returning NULL -> NULL
    (the cancel routine owns the IRP); the IRP is left for it to remove."""
    driver, device = setup(kernel, make_device)
    irp = new_irp(kernel, device, [])
    context = driver.contexts[irp.id] = IoCsqIrpContext()
    send(drive, device, irp)
    io_set_cancel_routine(irp, None)
    assert io_csq_remove_irp(driver.csq, context) is None
    assert driver.items == [irp]
