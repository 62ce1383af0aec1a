"""Blocks for the registry (book §6.3; stacks-services 4.17-4.24).

Each block is one WDK call as the book's RegTest writes it. Key and value names are
the text the driver's RtlInitUnicodeString + InitializeObjectAttributes give the call
(``name:``; a relative name with ``root:``, the OBJECT_ATTRIBUTES RootDirectory
handle), as ``zw_create_file`` takes its name. Handles go to HANDLE variables and are
closed with ``zw_close``. The data ZwSetValueKey / RtlWriteRegistryValue store comes
from a variable of the driver (``data: ulValue`` is ``&ulValue``; a UCHAR array is its
bytes), a wide literal (``text: hello world`` is ``L"hello world"``, its NUL included)
or a pool pointer (``pointer:``), cut to ``size:`` bytes when given.

The queries write their KEY_*_INFORMATION where ``buffer:`` points (a pool block from
``allocate_pool``, NULL when left out) and ResultLength to ``result_length:``; the
driver reads it through a typed pointer (``pvpi: KEY_VALUE_PARTIAL_INFORMATION*``,
``pvpi->DataLength``; the variable part is ``pvpi->Data``, an address: ``(PULONG)`` it
into a ``ULONG*`` and index it, or print it with ``{pvpi.Data:S}``). A pointer that
names no memory faults as the CPU would; a Length larger than the block the pointer is
in overruns it (not modelled). The routines are in ``harness.kernel`` (``cm/``).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (OBJ_KERNEL_HANDLE, QueryEntry, RegistryFault, rtl_check_registry_key,
                      rtl_create_registry_key, rtl_delete_registry_value,
                      rtl_query_registry_values, rtl_write_registry_value, zw_create_key,
                      zw_delete_key, zw_delete_value_key, zw_enumerate_key,
                      zw_enumerate_value_key, zw_flush_key, zw_open_key, zw_query_key,
                      zw_query_value_key, zw_set_value_key)
from ..kernel import BufferOverrun
from .actions import EXPR, NAME
from .driver_io import FLAGS, LVALUE, _out, _value
from .registry import block
from .runtime import Frame
from .state import fault

KEY_NAME = {"type": "string", "maxLength": 1024,
            "description": "the key's name: absolute (\\Registry\\Machine\\Software\\X) or, "
                           "with root, relative to that key (SubItem)"}
VALUE_NAME = {"type": "string", "maxLength": 1024,
              "description": "the value's name (\"\" is the key's default value)"}
TEXT = {"type": "string", "maxLength": 4096,
        "description": "a wide string literal L\"...\" (stored with its NUL)"}
PATH = {"type": "string", "maxLength": 1024,
        "description": "the key path under relative_to (HelloDDK\\Zhangfan)"}
_DATA = {"data": dict(NAME, description="a variable whose bytes are the data (&ulValue)"),
         "text": TEXT, "pointer": dict(EXPR, description="a pointer to the data in pool"),
         "size": dict(EXPR, description="DataSize in bytes (default: all of the source)")}
_QUERY_OUT = {"buffer": dict(EXPR, description="where the information goes: a pool "
                             "pointer (NULL if left out)"),
              "length": dict(EXPR, description="the buffer's Length (0 if left out)"),
              "result_length": LVALUE, "status": LVALUE}


# -- compile helpers ---------------------------------------------------------------------

def _report(f: Frame, api: str, args: dict) -> None:
    f.kernel.hooks.service_call(api, args)


def _returned(f: Frame, api: str, status: int, **more: Any) -> None:
    f.kernel.hooks.service_return(api, {"status": status, **more})


def _variable_bytes(cc: Any, name: str, path: list) -> Callable[[Frame], bytes]:
    """The bytes of a variable as C's ``&name`` sees them (a scalar little-endian)."""
    names = cc.source.names
    var = names.state.get(name)
    if var is None or var.type is None:
        cc.report(path, f"{name!r} must be a variable of the driver (state:, extension: or "
                  "locals:) holding the data")
        return lambda f: b""
    if var.scalar:
        store, size = names.store_of(var), var.type.ctype.size
        return lambda f: (store(f)[name] & ((1 << 8 * size) - 1)).to_bytes(size, "little")
    memory = cc.memory(name, path)
    return lambda f: memory(f).read(0)


