"""Blocks for a driver that calls another driver (book chapters 11 and 21).

Each block is one WDK call, written as the C driver writes it: handles, file and device
object pointers and IRPs live in the driver's variables (``HANDLE``, ``PFILE_OBJECT``,
``PDEVICE_OBJECT``, ``PIRP`` locals or state), events in ``KEVENT`` variables and
I/O status blocks in ``IO_STATUS_BLOCK`` ones. A pointer that names nothing (NULL, never
set, a handle passed as a pointer) faults as the CPU would. Results go where the C code
assigns them: ``status:`` is ``ntStatus = ZwX(...)``.

The routines are in ``harness.kernel`` (io/zw.py, io/build.py); the rules in
stacks-services-semantics.md §1.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, overload

from ..kernel import (IRP_MJ, NTSTATUS, FileObject, IoStatusBlock,
                      io_allocate_irp, io_build_asynchronous_fsd_request,
                      io_build_device_io_control_request, io_build_synchronous_fsd_request,
                      io_call_driver, io_cancel_irp, io_complete_request, io_free_irp,
                      io_get_base_file_system_device_object, io_get_device_object_pointer,
                      io_get_next_irp_stack_location, io_make_associated_irp,
                      io_reuse_irp, io_set_completion_routine, ob_dereference_object_deferred,
                      ob_dereference_object_inline, ob_reference_object_by_handle,
                      ob_reference_object_by_name, zw_close, zw_create_file,
                      zw_device_io_control_file, zw_open_file, zw_open_symbolic_link_object,
                      zw_query_symbolic_link_object, zw_read_file)
from ..kernel import OBJ_KERNEL_HANDLE, PASSIVE_LEVEL, NotificationEvent, SynchronizationEvent
from ..kernel import DeviceObject, NotModelledError, ob_dereference_device
from ..kernel import status_name
from .actions import EXPR, ROUTINE_REF, event_ref
from .registry import block
from .runtime import Frame
from .state import counted_text, deref, fault, pointer_text

LVALUE = {"type": "string", "minLength": 1, "maxLength": 200,
          "description": "where the result goes: a variable, an element or a field"}
NAME = {"$ref": "#/$defs/identifier"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 260}
FLAGS = dict(EXPR, description="an expression, e.g. FILE_READ_ATTRIBUTES | SYNCHRONIZE")

OBJECT_TYPES = {"IoFileObjectType": "FileObject", "ExEventObjectType": "KEvent",
                "IoDriverObjectType": "DriverObject", "IoDeviceObjectType": "DeviceObject",
                "PsThreadType": "KThread", "PsProcessType": "EProcess"}
#: The model's names of the OBJECT_TYPEs (ob/handle.object_type_name).
_OB_TYPE_NAMES = {"FileObject": "File", "KEvent": "Event", "DriverObject": "Driver",
                  "DeviceObject": "Device", "KThread": "Thread", "EProcess": "Process"}


class IosbView:
    """An IO_STATUS_BLOCK variable as the kernel writes it: Status and Information go
    into the variable's 8 bytes (x86 layout)."""

    __slots__ = ("buffer",)

    def __init__(self, buffer: Any) -> None:
        self.buffer = buffer

    @property
    def status(self) -> int:
        return int.from_bytes(self.buffer.read(0, 4), "little")

    @status.setter
    def status(self, value: int) -> None:
        self.buffer.write((value & 0xFFFFFFFF).to_bytes(4, "little"), 0)

    @property
    def information(self) -> int:
        return int.from_bytes(self.buffer.read(4, 4), "little")

    @information.setter
    def information(self, value: int) -> None:
        self.buffer.write((value & 0xFFFFFFFF).to_bytes(4, "little"), 4)


# -- compile helpers ---------------------------------------------------------------------

def _out(cc: Any, params: dict, key: str, path: list) -> Callable[[Frame, int], None]:
    """The store of an optional result lvalue (a no-op when the C code ignores it)."""
    if key not in params:
        return lambda f, value: None
    target = cc.lvalue(params[key], path + [key])
    if target is None:
        return lambda f, value: None
    return target[1]


@overload
def _value(cc: Any, params: dict, key: str, path: list, default: int = 0
           ) -> Callable[[Frame], int]: ...


@overload
def _value(cc: Any, params: dict, key: str, path: list, default: None
           ) -> Callable[[Frame], int | None]: ...


def _value(cc: Any, params: dict, key: str, path: list, default: int | None = 0
           ) -> Callable[[Frame], int | None]:
    if key not in params:
        return lambda f: default
    compiled = cc.expr(params[key], path + [key])
    return compiled.fn


def _pointer(cc: Any, params: dict, key: str, path: list, kind: str
             ) -> Callable[[Frame], Any]:
    """An expression whose value must point at a ``kind`` object (else it faults)."""
    compiled = cc.expr(params[key], path + [key])
    return lambda f: deref(f, compiled.fn(f), kind)


