"""Driver state and the names driver expressions can use.

A scenario driver declares its globals under ``state:`` and each device's extension
under the device's ``extension:``; both map a name to a WDK type (``ULONG``,
``UCHAR[16]``, a struct, ``LIST_ENTRY``) and an optional initial value. ``views:``
name typed pointers into the current request's buffers, as a C driver writes
``PKEYBOARD_INPUT_DATA keys = Irp->AssociatedIrp.SystemBuffer;``.

:class:`DriverNames` resolves every name an expression, an assignment or a log field
of the driver's code may use - state, views, ``Irp->...`` and ``stack->...`` fields,
constants - once, at load, into getters and setters on a :class:`Frame`. An unknown
name is a located error before anything runs.

Memory faults are what the CPU would raise: a NULL buffer is an access violation,
which unhandled in kernel mode is bug check 0x1E KMODE_EXCEPTION_NOT_HANDLED (0x7E in
a system thread); at DISPATCH_LEVEL or above, 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL. An
access past the end of a buffer would silently hit whatever lies next in pool: that
is not modelled, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, NoReturn, Sequence, cast

from ..kernel import (IRP_MJ, IRP_MN, NTSTATUS, irql_name, Buffer,
                      FastMutex, GuardedMutex, IoRemoveLock, KDeviceQueue, KEvent, KMutant,
                      LookasideList,
                      KSemaphore, KSpinLock, KTimer,
                      NotificationEvent, mm_access_fault,
                      NotModelledError, io_get_current_irp_stack_location,
                      mm_get_system_address_for_mdl_safe)
from ..kernel.rtl import ansi_decode
from ..lang.ctype import LONG, LONGLONG, TYPES, ULONG, CType
from ..lang.diagnostics import did_you_mean
from ..lang.expr import Binding, Compiled, ExprError, Node, Ref, compile_expr, parse
from ..lang.layouts import FieldRef, LayoutError, Struct, TypeSpec, parse_type, resolve_path
from ..lang.units import parse_buffer_pattern
from .runtime import ScenarioRuntimeError

STATUS_ACCESS_VIOLATION = 0xC0000005
PTR = TYPES["PVOID"]
BOOLEAN = TYPES["BOOLEAN"]
UCHAR = TYPES["UCHAR"]
CHAR = TYPES["CHAR"]


#: Kernel objects a driver may declare as state (no fields, used through their blocks).
OBJECT_TYPES = ("LIST_ENTRY", "KSPIN_LOCK", "KDEVICE_QUEUE", "KEVENT", "KSEMAPHORE", "KMUTEX",
                "FAST_MUTEX", "KGUARDED_MUTEX", "KTIMER", "IO_REMOVE_LOCK",
                "PAGED_LOOKASIDE_LIST", "NPAGED_LOOKASIDE_LIST")
#: Those a routine may keep on its stack (a local): a list head, and the dispatcher
#: objects - a fresh one on every call, which is what forward-and-wait needs
#: (KeInitializeEvent per IRP) and what the book's chapter 8 and 10 tests keep there.
LOCAL_OBJECTS = ("LIST_ENTRY", "KEVENT", "KSEMAPHORE", "KMUTEX", "FAST_MUTEX", "KGUARDED_MUTEX",
                 "KTIMER", "PAGED_LOOKASIDE_LIST", "NPAGED_LOOKASIDE_LIST")
#: Objects a wait may name (dispatcher objects).
WAITABLE_OBJECTS = ("KEVENT", "KSEMAPHORE", "KMUTEX", "KTIMER")


@dataclass(frozen=True)
class StateVar:
    """One declared variable: a driver global or a device-extension field.

    Attributes:
        name: the C name.
        scope: ``"driver"`` (a global), ``"device"`` (one per device extension) or
            ``"local"`` (one per call of a routine: a C local, zero at entry where C
            leaves it uninitialized; a ``call``ed routine shares its caller's).
        type: the parsed type; None for a kernel object (``object``).
        initial: an int for a scalar, bytes for memory, None for zero.
        object: ``"LIST_ENTRY"`` (a list head) or ``"KSPIN_LOCK"``; None for data.
    """

    name: str
    scope: str
    type: TypeSpec | None
    initial: int | bytes | None
    object: str | None = None

    @property
    def scalar(self) -> bool:
        return self.type is not None and self.type.count is None and self.type.struct is None

    @property
    def spec(self) -> TypeSpec:
        """``type`` of a data variable (the caller knows it is not a kernel object)."""
        assert self.type is not None, f"{self.name} is a {self.object}, not data"
        return self.type

    def new_value(self, kernel: Any) -> Any:
        """A fresh instance for one run (zeroed as pool from ExAllocatePool is not,
        but a DEVICE_EXTENSION is: IoCreateDevice zeroes it; globals are zeroed BSS)."""
        if self.object == "KSPIN_LOCK":     # zero-filled: an unlocked spin lock
            return KSpinLock(kernel, self.name)
        if self.object == "KDEVICE_QUEUE":  # KeInitializeDeviceQueue: empty, not busy
            return KDeviceQueue(kernel, self.name)
        if self.object == "KEVENT":         # KeInitializeEvent(Notification, FALSE) unless
            return KEvent(kernel, NotificationEvent, False, self.name)   # initialize_event
        # Zeroed memory until its KeInitializeXxx: a count and limit of 0 (no wait is
        # satisfied, any release exceeds the limit), a mutex held by nobody that no wait
        # gets, a fast mutex with Count 0 (every acquire waits), a timer not set.
        if self.object == "KSEMAPHORE":
            return KSemaphore(kernel, 0, 0, self.name)
        if self.object == "KMUTEX":
            return KMutant(kernel, 1, self.name, signal_state=0)
        if self.object == "FAST_MUTEX":
            return FastMutex(kernel, self.name, count=0)
        if self.object == "KGUARDED_MUTEX":
            return GuardedMutex(kernel, self.name, count=0)
        if self.object == "IO_REMOVE_LOCK":     # IoCount 0 until IoInitializeRemoveLock
            return IoRemoveLock(kernel, self.name)
        if self.object in ("PAGED_LOOKASIDE_LIST", "NPAGED_LOOKASIDE_LIST"):
            return LookasideList(kernel, self.object.startswith("PAGED"), self.name)
        if self.object == "KTIMER":
            return KTimer(kernel, name=self.name)

        if self.type is None:
            return []
        if self.scalar:     # declare_state: a scalar's initial is an int
            return self.type.scalar_ctype.wrap(cast(int, self.initial or 0))
        buffer = Buffer.new(kernel.pool, self.type.size)
        if self.initial:    # ... and memory's is bytes
            buffer.write(cast(bytes, self.initial)[:self.type.size])
        return buffer


def declare_state(items: Mapping[str, Any], scope: str, structs: Mapping[str, Struct],
                  report: Callable[[Sequence[Any], str], None], path: Sequence[Any]
                  ) -> list[StateVar]:
    """Parse ``state:`` / ``extension:`` declarations; problems go to ``report``."""
    out = []
    for name, decl in items.items():
        where = [*path, name]
        text, initial = (decl, None) if isinstance(decl, str) else (decl.get("type"),
                                                                     decl.get("value"))
        if text in OBJECT_TYPES:
            if scope == "local" and text not in LOCAL_OBJECTS:
                report(where, f"a {text} on the stack does not outlive the call: declare it "
                       "under state: or extension:")
                continue
            out.append(StateVar(name, scope, None, None, text))
            continue
        try:
            spec = parse_type(text, structs)
        except LayoutError as error:
            report(where, error.message)
            continue
        if spec.width is not None:
            report(where, "a bitfield is only allowed inside a struct")
            continue
        value: int | bytes | None = None
        if initial is not None:
            scalar = spec.count is None and spec.struct is None
            if scalar and isinstance(initial, int) and not isinstance(initial, bool):
                value = initial
            elif not scalar and isinstance(initial, str):
                try:
                    value = parse_buffer_pattern(initial)
                except ValueError as error:
                    report([*where, "value"], str(error))
                if isinstance(value, bytes) and len(value) > spec.size:   # parsed
                    report([*where, "value"], f"{len(value)} bytes do not fit in "
                           f"{spec.text} ({spec.size} bytes)")
            else:
                wanted = "an integer" if scalar else "a buffer pattern such as AA*16"
                report([*where, "value"], f"expected {wanted} for {spec.text}")
        out.append(StateVar(name, scope, spec, value))
    return out


@dataclass(frozen=True)
class View:
    """A typed pointer into one of the request's buffers (``views:``)."""

    name: str
    buffer: str                  # system | mdl | user | type3_input | output | auto
    element: TypeSpec            # what one element is (UCHAR if not said)


VIEW_BUFFERS = ("auto", "system", "mdl", "user", "type3_input")


def view_buffer(f: Any, which: str) -> Buffer | None:
    """The buffer a view points at, for the frame's IRP (kernel-env §8)."""
    irp = f.irp
    if which == "system":
        return irp.system_buffer
    if which == "mdl":
        return (mm_get_system_address_for_mdl_safe(f.kernel, irp.mdl_address)
                if irp.mdl_address is not None else None)
    if which == "user":
        return irp.user_buffer
    if which == "type3_input":
        return io_get_current_irp_stack_location(irp).parameters.type3_input_buffer
    # auto: by I/O method
    if irp.system_buffer is not None and irp.mdl_address is None:
        return irp.system_buffer
    if irp.mdl_address is not None:
        return mm_get_system_address_for_mdl_safe(f.kernel, irp.mdl_address)
    return irp.user_buffer


def fault(f: Any, address: int, write: bool, status: int = STATUS_ACCESS_VIOLATION
          ) -> NoReturn:
    """The bug check an unhandled kernel-mode exception raises in this context (or the
    unwind to a __try handler: the kernel's mm_access_fault, stacks-services 4.7)."""
    mm_access_fault(f.kernel, address, write, status)


# -- IRP and stack-location fields -------------------------------------------------------

def _p(f: Any) -> Any:
    return io_get_current_irp_stack_location(f.irp).parameters


def _other(f: Any, name: str) -> int:
    """A pointer member of a PnP stack location's Parameters (an address, 0 if NULL)."""
    value = (_p(f).other or {}).get(name)
    return value if isinstance(value, int) else _addr(value)


def _addr(buffer: Any) -> int:
    return buffer.address if buffer is not None else 0


# name path -> (type, getter, setter or None)
_IRP_FIELDS: dict[str, tuple[CType, Callable[[Any], int], Any]] = {
    "Type": (TYPES["SHORT"], lambda irp: irp.type, None),
    # IoSizeOfIrp: sizeof(IRP) + StackCount * sizeof(IO_STACK_LOCATION) on x86 (0x70,
    # 0x24); the lookaside lists' rounding up to 8 locations is not modelled.
    "Size": (TYPES["USHORT"], lambda irp: 0x70 + 0x24 * irp.stack_count, None),
    "Cancel": (BOOLEAN, lambda irp: int(irp.cancel), None),
    "PendingReturned": (BOOLEAN, lambda irp: int(irp.pending_returned), None),
    "IoStatus.Status": (LONG, lambda irp: LONG.wrap(irp.io_status.status),
                        lambda irp, v: setattr(irp.io_status, "status", v & 0xFFFFFFFF)),
    "IoStatus.Information": (TYPES["ULONG_PTR"], lambda irp: irp.io_status.information,
                             lambda irp, v: setattr(irp.io_status, "information", v)),
    "Flags": (ULONG, lambda irp: irp.flags, None),
    "RequestorMode": (CHAR, lambda irp: irp.requestor_mode, None),
    "StackCount": (CHAR, lambda irp: irp.stack_count, None),
    "CurrentLocation": (CHAR, lambda irp: irp.current_location, None),
    "UserBuffer": (PTR, lambda irp: _addr(irp.user_buffer), None),
    "UserEvent": (PTR, lambda irp: irp.kernel.objects.address_of(irp.user_event), None),
    "UserIosb": (PTR, lambda irp: _addr(getattr(irp.user_iosb, "buffer", None)), None),
    "Tail.Overlay.Thread": (PTR, lambda irp: irp.kernel.objects.address_of(irp.thread), None),
    "AssociatedIrp.SystemBuffer": (PTR, lambda irp: _addr(irp.system_buffer), None),
    "AssociatedIrp.IrpCount": (LONG, lambda irp: irp.irp_count,
                               lambda irp, v: setattr(irp, "irp_count", LONG.wrap(v))),
    "MdlAddress.ByteCount": (ULONG, lambda irp: irp.mdl_address.byte_count, None),
    "MdlAddress.ByteOffset": (ULONG, lambda irp: irp.mdl_address.byte_offset, None),
    "MdlAddress.StartVa": (PTR, lambda irp: irp.mdl_address.virtual_address
                           - irp.mdl_address.byte_offset, None),
}

#: Fields of a DEVICE_OBJECT / FILE_OBJECT driver code reads through a pointer variable.
_DEVICE_FIELDS: dict[str, tuple[CType, Callable[[Any], int], Any]] = {
    "StackSize": (CHAR, lambda d: d.stack_size, None),
    "Flags": (ULONG, lambda d: d.flags, None),
    "DeviceType": (ULONG, lambda d: d.device_type, None),
    "Characteristics": (ULONG, lambda d: d.characteristics, None),
    "ReferenceCount": (LONG, lambda d: d.reference_count, None),
    "DriverObject": (PTR, lambda d: d.kernel.objects.address_of(d.driver_object), None),
    "AttachedDevice": (PTR, lambda d: d.kernel.objects.address_of(d.attached_device), None),
    "NextDevice": (PTR, lambda d: d.kernel.objects.address_of(d.next_device), None),
    "Vpb": (PTR, lambda d: d.kernel.objects.address_of(d.vpb), None),
}
_FILE_FIELDS: dict[str, tuple[CType, Callable[[Any], int], Any]] = {
    "DeviceObject": (PTR, lambda fo: fo.kernel.objects.address_of(fo.device_object), None),
    "Flags": (ULONG, lambda fo: fo.flags, None),
    "FinalStatus": (LONG, lambda fo: LONG.wrap(fo.final_status), None),
    "CurrentByteOffset.QuadPart": (LONGLONG, lambda fo: fo.current_byte_offset, None),
}
_DRIVER_FIELDS: dict[str, tuple[CType, Callable[[Any], int], Any]] = {
    "DeviceObject": (PTR, lambda d: d.kernel.objects.address_of(d.device_object), None),
    "Flags": (ULONG, lambda d: d.flags, None),
    "DriverStart": (PTR, lambda d: d.driver_start, None),
    "DriverSize": (ULONG, lambda d: d.driver_size, None),
    "Type": (TYPES["SHORT"], lambda d: d.type, None),
}
#: The UNICODE_STRINGs of a DRIVER_OBJECT, as %wZ prints them.
_DRIVER_TEXT: dict[str, Callable[[Any], str]] = {
    "DriverName": lambda d: d.name,
    "HardwareDatabase": lambda d: d.hardware_database,
    "DriverExtension.ServiceKeyName": lambda d: d.service_key_name,
}
#: Text a log prints through a pointer variable: pDevice->... (the object header's name,
#: "" when the device is unnamed, as OBJECT_HEADER_NAME_INFO is absent) and pDriver->...
_POINTER_TEXT: dict[str, tuple[str, dict[str, Callable[[Any], str]]]] = {
    "PDEVICE_OBJECT": ("DeviceObject", {
        "ObjectName": lambda d: d.name or "",
        "DriverObject.DriverName": lambda d: d.driver_object.name}),
    "PDRIVER_OBJECT": ("DriverObject", {"ObjectName": lambda d: d.name, **_DRIVER_TEXT}),
}
#: Names every routine has: its driver's DRIVER_OBJECT (DriverEntry's and DriverUnload's
#: parameter; a global in book drivers that keep it) and the device it runs for.
BUILTIN_POINTERS: dict[str, tuple[str, dict, Callable[[Any], Any]]] = {
    "DriverObject": ("DriverObject", _DRIVER_FIELDS, lambda f: f.model.driver),
    "DeviceObject": ("DeviceObject", _DEVICE_FIELDS, lambda f: f.device),
    # AddDevice's second parameter
    "PhysicalDeviceObject": ("DeviceObject", _DEVICE_FIELDS,
                             lambda f: f.context if type(f.context).__name__ == "DeviceObject"
                             else None),
}
#: PVOID parameters of a routine that point at no object of the model, by name: the
#: value the role's wrapper put in the frame (NULL in routines of other roles), e.g. a
#: DRIVER_NOTIFICATION_CALLBACK_ROUTINE's NotificationStructure (pnp-hardware §3.3).
ROUTINE_ARGUMENTS = ("NotificationStructure",)


def argument_key(name: str) -> str:
    """Where a role wrapper keeps a ROUTINE_ARGUMENTS value in ``Frame.vars`` (a key no
    declared local can have)."""
    return f"({name})"


#: pointer type -> (the model class name it points at, its fields)
_POINTEE = {"PIRP": ("Irp", _IRP_FIELDS), "PDEVICE_OBJECT": ("DeviceObject", _DEVICE_FIELDS),
            "PFILE_OBJECT": ("FileObject", _FILE_FIELDS),
            "PDRIVER_OBJECT": ("DriverObject", _DRIVER_FIELDS)}


def deref(f: Any, address: int, kind: str) -> Any:
    """The object a pointer of driver code points at; a NULL or wild pointer, or one to
    another kind of object, is the access violation the CPU raises."""
    obj = f.kernel.objects.at(address)
    if obj is None or type(obj).__name__ != kind:
        fault(f, address, False)
    return obj


_STACK_FIELDS: dict[str, tuple[CType, Callable[[Any], int], Any]] = {
    "MajorFunction": (UCHAR, lambda f: f.stack.major_function, None),
    "MinorFunction": (UCHAR, lambda f: f.stack.minor_function, None),
    "Flags": (UCHAR, lambda f: f.stack.flags, None),
    "Control": (UCHAR, lambda f: f.stack.control, None),
    "Parameters.DeviceIoControl.IoControlCode": (ULONG, lambda f: _p(f).io_control_code, None),
    "Parameters.DeviceIoControl.InputBufferLength":
        (ULONG, lambda f: _p(f).input_buffer_length, None),
    "Parameters.DeviceIoControl.OutputBufferLength":
        (ULONG, lambda f: _p(f).output_buffer_length, None),
    "Parameters.DeviceIoControl.Type3InputBuffer":
        (PTR, lambda f: _addr(_p(f).type3_input_buffer), None),
    "Parameters.QueryFile.Length": (ULONG, lambda f: _p(f).length, None),
    "Parameters.QueryFile.FileInformationClass":
        (ULONG, lambda f: _p(f).file_information_class, None),
    "Parameters.SetFile.Length": (ULONG, lambda f: _p(f).length, None),
    "Parameters.SetFile.FileInformationClass":
        (ULONG, lambda f: _p(f).file_information_class, None),
    "Parameters.QueryVolume.Length": (ULONG, lambda f: _p(f).length, None),
    "Parameters.QueryVolume.FsInformationClass":
        (ULONG, lambda f: (_p(f).other or {}).get("FsInformationClass", 0), None),
    # IRP_MN_START_DEVICE's CM_RESOURCE_LISTs, NULL without resources (pnp-hardware §2.5)
    "Parameters.StartDevice.AllocatedResources":
        (PTR, lambda f: _other(f, "AllocatedResources"), None),
    "Parameters.StartDevice.AllocatedResourcesTranslated":
        (PTR, lambda f: _other(f, "AllocatedResourcesTranslated"), None),
    "Parameters.FilterResourceRequirements.IoResourceRequirementList":
        (PTR, lambda f: _other(f, "IoResourceRequirementList"), None),
}
for _major in ("Read", "Write"):
    _STACK_FIELDS[f"Parameters.{_major}.Length"] = (ULONG, lambda f: _p(f).length, None)
    _STACK_FIELDS[f"Parameters.{_major}.Key"] = (ULONG, lambda f: _p(f).key, None)
    _STACK_FIELDS[f"Parameters.{_major}.ByteOffset"] = (
        LONGLONG, lambda f: _p(f).byte_offset, None)
    _STACK_FIELDS[f"Parameters.{_major}.ByteOffset.QuadPart"] = (
        LONGLONG, lambda f: _p(f).byte_offset, None)
# IRP_MJ_SCSI's PSCSI_REQUEST_BLOCK overlays Others.Argument1 (stacks-services 3.2)
for _name in ("Parameters.Scsi.Srb", "Parameters.Others.Argument1"):
    _STACK_FIELDS[_name] = (PTR, lambda f: _other(f, "Argument1"), None)

#: The spellings of the IRP and its current stack location that driver code uses.
IRP_NAMES = ("Irp", "pIrp")
STACK_NAMES = ("stack", "IrpSp", "irpSp")

#: ``log`` fields kept from the first version of the language (and their kinds).
LOG_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "major": ("str", lambda f: IRP_MJ(f.stack.major_function).name),
    "minor": ("int", lambda f: f.stack.minor_function),
    "length": ("int", lambda f: _p(f).length),
    "offset": ("int", lambda f: _p(f).byte_offset),
    "input_length": ("int", lambda f: _p(f).input_buffer_length),
    "output_length": ("int", lambda f: _p(f).output_buffer_length),
    "code": ("int", lambda f: _p(f).io_control_code),
    "status": ("str", lambda f: _status_name(f.irp.io_status.status)),
    "information": ("int", lambda f: f.irp.io_status.information),
    "pending_returned": ("str", lambda f: "TRUE" if f.irp.pending_returned else "FALSE"),
    "irql": ("str", lambda f: irql_name(f.kernel.cpu.irql)),
    "user_buffer": ("int", lambda f: _addr(f.irp.user_buffer)),
    "system_buffer": ("int", lambda f: _addr(f.irp.system_buffer)),
    "type3_input": ("int", lambda f: _addr(_p(f).type3_input_buffer)),
    "mdl_va": ("int", lambda f: _mdl(f).virtual_address),
    "mdl_count": ("int", lambda f: _mdl(f).byte_count),
    "mdl_offset": ("int", lambda f: _mdl(f).byte_offset),
    "system_address": ("int", lambda f: mm_get_system_address_for_mdl_safe(
        f.kernel, _mdl(f)).address),
    "device": ("str", lambda f: f.device.label if f.device else ""),
    "driver": ("str", lambda f: f.model.name),
    "process": ("str", lambda f: f.kernel.current_thread.process),
    "thread": ("str", lambda f: f.kernel.current_thread.name),
    "irp": ("int", lambda f: f.irp.id),
    # a PnP IRP's minor as wdm.h names it ("" for the unused 0x0E, as the book's table)
    "minor_name": ("str", lambda f: _minor_name(f.stack.minor_function)),
}


