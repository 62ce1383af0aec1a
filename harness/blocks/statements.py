"""Statements of driver code: assignments, the Interlocked family, if / while / repeat.

Values are expressions (``harness.lang.expr``) over the driver's state, views, the
IRP and its stack location; targets are state variables, array elements, struct
fields and the IRP's IoStatus. Names are resolved when the scenario loads.

Every loop has an iteration bound. A driver that really loops forever would spin a
CPU forever (or, at DISPATCH_LEVEL, freeze the machine); the bound turns the
simulated spin into a located error instead of a simulator that never returns.
"""

from __future__ import annotations

import re
from typing import Any, Generator

from ..kernel import (IRQL, NotModelledError, ke_acquire_spin_lock_spinning,
                      ke_insert_by_key_device_queue, ke_insert_device_queue,
                      ke_preemption_point, ke_release_spin_lock, ke_remove_by_key_device_queue,
                      ke_remove_device_queue)
from ..lang.ctype import LONG
from .actions import EXPR, ROUTINE
from .registry import block
from .runtime import STOP, Frame, ScenarioRuntimeError, run_steps
from .state import fault

#: Iterations a `while` may run when it names no `max` of its own.
DEFAULT_MAX_ITERATIONS = 10_000
NAME_EXPR = {"type": "string", "minLength": 1, "maxLength": 200,
             "description": "a variable, an element (buf[i]) or a field (keys[i].MakeCode)"}


def _value(f: Frame, compiled: Any) -> int:
    return compiled.fn(f)     # cc.expr already turns a divide error into its bug check


def _assignments(params: dict, cc: Any, path: list) -> list[tuple[Any, Any]]:
    out = []
    for target, value in params.items():
        where = path + [target]
        store = cc.lvalue(target, where)
        compiled = cc.expr(value, where)
        if store is not None:
            out.append((store[1], compiled))
    return out


@block("set", summary="Assign: {target: expression, ...} in order, as C '='. Targets are "
       "state variables, elements, struct fields, Irp->IoStatus.Status/Information.",
       params={"type": "object", "minProperties": 1, "additionalProperties": EXPR},
       models=())
