"""Compact trace records: their layouts and how a record becomes a typed event.

The recorder (recorder.py) appends every hook call to one flat list as a *record*: a
:class:`Layout` tag, then the header ``time, cpu, irql, thread, context`` (the CPU's
state when it happened), then, for the IRP layouts, ``irp`` (its id) and ``major``,
then only the fields of its kind, as raw values (the thread, device and routine
objects, numbers, strings), 6 to 13 list items. Nothing is formatted and no object is
built per event on the hot path; :func:`decode` turns one record into the fields of a
:class:`~harness.trace.events.TraceEvent` when somebody reads the trace (view.py), and
the trace file (tracefile.py) writes records with their objects replaced by symbols.

Each layout names its fields and says which of them hold objects (``D`` a device or
None, ``R`` a routine or None, ``C`` a completion routine's Context, ``S`` what
IoCallDriver's caller wrote in the location, ``V`` a value that may be an object, as
an IRP's Information can be); the file format's header lists them, so
a reader needs no other table.
"""

from __future__ import annotations

from typing import Any, Callable

Decoded = tuple[Any, Any, Any, Any, Any, Any, dict[str, Any]]
# (driver, device label, irp, major, status, information, details)

LAYOUTS: list["Layout"] = []      # index = the layout's code in a trace file


class Layout(int):
    """The tag that starts a record: its kind, fields and decoder. Its int value is its
    code in a trace file (the index in LAYOUTS): the JSON encoder writes it as a number
    with no call back into Python."""

    kind: str
    fields: tuple[str, ...]
    types: tuple[str, ...]
    irp: bool
    head: int
    width: int
    code: int
    decode: Callable[..., Decoded]
    objects: tuple[tuple[int, str], ...]
    symbols: tuple[int, ...]
    fix: bool
    constants: dict[str, Any]

    def __new__(cls, kind: str, fields: str, decode: Callable[..., Decoded],
                irp: bool = True, constants: dict[str, Any] | None = None) -> "Layout":
        self = super().__new__(cls, len(LAYOUTS))
        self.kind = kind
        names = fields.split()
        self.fields = tuple(n.split(":")[0] for n in names)
        self.types = tuple(n.split(":")[1] if ":" in n else "" for n in names)
        self.irp = irp                     # the header has irp and major
        self.head = 8 if irp else 6
        self.width = self.head + len(names)
        #: (record position, type) of the fields that hold objects
        self.objects = tuple((self.head + i, t) for i, t in enumerate(self.types) if t)
        #: where its threads-devices-routines are: the trace file writes symbols there
        self.symbols = tuple(self.head + i for i, t in enumerate(self.types) if t in "DR" and t)
        #: a trace file rewrites some fields before the encoder sees them (tracefile.py)
        self.fix = not irp or any(t in ("C", "V") for t in self.types)
        #: what the kind implies and no field holds (CompletionRoutine's PendingReturned)
        self.constants = constants or {}
        self.decode = decode
        self.code = len(LAYOUTS)
        LAYOUTS.append(self)
        return self

    def __repr__(self) -> str:
        return f"<record {self.kind}>"

    def __eq__(self, other: object) -> bool:      # a tag is only itself
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __reduce__(self) -> tuple[Any, tuple[int]]:   # pickle / deepcopy: the same tag
        return layout_of, (self.code,)


def layout_of(code: int) -> Layout:
    """The layout with this code (a trace file's first record item)."""
    return LAYOUTS[code]


def _device(device: Any) -> tuple[Any, Any]:
    if device is None:
        return None, None
    return device.driver_object.short_name, device.label


def routine_owner(routine: Any) -> str | None:
    """The driver of a scenario routine (its qualname is ``Driver.Routine``): the routine
    of an IRP's creator runs with DeviceObject NULL (it has no location,
    stacks-services 1.29), so its driver is the routine's owner."""
    qualname = getattr(routine, "__qualname__", "")
    head = qualname.split(".", 1)[0]
    return head if "." in qualname and "<" not in head else None


def routine_name(routine: Any) -> str:
    return getattr(routine, "__name__", repr(routine))


def file_label(file: Any) -> str | None:
    return None if file is None else f"FileObject#{file.id}"


def context_label(context: Any) -> str | None:
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


def label(obj: Any) -> str:
    """A dispatcher object's name, or its kind and number when it has none (an unnamed
    event from CreateEvent(NULL, ...))."""
    return obj.name or f"{type(obj).__name__.lstrip('K')}#{obj.id}"