def _minor_name(minor: int) -> str:
    try:
        return IRP_MN(minor).name
    except ValueError:
        return ""


def _status_name(status: int) -> str:
    try:
        return NTSTATUS(status).name
    except ValueError:
        return f"0x{status:08X}"


def _mdl(f: Any) -> Any:
    mdl = f.irp.mdl_address
    if mdl is None:                    # MmGetMdl*(NULL): an access violation
        fault(f, 0, False)
    return mdl


def _path_text(ref: Ref) -> tuple[str, list[Any]]:
    """``a.b.c`` of a reference's field parts, and its index parts in order."""
    names = [cast(str, p.name) for p in ref.parts if p.kind == "field"]   # a field has one
    return ".".join(names), [p for p in ref.parts if p.kind == "index"]


def _member_path(ref: Ref, indexes: tuple[Compiled, ...]) -> list[Any]:
    """``p->List[0].PartialResourceList``'s member path: names, and constant indexes."""
    path: list[Any] = []
    for part in ref.parts:
        if part.kind == "field":
            path.append(part.name)
        else:
            if not indexes or indexes[0].constant is None:
                raise ExprError("an index inside a struct must be a constant", part.offset)
            path.append(indexes[0].constant)
            indexes = indexes[1:]
    return path


def _builtin_pointer(name: str, ref: Ref) -> tuple[CType, Any, Any]:
    """``DriverObject``, ``DeviceObject->NextDevice``: the routine's own objects."""
    kind, table, target = BUILTIN_POINTERS[name]
    if not ref.parts:
        return PTR, lambda f: f.kernel.objects.address_of(target(f)), None
    path, index_parts = _path_text(ref)
    if path not in table or index_parts:
        raise ExprError(f"{ref.text}: the model has no {kind} field {path!r}"
                        f"{did_you_mean(path, table)}", ref.offset)
    get = table[path][1]

    def read(f: Any) -> int:
        obj = target(f)
        if obj is None:                  # a routine that runs for no device
            fault(f, 0, False)
        return get(obj)
    return table[path][0], read, None