def _struct_var(cc: Any, name: str, struct: str, path: list) -> Callable[[Frame], Any]:
    """The memory of a variable declared as ``struct`` (IO_STATUS_BLOCK, UNICODE_STRING)."""
    var = cc.source.names.state.get(name)
    if var is None or var.type is None or var.type.struct is None \
            or var.type.struct.name != struct or var.type.count is not None:
        cc.report(path, f"{name!r} must be a variable declared as {struct}")
        return lambda f: None
    return cc.memory(name, path)


def _iosb(cc: Any, params: dict, key: str, path: list) -> Callable[[Frame], Any]:
    if key not in params:
        return lambda f: None
    memory = _struct_var(cc, params[key], "IO_STATUS_BLOCK", path + [key])
    return lambda f: IosbView(memory(f))


def _buffer(cc: Any, params: dict, key: str, path: list) -> Callable[[Frame], Any]:
    """A memory variable or view; or a pointer variable (a PUCHAR from ExAllocatePool):
    the pool memory it points at. NULL is None; a wild pointer faults."""
    if key not in params:
        return lambda f: None          # NULL
    var = cc.source.names.state.get(params[key])
    if var is not None and var.scalar:
        value = cc.expr(params[key], path + [key]).fn
        return lambda f: _pointed(f, value(f) & 0xFFFFFFFF)
    return cc.memory(params[key], path + [key])


def _pointed(f: Frame, address: int) -> Any:
    if address == 0:
        return None
    block = f.kernel.pool_blocks.containing(address)
    if block is None:
        fault(f, address, False)       # the service touches it: an access violation
    start = address - block.buffer.address
    return block.buffer.view(address, start)


def _event(cc: Any, params: dict, key: str, path: list) -> Callable[[Frame], Any]:
    if key not in params:
        return lambda f: None
    return event_ref(cc, params[key], "produce", path + [key])


def _major(cc: Any, params: dict, path: list, default: str | None = None) -> int:
    name: Any = params.get("major", default)
    if name not in IRP_MJ.__members__:
        cc.report(path + ["major"], f"unknown major function {name!r}")
        return 0
    return IRP_MJ[name]


def _object_type(cc: Any, params: dict, path: list) -> str:
    name = params.get("type", "IoFileObjectType")
    if name not in OBJECT_TYPES:
        cc.report(path + ["type"], f"unknown object type {name!r}: one of "
                  f"{', '.join(OBJECT_TYPES)}")
        return "File"
    return _OB_TYPE_NAMES[OBJECT_TYPES[name]]


def _report(f: Frame, api: str, args: dict) -> None:
    f.kernel.hooks.service_call(api, args)


def _returned(f: Frame, api: str, status: int, **more: Any) -> None:
    f.kernel.hooks.service_return(api, {"status": status, **more})


def _address(f: Frame, obj: Any) -> int:
    return f.kernel.objects.address_of(obj)


# -- opening and closing ---------------------------------------------------------------------

#: ObjectAttributes' ObjectName: a literal, or a PUNICODE_STRING the code has (the
#: SymbolicLinkName of a PnP notification, pnp-hardware §3.3)
OBJECT_NAME = {"anyOf": [TEXT, {
    "type": "object", "required": ["unicode_string"], "additionalProperties": False,
    "properties": {"unicode_string": dict(EXPR, description=(
        "a PUNICODE_STRING expression: the counted string it points at, e.g. "
        "pNotify->SymbolicLinkName"))}}]}


def _object_name(cc: Any, value: Any, path: list) -> Callable[[Frame], str]:
    """The name an OBJECT_NAME parameter gives, read when the step runs."""
    if isinstance(value, str):
        return lambda f: value
    pointer = cc.expr(value["unicode_string"], path + ["unicode_string"]).fn
    where = cc.where(path)

    def name(f: Frame) -> str:
        address = pointer(f) & 0xFFFFFFFF
        if address == 0:
            raise NotModelledError("InitializeObjectAttributes", f"{where}: ObjectName is "
                                   "NULL: an open without a name (relative to a "
                                   "RootDirectory handle) is not modelled")
        return counted_text(f, address, True)
    return name


_OPEN_PROPS = {"name": OBJECT_NAME, "access": FLAGS, "share": FLAGS, "options": FLAGS,
               "attributes": FLAGS, "handle": LVALUE, "status": LVALUE, "iosb": NAME}
_FILE_ATTRIBUTES = dict(EXPR, description="FileAttributes of a file it creates, e.g. "
                        "FILE_ATTRIBUTE_NORMAL")