def _status(status: Any) -> int | None:
    return None if status is None else int(status)


# -- the IRP layouts (header: time cpu irql thread context irp major) ---------------------

def _d_allocate(irp: Any, major: Any, count: int) -> Decoded:
    return None, None, irp, major, None, None, {"stack_count": count}


def _d_plain(irp: Any, major: Any) -> Decoded:
    return None, None, irp, major, None, None, {}


def _d_call(irp: Any, major: Any, device: Any, location: int, stack: Any) -> Decoded:
    minor, flags, control, file, params = stack
    details: dict[str, Any] = {"location": location, "minor": minor, "flags": flags,
                               "control": control, "file": file_label(file)}
    if params is not None:
        details["parameters"] = tuple(params)
    return (*_device(device), irp, major, None, None, details)


def _d_return(irp: Any, major: Any, device: Any, status: Any) -> Decoded:
    return (*_device(device), irp, major, _status(status), None, {})


def _d_complete(irp: Any, major: Any, device: Any, status: Any, info: Any) -> Decoded:
    return (*_device(device), irp, major, _status(status), info, {})


def _owner(device: Any, routine: Any) -> tuple[Any, Any]:
    return _device(device) if device is not None else (routine_owner(routine), None)


def _d_routine(pending: bool) -> Callable[..., Decoded]:
    def decode(irp: Any, major: Any, device: Any, status: Any, info: Any, routine: Any,
               location: int) -> Decoded:
        # location: CurrentLocation while it runs, i.e. the level examined + 1 (io-core
        # §5.2.1), which the `!irp` view needs to replay the walk
        return (*_owner(device, routine), irp, major, _status(status), info,
                {"routine": routine_name(routine), "pending_returned": pending,
                 "location": location})
    return decode


def _d_routine_return(irp: Any, major: Any, device: Any, status: Any, routine: Any) -> Decoded:
    return (*_owner(device, routine), irp, major, _status(status), None,
            {"routine": routine_name(routine)})


def _d_final(irp: Any, major: Any, status: Any, info: Any, pending: bool) -> Decoded:
    return None, None, irp, major, _status(status), info, {"pending_returned": pending}


def _d_cancel_irp(irp: Any, major: Any, had_routine: bool) -> Decoded:
    return None, None, irp, major, None, None, {"cancel_routine": had_routine}


def _d_mark(irp: Any, major: Any, device: Any) -> Decoded:
    return (*_device(device), irp, major, None, None, {})


def _d_set_completion(irp: Any, major: Any, routine: Any, context: Any, control: int) -> Decoded:
    return (routine_owner(routine), None, irp, major, None, None,
            {"routine": None if routine is None else routine_name(routine),
             "context": context_label(context), "control": control})


def _d_cancel(irp: Any, major: Any, device: Any, routine: Any) -> Decoded:
    return (*_owner(device, routine), irp, major, None, None,
            {"routine": routine_name(routine)})


ALLOCATE = Layout("IoAllocateIrp", "stack_count", _d_allocate)
FREE = Layout("IoFreeIrp", "", _d_plain)
CALL = Layout("IoCallDriver", "device:D location stack:S", _d_call)
RETURN = Layout("DispatchReturn", "device:D status", _d_return)
COMPLETE = Layout("IoCompleteRequest", "device:D status information:V", _d_complete)
ROUTINE = Layout("CompletionRoutine", "device:D status information:V routine:R location",
                 _d_routine(False), constants={"pending_returned": False})
ROUTINE_PENDING = Layout("CompletionRoutine", "device:D status information:V routine:R location",
                         _d_routine(True), constants={"pending_returned": True})
ROUTINE_RETURN = Layout("CompletionReturn", "device:D status routine:R", _d_routine_return)
FINAL = Layout("IopCompleteRequest", "status information:V pending_returned", _d_final)
CANCEL_IRP = Layout("IoCancelIrp", "cancel_routine", _d_cancel_irp)
MARK = Layout("IoMarkIrpPending", "device:D", _d_mark)
SET_COMPLETION = Layout("IoSetCompletionRoutine", "routine:R context:C control",
                        _d_set_completion)
LOCATION = {name: Layout(name, "", _d_plain) for name in (
    "IoSkipCurrentIrpStackLocation", "IoCopyCurrentIrpStackLocationToNext",
    "IoSetNextIrpStackLocation")}