class DriverNames:
    """Resolves the names of one driver's expressions (see the module docstring)."""

    def __init__(self, constants: Mapping[str, int], state: Sequence[StateVar],
                 views: Mapping[str, View], structs: Mapping[str, Struct]) -> None:
        self.constants = constants
        self.state = {var.name: var for var in state}
        self.views = dict(views)
        self.structs = structs

    def all_names(self) -> list[str]:
        return [*self.state, *self.views, *IRP_NAMES, *STACK_NAMES, *BUILTIN_POINTERS,
                *ROUTINE_ARGUMENTS, *self.constants]

    # -- the expression Resolver protocol -----------------------------------------------
    def sizeof(self, name: str, offset: int) -> int:
        if name in self.structs:
            return self.structs[name].size
        raise ExprError(f"unknown type {name!r}{did_you_mean(name, self.structs)}", offset)

    def resolve(self, ref: Ref, indexes: tuple[Compiled, ...]) -> Binding:
        ctype, get, _ = self._access(ref, indexes)
        return Binding(ctype, get)

    def address(self, ref: Ref, indexes: tuple[Compiled, ...]) -> Binding:
        """``&p->List[0].PartialResourceList``: the address of a member of the struct a
        ``S*`` variable points at - computed, nothing read, so a NULL ``p`` gives the
        member's offset as C does (the fault comes when that pointer is used)."""
        var = self.state.get(ref.name)
        if var is None or var.type is None or not var.scalar \
                or not isinstance(var.type.pointee, Struct):
            raise ExprError(f"&{ref.text}: the model takes addresses of fields reached "
                            "through a struct pointer only (&p->Field)", ref.offset)
        path = _member_path(ref, indexes)
        try:
            offset = member_offset(var.type.pointee, path)
        except LayoutError as error:
            raise ExprError(f"&{ref.text}: {error.message}", ref.offset) from None
        home, name = self.store_of(var), var.name
        return Binding(PTR, lambda f: ((home(f)[name] & 0xFFFFFFFF) + offset) & 0xFFFFFFFF)

    def lvalue(self, text: str) -> tuple[CType, Callable[[Any, int], None]]:
        """The type and store function of an assignment target (``count``,
        ``keys[i].MakeCode``, ``Irp->IoStatus.Information``)."""
        node = parse(text)
        if not isinstance(node, Ref):
            raise ExprError("the target must be a variable, an element or a field", 0)
        indexes = tuple(compile_expr(cast(Node, p.index), self, text) for p in node.parts
                        if p.kind == "index")          # an index part has its expression
        ctype, _, store = self._access(node, indexes)
        if store is None:
            raise ExprError(f"{node.text} is read-only here", node.offset)
        return ctype, store

    def field(self, name: str) -> tuple[str, Callable[[Any], Any]] | str:
        """A log field: (kind, getter), or a message saying why it is unknown. A
        UNICODE_STRING variable is its text (``%wZ``), an ANSI_STRING too (``%Z``)."""
        if name in LOG_FIELDS and name not in self.state:
            return LOG_FIELDS[name]
        var = self.state.get(name)
        if (var is not None and var.type is not None and var.type.struct is not None
                and var.type.struct.name == "UNICODE_STRING" and var.type.count is None):
            return "str", _unicode_text(self.store_of(var), name)
        if (var is not None and var.type is not None and var.type.struct is not None
                and var.type.struct.name == "ANSI_STRING" and var.type.count is None):
            return "str", _ansi_text(self.store_of(var), name)     # %Z
        if (var is not None and var.type is not None and var.type.count is not None
                and var.type.struct is None and var.type.scalar_ctype.name in ("CHAR", "UCHAR")):
            return "str", _c_string(self.store_of(var), name)   # %s of a CHAR array
        if name == "RegistryPath" and name not in self.state:
            # DriverEntry's second parameter, the service key (pnp-hardware §1.2 step 3)
            return "str", lambda f: f.model.registry_path                     # %wZ
        if name.startswith("DriverObject.") and name[13:] in _DRIVER_TEXT \
                and "DriverObject" not in self.state:
            text = _DRIVER_TEXT[name[13:]]
            return "str", lambda f: text(f.model.driver)            # %wZ
        head = name.split(".")[0].split("[")[0]
        pointer = self.state.get(head)
        rest = name[len(head) + 1:]
        if pointer is not None and pointer.type is not None and pointer.scalar \
                and pointer.type.scalar_ctype.name in _POINTER_TEXT \
                and rest in _POINTER_TEXT[pointer.type.scalar_ctype.name][1]:
            # the name of the object a PDEVICE_OBJECT / PDRIVER_OBJECT points at (%wZ)
            kind, table = _POINTER_TEXT[pointer.type.scalar_ctype.name]
            text, home = table[rest], self.store_of(pointer)
            return "str", lambda f: text(deref(f, home(f)[head], kind))
        through = head in IRP_NAMES + STACK_NAMES + tuple(BUILTIN_POINTERS) \
            + ROUTINE_ARGUMENTS or (
            pointer is not None and pointer.type is not None and pointer.scalar
            and (pointer.type.pointee is not None or pointer.type.scalar_ctype.name in _POINTEE))
        try:
            # a log field is dotted: {Irp.IoStatus.Status}, {pData.number} for pData->number
            node = parse(name.replace(".", "->", 1) if through else name)
            if not isinstance(node, Ref):
                raise ExprError("not a name", 0)
            compiled = compile_expr(node, self, name)
        except ExprError as error:
            if head in self.state or head in self.views \
                    or head in IRP_NAMES + STACK_NAMES + ROUTINE_ARGUMENTS:
                return error.message           # a known name, a wrong field or index
            known = [*LOG_FIELDS, *self.state, *self.views]
            return f"unknown field {{{name}}}{did_you_mean(name, known)}"
        # "ptr": an integer that %s / %S may also print as the string it points at
        return ("ptr" if compiled.ctype.pointer else "int"), compiled.fn

    def memory(self, name: str) -> Callable[[Any], Any]:
        """The buffer a view or a memory variable names (for RtlCopyMemory)."""
        if name in self.views:
            which = self.views[name].buffer
            return lambda f: view_buffer(f, which)
        var = self.state.get(name)
        if var is not None and var.type is not None and not var.scalar:
            store, name = self.store_of(var), var.name
            return lambda f: store(f)[name]
        memory = [*self.views, *(v.name for v in self.state.values()
                                 if v.type is not None and not v.scalar)]
        raise ExprError(f"{name!r} is not a view or a memory variable"
                        f"{did_you_mean(name, memory)}", 0)

    @staticmethod
    def store_of(var: StateVar) -> Callable[[Any], dict]:
        """Where a variable lives in a run: the driver's globals, this call's frame
        (fresh for every call), or the extension of the device the routine runs for."""
        name = var.name
        if var.scope == "driver":
            return lambda f: f.model.globals

        if var.scope == "local":
            def frame(f: Any) -> dict:
                if name not in f.vars:
                    f.vars[name] = var.new_value(f.kernel)
                return f.vars
            return frame

        def extension(f: Any) -> dict:
            if f.device is None:
                    raise ScenarioRuntimeError(f"{name} is in the device extension, and this "
                                           "routine runs for no device")
            return f.device.device_extension["state"]
        return extension

    # -- resolution ---------------------------------------------------------------------
    def _access(self, ref: Ref, indexes: tuple[Compiled, ...]) -> tuple[CType, Any, Any]:
        name = ref.name
        if name in IRP_NAMES and not ref.parts:
            # The PIRP itself: its stand-in address (the IRP's id), NULL when there is none;
            # kept in the object table, so a PIRP variable holding it can be used later
            return PTR, lambda f: f.kernel.objects.address_of(f.irp), None
        if name in IRP_NAMES or name in STACK_NAMES:
            table = _IRP_FIELDS if name in IRP_NAMES else _STACK_FIELDS
            path, index_parts = _path_text(ref)
            if path not in table or index_parts:
                what = "IRP" if name in IRP_NAMES else "IO_STACK_LOCATION"
                raise ExprError(f"{ref.text}: the model has no {what} field {path!r}"
                                f"{did_you_mean(path, table)}", ref.offset)
            ctype, get, store = table[path]
            if table is _STACK_FIELDS:
                return ctype, _with_frame_irp(get), None
            return ctype, _with_irp(get), None if store is None else _with_irp_store(store)
        if name in self.state:
            return self._state(self.state[name], ref, indexes)
        if name in BUILTIN_POINTERS:
            return _builtin_pointer(name, ref)
        if name in ROUTINE_ARGUMENTS:
            if ref.parts:
                raise ExprError(f"{name} is a PVOID: copy it into a pointer variable of "
                                "its type (a 'DEVICE_INTERFACE_CHANGE_NOTIFICATION*' local) "
                                "and read the fields through that", ref.offset)
            key = argument_key(name)
            return PTR, lambda f: f.vars.get(key, 0), None
        if name in self.views:
            view = self.views[name]
            buffer = view.buffer
            return self._memory(view.element, ref, indexes, lambda f: view_buffer(f, buffer),
                                array=True)
        if name in self.constants:
            if ref.parts:
                raise ExprError(f"{name} is a constant: it has no fields", ref.offset)
            value = self.constants[name]
            ctype = LONG if LONG.min <= value <= LONG.max else (
                ULONG if 0 <= value <= ULONG.max else LONGLONG)
            wrapped = ctype.wrap(value)
            return ctype, lambda f: wrapped, None
        raise ExprError(f"unknown name {name!r}{did_you_mean(name, self.all_names())}",
                        ref.offset)

    def _state(self, var: StateVar, ref: Ref, indexes: tuple[Compiled, ...]
               ) -> tuple[CType, Any, Any]:
        name = var.name
        home = self.store_of(var)
        if var.type is None:
            raise ExprError(f"{name} is a {var.object}: use its blocks", ref.offset)
        if ref.parts and var.scalar and var.type.scalar_ctype.name in _POINTEE:
            return self._pointee(var, ref, home)
        if ref.parts and var.scalar and isinstance(var.type.pointee, Struct):
            return self._struct_pointee(var, ref, indexes, home)
        if ref.parts and var.scalar and isinstance(var.type.pointee, CType):
            return self._scalar_pointee(var, ref, indexes, home)
        if var.scalar:
            if ref.parts:
                raise ExprError(f"{name} is a {var.type.text}: it has no fields or elements",
                                ref.parts[0].offset)
            ctype = var.type.scalar_ctype

            def get(f: Any) -> int:
                return home(f)[name]

            def store(f: Any, value: int) -> None:
                home(f)[name] = ctype.wrap(value)
            return ctype, get, store
        return self._memory(var.type, ref, indexes, lambda f: home(f)[name],
                            array=var.type.count is not None)

    @staticmethod
    def _pointee(var: StateVar, ref: Ref, home: Callable[[Any], dict]
                 ) -> tuple[CType, Any, Any]:
        """``pNewIrp->UserEvent``, ``DeviceObject->StackSize``: a field of the kernel
        object a pointer variable points at."""
        kind, table = _POINTEE[var.spec.scalar_ctype.name]
        path, index_parts = _path_text(ref)
        if path not in table or index_parts:
            raise ExprError(f"{ref.text}: the model has no {kind} field {path!r}"
                            f"{did_you_mean(path, table)}", ref.offset)
        ctype, get, store = table[path]
        name = var.name

        def read(f: Any) -> int:
            return get(deref(f, home(f)[name], kind))

        def write(f: Any, value: int) -> None:
            store(deref(f, home(f)[name], kind), value)
        return ctype, read, None if store is None else write

    @staticmethod
    def _struct_pointee(var: StateVar, ref: Ref, indexes: tuple[Compiled, ...],
                        home: Callable[[Any], dict]) -> tuple[CType, Any, Any]:
        """``pData->number``: a field of the struct a ``S*`` variable points at, in the
        pool block the address falls in (a NULL or wild pointer faults)."""
        path = _member_path(ref, indexes)
        decay = _array_offset(var.spec.pointee, path)
        if decay is not None:
            # pvpi->Data, pbi->Name: an array member is its address (C's array-to-pointer
            # conversion), e.g. the variable-length tail of a KEY_*_INFORMATION
            pointer = var.name
            return PTR, lambda f: ((home(f)[pointer] & 0xFFFFFFFF) + decay) & 0xFFFFFFFF, None
        try:
            fref = resolve_path(var.spec.pointee, path)
        except LayoutError as error:
            raise ExprError(f"{ref.text}: {error.message}", ref.offset) from None
        name, size = var.name, fref.ctype.size

        def locate(f: Any, write: bool) -> tuple[Any, int]:
            address = (home(f)[name] & 0xFFFFFFFF) + fref.offset
            block = f.kernel.pool_blocks.containing(address)
            if block is None or address + size > block.buffer.address + block.size:
                fault(f, address, write)
            return block.buffer, address - block.buffer.address

        def get(f: Any) -> int:
            buffer, start = locate(f, False)
            return fref.decode(buffer.read(start, size))

        def store(f: Any, value: int) -> None:
            buffer, start = locate(f, True)
            buffer.write(fref.encode(buffer.read(start, size), value), start)
        return fref.ctype, get, store

    @staticmethod
    def _scalar_pointee(var: StateVar, ref: Ref, indexes: tuple[Compiled, ...],
                        home: Callable[[Any], dict]) -> tuple[CType, Any, Any]:
        """``pulValue[0]`` for ``ULONG* pulValue``: the element at pointer + i x size, in
        the pool block the address falls in (a NULL or wild pointer faults)."""
        if len(ref.parts) != 1 or ref.parts[0].kind != "index":
            raise ExprError(f"{ref.text}: {var.name} points at {var.spec.pointee.name} "
                            f"values: index it ({var.name}[0])", ref.offset)
        ctype, index, name = var.spec.pointee, indexes[0].fn, var.name

        def locate(f: Any, write: bool) -> tuple[Any, int]:
            address = ((home(f)[name] & 0xFFFFFFFF) + index(f) * ctype.size) & 0xFFFFFFFF
            block = f.kernel.pool_blocks.containing(address)
            if block is None or address + ctype.size > block.buffer.address + block.size:
                fault(f, address, write)
            return block.buffer, address - block.buffer.address

        def get(f: Any) -> int:
            buffer, start = locate(f, False)
            return ctype.wrap(int.from_bytes(buffer.read(start, ctype.size), "little"))

        def store(f: Any, value: int) -> None:
            buffer, start = locate(f, True)
            buffer.write((value & ((1 << 8 * ctype.size) - 1)).to_bytes(ctype.size, "little"),
                         start)
        return ctype, get, store

    def _memory(self, element: TypeSpec, ref: Ref, indexes: tuple[Compiled, ...],
                base: Callable[[Any], Any], array: bool) -> tuple[CType, Any, Any]:
        """Access into typed memory: ``name[i].Field.Sub`` or ``name.Field``."""
        parts = list(ref.parts)
        index: Compiled | None = None
        if parts and parts[0].kind == "index":
            if not array:
                raise ExprError(f"{ref.name} is not an array", parts[0].offset)
            index = indexes[0]
            parts = parts[1:]
            indexes = indexes[1:]
        path: list[Any] = []
        for part in parts:
            if part.kind == "field":
                path.append(part.name)
            else:
                const = indexes[0].constant
                if const is None:
                    raise ExprError("an index inside a struct must be a constant",
                                    part.offset)
                path.append(const)
                indexes = indexes[1:]
        stride = element.struct.size if element.struct else element.scalar_ctype.size
        if element.struct is not None:
            if not path:
                raise ExprError(f"{ref.text} is a whole {element.struct.name}: name a field",
                                ref.offset)
            try:
                fref = resolve_path(element.struct, path)
            except LayoutError as error:
                raise ExprError(f"{ref.text}: {error.message}", ref.offset) from None
        else:
            if path:
                raise ExprError(f"{ref.name} holds {element.scalar_ctype.name} values: they "
                                "have no fields", ref.offset)
            fref = FieldRef(0, element.scalar_ctype, None, None, ref.name)
        size = fref.ctype.size
        offset = fref.offset
        index_fn = index.fn if index is not None else None
        text = ref.text

        def locate(f: Any, write: bool) -> tuple[Any, int]:
            buffer = base(f)
            start = offset + (index_fn(f) * stride if index_fn is not None else 0)
            if buffer is None:
                fault(f, start, write)
            if start < 0 or start + size > buffer.length:
                raise NotModelledError(
                    "a buffer overrun", f"{text} is bytes {start}..{start + size - 1} of a "
                    f"{buffer.length}-byte buffer at 0x{buffer.address:08X}: what lies "
                    "beyond it in pool is not modelled")
            return buffer, start

        def get(f: Any) -> int:
            buffer, start = locate(f, False)
            return fref.decode(buffer.read(start, size))

        def store(f: Any, value: int) -> None:
            buffer, start = locate(f, True)
            buffer.write(fref.encode(buffer.read(start, size), value), start)
        return fref.ctype, get, store