def _set(params: dict, cc: Any, path: list) -> Any:
    pairs = _assignments(params, cc, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        for store, compiled in pairs:
            store(f, _value(f, compiled))
        return None
        yield
    return step


@block("add", summary="Add: {target: expression, ...}, as C '+=' (wraps at the target's "
       "width).", params={"type": "object", "minProperties": 1, "additionalProperties": EXPR},
       models=())
def _add(params: dict, cc: Any, path: list) -> Any:
    pairs = []
    for target, value in params.items():
        where = path + [target]
        store = cc.lvalue(target, where)
        current = cc.expr(target, where)
        compiled = cc.expr(value, where)
        if store is not None:
            pairs.append((store[1], current, compiled))

    def step(f: Frame) -> Generator[Any, Any, None]:
        for store, current, compiled in pairs:
            loaded = _value(f, current)
            if f.kernel.chooser is not None:
                # C '+=' is a load and a store: on a multiprocessor (or after a quantum
                # end) other code may run between them: the lost update of a data race
                yield from ke_preemption_point(f.kernel, "a read-modify-write")
            store(f, loaded + _value(f, compiled))
    return step


def _interlocked(name: str, summary: str, operands: tuple[str, ...], op: Any) -> None:
    """Register one Interlocked* routine: ``op(old, *operands) -> (new, returned)``."""
    props: dict[str, Any] = {"target": NAME_EXPR, "as": NAME_EXPR}
    props.update({operand: EXPR for operand in operands})

    def compile_(params: dict, cc: Any, path: list) -> Any:
        store = cc.lvalue(params["target"], path + ["target"])
        if store is not None and store[0].bits != 32:
            cc.report(path + ["target"], f"{name} works on a 32-bit LONG; "
                      f"{params['target']} is {store[0].name}")
        current = cc.expr(params["target"], path + ["target"])
        values = [cc.expr(params[o], path + [o]) for o in operands]
        result = cc.lvalue(params["as"], path + ["as"]) if "as" in params else None

        def step(f: Frame) -> Generator[Any, Any, None]:
            if f.kernel.chooser is not None:    # before the atomic operation (a choice)
                yield from ke_preemption_point(f.kernel, name)
            # One step runs without interruption in the model: the atomicity is given.
            old = LONG.wrap(_value(f, current))
            new, returned = op(old, *(LONG.wrap(_value(f, v)) for v in values))
            if store is not None:
                store[1](f, new)
            if result is not None:
                result[1](f, LONG.wrap(returned))
            return None
            yield
        return step

    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()     # interlocked_increment
    block(snake, summary=summary, models=(name,),
          params={"type": "object", "required": ["target", *operands],
                  "additionalProperties": False, "properties": props})(compile_)


# Return values as the WDK documents them: Increment/Decrement return the new value,
# Exchange/ExchangeAdd/CompareExchange the initial one.
_interlocked("InterlockedIncrement", "InterlockedIncrement(&target): returns the "
             "incremented value.", (), lambda old: (old + 1, old + 1))
_interlocked("InterlockedDecrement", "InterlockedDecrement(&target): returns the "
             "decremented value.", (), lambda old: (old - 1, old - 1))
_interlocked("InterlockedExchange", "InterlockedExchange(&target, value): returns the "
             "initial value.", ("value",), lambda old, value: (value, old))
_interlocked("InterlockedExchangeAdd", "InterlockedExchangeAdd(&target, value): returns "
             "the initial value.", ("value",), lambda old, value: (old + value, old))
_interlocked("InterlockedCompareExchange", "InterlockedCompareExchange(&target, exchange, "
             "comparand): stores exchange if target == comparand; returns the initial value.",
             ("exchange", "comparand"),
             lambda old, exchange, comparand: (exchange if old == comparand else old, old))


@block("copy", summary="RtlCopyMemory(to + to_offset, from + from_offset, length) between "
       "views and memory variables (byte offsets and length are expressions).",
       params={"type": "object", "required": ["to", "from", "length"],
               "additionalProperties": False,
               "properties": {"to": NAME_EXPR, "from": NAME_EXPR, "length": EXPR,
                              "to_offset": EXPR, "from_offset": EXPR}},
       models=("RtlCopyMemory",))
def _copy(params: dict, cc: Any, path: list) -> Any:
    ends = []
    for key in ("to", "from"):
        base = cc.memory(params[key], path + [key])
        offset = cc.expr(params.get(f"{key}_offset", 0), path + [f"{key}_offset"])
        ends.append((base, offset, params[key]))
    length = cc.expr(params["length"], path + ["length"])

    def step(f: Frame) -> Generator[Any, Any, None]:
        count = _value(f, length)
        spans = []
        for (base, offset, name), write in zip(ends, (True, False)):
            start = _value(f, offset)
            spans.append((checked_range(f, base(f), start, count, name, write), start))
        (to, to_at), (source, from_at) = spans
        to.write(source.read(from_at, count), to_at)
        return None
        yield
    return step


def checked_range(f: Frame, buffer: Any, start: int, count: int, name: str, write: bool
                  ) -> Any:
    """The buffer, if bytes start..start+count lie in it; else what the CPU would do."""
    if buffer is None:
        fault(f, start, write)
    if start < 0 or count < 0 or start + count > buffer.length:
        raise NotModelledError("a buffer overrun", f"{name}: bytes {start}..{start + count - 1}"
                               f" of a {buffer.length}-byte buffer at 0x{buffer.address:08X}")
    return buffer


@block("if", summary="{cond: expression, then: steps, else: steps}: run one branch.",
       params={"type": "object", "required": ["cond"], "additionalProperties": False,
               "properties": {"cond": EXPR, "then": ROUTINE, "else": ROUTINE}}, models=())
def _if(params: dict, cc: Any, path: list) -> Any:
    cond = cc.expr(params["cond"], path + ["cond"])
    then = cc.steps(params.get("then", []), path + ["then"])
    other = cc.steps(params.get("else", []), path + ["else"])

    def step(f: Frame) -> Generator[Any, Any, Any]:
        return (yield from run_steps(then if _value(f, cond) else other, f))
    return step


def _loop_error(where: str, bound: int) -> ScenarioRuntimeError:
    return ScenarioRuntimeError(f"{where}: the loop ran {bound} times without ending "
                                f"(its bound; raise 'max' if that is meant)")


@block("while", summary="{cond: expression, do: steps, max: N}: C while; more than max "
       f"iterations (default {DEFAULT_MAX_ITERATIONS}) is an error, not a hang.",
       params={"type": "object", "required": ["cond", "do"], "additionalProperties": False,
               "properties": {"cond": EXPR, "do": ROUTINE,
                              "max": {"type": "integer", "minimum": 1, "maximum": 10**7}}},
       models=())
def _while(params: dict, cc: Any, path: list) -> Any:
    cond = cc.expr(params["cond"], path + ["cond"])
    body = cc.steps(params["do"], path + ["do"])
    bound = params.get("max", DEFAULT_MAX_ITERATIONS)
    where = cc.where(path)

    def step(f: Frame) -> Generator[Any, Any, Any]:
        for _ in range(bound):
            if not _value(f, cond):
                return None
            if (yield from run_steps(body, f)) is not None:
                return STOP
        if _value(f, cond):
            raise _loop_error(where, bound)
        return None
    return step


@block("repeat", summary="{times: expression, do: steps}: run the steps that many times "
       "(at most 10^7).",
       params={"type": "object", "required": ["times", "do"], "additionalProperties": False,
               "properties": {"times": EXPR, "do": ROUTINE}}, models=())
def _repeat(params: dict, cc: Any, path: list) -> Any:
    times = cc.expr(params["times"], path + ["times"])
    if times.constant is not None and not 0 <= times.constant <= 10**7:
        cc.report(path + ["times"], f"repeat count {times.constant} is outside 0..10000000")
    body = cc.steps(params["do"], path + ["do"])
    where = cc.where(path)

    def step(f: Frame) -> Generator[Any, Any, Any]:
        count = _value(f, times)
        if count > 10**7:
            raise _loop_error(where, 10**7)
        for _ in range(count):
            if (yield from run_steps(body, f)) is not None:
                return STOP
        return None
    return step



_IRQL_VALUE = {"anyOf": [{"enum": ["PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL",
                                   "PROFILE_LEVEL", "CLOCK_LEVEL", "IPI_LEVEL", "POWER_LEVEL",
                                   "HIGH_LEVEL"]},
                         {"type": "integer", "minimum": 0, "maximum": 31,
                          "description": "a device IRQL (3..26) or any level by number"}]}
SAVED_IRQLS = "raised_irqls"     # the OldIrql values of this routine's KeRaiseIrql calls


def _irql(value: Any) -> int:
    return value if isinstance(value, int) else int(IRQL[value])


@block("raise_irql", summary="KeRaiseIrql(NewIrql, &OldIrql): the old IRQL is kept for "
       "lower_irql. Raising to a lower IRQL is bug check 0x9 (0xC4 0x30 with the verifier).",
       params=_IRQL_VALUE, models=("KeRaiseIrql", "KeRaiseIrqlToDpcLevel"))
def _raise_irql(params: Any, cc: Any, path: list) -> Any:
    new = _irql(params)

    def step(f: Frame) -> Generator[Any, Any, None]:
        f.vars.setdefault(SAVED_IRQLS, []).append(f.kernel.raise_irql(new))
        return None
        yield
    return step


@block("lower_irql", bare=True, summary="KeLowerIrql: back to the IRQL the last raise_irql "
       "saved, or to the one given. Lowering to a higher IRQL is bug check 0xA (0xC4 0x31 "
       "with the verifier); dropping below DISPATCH_LEVEL runs queued DPCs.",
       params=_IRQL_VALUE, models=("KeLowerIrql",))
def _lower_irql(params: Any, cc: Any, path: list) -> Any:
    given = None if params is None else _irql(params)
    where = cc.where(path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        saved: Any = f.vars.get(SAVED_IRQLS)       # the IRQLs raise_irql pushed, if any
        if given is None and not saved:
            raise ScenarioRuntimeError(f"{where}: lower_irql without a raise_irql before it "
                                       "in this routine: say which IRQL to lower to")
        f.kernel.lower_irql(saved.pop() if given is None else given)
        return None
        yield
    return step


SAVED_LOCK_IRQLS = "spin_lock_irqls"   # lock -> the OldIrql its KeAcquireSpinLock returned


@block("acquire_spin_lock", summary="KeAcquireSpinLock(&lock, &OldIrql) on a KSPIN_LOCK of "
       "the driver's state or extension: raise to DISPATCH_LEVEL and take it (spinning "
       "while another CPU holds it).",
       params=NAME_EXPR, models=("KeAcquireSpinLock",))
@block("acquire_in_stack_queued_spin_lock", summary="KeAcquireInStackQueuedSpinLock(&lock, "
       "&handle): as acquire_spin_lock, waiting CPUs served in arrival order (sync-objects "
       "5.5); release it with release_in_stack_queued_spin_lock.",
       params=NAME_EXPR, models=("KeAcquireInStackQueuedSpinLock",))
def _acquire_spin_lock(params: str, cc: Any, path: list) -> Any:
    lock = cc.kernel_object("KSPIN_LOCK", params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = lock(f)
        if f.kernel.chooser is not None:        # before the acquire (ke/schedule.py)
            yield from ke_preemption_point(f.kernel, "KeAcquireSpinLock")
        # on a multi-CPU machine another CPU may hold it: this one spins (sync-objects 5.2)
        old = yield from ke_acquire_spin_lock_spinning(target)
        f.vars.setdefault(SAVED_LOCK_IRQLS, {})[target] = old
    return step


@block("release_spin_lock", summary="KeReleaseSpinLock(&lock, OldIrql): release it and go "
       "back to the IRQL its acquire_spin_lock saved in this routine.",
       params=NAME_EXPR, models=("KeReleaseSpinLock",))
@block("release_in_stack_queued_spin_lock", summary="KeReleaseInStackQueuedSpinLock(&handle): "
       "release it, back to the IRQL the handle saved; the next waiting CPU gets it.",
       params=NAME_EXPR, models=("KeReleaseInStackQueuedSpinLock",))
def _release_spin_lock(params: str, cc: Any, path: list) -> Any:
    lock = cc.kernel_object("KSPIN_LOCK", params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = lock(f)
        saved = f.vars.get(SAVED_LOCK_IRQLS, {})
        # Without a matching acquire in this routine, OldIrql is whatever the caller
        # passes: the model passes the current IRQL (nothing is lowered).
        ke_release_spin_lock(target, saved.pop(target, f.kernel.cpu.irql))
        if f.kernel.chooser is not None:        # after the release (ke/schedule.py)
            yield from ke_preemption_point(f.kernel, "KeReleaseSpinLock")
    return step


@block("insert_device_queue", summary="KeInsertDeviceQueue(&queue, &Irp->Tail.Overlay."
       "DeviceQueueEntry) on a KDEVICE_QUEUE of the state or extension; 'as' gets its "
       "result: FALSE when the queue was idle (now busy, the IRP NOT inserted: start it "
       "yourself), TRUE when the IRP was queued.",
       params={"type": "object", "required": ["queue"], "additionalProperties": False,
               "properties": {"queue": NAME_EXPR, "as": NAME_EXPR,
                              "key": dict(EXPR, description="KeInsertByKeyDeviceQueue's "
                                          "SortKey (ascending order)")}},
       max_irql="DISPATCH_LEVEL", models=("KeInsertDeviceQueue", "KeInsertByKeyDeviceQueue"))
def _insert_device_queue(params: dict, cc: Any, path: list) -> Any:
    queue = cc.kernel_object("KDEVICE_QUEUE", params["queue"], path + ["queue"])
    result = cc.lvalue(params["as"], path + ["as"]) if "as" in params else None
    key = cc.expr(params["key"], path + ["key"]).fn if "key" in params else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        inserted = (ke_insert_device_queue(queue(f), f.irp) if key is None else
                    ke_insert_by_key_device_queue(queue(f), f.irp, key(f) & 0xFFFFFFFF))
        if result is not None:
            result[1](f, int(inserted))
        return None
        yield
    return step


@block("remove_device_queue", summary="KeRemoveDeviceQueue: the routine goes on with the "
       "IRP at the queue's head (CONTAINING_RECORD), or with no IRP (Irp == NULL, and the "
       "queue no longer busy) when it was empty; with key: KeRemoveByKeyDeviceQueue (the "
       "first entry whose key is >= it, else the head).",
       params={"anyOf": [NAME_EXPR, {"type": "object", "required": ["queue", "key"],
                                     "additionalProperties": False,
                                     "properties": {"queue": NAME_EXPR, "key": EXPR}}]},
       max_irql="DISPATCH_LEVEL", models=("KeRemoveDeviceQueue", "KeRemoveByKeyDeviceQueue"))
def _remove_device_queue(params: Any, cc: Any, path: list) -> Any:
    if isinstance(params, dict):
        queue = cc.kernel_object("KDEVICE_QUEUE", params["queue"], path + ["queue"])
        key = cc.expr(params["key"], path + ["key"]).fn

        def by_key(f: Frame) -> Generator[Any, Any, None]:
            f.irp = ke_remove_by_key_device_queue(queue(f), key(f) & 0xFFFFFFFF)
            return None
            yield
        return by_key
    queue = cc.kernel_object("KDEVICE_QUEUE", params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        f.irp = ke_remove_device_queue(queue(f))
        return None
        yield
    return step
