"""Blocks for dispatcher objects and locks (book chapter 8): semaphores, mutexes, fast
and guarded mutexes, events beyond KeSetEvent, multi-object waits, spin-lock calls,
remove locks.

One WDK call each, written as the C driver writes it. Objects are named as in C: a
variable declared as ``KEVENT``, ``KSEMAPHORE``, ``KMUTEX``, ``FAST_MUTEX``, ``KTIMER``...
(under state:, extension: or locals:), ``Context`` (the routine's context argument), or
a pointer expression (a PKTHREAD from ObReferenceObjectByHandle, a PKEVENT from
IoCreateNotificationEvent). Results go where C assigns them (``status:``, ``previous:``).
The helpers here serve threads.py, timekeeping.py and named_objects.py too.

The rules are in sync-objects-semantics.md; the routines in harness.kernel (ke/mutex.py,
ke/spinlock.py, io/remlock.py).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (KEvent, KMutant, WaitAll, WaitAny, ex_acquire_fast_mutex,
                      ex_interlocked_add_ulong, ex_release_fast_mutex,
                      ex_try_to_acquire_fast_mutex, io_acquire_remove_lock,
                      io_initialize_remove_lock, io_release_remove_lock,
                      io_release_remove_lock_and_wait, ke_acquire_guarded_mutex,
                      ke_acquire_spin_lock_at_dpc_level, ke_clear_event, ke_initialize_timer_at,
                      ke_pulse_event, ke_read_state_event, ke_read_state_mutex,
                      ke_read_state_semaphore, ke_release_guarded_mutex, ke_release_mutex,
                      ke_release_semaphore, ke_release_spin_lock_from_dpc_level, ke_reset_event,
                      ke_test_spin_lock, ke_try_to_acquire_spin_lock_at_dpc_level,
                      ke_wait_for_multiple_objects, spin_while_held)
from ..lang.ctype import LONG, LONGLONG
from .actions import EXPR, object_ref
from .driver_io import LVALUE, _out, _value
from .registry import block
from .runtime import Frame
from .state import WAITABLE_OBJECTS, deref

REF = dict(EXPR, description="the object: a variable declared as it, Context, or a "
                             "pointer expression")


def _report(f: Frame, api: str, args: dict) -> None:
    f.kernel.hooks.service_call(api, args)


def _returned(f: Frame, api: str, **result: Any) -> None:
    f.kernel.hooks.service_return(api, result)


def _ref(cc: Any, params: Any, key: str, kind: str, path: list) -> Callable[[Frame], Any]:
    """The object of a block given either bare (``acquire_fast_mutex: m``) or as
    ``{key: m, ...}``."""
    if isinstance(params, dict):
        return object_ref(cc, params[key], kind, path + [key])
    return object_ref(cc, params, kind, path)


def _obj(key: str, extra: dict, required: tuple[str, ...] = ()) -> dict:
    """Params: the object bare, or an object with ``key`` and ``extra`` properties."""
    return {"anyOf": [REF, {"type": "object", "required": [key, *required],
                            "additionalProperties": False,
                            "properties": {key: REF, **extra}}]}


def _nothing() -> Generator[Any, Any, None]:
    return None
    yield


def _context(cc: Any, params: dict, path: list) -> Callable[[Frame], Any]:
    """StartContext: an object variable passes the object (``&kEvent``), else the value of
    an expression (NULL by default)."""
    if "context" not in params:
        return lambda f: None
    value = params["context"]
    var = cc.source.names.state.get(value) if isinstance(value, str) else None
    if value == "Context" or (var is not None and var.object is not None):
        return object_ref(cc, value, _kind_of(var), path + ["context"])
    return cc.expr(value, path + ["context"]).fn


def _kind_of(var: Any) -> str:
    """The object_ref kind of a context variable: any dispatcher object, or its own."""
    return "DISPATCHER" if var is None or var.object in WAITABLE_OBJECTS else var.object


def object_pointer(cc: Any, value: str, class_name: str, path: list) -> Callable[[Frame], Any]:
    pointer = cc.expr(value, path).fn
    return lambda f: deref(f, pointer(f), class_name)


# -- semaphores, mutexes, fast mutexes, events ----------------------------------------------

def _on_object(name: str, kind: str, api: str, summary: str,
               call: Callable[[Frame, Any], None], max_irql: str = "DISPATCH_LEVEL") -> None:
    """A block that makes one call on the object it names (bare), e.g.
    ``initialize_mutex: kMutex``."""
    @block(name, summary=summary, params=REF, max_irql=max_irql, models=(api,))
    def compile_(params: str, cc: Any, path: list) -> Any:
        target = object_ref(cc, params, kind, path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            call(f, target(f))
            return None
            yield
        return step


def _reset_mutex(f: Frame, mutex: KMutant) -> None:
    """KeInitializeMutex on the variable's memory (its address stays)."""
    mutex.signal_state, mutex.owner, mutex.abandoned = 1, None, False
    mutex.wait_list.clear()