def _pool_read(f: Frame, address: int, count: int) -> bytes:
    block_ = f.kernel.pool_blocks.containing(address)
    if block_ is None:
        fault(f, address, False)
    start = address - block_.buffer.address
    if start + count > block_.size:
        raise BufferOverrun(f"{count} bytes at 0x{address:08X} run past the "
                            f"{block_.size}-byte pool block")
    return block_.buffer.read(start, count)


def _data(cc: Any, params: dict, path: list) -> Callable[[Frame], bytes]:
    """ZwSetValueKey's Data and DataSize (see the module docstring)."""
    given = [key for key in ("data", "text", "pointer") if key in params]
    if len(given) != 1:
        cc.report(path, "give exactly one of data (a variable), text (a wide literal) or "
                  "pointer (pool memory)")
        return lambda f: b""
    size = _value(cc, params, "size", path)     # called only when given
    if "pointer" in params:
        pointer = _value(cc, params, "pointer", path)
        if "size" not in params:
            cc.report(path, "pointer needs a size (DataSize)")

        def from_pool(f: Frame) -> bytes:
            count = size(f) & 0xFFFFFFFF
            return _pool_read(f, pointer(f) & 0xFFFFFFFF, count) if count else b""
        return from_pool
    if "text" in params:
        literal = params["text"].encode("utf-16-le") + b"\0\0"

        def literal_source(f: Frame) -> bytes:
            return literal
        source: Callable[[Frame], bytes] = literal_source
    else:
        source = _variable_bytes(cc, params["data"], path + ["data"])

    def cut(f: Frame) -> bytes:
        data = source(f)
        if "size" not in params:
            return data
        count = size(f) & 0xFFFFFFFF
        if count > len(data):
            raise BufferOverrun(f"DataSize {count} reads past the {len(data)} bytes of "
                                f"{params.get('data') or 'the literal'}")
        return data[:count]
    return cut


def _write_out(f: Frame, address: int, data: bytes | None) -> None:
    """What the service writes at the caller's buffer (nothing for NULL data)."""
    if not data:
        return
    block_ = f.kernel.pool_blocks.containing(address) if address else None
    if block_ is None:
        fault(f, address, True)
    start = address - block_.buffer.address
    if start + len(data) > block_.size:
        raise BufferOverrun(f"the registry writes {len(data)} bytes at 0x{address:08X}, "
                            f"past the {block_.size}-byte pool block (Length is larger "
                            "than the buffer)")
    block_.buffer.write(data, start)