CANCEL = Layout("CancelRoutine", "device:D routine:R", _d_cancel)
CANCEL_RETURN = Layout("CancelReturn", "device:D routine:R", _d_cancel)


# -- the other layouts (header: time cpu irql thread context) ------------------------------

def _details(*keys: str) -> Callable[..., Decoded]:
    """A layout whose fields are its details, in order."""
    def decode(*values: Any) -> Decoded:
        return None, None, None, None, None, None, dict(zip(keys, values))
    return decode


def _d_interrupt(device: str, vector: int, dirql: int) -> Decoded:
    return None, None, None, None, None, None, {"device": device, "vector": f"0x{vector:X}",
                                                "dirql": dirql}


def _d_isr_return(routine: str, claimed: bool) -> Decoded:
    return None, None, None, None, None, None, {"routine": routine,
                                                "claimed": "TRUE" if claimed else "FALSE"}


def _d_wait_end(objects: list[str], status: Any) -> Decoded:
    return None, None, None, None, _status(status), None, {"objects": list(objects)}


def _d_call_dict(details: dict[str, Any]) -> Decoded:
    return None, None, None, None, None, None, dict(details)


def _d_service_return(details: dict[str, Any]) -> Decoded:
    return None, None, None, None, _status(details.get("status")), None, dict(details)


def _d_violation(irp: Any, major: Any, rule: str, detail: str, parameters: Any) -> Decoded:
    details: dict[str, Any] = {"rule": rule, "detail": detail}
    if parameters is not None:
        details["parameters"] = list(parameters)
    return None, None, irp, major, None, None, details


def _d_bugcheck(code: int, name: str, parameters: list[int], reason: str) -> Decoded:
    return None, None, None, None, None, None, {"code": code, "name": name,
                                                "parameters": list(parameters),
                                                "reason": reason}


DPC_QUEUED = Layout("KeInsertQueueDpc", "dpc inserted", _details("dpc", "inserted"), False)
DPC_RUN = Layout("DpcRoutine", "dpc", _details("dpc"), False)
INTERRUPT = Layout("Interrupt", "device vector dirql", _d_interrupt, False)
ISR_RETURN = Layout("IsrReturn", "routine claimed", _d_isr_return, False)
TIMER_SET = Layout("KeSetTimer", "timer due_time fires_at period_ms replaced",
                   _details("timer", "due_time", "fires_at", "period_ms", "replaced"), False)
TIMER_EXPIRED = Layout("TimerExpired", "timer", _details("timer"), False)
TIMER_CANCELLED = Layout("KeCancelTimer", "timer was_queued", _details("timer", "was_queued"),
                         False)
EVENT_SET = Layout("KeSetEvent", "event previous", _details("event", "previous"), False)
WAIT_BEGIN = Layout("WaitBegin", "objects timeout", _details("objects", "timeout"), False)
WAIT_END = Layout("WaitEnd", "objects status", _d_wait_end, False)
THREAD_START = Layout("ThreadStart", "thread", _details("thread"), False)
THREAD_EXIT = Layout("ThreadExit", "thread", _details("thread"), False)
IRQL_CHANGE = Layout("IrqlChange", "old new", _details("old", "new"), False)
DBG_PRINT = Layout("DbgPrint", "text", _details("text"), False)
APP_PRINT = Layout("AppPrint", "text", _details("text"), False)
SERVICE_CALL = Layout("ServiceCall", "details", _d_call_dict, False)
SERVICE_RETURN = Layout("ServiceReturn", "details", _d_service_return, False)
KERNEL_APC = Layout("KernelApc", "routine", _details("routine"), False)
WIN32_CALL = Layout("Win32Call", "details", _d_call_dict, False)
WIN32_RETURN = Layout("Win32Return", "details", _d_call_dict, False)
VIOLATION = Layout("Violation", "irp major rule detail parameters", _d_violation, False)
MACHINE_FROZEN = Layout("MachineFrozen", "reason", _details("reason"), False)
BUGCHECK = Layout("BugCheck", "code name parameters reason", _d_bugcheck, False)


def decode(raw: Any, i: int) -> tuple[Layout, tuple[Any, ...], Decoded]:
    """The record at ``raw[i]``: its layout, header (time, cpu, irql, thread, context)
    and decoded fields."""
    layout = raw[i]
    record = raw[i + 1:i + layout.width]
    # the IRP layouts' decoders take irp and major, which follow the header
    return layout, record, layout.decode(*record[5:])