def _release_remove_lock(f: Frame, lock: Any) -> None:
    io_release_remove_lock(lock, f.irp)
    _returned(f, "IoReleaseRemoveLock", count=lock.io_count)


_on_object("initialize_mutex", "KMUTEX", "KeInitializeMutex", "KeInitializeMutex(&mutex, 0): "
           "free, no owner (the level is reserved and ignored).", _reset_mutex)
_on_object("release_spin_lock_from_dpc_level", "KSPIN_LOCK", "KeReleaseSpinLockFromDpcLevel",
           "KeReleaseSpinLockFromDpcLevel(&lock): no IRQL change (Verifier 0xC4 0x41 below "
           "DISPATCH_LEVEL).", lambda f, lock: ke_release_spin_lock_from_dpc_level(lock))
_on_object("initialize_remove_lock", "IO_REMOVE_LOCK", "IoInitializeRemoveLock",
           "IoInitializeRemoveLock(&lock, tag, 0, 0): IoCount 1 (the bias), not removed.",
           lambda f, lock: io_initialize_remove_lock(lock), max_irql="PASSIVE_LEVEL")
_on_object("release_remove_lock", "IO_REMOVE_LOCK", "IoReleaseRemoveLock",
           "IoReleaseRemoveLock(&lock, Irp): the last release wakes the remover.",
           _release_remove_lock)



@block("initialize_semaphore", summary="KeInitializeSemaphore(&semaphore, count, limit).",
       params={"type": "object", "required": ["semaphore", "count", "limit"],
               "additionalProperties": False,
               "properties": {"semaphore": REF, "count": EXPR, "limit": EXPR}},
       models=("KeInitializeSemaphore",))
