"""The trace recorder: an Instrument that writes every hook call down.

Recording is on the hot path of every IRP, so a hook only stores raw values (objects,
not strings); :meth:`TraceRecorder.events` builds the typed events when somebody reads
the trace. The log ``raw`` is one flat list of records, no tuple per event: a long run
holds much less memory (on a VM every new page of it is a costly fault) and gives the
cyclic GC nothing to track per event. A full record is 12 items (kind, time, cpu, irql,
thread, context, irp id, major, device, status, information, details). The IRP hooks,
written out inline (no helper call, no per-event dict), write compact records instead:
a :class:`_Layout` tag, the same seven items from time to major, then only the fields
their kind has (IoCallDriver: device, location), 8 to 12 items.
"""

from __future__ import annotations

from typing import Any

from ..kernel.instrument import Instrument
from .events import TraceEvent

_WIDTH = 12   # items in a full record


class _Layout:
    """The tag that starts a compact record: its kind and the fields after ``major``."""

    __slots__ = ("kind", "fields", "width", "pending")

    def __init__(self, kind: str, fields: tuple[str, ...], pending: bool | None = None) -> None:
        self.kind = kind
        self.fields = fields
        self.width = 8 + len(fields)
        self.pending = pending   # CompletionRoutine: pending_returned, so no tuple per event

    def __repr__(self) -> str:
        return f"<record {self.kind}>"


_ALLOCATE = _Layout("IoAllocateIrp", ("details",))
_FREE = _Layout("IoFreeIrp", ())
_CALL = _Layout("IoCallDriver", ("device", "details", "stack"))
_RETURN = _Layout("DispatchReturn", ("device", "status"))
_COMPLETE = _Layout("IoCompleteRequest", ("device", "status", "info"))
_ROUTINE = _Layout("CompletionRoutine", ("device", "status", "info", "details", "location"),
                   False)
_ROUTINE_PENDING = _Layout("CompletionRoutine", ("device", "status", "info", "details",
                                                 "location"), True)
_ROUTINE_RETURN = _Layout("CompletionReturn", ("device", "status", "details"))
_FINAL = _Layout("IopCompleteRequest", ("status", "info", "details"))
_MARK = _Layout("IoMarkIrpPending", ("device",))
_SET_COMPLETION = _Layout("IoSetCompletionRoutine", ("details",))
_LOCATION = {name: _Layout(name, ()) for name in (
    "IoSkipCurrentIrpStackLocation", "IoCopyCurrentIrpStackLocationToNext",
    "IoSetNextIrpStackLocation")}
_CANCEL = _Layout("CancelRoutine", ("device", "details"))
_CANCEL_RETURN = _Layout("CancelReturn", ("device", "details"))


def _major(irp: Any) -> int:
    loc = irp.current_location
    stack = irp.stack
    if 1 <= loc <= len(stack):
        return stack[loc - 1].major_function
    return stack[-1].major_function if stack else 0