def member_offset(struct: Struct, path: Sequence[Any]) -> int:
    """The byte offset of any member ``path`` names (a scalar, a nested struct, an
    array or one element of it): names select members, ints index arrays.

    Raises:
        LayoutError: unknown member, an index out of range or on a non-array.
    """
    current: Struct | None
    offset, current, member = 0, struct, None
    for step in path:
        if isinstance(step, int):
            if member is None or member.count is None:
                raise LayoutError(f"{member.name if member else struct.name} is not an "
                                  f"array: cannot index it with {step}")
            if not 0 <= step < member.count:
                raise LayoutError(f"index {step} out of range for {member.name} "
                                  f"(0..{member.count - 1})")
            offset += step * member.element_size
            current = member.struct
            member = None
            continue
        if current is None:
            raise LayoutError(f"{member.name if member else struct.name} is a scalar: it "
                              f"has no field {step!r}")
        if member is not None and member.count is not None:
            raise LayoutError(f"{member.name} is an array of {member.count}: add an index "
                              f"0..{member.count - 1}")
        member = current.member(step)
        offset += member.offset
        current = member.struct
    return offset


def _array_offset(struct: Struct, path: Sequence[Any]) -> int | None:
    """The offset of the array member ``path`` names whole (``Data`` of ``pvpi->Data``,
    ``List[0].PartialResourceList.PartialDescriptors``), or None when it names
    something else."""
    current: Struct | None
    offset, current, k = 0, struct, 0
    while k < len(path):
        step = path[k]
        if not isinstance(step, str) or current is None:
            return None
        try:
            member = current.member(step)
        except LayoutError:
            return None
        offset += member.offset
        k += 1
        if k == len(path):
            return offset if member.count is not None else None
        if member.count is not None:            # an element of an array inside: List[0]
            index = path[k]
            if not isinstance(index, int) or not 0 <= index < member.count:
                return None
            offset += index * member.element_size
            k += 1
        current = member.struct
    return None


