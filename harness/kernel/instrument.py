"""Observation of the simulated kernel through named hooks (after trio's Instrument).

The kernel never formats or stores what it observes: it calls hooks. The trace
recorder, the verifier and report adapters are instruments. An instrument overrides
only the hooks it needs; :class:`Hooks` binds each hook name to a single callable so a
hook costs one call on the hot path, and nothing when no instrument wants it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HOOK_NAMES = (
    "irp_allocated",        # (irp)
    "irp_freed",            # (irp)
    "irp_call",             # (irp, device)  IoCallDriver, after the location moved down
    "dispatch_return",      # (irp, device, status)  a dispatch routine returned
    "irp_complete",         # (irp, device, status)  IoCompleteRequest entered
    "completion_routine",   # (irp, device, routine, pending_returned)  about to run
    "completion_return",    # (irp, device, routine, status)
    "irp_final",            # (irp, status, information)  IopCompleteRequest final phase
    "irp_cancel",           # (irp, had_cancel_routine)
    "mark_pending",         # (irp, device)
    "irp_set_completion",   # (irp, routine, context, control)  IoSetCompletionRoutine armed
                            # the next location (control: its SL_INVOKE_ON_* bits)
    "irp_location",         # (irp, routine)  IoSkipCurrentIrpStackLocation /
                            # IoCopyCurrentIrpStackLocationToNext / IoSetNextIrpStackLocation
    "cancel_routine",       # (irp, device, routine)  a cancel routine is about to run
    "cancel_return",        # (irp, device, routine)  ... and returned
    "dpc_queued",           # (dpc, inserted)
    "dpc_run",              # (dpc)
    "interrupt",            # (line, cpu)  a CPU takes an interrupt
    "isr_return",           # (interrupt, claimed)  an ISR returned TRUE / FALSE
    "apc_run",              # (thread, routine)  a normal kernel APC's routine is called
    "timer_set",            # (timer, due_time, period_ms, replaced)
    "timer_expired",        # (timer)
    "timer_cancelled",      # (timer, was_queued)
    "event_set",            # (event, previous_state)
    "wait_begin",           # (objects, timeout)
    "wait_end",             # (objects, status)
    "thread_start",         # (thread)
    "thread_exit",          # (thread)
    "irql_change",          # (old, new)
    "dbg_print",            # (text)
    "service_call",         # (api, args: dict)  a driver calls a Zw*/Ob*/Io* service
    "service_return",       # (api, result: dict)  ... and what it returned
    "win32_call",           # (api, args: dict)
    "win32_return",         # (api, result: dict)
    "bugcheck",             # (bugcheck)
    "app_print",            # (text)  what the user-mode application printed
    "violation",            # (rule, detail, irp, parameters)  a rule broken without a bug
                            # check (strict=False, or a non-fatal Verifier error)
    "machine_frozen",       # (reason)  a CPU can never leave DISPATCH_LEVEL (no watchdog)
)


class Instrument:
    """Base class: override any hook in HOOK_NAMES. Hooks must not change the model."""

    def attach(self, kernel: Any) -> None:
        """Called once when the instrument is added to a kernel."""


def _noop(*_args: Any) -> None:
    return None


class Hooks:
    """One attribute per hook name, each a single callable (fan-out when needed)."""

    __slots__ = HOOK_NAMES
    # one declaration per HOOK_NAMES entry (set in __init__; tests/test_typing.py
    # checks the two lists agree)
    irp_allocated: Callable[..., None]
    irp_freed: Callable[..., None]
    irp_call: Callable[..., None]
    dispatch_return: Callable[..., None]
    irp_complete: Callable[..., None]
    completion_routine: Callable[..., None]
    completion_return: Callable[..., None]
    irp_final: Callable[..., None]
    irp_cancel: Callable[..., None]
    mark_pending: Callable[..., None]
    irp_set_completion: Callable[..., None]
    irp_location: Callable[..., None]
    cancel_routine: Callable[..., None]
    cancel_return: Callable[..., None]
    dpc_queued: Callable[..., None]
    dpc_run: Callable[..., None]
    interrupt: Callable[..., None]
    isr_return: Callable[..., None]
    apc_run: Callable[..., None]
    timer_set: Callable[..., None]
    timer_expired: Callable[..., None]
    timer_cancelled: Callable[..., None]
    event_set: Callable[..., None]
    wait_begin: Callable[..., None]
    wait_end: Callable[..., None]
    thread_start: Callable[..., None]
    thread_exit: Callable[..., None]
    irql_change: Callable[..., None]
    dbg_print: Callable[..., None]
    service_call: Callable[..., None]
    service_return: Callable[..., None]
    win32_call: Callable[..., None]
    win32_return: Callable[..., None]
    bugcheck: Callable[..., None]
    app_print: Callable[..., None]
    violation: Callable[..., None]
    machine_frozen: Callable[..., None]

    def __init__(self, instruments: list[Instrument]) -> None:
        bound: dict[str, list[Callable[..., None]]] = {}
        for instrument in instruments:
            for name in _hooks_of(type(instrument)):
                bound.setdefault(name, []).append(getattr(instrument, name))
        for name in HOOK_NAMES:
            fns = bound.get(name)
            if not fns:
                setattr(self, name, _noop)
            elif len(fns) == 1:
                setattr(self, name, fns[0])
            else:
                setattr(self, name, _fanout(tuple(fns)))


#: instrument class -> the hook names it implements (a memo: a session adds its
#: instruments one by one and Hooks is rebuilt each time; the explorer boots many)
_HOOKS_OF: dict[type, tuple[str, ...]] = {}


def _hooks_of(cls: type) -> tuple[str, ...]:
    names = _HOOKS_OF.get(cls)
    if names is None:
        names = _HOOKS_OF[cls] = tuple(n for n in HOOK_NAMES
                                       if getattr(cls, n, None) is not None)
    return names


def _fanout(fns: tuple[Callable[..., None], ...]) -> Callable[..., None]:
    if len(fns) == 2:           # the trace and one more (Driver Verifier, the runner's
        first, second = fns     # call tracker): no loop

        def call2(*args: Any) -> None:
            first(*args)
            second(*args)
        return call2
    if len(fns) == 3:           # a scenario's IoCallDriver: the trace, the call tracker
        first, second, third = fns      # and the app (which request an IRP is)

        def call3(*args: Any) -> None:
            first(*args)
            second(*args)
            third(*args)
        return call3

    def call(*args: Any) -> None:
        for fn in fns:
            fn(*args)
    return call