def _initialize_semaphore(params: dict, cc: Any, path: list) -> Any:
    sem = object_ref(cc, params["semaphore"], "KSEMAPHORE", path + ["semaphore"])
    count, limit = _value(cc, params, "count", path), _value(cc, params, "limit", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = sem(f)        # initialised in place: its address stays what C's &s is
        target.signal_state, target.limit = LONG.wrap(count(f)), LONG.wrap(limit(f))
        target.wait_list.clear()
        return None
        yield
    return step


@block("release_semaphore", summary="KeReleaseSemaphore(&semaphore, increment, adjustment, "
       "FALSE); 'previous' gets the count before. Past the limit it raises "
       "STATUS_SEMAPHORE_LIMIT_EXCEEDED (a bug check when unhandled).",
       params=_obj("semaphore", {"increment": EXPR, "adjustment": EXPR, "previous": LVALUE,
                                 "wait": {"type": "boolean"}}),
       models=("KeReleaseSemaphore",))
def _release_semaphore(params: Any, cc: Any, path: list) -> Any:
    sem = _ref(cc, params, "semaphore", "KSEMAPHORE", path)
    params = params if isinstance(params, dict) else {}
    increment = _value(cc, params, "increment", path)
    adjustment = _value(cc, params, "adjustment", path, 1)
    previous = _out(cc, params, "previous", path)
    wait = params.get("wait", False)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = sem(f)
        _report(f, "KeReleaseSemaphore", {"semaphore": target.name,
                                          "adjustment": adjustment(f)})
        before = ke_release_semaphore(target, increment(f), adjustment(f), wait)
        _returned(f, "KeReleaseSemaphore", previous=before)
        previous(f, before)
        return None
        yield
    return step


def _read_state(name: str, kind: str, read: Callable[[Any], int], api: str) -> None:
    @block(name, summary=f"{api}(&object) into a variable.",
           params={"type": "object", "required": [kind.lower(), "into"],
                   "additionalProperties": False,
                   "properties": {kind.lower(): REF, "into": LVALUE}}, models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        obj = object_ref(cc, params[kind.lower()], kind, path + [kind.lower()])
        into = _out(cc, params, "into", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            into(f, read(obj(f)))
            return None
            yield
        return step


_read_state("read_state_semaphore", "KSEMAPHORE", ke_read_state_semaphore,
            "KeReadStateSemaphore")
_read_state("read_state_mutex", "KMUTEX", ke_read_state_mutex, "KeReadStateMutex")
_read_state("read_state_event", "KEVENT", ke_read_state_event, "KeReadStateEvent")


@block("release_mutex", summary="KeReleaseMutex(&mutex, FALSE); 'previous' gets the "
       "SignalState before (0: now free; negative: still owned). A thread that does not "
       "own it raises STATUS_MUTANT_NOT_OWNED (0x7E in a system thread).",
       params=_obj("mutex", {"previous": LVALUE, "wait": {"type": "boolean"}}),
       models=("KeReleaseMutex",))
def _release_mutex(params: Any, cc: Any, path: list) -> Any:
    mutex = _ref(cc, params, "mutex", "KMUTEX", path)
    previous = _out(cc, params if isinstance(params, dict) else {}, "previous", path)
    wait = isinstance(params, dict) and params.get("wait", False)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = mutex(f)
        _report(f, "KeReleaseMutex", {"mutex": target.name})
        before = ke_release_mutex(target, wait)
        _returned(f, "KeReleaseMutex", previous=before)
        previous(f, before)
        return None
        yield
    return step


@block("initialize_timer", summary="KeInitializeTimerEx(&timer, type) (KeInitializeTimer: "
       "NotificationTimer): not set, not signaled.",
       params=_obj("timer", {"type": {"enum": ["NotificationTimer", "SynchronizationTimer"]}}),
       models=("KeInitializeTimer", "KeInitializeTimerEx"))
def _initialize_timer(params: Any, cc: Any, path: list) -> Any:
    timer = _ref(cc, params, "timer", "KTIMER", path)
    synchronization = isinstance(params, dict) and params.get("type") == "SynchronizationTimer"

    def step(f: Frame) -> Generator[Any, Any, None]:
        ke_initialize_timer_at(timer(f), int(synchronization))
        return None
        yield
    return step


def _count_mutex(kind: str, prefix: str, apis: tuple[str, str, str],
                 acquire: Callable[[Any], Generator], release: Callable[[Any], None],
                 summaries: tuple[str, str, str]) -> None:
    """The initialize / acquire / release blocks of a FAST_MUTEX or KGUARDED_MUTEX: the
    same Count-and-event protocol, differing in what holding one does (2.2, 2.9)."""
    init_api, acquire_api, release_api = apis

    @block(f"initialize_{prefix}", summary=summaries[0], params=REF, models=(init_api,))
    def initialize(params: str, cc: Any, path: list) -> Any:
        mutex = object_ref(cc, params, kind, path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            target = mutex(f)
            target.count, target.owner, target.contention = 1, None, 0
            target.event.signal_state = 0
            return None
            yield
        return step

    @block(f"acquire_{prefix}", summary=summaries[1], params=REF, max_irql="APC_LEVEL",
           models=(acquire_api,))
    def acquire_(params: str, cc: Any, path: list) -> Any:
        mutex = object_ref(cc, params, kind, path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            target = mutex(f)
            _report(f, acquire_api, {"mutex": target.name})
            yield from acquire(target)
            _returned(f, acquire_api, mutex=target.name)
        return step

    @block(f"release_{prefix}", summary=summaries[2], params=REF, max_irql="APC_LEVEL",
           models=(release_api,))
    def release_(params: str, cc: Any, path: list) -> Any:
        mutex = object_ref(cc, params, kind, path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            target = mutex(f)
            _report(f, release_api, {"mutex": target.name})
            release(target)
            return None
            yield
        return step


_count_mutex("FAST_MUTEX", "fast_mutex",
             ("ExInitializeFastMutex", "ExAcquireFastMutex", "ExReleaseFastMutex"),
             ex_acquire_fast_mutex, ex_release_fast_mutex,
             ("ExInitializeFastMutex(&mutex).",
              "ExAcquireFastMutex(&mutex): raise to APC_LEVEL, take it or wait for it; its "
              "owner acquiring it again waits forever (no recursion).",
              "ExReleaseFastMutex(&mutex): wake the first waiter and return to the IRQL of "
              "the acquire."))
_count_mutex("KGUARDED_MUTEX", "guarded_mutex",
             ("KeInitializeGuardedMutex", "KeAcquireGuardedMutex", "KeReleaseGuardedMutex"),
             ke_acquire_guarded_mutex, ke_release_guarded_mutex,
             ("KeInitializeGuardedMutex(&mutex) (Server 2003 and later).",
              "KeAcquireGuardedMutex(&mutex): a guarded region (every APC held off) at the "
              "caller's IRQL; not recursive.",
              "KeReleaseGuardedMutex(&mutex): wake the first waiter, leave the guarded "
              "region."))


@block("try_to_acquire_fast_mutex", summary="ExTryToAcquireFastMutex(&mutex): TRUE (held, at "
       "APC_LEVEL) or FALSE; never waits.",
       params={"type": "object", "required": ["mutex", "result"], "additionalProperties": False,
               "properties": {"mutex": REF, "result": LVALUE}},
       max_irql="APC_LEVEL", models=("ExTryToAcquireFastMutex",))
def _try_fast_mutex(params: dict, cc: Any, path: list) -> Any:
    mutex = object_ref(cc, params["mutex"], "FAST_MUTEX", path + ["mutex"])
    result = _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        result(f, int(ex_try_to_acquire_fast_mutex(mutex(f))))
        return None
        yield
    return step


def _event_call(name: str, api: str, call: Callable[[KEvent], Any], summary: str) -> None:
    @block(name, summary=summary, params=_obj("event", {"previous": LVALUE}), models=(api,))
    def compile_(params: Any, cc: Any, path: list) -> Any:
        event = _ref(cc, params, "event", "KEVENT", path)
        previous = _out(cc, params if isinstance(params, dict) else {}, "previous", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            result = call(event(f))
            previous(f, result or 0)
            return None
            yield
        return step


_event_call("pulse_event", "KePulseEvent", ke_pulse_event, "KePulseEvent(&event, 0, FALSE): "
            "release what a KeSetEvent would, then leave it non-signaled; 'previous' gets "
            "the state before.")
_event_call("reset_event", "KeResetEvent", ke_reset_event, "KeResetEvent(&event): "
            "non-signaled; 'previous' gets the state before.")
_event_call("clear_event", "KeClearEvent", ke_clear_event, "KeClearEvent(&event): "
            "non-signaled.")


@block("wait_multiple", summary="KeWaitForMultipleObjects(count, objects, WaitAll|WaitAny, "
       "Executive, KernelMode, FALSE, timeout, NULL): more than 3 objects without "
       "wait_block_array is bug check 0xC; 'status' gets STATUS_WAIT_0 + i, STATUS_SUCCESS, "
       "STATUS_ABANDONED(+i) or STATUS_TIMEOUT.",
       params={"type": "object", "required": ["objects"], "additionalProperties": False,
               "properties": {"objects": {"type": "array", "items": REF, "minItems": 1,
                                          "maxItems": 100},
                              "wait_type": {"enum": ["WaitAll", "WaitAny"]},
                              "timeout_100ns": EXPR, "wait_block_array": {"type": "boolean"},
                              "status": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("KeWaitForMultipleObjects",))
def _wait_multiple(params: dict, cc: Any, path: list) -> Any:
    objects = [object_ref(cc, value, "DISPATCHER", path + ["objects", i])
               for i, value in enumerate(params["objects"])]
    wait_type = WaitAll if params.get("wait_type", "WaitAny") == "WaitAll" else WaitAny
    timeout = (cc.expr(params["timeout_100ns"], path + ["timeout_100ns"]).fn
               if "timeout_100ns" in params else (lambda f: None))
    array = params.get("wait_block_array", False)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        targets = [obj(f) for obj in objects]
        due = timeout(f)
        status = yield from ke_wait_for_multiple_objects(
            f.kernel, targets, wait_type, None if due is None else LONGLONG.wrap(due), array)
        status_out(f, status)
    return step


# -- spin locks beyond acquire/release ------------------------------------------------------

@block("acquire_spin_lock_at_dpc_level", summary="KeAcquireSpinLockAtDpcLevel(&lock): the "
       "caller is at DISPATCH_LEVEL already (Verifier 0xC4 0x40 below it); spins while "
       "another CPU holds it.", params=REF, models=("KeAcquireSpinLockAtDpcLevel",))
def _acquire_at_dpc(params: str, cc: Any, path: list) -> Any:
    lock = object_ref(cc, params, "KSPIN_LOCK", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = lock(f)
        yield from spin_while_held(target)
        ke_acquire_spin_lock_at_dpc_level(target)
    return step


@block("try_to_acquire_spin_lock_at_dpc_level", summary="KeTryToAcquireSpinLockAtDpcLevel"
       "(&lock): TRUE and held, or FALSE when another CPU holds it; never spins (Server "
       "2003 SP1 and later).",
       params={"type": "object", "required": ["lock", "result"], "additionalProperties": False,
               "properties": {"lock": REF, "result": LVALUE}},
       models=("KeTryToAcquireSpinLockAtDpcLevel",))
def _try_spin(params: dict, cc: Any, path: list) -> Any:
    lock = object_ref(cc, params["lock"], "KSPIN_LOCK", path + ["lock"])
    result = _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        result(f, int(ke_try_to_acquire_spin_lock_at_dpc_level(lock(f))))
        return None
        yield
    return step


@block("test_spin_lock", summary="KeTestSpinLock(&lock): TRUE if it looks free; a hint, "
       "acquires nothing.",
       params={"type": "object", "required": ["lock", "result"], "additionalProperties": False,
               "properties": {"lock": REF, "result": LVALUE}}, models=("KeTestSpinLock",))
def _test_spin(params: dict, cc: Any, path: list) -> Any:
    lock = object_ref(cc, params["lock"], "KSPIN_LOCK", path + ["lock"])
    result = _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        result(f, int(ke_test_spin_lock(lock(f))))
        return None
        yield
    return step


@block("ex_interlocked_add_ulong", summary="ExInterlockedAddUlong(&target, value, &lock): "
       "the original value into 'result'; the lock (a KSPIN_LOCK for ExInterlocked* only) "
       "guards it at any IRQL.",
       params={"type": "object", "required": ["target", "value", "lock"],
               "additionalProperties": False,
               "properties": {"target": LVALUE, "value": EXPR, "lock": REF, "result": LVALUE}},
       models=("ExInterlockedAddUlong",))
def _ex_interlocked_add(params: dict, cc: Any, path: list) -> Any:
    read = cc.expr(params["target"], path + ["target"]).fn
    write = _out(cc, params, "target", path)
    value = _value(cc, params, "value", path)
    lock = object_ref(cc, params["lock"], "KSPIN_LOCK", path + ["lock"])
    result = _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        original = yield from ex_interlocked_add_ulong(lock(f), lambda: read(f) & 0xFFFFFFFF,
                                                       lambda v: write(f, v), value(f))
        result(f, original)
    return step


@block("yield_processor", bare=True, summary="KeYieldProcessor() / YieldProcessor(): a pause "
       "hint for spin loops; no scheduling or IRQL effect (sync-objects 4.7).", params=None,
       models=("KeYieldProcessor",))
def _yield_processor(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        f.kernel.hooks.service_call("KeYieldProcessor", {})
        return None
        yield
    return step


# -- remove locks --------------------------------------------------------------------------

@block("acquire_remove_lock", summary="IoAcquireRemoveLock(&lock, Irp): STATUS_SUCCESS, or "
       "STATUS_DELETE_PENDING once IoReleaseRemoveLockAndWait has run (fail the IRP with it).",
       params=_obj("lock", {"status": LVALUE}), models=("IoAcquireRemoveLock",))
def _acquire_remove_lock(params: Any, cc: Any, path: list) -> Any:
    lock = _ref(cc, params, "lock", "IO_REMOVE_LOCK", path)
    status_out = _out(cc, params if isinstance(params, dict) else {}, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = lock(f)
        status = io_acquire_remove_lock(target, f.irp)
        _returned(f, "IoAcquireRemoveLock", status=status, count=target.io_count)
        status_out(f, status)
        return None
        yield
    return step


@block("release_remove_lock_and_wait", summary="IoReleaseRemoveLockAndWait(&lock, Irp): "
       "removed; drops the caller's count and the bias and waits for the outstanding ones.",
       params=REF, max_irql="PASSIVE_LEVEL", models=("IoReleaseRemoveLockAndWait",))
def _release_remove_lock_and_wait(params: str, cc: Any, path: list) -> Any:
    lock = object_ref(cc, params, "IO_REMOVE_LOCK", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = lock(f)
        _report(f, "IoReleaseRemoveLockAndWait", {"count": target.io_count})
        yield from io_release_remove_lock_and_wait(target, f.irp)
        _returned(f, "IoReleaseRemoveLockAndWait", count=target.io_count)
    return step