def _unicode_text(home: Callable[[Any], dict], name: str) -> Callable[[Any], str]:
    """What %wZ prints for a UNICODE_STRING: Length bytes at Buffer, as UTF-16LE."""
    def text(f: Any) -> str:
        header = home(f)[name].read(0, 8)
        length = int.from_bytes(header[0:2], "little")
        address = int.from_bytes(header[4:8], "little")
        if length == 0:
            return ""
        memory = f.kernel.objects.at(address)
        if isinstance(memory, Buffer) and length <= memory.length:
            return memory.read(0, length).decode("utf-16-le", "replace")
        # or into a pool block, as a KEY_BASIC_INFORMATION's Name (stacks-services 4.21)
        return _pool_bytes(f, address, length).decode("utf-16-le", "replace")
    return text


def _pool_bytes(f: Any, address: int, length: int) -> bytes:
    """``length`` bytes at an address inside a pool block; a wild pointer faults."""
    block = f.kernel.pool_blocks.containing(address)
    if block is None or address + length > block.buffer.address + block.size:
        fault(f, address, False)          # Buffer is garbage: DbgPrint reads it
    return block.buffer.read(address - block.buffer.address, length)


def pointer_text(f: Any, address: int, wide: bool) -> str:
    """What %S / %ws (``wide``) or %s print for a pointer: the characters up to the
    NUL, read from the pool block or the registered buffer the address points into (a
    NULL pointer prints ``(null)``, stacks-services 4.16; no NUL before the end of the
    memory is an overrun, not modelled)."""
    if address == 0:
        return "(null)"
    block = f.kernel.pool_blocks.containing(address)
    memory = f.kernel.objects.at(address)
    irp = getattr(f, "irp", None)
    # or one of the buffers of the IRP the routine runs for (a METHOD_BUFFERED input)
    inside = [b for b in ((irp.system_buffer, irp.user_buffer) if irp is not None else ())
              if isinstance(b, Buffer) and b.address <= address < b.address + b.length]
    if block is not None:
        data = block.buffer.read(address - block.buffer.address)[:block.size - (
            address - block.buffer.address)]
    elif isinstance(memory, Buffer):
        data = memory.read(0)
    elif inside:
        data = inside[0].read(address - inside[0].address)
    else:
        fault(f, address, False)
    unit = 2 if wide else 1
    for end in range(0, len(data) - unit + 1, unit):
        if data[end:end + unit] == bytes(unit):
            text = data[:end]
            return text.decode("utf-16-le", "replace") if wide else text.decode("latin-1")
    raise NotModelledError("DbgPrint", f"the string at 0x{address:08X} has no NUL before "
                           "the end of its memory: what follows it is not modelled")