def _open(api: str, with_disposition: bool) -> Any:
    props = dict(_OPEN_PROPS)
    if with_disposition:
        props["disposition"] = EXPR
        props["file_attributes"] = _FILE_ATTRIBUTES

    def compile_(params: dict, cc: Any, path: list) -> Any:
        name_of = _object_name(cc, params["name"], path + ["name"])
        access = _value(cc, params, "access", path)
        share = _value(cc, params, "share", path)
        options = _value(cc, params, "options", path)
        attributes = _value(cc, params, "attributes", path)
        disposition = (_value(cc, params, "disposition", path, 1) if with_disposition
                       else (lambda f: 1))
        file_attributes = _value(cc, params, "file_attributes", path)
        handle_out = _out(cc, params, "handle", path)
        status_out = _out(cc, params, "status", path)
        iosb = _iosb(cc, params, "iosb", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            block_ = iosb(f) or IoStatusBlock()
            name = name_of(f)
            kernel_handle = bool(attributes(f) & OBJ_KERNEL_HANDLE)
            _report(f, api, {"name": name, "access": access(f), "share": share(f),
                             "options": options(f),
                             **({"disposition": disposition(f)} if with_disposition else {})})
            if with_disposition:
                status, handle = yield from zw_create_file(
                    f.kernel, name, access(f), block_, share(f), disposition(f), options(f),
                    kernel_handle, file_attributes=file_attributes(f))
            else:
                status, handle = yield from zw_open_file(
                    f.kernel, name, access(f), block_, share(f), options(f), kernel_handle)
            if handle:
                handle_out(f, handle)      # on failure *FileHandle is not written
            status_out(f, status)
            _returned(f, api, status, handle=handle, information=block_.information)
        return step
    return compile_, props


for _api, _with in (("ZwCreateFile", True), ("ZwOpenFile", False)):
    _compile, _props = _open(_api, _with)
    block("zw_create_file" if _with else "zw_open_file",
          summary=f"{_api}(&handle, access, name, &iosb, ...) on a device or link name "
          "(\\Device\\X, \\??\\X) or a file on C: (\\??\\C:\\1.log: the file system "
          "applies the disposition and share access, Information says what it did). "
          "FILE_SYNCHRONOUS_IO_NONALERT in options makes the file "
          "object synchronous; OBJ_KERNEL_HANDLE in attributes a kernel handle.",
          params={"type": "object", "required": ["name", "handle"],
                  "additionalProperties": False, "properties": _props},
          max_irql="PASSIVE_LEVEL", models=(_api,))(_compile)


@block("zw_close", summary="ZwClose(handle): the last handle of a file sends IRP_MJ_CLEANUP, "
       "the last reference IRP_MJ_CLOSE. A value that is no handle returns "
       "STATUS_INVALID_HANDLE (bug check 0x93 under Driver Verifier).",
       params={"anyOf": [EXPR, {"type": "object", "required": ["handle"],
                                "additionalProperties": False,
                                "properties": {"handle": EXPR, "status": LVALUE}}]},
       max_irql="PASSIVE_LEVEL", models=("ZwClose",))
def _zw_close(params: Any, cc: Any, path: list) -> Any:
    params = params if isinstance(params, dict) else {"handle": params}
    handle = _value(cc, params, "handle", path)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = handle(f) & 0xFFFFFFFF
        _report(f, "ZwClose", {"handle": value})
        status = yield from zw_close(f.kernel, value)
        status_out(f, status)
        _returned(f, "ZwClose", status, handle=value)
    return step


# -- reading, writing, device control ------------------------------------------------------

_IO_PROPS = {"handle": EXPR, "event": NAME, "apc": ROUTINE_REF, "apc_context": NAME,
             "iosb": NAME, "buffer": NAME, "length": EXPR,
             "offset": dict(EXPR, description="ByteOffset.QuadPart; omitted: NULL. -1 is "
                            "{FILE_WRITE_TO_END_OF_FILE, -1} (append), -2 "
                            "{FILE_USE_FILE_POINTER_POSITION, -1}"),
             "status": LVALUE}


def _apc(cc: Any, params: dict, path: list) -> tuple[Any, Callable[[Frame], Any]]:
    routine = None
    if "apc" in params:
        routine = cc.routine(params["apc"], "apc", f"{cc.name}.apc", path + ["apc"])
    context = (event_ref(cc, params["apc_context"], "produce", path + ["apc_context"])
               if "apc_context" in params else (lambda f: None))
    return routine, context


def _read_write(api: str, write: bool) -> Any:
    def compile_(params: dict, cc: Any, path: list) -> Any:
        handle = _value(cc, params, "handle", path)
        event = _event(cc, params, "event", path)
        routine, context = _apc(cc, params, path)
        iosb = _iosb(cc, params, "iosb", path)
        buffer = _buffer(cc, params, "buffer", path)
        length = _value(cc, params, "length", path)
        offset = _value(cc, params, "offset", path, None)    # omitted: a NULL ByteOffset
        status_out = _out(cc, params, "status", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            value = handle(f) & 0xFFFFFFFF
            block_ = iosb(f)
            where = offset(f)
            _report(f, api, {"handle": value, "length": length(f),
                             **({} if where is None else {"offset": where})})
            apc = routine.bind(f.model) if routine is not None else None
            status = yield from zw_read_file(f.kernel, value, event(f), apc, context(f),
                                             block_, buffer(f), length(f), where, write)
            status_out(f, status)
            more = {} if block_ is None or status == NTSTATUS.STATUS_PENDING else {
                "iosb": {"status": status_name(block_.status),
                         "information": block_.information}}
            _returned(f, api, status, handle=value, **more)
        return step
    return compile_


for _api, _write in (("ZwReadFile", False), ("ZwWriteFile", True)):
    block("zw_write_file" if _write else "zw_read_file",
          summary=f"{_api}(handle, event, apc, apc_context, &iosb, buffer, length, &offset): "
          "a synchronous handle waits for a pended IRP; an asynchronous one returns "
          "STATUS_PENDING and needs an offset (omitted = NULL ByteOffset). buffer is a "
          "memory variable or a pointer variable (pool). On a file: STATUS_END_OF_FILE at "
          "the end, short reads, writes extend it; a synchronous handle moves the file "
          "pointer.",
          params={"type": "object", "required": ["handle"], "additionalProperties": False,
                  "properties": _IO_PROPS},
          max_irql="PASSIVE_LEVEL", models=(_api,))(_read_write(_api, _write))


@block("zw_device_io_control_file", summary="ZwDeviceIoControlFile(handle, event, apc, "
       "apc_context, &iosb, code, input, input_length, output, output_length).",
       params={"type": "object", "required": ["handle", "code"], "additionalProperties": False,
               "properties": {"handle": EXPR, "event": NAME, "apc": ROUTINE_REF,
                              "apc_context": NAME, "iosb": NAME, "code": EXPR, "input": NAME,
                              "input_length": EXPR, "output": NAME, "output_length": EXPR,
                              "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwDeviceIoControlFile",))
def _zw_ioctl(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    event = _event(cc, params, "event", path)
    routine, context = _apc(cc, params, path)
    iosb = _iosb(cc, params, "iosb", path)
    code = _value(cc, params, "code", path)
    inbuf, outbuf = _buffer(cc, params, "input", path), _buffer(cc, params, "output", path)
    inlen, outlen = _value(cc, params, "input_length", path), _value(cc, params,
                                                                      "output_length", path)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = handle(f) & 0xFFFFFFFF
        _report(f, "ZwDeviceIoControlFile", {"handle": value, "code": code(f)})
        apc = routine.bind(f.model) if routine is not None else None
        status = yield from zw_device_io_control_file(
            f.kernel, value, event(f), apc, context(f), iosb(f), code(f), inbuf(f), inlen(f),
            outbuf(f), outlen(f))
        status_out(f, status)
        _returned(f, "ZwDeviceIoControlFile", status, handle=value)
    return step


# -- symbolic links --------------------------------------------------------------------------

@block("zw_open_symbolic_link_object", summary="ZwOpenSymbolicLinkObject(&handle, access, "
       "name): a handle to the link itself.",
       params={"type": "object", "required": ["name", "handle"], "additionalProperties": False,
               "properties": {"name": TEXT, "access": FLAGS, "attributes": FLAGS,
                              "handle": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwOpenSymbolicLinkObject",))
def _zw_open_link(params: dict, cc: Any, path: list) -> Any:
    name = params["name"]
    access = _value(cc, params, "access", path)
    attributes = _value(cc, params, "attributes", path)
    handle_out, status_out = _out(cc, params, "handle", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "ZwOpenSymbolicLinkObject", {"name": name})
        status, handle = zw_open_symbolic_link_object(
            f.kernel, name, access(f), bool(attributes(f) & OBJ_KERNEL_HANDLE))
        if handle:
            handle_out(f, handle)
        status_out(f, status)
        _returned(f, "ZwOpenSymbolicLinkObject", status, handle=handle)
        return None
        yield
    return step


@block("zw_query_symbolic_link_object", summary="ZwQuerySymbolicLinkObject(handle, &target, "
       "&returned_length): target is a UNICODE_STRING whose Buffer is the memory variable "
       "'buffer' (MaximumLength = its size); STATUS_BUFFER_TOO_SMALL leaves it untouched.",
       params={"type": "object", "required": ["handle", "target", "buffer"],
               "additionalProperties": False,
               "properties": {"handle": EXPR, "target": NAME, "buffer": NAME,
                              "returned_length": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwQuerySymbolicLinkObject",))
def _zw_query_link(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    target = _struct_var(cc, params["target"], "UNICODE_STRING", path + ["target"])
    buffer = cc.memory(params["buffer"], path + ["buffer"])
    want_length = "returned_length" in params
    length_out, status_out = (_out(cc, params, "returned_length", path),
                              _out(cc, params, "status", path))

    def step(f: Frame) -> Generator[Any, Any, None]:
        memory, string = buffer(f), target(f)
        # What the book's code does before the call: Buffer = ExAllocatePool(PagedPool,
        # size), MaximumLength = size. (Length is left as it was: garbage if never set.)
        f.kernel.objects.register(memory.address, memory)
        string.write(min(memory.length, 0xFFFF).to_bytes(2, "little"), 2)
        string.write(memory.address.to_bytes(4, "little"), 4)
        value = handle(f) & 0xFFFFFFFF
        _report(f, "ZwQuerySymbolicLinkObject", {"handle": value})
        status, text, returned = zw_query_symbolic_link_object(
            f.kernel, value, memory.length, want_length)
        if text is not None:
            data = text.encode("utf-16-le")
            memory.write(data[:memory.length])
            if len(data) + 2 <= memory.length:
                memory.write(b"\0\0", len(data))
            string.write(len(data).to_bytes(2, "little"), 0)
        if returned is not None:
            length_out(f, returned)
        status_out(f, status)
        _returned(f, "ZwQuerySymbolicLinkObject", status, handle=value, target=text)
        return None
        yield
    return step


# -- object pointers ---------------------------------------------------------------------------

@block("ob_reference_object_by_handle", summary="ObReferenceObjectByHandle(handle, access, "
       "*type, access_mode, &object, NULL) in the calling thread's process (sync-objects "
       "7.3): an unknown handle is STATUS_INVALID_HANDLE, another type "
       "STATUS_OBJECT_TYPE_MISMATCH; UserMode also rejects kernel handles and checks the "
       "access (STATUS_ACCESS_DENIED), KernelMode (the default) skips that check.",
       params={"type": "object", "required": ["handle", "object"], "additionalProperties": False,
               "properties": {"handle": EXPR, "access": FLAGS,
                              "type": {"enum": list(OBJECT_TYPES)},
                              "access_mode": {"enum": ["KernelMode", "UserMode"]},
                              "object": LVALUE, "status": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("ObReferenceObjectByHandle",))
def _ob_ref_by_handle(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    access = _value(cc, params, "access", path)
    kind = _object_type(cc, params, path)
    user_mode = params.get("access_mode") == "UserMode"
    object_out, status_out = _out(cc, params, "object", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = handle(f) & 0xFFFFFFFF
        status, obj = ob_reference_object_by_handle(f.kernel, value, kind, access(f),
                                                    user_mode)
        if obj is not None:
            object_out(f, _address(f, obj))
        status_out(f, status)
        _returned(f, "ObReferenceObjectByHandle", status, handle=value, type=kind)
        return None
        yield
    return step


@block("ob_reference_object_by_name", summary="ObReferenceObjectByName(name, ..., *type, "
       "KernelMode, NULL, &object): works for \\Driver\\X; a device name fails with "
       "STATUS_OBJECT_TYPE_MISMATCH.",
       params={"type": "object", "required": ["name", "object"], "additionalProperties": False,
               "properties": {"name": {"anyOf": [TEXT, {
                   "type": "object", "required": ["wide_string"], "additionalProperties": False,
                   "properties": {"wide_string": dict(EXPR, description=(
                       "a PCWSTR expression: the NUL-terminated name it points at, as "
                       "RtlInitUnicodeString(&name, p) makes it"))}}]},
                              "type": {"enum": list(OBJECT_TYPES)},
                              "object": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ObReferenceObjectByName",))
def _ob_ref_by_name(params: dict, cc: Any, path: list) -> Any:
    literal = params["name"] if isinstance(params["name"], str) else None
    pointer = None if literal is not None else cc.expr(params["name"]["wide_string"],
                                                       path + ["name", "wide_string"])
    kind = _object_type(cc, params, path)
    object_out, status_out = _out(cc, params, "object", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        name = literal if pointer is None else pointer_text(f, pointer.fn(f) & 0xFFFFFFFF,
                                                            True)
        assert name is not None      # a literal name, or the string the pointer names
        status, obj = ob_reference_object_by_name(f.kernel, name, kind)
        if obj is not None:
            object_out(f, _address(f, obj))
        status_out(f, status)
        _returned(f, "ObReferenceObjectByName", status, name=name)
        return None
        yield
    return step


@block("ob_dereference_object", summary="ObDereferenceObject(object): the last reference "
       "of a file object sends IRP_MJ_CLOSE (from a worker thread above PASSIVE_LEVEL).",
       params=EXPR, models=("ObDereferenceObject",))
def _ob_deref(params: Any, cc: Any, path: list) -> Any:
    pointer = cc.expr(params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        address = pointer.fn(f)
        obj = f.kernel.objects.at(address)
        if obj is None or isinstance(obj, (IosbView, bytes)) or type(obj).__name__ == "Buffer":
            deref(f, address, "FileObject")          # a wild pointer: faults
        if isinstance(obj, DeviceObject):
            # a pointer (IoGetLowerDeviceObject, ...), never an open (pnp-hardware §1.7)
            ob_dereference_device(obj)
            return
        if not hasattr(obj, "reference_count"):
            return       # threads, processes, events: their pointer counts are not tracked
        if not isinstance(obj, FileObject):
            obj.reference_count -= 1
        elif f.kernel.cpu.irql == PASSIVE_LEVEL and f.kernel.cpu.context != "apc":
            yield from ob_dereference_object_inline(obj)
        else:
            ob_dereference_object_deferred(obj)
    return step


@block("io_get_device_object_pointer", summary="IoGetDeviceObjectPointer(name, access, "
       "&file, &device): opens the device (IRP_MJ_CREATE, then IRP_MJ_CLEANUP at once), "
       "keeps the file object; device = the top of its stack.",
       params={"type": "object", "required": ["name", "file", "device"],
               "additionalProperties": False,
               "properties": {"name": OBJECT_NAME, "access": FLAGS, "file": LVALUE,
                              "device": LVALUE, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("IoGetDeviceObjectPointer",))
def _io_get_device_object_pointer(params: dict, cc: Any, path: list) -> Any:
    name_of = _object_name(cc, params["name"], path + ["name"])
    access = _value(cc, params, "access", path)
    file_out, device_out = _out(cc, params, "file", path), _out(cc, params, "device", path)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        name = name_of(f)
        _report(f, "IoGetDeviceObjectPointer", {"name": name})
        status, file, device = yield from io_get_device_object_pointer(f.kernel, name,
                                                                       access(f))
        if file is not None:
            file_out(f, _address(f, file))
            device_out(f, _address(f, device))
        status_out(f, status)
        _returned(f, "IoGetDeviceObjectPointer", status)
    return step


@block("io_get_base_file_system_device_object", summary="IoGetBaseFileSystemDeviceObject("
       "file): the named device (volumes are not modelled), not the top of its stack.",
       params={"type": "object", "required": ["file", "device"], "additionalProperties": False,
               "properties": {"file": EXPR, "device": LVALUE}},
       models=("IoGetBaseFileSystemDeviceObject",))
def _io_get_base(params: dict, cc: Any, path: list) -> Any:
    file = _pointer(cc, params, "file", path, "FileObject")
    device_out = _out(cc, params, "device", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        device_out(f, _address(f, io_get_base_file_system_device_object(file(f))))
        return None
        yield
    return step


# -- building and sending IRPs -------------------------------------------------------------------

_BUILDERS = ("IoBuildSynchronousFsdRequest", "IoBuildAsynchronousFsdRequest",
             "IoBuildDeviceIoControlRequest")


@block("build_irp", summary="IoBuildSynchronousFsdRequest / IoBuildAsynchronousFsdRequest "
       "(major, device, buffer, length, offset[, event], iosb) or "
       "IoBuildDeviceIoControlRequest(code, device, input, input_length, output, "
       "output_length, internal, event, iosb); buffers follow the target's flags (the "
       "code's method for an IOCTL). 'irp' gets the new IRP.",
       params={"type": "object", "required": ["builder", "device", "irp"],
               "additionalProperties": False,
               "properties": {"builder": {"enum": list(_BUILDERS)},
                              "major": {"enum": ["IRP_MJ_READ", "IRP_MJ_WRITE",
                                                 "IRP_MJ_FLUSH_BUFFERS", "IRP_MJ_SHUTDOWN",
                                                 "IRP_MJ_PNP", "IRP_MJ_POWER"]},
                              "device": EXPR, "buffer": NAME, "length": EXPR, "offset": EXPR,
                              "code": EXPR, "input": NAME, "input_length": EXPR,
                              "output": NAME, "output_length": EXPR,
                              "internal": {"type": "boolean"}, "event": NAME, "iosb": NAME,
                              "irp": LVALUE}},
       max_irql="APC_LEVEL", models=_BUILDERS)
def _build_irp(params: dict, cc: Any, path: list) -> Any:
    builder = params["builder"]
    device = _pointer(cc, params, "device", path, "DeviceObject")
    event, iosb = _event(cc, params, "event", path), _iosb(cc, params, "iosb", path)
    irp_out = _out(cc, params, "irp", path)
    if builder == "IoBuildDeviceIoControlRequest":
        if "code" not in params:
            cc.report(path, "IoBuildDeviceIoControlRequest needs a code")
        code = _value(cc, params, "code", path)
        inbuf, outbuf = _buffer(cc, params, "input", path), _buffer(cc, params, "output", path)
        inlen = _value(cc, params, "input_length", path)
        outlen = _value(cc, params, "output_length", path)
        internal = params.get("internal", False)

        def build(f: Frame) -> Any:
            return io_build_device_io_control_request(
                f.kernel, code(f), device(f), inbuf(f), inlen(f), outbuf(f), outlen(f),
                internal, event(f), iosb(f))
    else:
        major = _major(cc, params, path, "IRP_MJ_READ")
        buffer, length = _buffer(cc, params, "buffer", path), _value(cc, params, "length",
                                                                       path)
        offset = _value(cc, params, "offset", path)
        synchronous = builder == "IoBuildSynchronousFsdRequest"
        if synchronous and "event" not in params:
            cc.report(path, "IoBuildSynchronousFsdRequest needs an event")
        if not synchronous and "event" in params:
            cc.report(path + ["event"], "IoBuildAsynchronousFsdRequest takes no event: set "
                      "UserEvent with set_irp if the caller wants one (as the book's #39)")

        def build(f: Frame) -> Any:
            if synchronous:
                return io_build_synchronous_fsd_request(
                    f.kernel, major, device(f), buffer(f), length(f), offset(f), event(f),
                    iosb(f))
            return io_build_asynchronous_fsd_request(
                f.kernel, major, device(f), buffer(f), length(f), offset(f), iosb(f))

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp_out(f, _address(f, build(f)))
        return None
        yield
    return step


@block("allocate_irp", summary="IoAllocateIrp(stack_size, charge_quota): an IRP with no "
       "thread; its creator must get it back (a completion routine returning "
       "STATUS_MORE_PROCESSING_REQUIRED) and IoFreeIrp it.",
       params={"type": "object", "required": ["stack_size", "irp"],
               "additionalProperties": False,
               "properties": {"stack_size": EXPR, "charge_quota": {"type": "boolean"},
                              "irp": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("IoAllocateIrp",))
def _allocate_irp(params: dict, cc: Any, path: list) -> Any:
    size = _value(cc, params, "stack_size", path)
    irp_out = _out(cc, params, "irp", path)
    quota = params.get("charge_quota", False)

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp_out(f, _address(f, io_allocate_irp(f.kernel, max(1, size(f)), quota)))
        return None
        yield
    return step


@block("make_associated_irp", summary="IoMakeAssociatedIrp(master, stack_size): set the "
       "master's AssociatedIrp.IrpCount yourself; the last associated IRP to complete "
       "completes the master with the master's own IoStatus.",
       params={"type": "object", "required": ["stack_size", "irp"],
               "additionalProperties": False,
               "properties": {"master": EXPR, "stack_size": EXPR, "irp": LVALUE}},
       models=("IoMakeAssociatedIrp",))
def _make_associated(params: dict, cc: Any, path: list) -> Any:
    master = (_pointer(cc, params, "master", path, "Irp") if "master" in params
              else (lambda f: f.irp))
    size = _value(cc, params, "stack_size", path)
    irp_out = _out(cc, params, "irp", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp_out(f, _address(f, io_make_associated_irp(master(f), max(1, size(f)))))
        return None
        yield
    return step


@block("set_irp", summary="Fill in IRP header fields by hand: user_event (a KEVENT), "
       "user_iosb (an IO_STATUS_BLOCK), thread: current (Tail.Overlay.Thread = "
       "PsGetCurrentThread()), irp_count (AssociatedIrp.IrpCount).",
       params={"type": "object", "required": ["irp"], "additionalProperties": False,
               "properties": {"irp": EXPR, "user_event": NAME, "user_iosb": NAME,
                              "thread": {"enum": ["current", "none"]},
                              "irp_count": EXPR}},
       models=())
def _set_irp(params: dict, cc: Any, path: list) -> Any:
    irp = _pointer(cc, params, "irp", path, "Irp")
    event = _event(cc, params, "user_event", path) if "user_event" in params else None
    iosb = _iosb(cc, params, "user_iosb", path) if "user_iosb" in params else None
    thread = params.get("thread")
    count = _value(cc, params, "irp_count", path) if "irp_count" in params else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = irp(f)
        if event is not None:
            target.user_event = event(f)
        if iosb is not None:
            target.user_iosb = iosb(f)
        if thread is not None:
            target.thread = f.kernel.current_thread if thread == "current" else None
        if count is not None:
            target.irp_count = count(f)
        return None
        yield
    return step


#: set_next_stack_location's parameters -> the Parameters member each fills
_NEXT_FIELDS = {"length": "length", "offset": "byte_offset", "code": "io_control_code",
                "input_length": "input_buffer_length", "output_length": "output_buffer_length"}


@block("set_next_stack_location", summary="IoGetNextIrpStackLocation(irp) and fill it in: "
       "major, minor, file_object, length, offset, code (the IOCTL), input_length, "
       "output_length.",
       params={"type": "object", "required": ["irp"], "additionalProperties": False,
               "properties": {"irp": EXPR, "major": {"type": "string"}, "minor": EXPR,
                              "file_object": EXPR, "length": EXPR, "offset": EXPR,
                              "code": EXPR, "input_length": EXPR, "output_length": EXPR}},
       models=("IoGetNextIrpStackLocation",))
def _set_next(params: dict, cc: Any, path: list) -> Any:
    irp = _pointer(cc, params, "irp", path, "Irp")
    major = _major(cc, params, path) if "major" in params else None
    fields = {key: _value(cc, params, key, path) for key in
              ("minor", "length", "offset", "code", "input_length", "output_length")
              if key in params}
    file = _value(cc, params, "file_object", path) if "file_object" in params else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        loc = io_get_next_irp_stack_location(irp(f))
        if major is not None:
            loc.major_function = major
        if file is not None:
            address = file(f)
            loc.file_object = deref(f, address, "FileObject") if address else None
        p = loc.parameters
        for key, value in fields.items():
            if key == "minor":
                loc.minor_function = value(f)
            else:
                setattr(p, _NEXT_FIELDS[key], value(f))
        return None
        yield
    return step


@block("call_driver", summary="IoSetCompletionRoutine(irp, completion, context, ...) if a "
       "completion is given, then IoCallDriver(device, irp); 'status' gets what it returned. "
       "The completion routine sees this IRP as Irp and the context (a KEVENT) as Context.",
       params={"type": "object", "required": ["device", "irp"], "additionalProperties": False,
               "properties": {"device": EXPR, "irp": EXPR, "completion": ROUTINE_REF,
                              "context": NAME,
                              "invoke": {"type": "array", "uniqueItems": True,
                                         "items": {"enum": ["success", "error", "cancel"]}},
                              "status": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("IoSetCompletionRoutine", "IoCallDriver"))
def _call_driver(params: dict, cc: Any, path: list) -> Any:
    device = _pointer(cc, params, "device", path, "DeviceObject")
    irp = _pointer(cc, params, "irp", path, "Irp")
    routine = None
    if "completion" in params:
        routine = cc.routine(params["completion"], "completion", f"{cc.name}.completion",
                             path + ["completion"])
    context = (event_ref(cc, params["context"], "produce", path + ["context"])
               if "context" in params else (lambda f: None))
    invoke = set(params.get("invoke", ["success", "error", "cancel"]))
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target, packet = device(f), irp(f)
        if routine is not None:
            io_set_completion_routine(packet, routine.bind(f.model), context(f),
                                      "success" in invoke, "error" in invoke,
                                      "cancel" in invoke)
        status = yield from io_call_driver(target, packet)
        f.lower_status = status
        status_out(f, status)
    return step


@block("free_irp", summary="IoFreeIrp(irp): only an IRP this driver allocated and got back; "
       "a second free is bug check 0x44 (0xC9 0x01 under Driver Verifier).",
       params=EXPR, max_irql="DISPATCH_LEVEL", models=("IoFreeIrp",))
def _free_irp(params: Any, cc: Any, path: list) -> Any:
    pointer = cc.expr(params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        address = pointer.fn(f)
        packet = f.kernel.objects.at(address)
        if packet is None or type(packet).__name__ != "Irp":
            deref(f, address, "Irp")
        io_free_irp(packet)
        return None
        yield
    return step


@block("reuse_irp", summary="IoReuseIrp(irp, status): initialize an IRP this driver owns "
       "again for another request.",
       params={"type": "object", "required": ["irp"], "additionalProperties": False,
               "properties": {"irp": EXPR, "status": {"$ref": "#/$defs/ntstatus"}}},
       models=("IoReuseIrp",))
def _reuse_irp(params: dict, cc: Any, path: list) -> Any:
    irp = _pointer(cc, params, "irp", path, "Irp")
    status = cc.status(params.get("status", "STATUS_SUCCESS"), path + ["status"])

    def step(f: Frame) -> Generator[Any, Any, None]:
        io_reuse_irp(irp(f), status)
        return None
        yield
    return step


@block("cancel_irp", summary="IoCancelIrp(irp): sets Cancel and calls the cancel routine if "
       "there is one; 'result' gets TRUE if it was called.",
       params={"type": "object", "required": ["irp"], "additionalProperties": False,
               "properties": {"irp": EXPR, "result": LVALUE}},
       max_irql="DISPATCH_LEVEL", models=("IoCancelIrp",))
def _cancel_irp(params: dict, cc: Any, path: list) -> Any:
    irp = _pointer(cc, params, "irp", path, "Irp")
    result_out = _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        called = yield from io_cancel_irp(irp(f))
        result_out(f, int(called))
    return step


@block("complete_irp", summary="IoCompleteRequest on an IRP held in a variable (e.g. to "
       "resume a walk a completion routine stopped, #49), with an optional status.",
       params={"type": "object", "required": ["irp"], "additionalProperties": False,
               "properties": {"irp": EXPR, "status": {"$ref": "#/$defs/ntstatus"}}},
       max_irql="DISPATCH_LEVEL", models=("IoCompleteRequest",))
def _complete_irp(params: dict, cc: Any, path: list) -> Any:
    irp = _pointer(cc, params, "irp", path, "Irp")
    status = cc.status(params["status"], path + ["status"]) if "status" in params else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        packet = irp(f)
        if status is not None:
            packet.io_status.status = status
        yield from io_complete_request(packet)
    return step


@block("initialize_event", summary="KeInitializeEvent(&event, type, state) on a KEVENT "
       "variable: NotificationEvent (default) or SynchronizationEvent.",
       params={"anyOf": [NAME, {"type": "object", "required": ["event"],
                                "additionalProperties": False,
                                "properties": {"event": NAME,
                                               "type": {"enum": ["NotificationEvent",
                                                                 "SynchronizationEvent"]},
                                               "state": {"type": "boolean"}}}]},
       models=("KeInitializeEvent",))
def _initialize_event(params: Any, cc: Any, path: list) -> Any:
    params = params if isinstance(params, dict) else {"event": params}
    name = params["event"]
    var = cc.source.names.state.get(name)
    if var is None or var.object != "KEVENT":
        cc.report(path + ["event"], f"{name!r} must be a KEVENT variable (state:, "
                  "extension: or locals:)")
        return lambda f: iter(())
    event = event_ref(cc, name, "produce", path)
    kind = (SynchronizationEvent if params.get("type") == "SynchronizationEvent"
            else NotificationEvent)
    state = int(bool(params.get("state", False)))

    def step(f: Frame) -> Generator[Any, Any, None]:
        obj = event(f)
        obj.event_type = kind
        obj.signal_state = state
        return None
        yield
    return step