class TraceRecorder(Instrument):
    """Records the run; ``events()`` returns the typed trace."""

    def __init__(self) -> None:
        self.raw: list[Any] = []      # records, see the module docstring
        self.kernel: Any = None
        self._env: Any = None
        self._cache: list[TraceEvent] | None = None
        self._cached_len = 0          # len(raw) when _cache was built

    def attach(self, kernel: Any) -> None:
        self.kernel = kernel
        self._env = kernel.env

    def _add(self, kind: str, irp: Any = None, device: Any = None, status: Any = None,
             info: Any = None, details: Any = None) -> None:
        k = self.kernel
        cpu = k.cpu
        self.raw.extend((kind, k.env.now, cpu.index, cpu.irql, cpu.thread, cpu.context,
                         irp.id if irp is not None else None,
                         _major(irp) if irp is not None else None,
                         device, status, info, details))

    # -- hooks --------------------------------------------------------------------------
    # The IRP hooks are _add(kind, irp, ...) written out: SimPy's clock is read from
    # Environment._now (the ``now`` property costs a call), and ``major`` is _major(irp)
    # inlined (a current location outside the stack reads the top location).

    def irp_allocated(self, irp: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        # A driver's IoAllocateIrp does not say what the IRP is for (its locations are
        # zero until the driver fills one in); builders and the I/O manager announce it
        # once the major is written.
        major = None if irp.allocated_by == "IoAllocateIrp" else (
            stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0)
        self.raw.extend((_ALLOCATE, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, major, irp.stack_count))

    def irp_freed(self, irp: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        major = stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0
        self.raw.extend((_FREE, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, major))

    def irp_call(self, irp: Any, device: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        # io_call_driver stored ``device`` in location ``loc`` (1..StackCount) before the
        # hook. What the caller wrote there directly (minor, flags, Parameters, the file
        # object) is kept for the `!irp` view (irpview.py): one tuple per call.
        s = stack[loc - 1]
        p = s._parameters
        self.raw.extend((_CALL, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, s.major_function, device, loc,
                         (s.minor_function, s.flags, s.control, s.file_object, None if p is None
                          else (p.length, p.key, p.byte_offset, p.output_buffer_length,
                                p.input_buffer_length, p.io_control_code))))

    def dispatch_return(self, irp: Any, device: Any, status: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        major = stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0
        self.raw.extend((_RETURN, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, major, device, status))

    def irp_complete(self, irp: Any, device: Any, status: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        major = stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0
        self.raw.extend((_COMPLETE, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, major, device, status, irp.io_status.information))

    def completion_routine(self, irp: Any, device: Any, routine: Any, pending: bool) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        io_status = irp.io_status
        major = stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0
        self.raw.extend((_ROUTINE_PENDING if pending else _ROUTINE,
                         self._env._now, cpu.index, cpu.irql, cpu.thread, cpu.context, irp.id,
                         major, device, io_status.status, io_status.information, routine,
                         loc))

    def completion_return(self, irp: Any, device: Any, routine: Any, status: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        major = stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0
        self.raw.extend((_ROUTINE_RETURN, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, major, device, status, routine))

    def irp_final(self, irp: Any, status: Any, info: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        major = stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0
        self.raw.extend((_FINAL, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, major, status, info, irp.pending_returned))

    def irp_cancel(self, irp: Any, had_routine: bool) -> None:
        self._add("IoCancelIrp", irp, details={"cancel_routine": had_routine})

    def mark_pending(self, irp: Any, device: Any) -> None:
        cpu = self.kernel.cpu
        stack = irp.stack
        loc = irp.current_location
        major = stack[loc - 1 if 0 < loc <= len(stack) else -1].major_function if stack else 0
        self.raw.extend((_MARK, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, major, device))

    def irp_set_completion(self, irp: Any, routine: Any, context: Any, control: int) -> None:
        cpu = self.kernel.cpu
        self.raw.extend((_SET_COMPLETION, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, _major(irp), (routine, context, control)))

    def irp_location(self, irp: Any, routine: str) -> None:
        cpu = self.kernel.cpu
        self.raw.extend((_LOCATION[routine], self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, _major(irp)))

    def cancel_routine(self, irp: Any, device: Any, routine: Any) -> None:
        cpu = self.kernel.cpu
        self.raw.extend((_CANCEL, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, _major(irp), device, routine))

    def cancel_return(self, irp: Any, device: Any, routine: Any) -> None:
        cpu = self.kernel.cpu
        self.raw.extend((_CANCEL_RETURN, self._env._now, cpu.index, cpu.irql, cpu.thread,
                         cpu.context, irp.id, _major(irp), device, routine))

    def dpc_queued(self, dpc: Any, inserted: bool) -> None:
        self._add("KeInsertQueueDpc", details={"dpc": dpc.name, "inserted": inserted})

    def dpc_run(self, dpc: Any) -> None:
        self._add("DpcRoutine", details={"dpc": dpc.name})

    def interrupt(self, line: Any, cpu: Any) -> None:
        self._add("Interrupt", details={"device": line.device.name,
                                        "vector": f"0x{line.vector:X}", "dirql": line.irql})

    def isr_return(self, interrupt: Any, claimed: bool) -> None:
        self._add("IsrReturn", details={"routine": interrupt.name,
                                        "claimed": "TRUE" if claimed else "FALSE"})

    def timer_set(self, timer: Any, due: int, period: int, replaced: bool) -> None:
        self._add("KeSetTimer", details={"timer": timer.name, "due_time": due,
                                         "fires_at": timer.due, "period_ms": period,
                                         "replaced": replaced})

    def timer_expired(self, timer: Any) -> None:
        self._add("TimerExpired", details={"timer": timer.name})

    def timer_cancelled(self, timer: Any, was_queued: bool) -> None:
        self._add("KeCancelTimer", details={"timer": timer.name, "was_queued": was_queued})

    def event_set(self, event: Any, previous: int) -> None:
        self._add("KeSetEvent", details={"event": _label(event), "previous": previous})

    def wait_begin(self, objects: Any, timeout: Any) -> None:
        self._add("WaitBegin", details={"objects": [_label(o) for o in objects],
                                        "timeout": timeout})

    def wait_end(self, objects: Any, status: Any) -> None:
        self._add("WaitEnd", status=status, details={"objects": [_label(o) for o in objects]})

    def thread_start(self, thread: Any) -> None:
        self._add("ThreadStart", details={"thread": thread.name})

    def thread_exit(self, thread: Any) -> None:
        self._add("ThreadExit", details={"thread": thread.name})

    def irql_change(self, old: int, new: int) -> None:
        self._add("IrqlChange", details={"old": old, "new": new})

    def dbg_print(self, text: str) -> None:
        self._add("DbgPrint", details={"text": text})

    def app_print(self, text: str) -> None:
        self._add("AppPrint", details={"text": text})

    def service_call(self, api: str, args: dict) -> None:
        self._add("ServiceCall", details={"api": api, **args})

    def service_return(self, api: str, result: dict) -> None:
        self._add("ServiceReturn", status=result.get("status"),
                  details={"api": api, **result})

    def apc_run(self, thread: Any, routine: Any) -> None:
        self._add("KernelApc", details={"routine": getattr(routine, "__name__", "?")})

    def win32_call(self, api: str, args: dict) -> None:
        self._add("Win32Call", details={"api": api, **args})

    def win32_return(self, api: str, result: dict) -> None:
        self._add("Win32Return", details={"api": api, **result})

    def violation(self, rule: str, detail: str, irp: Any = None,
                  parameters: Any = None) -> None:
        details = {"rule": rule, "detail": detail}
        if parameters is not None:
            details["parameters"] = list(parameters)
        self._add("Violation", irp=irp, details=details)

    def machine_frozen(self, reason: str) -> None:
        self._add("MachineFrozen", details={"reason": reason})

    def bugcheck(self, bugcheck: Any) -> None:
        self._add("BugCheck", details={"code": bugcheck.code, "name": bugcheck.name,
                                       "parameters": [bugcheck.p1, bugcheck.p2, bugcheck.p3,
                                                      bugcheck.p4],
                                       "reason": bugcheck.reason})

    # -- reading ------------------------------------------------------------------------
    def events(self) -> list[TraceEvent]:
        """The typed trace (built once per length of the raw log)."""
        raw = self.raw
        if self._cache is not None and self._cached_len == len(raw):
            return self._cache
        out = []
        i, end = 0, len(raw)
        while i < end:
            head = raw[i]
            if type(head) is _Layout:
                time, cpu, irql, thread, context, irp, major = raw[i + 1:i + 8]
                fields = dict(zip(head.fields, raw[i + 8:i + head.width]))
                kind = head.kind
                device = fields.get("device")
                status = fields.get("status")
                info = fields.get("info")
                details = fields.get("details")
                if head.pending is not None:
                    details = (details, head.pending, fields["location"])
                elif head is _CALL:
                    details = (details, fields["stack"])
                i += head.width
            else:
                (kind, time, cpu, irql, thread, context, irp, major, device, status, info,
                 details) = raw[i:i + _WIDTH]
                i += _WIDTH
            if device is not None:
                driver = device.driver_object.short_name
            elif kind in ("CompletionRoutine", "CompletionReturn", "IoSetCompletionRoutine",
                          "CancelRoutine", "CancelReturn"):
                # The routine of an IRP's creator runs with DeviceObject NULL (it has no
                # location, stacks-services 1.29): its driver is the routine's owner.
                routine = details if kind in ("CompletionReturn", "CancelRoutine",
                                              "CancelReturn") else details[0]
                driver = _routine_owner(routine)
            else:
                driver = None
            out.append(TraceEvent(
                seq=len(out), time=time, cpu=cpu, irql=irql, thread=thread.name,
                process=thread.process, context=context, kind=kind,
                driver=driver,
                device=device.label if device is not None else None, irp=irp, major=major,
                status=None if status is None else int(status), information=info,
                details=_details(kind, details)))
        self._cache = out
        self._cached_len = end
        return out


def _routine_owner(routine: Any) -> str | None:
    """The driver of a scenario routine (its qualname is ``Driver.Routine``)."""
    qualname = getattr(routine, "__qualname__", "")
    head = qualname.split(".", 1)[0]
    return head if "." in qualname and "<" not in head else None


def _details(kind: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if kind == "IoCallDriver":
        location, (minor, flags, control, file, params) = raw
        out: dict[str, Any] = {"location": location, "minor": minor, "flags": flags,
                               "control": control, "file": _file_label(file)}
        if params is not None:
            out["parameters"] = params
        return out
    if kind == "IoSetCompletionRoutine":
        routine, context, control = raw
        return {"routine": None if routine is None else _routine_name(routine),
                "context": _context_label(context), "control": control}
    if kind in ("CancelRoutine", "CancelReturn"):
        return {"routine": _routine_name(raw)}
    if kind == "IoAllocateIrp":
        return {"stack_count": raw}
    if kind == "IopCompleteRequest":
        return {"pending_returned": raw}
    if kind == "CompletionRoutine":
        # location: CurrentLocation while it runs, i.e. the level examined + 1 (io-core
        # §5.2.1), which the `!irp` view needs to replay the walk
        routine, pending, location = raw
        return {"routine": _routine_name(routine), "pending_returned": pending,
                "location": location}
    if kind == "CompletionReturn":
        return {"routine": _routine_name(raw)}
    return dict(raw)


def _file_label(file: Any) -> str | None:
    return None if file is None else f"FileObject#{file.id}"


def _context_label(context: Any) -> str | None:
    """A completion routine's Context as the `!irp` view prints it: NULL, a number, or
    what the object is (its name or kind and number), never a Python repr."""
    if context is None:
        return None
    if isinstance(context, (bool, int)):
        return f"0x{int(context):X}"
    name = getattr(context, "name", None) or getattr(context, "label", None)
    if isinstance(name, str) and name:
        return name
    ident = getattr(context, "id", None)
    return f"{type(context).__name__}#{ident}" if ident is not None else type(context).__name__


def _routine_name(routine: Any) -> str:
    return getattr(routine, "__name__", repr(routine))


def _label(obj: Any) -> str:
    """A dispatcher object's name, or its kind and number when it has none (an unnamed
    event from CreateEvent(NULL, ...))."""
    return obj.name or f"{type(obj).__name__.lstrip('K')}#{obj.id}"