def counted_text(f: Any, address: int, wide: bool) -> str:
    """What %wZ (``wide``) or %Z print for a PUNICODE_STRING / PANSI_STRING argument:
    Length bytes at the Buffer of the counted string at ``address``, read from the
    pool block or registered buffer it lies in; NULL prints ``(null)`` (stacks-services
    4.16); a wild pointer faults as DbgPrint's read does."""
    if address == 0:
        return "(null)"
    memory = f.kernel.objects.at(address)
    header = (memory.read(0, 8) if isinstance(memory, Buffer) and memory.length >= 8
              else _pool_bytes(f, address, 8))
    length = int.from_bytes(header[0:2], "little")
    buffer = int.from_bytes(header[4:8], "little")
    if length == 0:
        return ""
    memory = f.kernel.objects.at(buffer)
    data = (memory.read(0, length) if isinstance(memory, Buffer) and length <= memory.length
            else _pool_bytes(f, buffer, length))
    return data.decode("utf-16-le", "replace") if wide else ansi_decode(data)


def _ansi_text(home: Callable[[Any], dict], name: str) -> Callable[[Any], str]:
    """What %Z prints for an ANSI_STRING: Length bytes at Buffer, in the ANSI code page."""
    def text(f: Any) -> str:
        header = home(f)[name].read(0, 8)
        length = int.from_bytes(header[0:2], "little")
        address = int.from_bytes(header[4:8], "little")
        if length == 0:
            return ""
        memory = f.kernel.objects.at(address)
        if not isinstance(memory, Buffer) or length > memory.length:
            fault(f, address, False)          # Buffer is garbage: DbgPrint reads it
        return ansi_decode(memory.read(0, length))
    return text


def _c_string(home: Callable[[Any], dict], name: str) -> Callable[[Any], str]:
    """What %s prints for a CHAR array: its bytes up to the first NUL."""
    def text(f: Any) -> str:
        data = home(f)[name].read()
        return data.split(b"\0", 1)[0].decode("latin-1")
    return text


def _with_irp(get: Callable[[Any], int]) -> Callable[[Any], int]:
    def checked(f: Any) -> int:
        irp = f.irp
        if irp is None:          # e.g. a DPC whose driver stored no IRP: a NULL pointer
            fault(f, 0, False)
        return get(irp)
    return checked


def _with_frame_irp(get: Callable[[Any], int]) -> Callable[[Any], int]:
    def checked(f: Any) -> int:
        if f.irp is None:
            fault(f, 0, False)
        return get(f)
    return checked


def _with_irp_store(store: Callable[[Any, int], None]) -> Callable[[Any, int], None]:
    def checked(f: Any, value: int) -> None:
        if f.irp is None:
            fault(f, 0, True)
        store(f.irp, value)
    return checked