def _query(name: str, api: str, summary: str, routine: Callable[..., Any],
           with_value: bool, with_index: bool) -> None:
    props: dict[str, Any] = {"handle": EXPR, "class": dict(EXPR, description=(
        "the information class, e.g. KeyValuePartialInformation"))}
    required = ["handle", "class"]
    if with_value:
        props["name"] = VALUE_NAME
        required.append("name")
    if with_index:
        props["index"] = EXPR
        required.append("index")
    props.update(_QUERY_OUT)

    @block(name, summary=summary, params={"type": "object", "required": required,
                                          "additionalProperties": False, "properties": props},
           max_irql="PASSIVE_LEVEL", models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        handle = _value(cc, params, "handle", path)
        info_class = _value(cc, params, "class", path)
        index = _value(cc, params, "index", path)
        buffer = _value(cc, params, "buffer", path)
        length = _value(cc, params, "length", path)
        result_out, status_out = (_out(cc, params, "result_length", path),
                                  _out(cc, params, "status", path))
        value_name = params.get("name")

        def step(f: Frame) -> Generator[Any, Any, None]:
            h, count = handle(f) & 0xFFFFFFFF, length(f) & 0xFFFFFFFF
            args: dict[str, Any] = {"handle": h, "class": info_class(f), "length": count}
            if with_value:
                args["name"] = value_name
            if with_index:
                args["index"] = index(f) & 0xFFFFFFFF
            _report(f, api, args)
            lead = (value_name,) if with_value else (index(f) & 0xFFFFFFFF,) \
                if with_index else ()
            status, data, result = routine(f.kernel, h, *lead, info_class(f), count)
            _write_out(f, buffer(f) & 0xFFFFFFFF, data)
            if result is not None:
                result_out(f, result)
            status_out(f, status)
            _returned(f, api, status, result_length=result)
            return None
            yield
        return step


# -- opening and creating ----------------------------------------------------------------

def _open_props(create: bool) -> dict:
    props = {"name": KEY_NAME, "root": dict(EXPR, description="RootDirectory: the key "
             "handle a relative name is under"), "access": FLAGS, "attributes": FLAGS,
             "handle": LVALUE, "status": LVALUE}
    if create:
        props.update(options=dict(FLAGS, description="REG_OPTION_NON_VOLATILE (0) or "
                                  "REG_OPTION_VOLATILE"),
                     disposition=dict(LVALUE, description="where Disposition goes: "
                                      "REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY"))
    return props


@block("zw_create_key", summary="ZwCreateKey(&handle, access, name [under root], 0, NULL, "
       "options, &disposition): opens or creates ONE level (a missing parent is "
       "STATUS_OBJECT_NAME_NOT_FOUND); a non-volatile key under a volatile one is "
       "STATUS_CHILD_MUST_BE_VOLATILE.",
       params={"type": "object", "required": ["name", "handle"], "additionalProperties": False,
               "properties": _open_props(True)},
       max_irql="PASSIVE_LEVEL", models=("ZwCreateKey", "InitializeObjectAttributes"))
def _zw_create_key(params: dict, cc: Any, path: list) -> Any:
    name = params["name"]
    root, access = _value(cc, params, "root", path), _value(cc, params, "access", path)
    attributes, options = _value(cc, params, "attributes", path), _value(cc, params,
                                                                         "options", path)
    handle_out, status_out = _out(cc, params, "handle", path), _out(cc, params, "status", path)
    disposition_out = _out(cc, params, "disposition", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "ZwCreateKey", {"name": name, "root": root(f) & 0xFFFFFFFF,
                                   "access": access(f), "options": options(f)})
        status, handle, disposition = zw_create_key(
            f.kernel, name, access(f) & 0xFFFFFFFF, root(f) & 0xFFFFFFFF, options(f),
            kernel_handle=bool(attributes(f) & OBJ_KERNEL_HANDLE))
        if handle:
            handle_out(f, handle)          # on failure neither *KeyHandle nor *Disposition
            assert disposition is not None     # given with every handle
            disposition_out(f, disposition)
        status_out(f, status)
        _returned(f, "ZwCreateKey", status, handle=handle, disposition=disposition)
        return None
        yield
    return step


@block("zw_open_key", summary="ZwOpenKey(&handle, access, name [under root]): a missing key "
       "is STATUS_OBJECT_NAME_NOT_FOUND.",
       params={"type": "object", "required": ["name", "handle"], "additionalProperties": False,
               "properties": _open_props(False)},
       max_irql="PASSIVE_LEVEL", models=("ZwOpenKey", "InitializeObjectAttributes"))
def _zw_open_key(params: dict, cc: Any, path: list) -> Any:
    name = params["name"]
    root, access = _value(cc, params, "root", path), _value(cc, params, "access", path)
    attributes = _value(cc, params, "attributes", path)
    handle_out, status_out = _out(cc, params, "handle", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "ZwOpenKey", {"name": name, "root": root(f) & 0xFFFFFFFF,
                                 "access": access(f)})
        status, handle = zw_open_key(f.kernel, name, access(f) & 0xFFFFFFFF,
                                     root(f) & 0xFFFFFFFF,
                                     kernel_handle=bool(attributes(f) & OBJ_KERNEL_HANDLE))
        if handle:
            handle_out(f, handle)
        status_out(f, status)
        _returned(f, "ZwOpenKey", status, handle=handle)
        return None
        yield
    return step


# -- values ----------------------------------------------------------------------------------

@block("zw_set_value_key", summary="ZwSetValueKey(handle, &name, 0, type, data, size): "
       "creates or replaces the value (new values go last); no check of the data against "
       "the type.",
       params={"type": "object", "required": ["handle", "name", "type"],
               "additionalProperties": False,
               "properties": {"handle": EXPR, "name": VALUE_NAME, "type": EXPR, **_DATA,
                              "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwSetValueKey",))
def _zw_set_value_key(params: dict, cc: Any, path: list) -> Any:
    handle, value_type = _value(cc, params, "handle", path), _value(cc, params, "type", path)
    data = _data(cc, params, path)
    status_out = _out(cc, params, "status", path)
    name = params["name"]

    def step(f: Frame) -> Generator[Any, Any, None]:
        h, payload = handle(f) & 0xFFFFFFFF, data(f)
        _report(f, "ZwSetValueKey", {"handle": h, "name": name, "type": value_type(f),
                                     "size": len(payload)})
        status = zw_set_value_key(f.kernel, h, name, value_type(f), payload)
        status_out(f, status)
        _returned(f, "ZwSetValueKey", status)
        return None
        yield
    return step


_query("zw_query_value_key", "ZwQueryValueKey", "ZwQueryValueKey(handle, &name, class, "
       "buffer, length, &result_length): Length below the fixed part is "
       "STATUS_BUFFER_TOO_SMALL (nothing written), short of the data STATUS_BUFFER_OVERFLOW "
       "(partial); ResultLength is the full size either way.", zw_query_value_key,
       True, False)
_query("zw_query_key", "ZwQueryKey", "ZwQueryKey(handle, class, buffer, length, "
       "&result_length): KeyFullInformation has the SubKeys and Values counts.",
       zw_query_key, False, False)
_query("zw_enumerate_key", "ZwEnumerateKey", "ZwEnumerateKey(handle, index, class, buffer, "
       "length, &result_length): subkeys in alphabetical order, names not NUL-terminated; "
       "past the last STATUS_NO_MORE_ENTRIES.", zw_enumerate_key, False, True)
_query("zw_enumerate_value_key", "ZwEnumerateValueKey", "ZwEnumerateValueKey(handle, index, "
       "class, buffer, length, &result_length): values in the order they were created; "
       "past the last STATUS_NO_MORE_ENTRIES.", zw_enumerate_value_key, False, True)


def _handle_call(name: str, api: str, summary: str, routine: Callable[..., int],
                 with_value: bool) -> None:
    props = {"handle": EXPR, "status": LVALUE}
    if with_value:
        props["name"] = VALUE_NAME
    schema: dict[str, Any] = {"type": "object", "required": ["handle", "name"] if with_value
                              else ["handle"], "additionalProperties": False,
                              "properties": props}
    if not with_value:
        schema = {"anyOf": [EXPR, schema]}

    @block(name, summary=summary, params=schema, max_irql="PASSIVE_LEVEL", models=(api,))
    def compile_(params: Any, cc: Any, path: list) -> Any:
        params = params if isinstance(params, dict) else {"handle": params}
        handle = _value(cc, params, "handle", path)
        status_out = _out(cc, params, "status", path)
        lead = (params["name"],) if with_value else ()

        def step(f: Frame) -> Generator[Any, Any, None]:
            h = handle(f) & 0xFFFFFFFF
            _report(f, api, {"handle": h, **({"name": lead[0]} if lead else {})})
            status = routine(f.kernel, h, *lead)
            status_out(f, status)
            _returned(f, api, status)
            return None
            yield
        return step


_handle_call("zw_delete_key", "ZwDeleteKey", "ZwDeleteKey(handle): STATUS_CANNOT_DELETE while "
             "the key has subkeys; after a delete the handle must still be closed and "
             "every other use of it is STATUS_KEY_DELETED.", zw_delete_key, False)
_handle_call("zw_delete_value_key", "ZwDeleteValueKey", "ZwDeleteValueKey(handle, &name): a "
             "missing value is STATUS_OBJECT_NAME_NOT_FOUND.", zw_delete_value_key, True)
_handle_call("zw_flush_key", "ZwFlushKey", "ZwFlushKey(handle): the key's hive to disk.",
             zw_flush_key, False)


# -- the Rtl helpers ----------------------------------------------------------------------------

_WHERE = {"relative_to": dict(EXPR, description="RTL_REGISTRY_ABSOLUTE, _SERVICES, _CONTROL, "
                              "_WINDOWS_NT, _DEVICEMAP or _USER, | RTL_REGISTRY_OPTIONAL"),
          "path": PATH, "key": dict(EXPR, description="with RTL_REGISTRY_HANDLE: the key "
                                    "handle Path is"), "status": LVALUE}


def _where(cc: Any, params: dict, path: list) -> tuple[Callable[[Frame], int],
                                                       Callable[[Frame], str | int]]:
    relative_to = _value(cc, params, "relative_to", path)
    if ("path" in params) == ("key" in params):
        cc.report(path, "give either path (a key path) or key (a handle, with "
                  "RTL_REGISTRY_HANDLE)")
    if "key" in params:
        handle = _value(cc, params, "key", path)
        return relative_to, lambda f: handle(f) & 0xFFFFFFFF
    text = params.get("path", "")
    return relative_to, lambda f: text


def _rtl_key(name: str, api: str, summary: str, routine: Callable[..., int]) -> None:
    @block(name, summary=summary, params={"type": "object", "required": ["relative_to"],
                                          "additionalProperties": False, "properties": _WHERE},
           max_irql="PASSIVE_LEVEL", models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        relative_to, where = _where(cc, params, path)
        status_out = _out(cc, params, "status", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            _report(f, api, {"relative_to": relative_to(f), "path": where(f)})
            status = routine(f.kernel, relative_to(f) & 0xFFFFFFFF, where(f))
            status_out(f, status)
            _returned(f, api, status)
            return None
            yield
        return step


_rtl_key("rtl_check_registry_key", "RtlCheckRegistryKey", "RtlCheckRegistryKey(relative_to, "
         "path): STATUS_SUCCESS if the key opens, else the open's status.",
         rtl_check_registry_key)
_rtl_key("rtl_create_registry_key", "RtlCreateRegistryKey", "RtlCreateRegistryKey("
         "relative_to, path): creates the key's last component (its parent must exist).",
         rtl_create_registry_key)


@block("rtl_write_registry_value", summary="RtlWriteRegistryValue(relative_to, path, name, "
       "type, data, size): the key's last component is created if missing, then "
       "ZwSetValueKey.",
       params={"type": "object", "required": ["relative_to", "name", "type"],
               "additionalProperties": False,
               "properties": {**_WHERE, "name": VALUE_NAME, "type": EXPR, **_DATA}},
       max_irql="PASSIVE_LEVEL", models=("RtlWriteRegistryValue",))
def _rtl_write(params: dict, cc: Any, path: list) -> Any:
    relative_to, where = _where(cc, params, path)
    value_type, data = _value(cc, params, "type", path), _data(cc, params, path)
    status_out, name = _out(cc, params, "status", path), params["name"]

    def step(f: Frame) -> Generator[Any, Any, None]:
        payload = data(f)
        _report(f, "RtlWriteRegistryValue", {"relative_to": relative_to(f), "path": where(f),
                                             "name": name, "type": value_type(f),
                                             "size": len(payload)})
        status = rtl_write_registry_value(f.kernel, relative_to(f) & 0xFFFFFFFF, where(f),
                                          name, value_type(f), payload)
        status_out(f, status)
        _returned(f, "RtlWriteRegistryValue", status)
        return None
        yield
    return step


@block("rtl_delete_registry_value", summary="RtlDeleteRegistryValue(relative_to, path, name).",
       params={"type": "object", "required": ["relative_to", "name"],
               "additionalProperties": False, "properties": {**_WHERE, "name": VALUE_NAME}},
       max_irql="PASSIVE_LEVEL", models=("RtlDeleteRegistryValue",))
def _rtl_delete_value(params: dict, cc: Any, path: list) -> Any:
    relative_to, where = _where(cc, params, path)
    status_out, name = _out(cc, params, "status", path), params["name"]

    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, "RtlDeleteRegistryValue", {"relative_to": relative_to(f),
                                              "path": where(f), "name": name})
        status = rtl_delete_registry_value(f.kernel, relative_to(f) & 0xFFFFFFFF, where(f),
                                           name)
        status_out(f, status)
        _returned(f, "RtlDeleteRegistryValue", status)
        return None
        yield
    return step


class _ScalarContext:
    """EntryContext = &scalar: the variable's bytes, read and written little-endian."""

    __slots__ = ("home", "name", "ctype", "length")

    def __init__(self, home: dict, name: str, ctype: Any) -> None:
        self.home, self.name, self.ctype, self.length = home, name, ctype, ctype.size

    def read(self, start: int = 0, count: int | None = None) -> bytes:
        raw = (self.home[self.name] & ((1 << 8 * self.length) - 1)).to_bytes(self.length,
                                                                              "little")
        return raw[start:] if count is None else raw[start:start + count]

    def write(self, payload: bytes, start: int = 0) -> None:
        raw = bytearray(self.read())
        raw[start:start + len(payload)] = payload
        self.home[self.name] = self.ctype.wrap(int.from_bytes(raw, "little"))


def _entry_context(cc: Any, name: str, path: list) -> Callable[[Frame], Any]:
    names = cc.source.names
    var = names.state.get(name)
    if var is None or var.type is None:
        cc.report(path, f"{name!r} must be a variable of the driver (the EntryContext: a "
                  "ULONG, a UNICODE_STRING or a buffer)")
        return lambda f: None
    if var.scalar:
        store, ctype = names.store_of(var), var.type.ctype
        return lambda f: _ScalarContext(store(f), name, ctype)
    return cc.memory(name, path)


_ENTRY = {"type": "object", "required": ["flags"], "additionalProperties": False,
          "properties": {
              "flags": dict(EXPR, description="RTL_QUERY_REGISTRY_DIRECT | _REQUIRED | "
                            "_NOEXPAND | _DELETE"),
              "name": VALUE_NAME,
              "entry_context": dict(NAME, description="the variable the data goes to: a "
                                    "ULONG, a UNICODE_STRING or a buffer"),
              "default_type": EXPR,
              "default_data": dict(NAME, description="a variable holding the default"),
              "default_text": TEXT,
              "default_length": dict(EXPR, description="DefaultLength (default: all of "
                                     "default_data)")}}


@block("rtl_query_registry_values", summary="RtlQueryRegistryValues(relative_to, path, table, "
       "NULL, NULL) with DIRECT entries: each value's data into its entry_context (a ULONG, "
       "a UNICODE_STRING - NULL Buffer: allocated - or a sized buffer), a missing one takes "
       "its default; REQUIRED and missing: STATUS_OBJECT_NAME_NOT_FOUND.",
       params={"type": "object", "required": ["relative_to", "table"],
               "additionalProperties": False,
               "properties": {**_WHERE, "table": {"type": "array", "minItems": 1,
                                                  "maxItems": 64, "items": _ENTRY}}},
       max_irql="PASSIVE_LEVEL", models=("RtlQueryRegistryValues",))
def _rtl_query(params: dict, cc: Any, path: list) -> Any:
    relative_to, where = _where(cc, params, path)
    status_out = _out(cc, params, "status", path)
    entries = []
    for i, spec in enumerate(params["table"]):
        at = path + ["table", i]
        flags = _value(cc, spec, "flags", at)
        context = (_entry_context(cc, spec["entry_context"], at + ["entry_context"])
                   if "entry_context" in spec else (lambda f: None))
        default_type = _value(cc, spec, "default_type", at)

        def no_default(f: Frame) -> bytes | None:
            return None
        default: Callable[[Frame], bytes | None] = no_default
        if "default_data" in spec and "default_text" in spec:
            cc.report(at, "give default_data or default_text, not both")
        if "default_text" in spec:
            literal = spec["default_text"].encode("utf-16-le") + b"\0\0"
            def default_text(f: Frame, literal: bytes = literal) -> bytes | None:
                return literal
            default = default_text
        elif "default_data" in spec:
            raw = _variable_bytes(cc, spec["default_data"], at + ["default_data"])
            length = _value(cc, spec, "default_length", at, None)

            def default(f: Frame, raw: Any = raw, length: Any = length,
                        sized: bool = "default_length" in spec) -> bytes:
                data = raw(f)
                return data[:length(f) & 0xFFFFFFFF] if sized else data
        entries.append((flags, spec.get("name"), context, default_type, default))

    def step(f: Frame) -> Generator[Any, Any, None]:
        table = [QueryEntry(flags(f) & 0xFFFFFFFF, name, context(f), default_type(f),
                            default(f)) for flags, name, context, default_type, default
                 in entries]
        _report(f, "RtlQueryRegistryValues", {"relative_to": relative_to(f),
                                              "path": where(f), "entries": len(table)})
        try:
            status = rtl_query_registry_values(f.kernel, relative_to(f) & 0xFFFFFFFF,
                                               where(f), table)
        except RegistryFault as error:
            fault(f, error.address, error.write)
        status_out(f, status)
        _returned(f, "RtlQueryRegistryValues", status)
        return None
        yield
    return step
