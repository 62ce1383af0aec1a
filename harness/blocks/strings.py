"""Blocks for counted strings (book §6.1; stacks-services 4.9-4.16).

A string is a variable of the driver declared ``UNICODE_STRING`` or ``ANSI_STRING``
(state or locals), named as C passes ``&name``. Its Buffer points where C would have it
point: at a string literal of the image (``text:`` - one literal per call site,
created the first time the site runs and kept for the run, writable as the old
DDK's were), at a memory variable of the driver (``buffer:``, a ``WCHAR[512]`` or a
``CHAR[6]`` initialised with the text), or at pool (``allocate_pool`` into
``name.Buffer``, or a routine's ``allocate: TRUE``). ``{name}`` in a log line prints
the string (``%wZ`` / ``%Z``). The routines are in ``harness.kernel.rtl``; a pointer
that names no memory faults as the CPU would.

Every block reports the routine as a ServiceCall in the trace, and a ServiceReturn with
what it returned or, for RtlInit*, the header it filled in (RtlCopyUnicodeString and the
RtlFree* routines have only the call).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Generator

from ..kernel.rtl import (CountedString, StringFault, rtl_ansi_string_to_unicode_string,
                          rtl_append_unicode_string_to_string, rtl_append_unicode_to_string,
                          rtl_compare_unicode_string, rtl_copy_unicode_string,
                          rtl_equal_unicode_string, rtl_free_ansi_string,
                          rtl_free_unicode_string, rtl_init_ansi_string,
                          rtl_init_empty_unicode_string, rtl_init_unicode_string,
                          rtl_integer_to_unicode_string, rtl_unicode_string_to_ansi_string,
                          rtl_unicode_string_to_integer, rtl_upcase_unicode_string,
                          string_literal, string_text)
from .actions import EXPR, NAME
from .driver_io import LVALUE, _out, _value
from .registry import block
from .runtime import Frame
from .state import fault

UNICODE, ANSI = "UNICODE_STRING", "ANSI_STRING"
TEXT = {"type": "string", "maxLength": 1024,
        "description": "the characters of a string literal (L\"...\" or \"...\")"}
FLAG = {"anyOf": [{"type": "boolean"}, EXPR],
        "description": "TRUE or FALSE (YAML's booleans, or an expression)"}
BUFFER = dict(NAME, description="a memory variable of the driver (an array)")
NULL = {"type": "null", "description": "NULL (YAML reads a bare NULL as null)"}
POINTER = {"anyOf": [EXPR, NULL], "description": "a pointer expression, or NULL"}
STRING_OR_NULL = {"anyOf": [NAME, NULL], "description": "a UNICODE_STRING variable, or NULL"}

#: The image's literals: per run (driver model), per call site.
_LITERALS: "weakref.WeakKeyDictionary[Any, dict[object, Any]]" = weakref.WeakKeyDictionary()


def _string(cc: Any, params: dict, key: str, path: list, kind: str
            ) -> Callable[[Frame], CountedString]:
    """``&name`` of a UNICODE_STRING / ANSI_STRING variable (``params[key]``)."""
    return _string_named(cc, params[key], path + [key], kind)


def _string_named(cc: Any, name: str, where: list, kind: str
                  ) -> Callable[[Frame], CountedString]:
    var = cc.source.names.state.get(name)
    if var is None or var.type is None or var.type.struct is None \
            or var.type.struct.name != kind or var.type.count is not None:
        cc.report(where, f"{name!r} must be a variable declared as {kind}")
        # never run: the scenario failed to compile (the report above)
        return lambda f: CountedString(None)  # type: ignore[arg-type]
    memory = cc.memory(name, where)
    return lambda f: CountedString(memory(f))


def _memory_address(cc: Any, name: str, path: list) -> Callable[[Frame], Any]:
    """A memory variable's Buffer, findable by its address once driver code holds it."""
    memory = cc.memory(name, path)

    def get(f: Frame) -> Any:
        buffer = memory(f)
        f.kernel.objects.register(buffer.address, buffer)
        return buffer
    return get


def _source(cc: Any, params: dict, path: list, wide: bool) -> Callable[[Frame], int]:
    """The PCWSTR / PCSZ an Init or Append gets: a literal (text), a memory variable
    (buffer) or an expression (source: NULL, another string's Buffer)."""
    given = [key for key in ("text", "source", "buffer") if key in params]
    if len(given) != 1:
        cc.report(path, "give exactly one of text (a literal), buffer (a memory variable) "
                  "or source (a pointer expression)")
        return lambda f: 0
    if "text" in params:
        site, text = object(), params["text"]

        def literal(f: Frame) -> int:
            table = _LITERALS.setdefault(f.model, {})
            if site not in table:
                table[site] = string_literal(f.kernel, text, wide)
            return table[site].address
        return literal
    if "buffer" in params:
        memory = _memory_address(cc, params["buffer"], path + ["buffer"])
        return lambda f: memory(f).address
    if params["source"] is None:                          # NULL
        return lambda f: 0
    pointer = _value(cc, params, "source", path)
    return lambda f: pointer(f) & 0xFFFFFFFF


def _flag(cc: Any, params: dict, key: str, path: list) -> Callable[[Frame], int]:
    """A BOOLEAN argument: YAML reads TRUE / FALSE as booleans, which C spells 1 / 0."""
    value = params.get(key, False)
    if isinstance(value, bool):
        return lambda f: int(value)
    return _value(cc, params, key, path)


def _call(f: Frame, routine: Callable[..., Any], *args: Any) -> Any:
    """Run a kernel string routine; a wild pointer is the fault of this context."""
    try:
        return routine(f.kernel, *args)
    except StringFault as error:
        fault(f, error.address, error.write)


def _text(f: Frame, string: CountedString, wide: bool) -> str:
    try:
        return string_text(f.kernel, string, wide)
    except StringFault as error:
        fault(f, error.address, error.write)


def _report(f: Frame, api: str, args: dict) -> None:
    f.kernel.hooks.service_call(api, args)


def _returned(f: Frame, api: str, result: dict) -> None:
    f.kernel.hooks.service_return(api, result)


def _props(*required: str, **props: Any) -> dict:
    return {"type": "object", "required": list(required), "additionalProperties": False,
            "properties": props}


# -- RtlInit* ----------------------------------------------------------------------------------

def _init(name: str, api: str, kind: str, wide: bool, routine: Callable[..., None],
          models: tuple[str, ...], summary: str) -> None:
    @block(name, summary=summary, params=_props("string", string=NAME, text=TEXT,
                                                buffer=BUFFER, source=POINTER),
           models=models)
    def compile_(params: dict, cc: Any, path: list) -> Any:
        string = _string(cc, params, "string", path, kind)
        source = _source(cc, params, path, wide)

        def step(f: Frame) -> Generator[Any, Any, None]:
            target, address = string(f), source(f)
            _report(f, api, {"string": params["string"], "source": address})
            _call(f, routine, target, address)
            _returned(f, api, {"buffer": target.buffer, "length": target.length,
                               "maximum_length": target.maximum_length})
            return None
            yield
        return step


_init("init_unicode_string", "RtlInitUnicodeString", UNICODE, True, rtl_init_unicode_string,
      ("RtlInitUnicodeString",),
      "RtlInitUnicodeString(&string, L\"text\" | buffer | source): no copy, Buffer points at "
      "the literal (or the memory variable, or the pointer); Length = 2 x wcslen, "
      "MaximumLength = Length + 2; NULL gives 0/0/NULL.")
_init("init_ansi_string", "RtlInitAnsiString", ANSI, False, rtl_init_ansi_string,
      ("RtlInitAnsiString", "RtlInitString"),
      "RtlInitAnsiString / RtlInitString(&string, \"text\" | buffer | source): no copy; "
      "Length = strlen, MaximumLength = Length + 1. With buffer (a CHAR array holding the "
      "literal) the driver can overwrite the characters the string shows.")


@block("init_empty_unicode_string", summary="RtlInitEmptyUnicodeString(&string, buffer, "
       "size): Buffer = the memory variable (a WCHAR array the driver provides), Length 0, "
       "MaximumLength = size (its sizeof unless given).",
       params=_props("string", "buffer", string=NAME, buffer=BUFFER, size=EXPR),
       models=("RtlInitEmptyUnicodeString",))
def _init_empty(params: dict, cc: Any, path: list) -> Any:
    string = _string(cc, params, "string", path, UNICODE)
    memory = _memory_address(cc, params["buffer"], path + ["buffer"])
    size = _value(cc, params, "size", path, None)

    def step(f: Frame) -> Generator[Any, Any, None]:
        buffer, target = memory(f), string(f)
        count = size(f)
        count = min(buffer.length, 0xFFFF) if count is None else count & 0xFFFF
        _report(f, "RtlInitEmptyUnicodeString", {"string": params["string"],
                                                 "buffer": buffer.address, "size": count})
        rtl_init_empty_unicode_string(target, buffer.address, count)
        return None
        yield
    return step


# -- copy and append ---------------------------------------------------------------------------

@block("copy_unicode_string", summary="RtlCopyUnicodeString(&destination, &source | NULL): "
       "min(source Length, destination MaximumLength) bytes, silently truncated; a NUL "
       "after them only if there is room; NULL source sets Length 0.",
       params=_props("destination", "source", destination=NAME, source=STRING_OR_NULL),
       models=("RtlCopyUnicodeString",))
def _copy(params: dict, cc: Any, path: list) -> Any:
    destination = _string(cc, params, "destination", path, UNICODE)
    source = (None if params["source"] in (None, "NULL")
              else _string(cc, params, "source", path, UNICODE))

    def step(f: Frame) -> Generator[Any, Any, None]:
        target = destination(f)
        _report(f, "RtlCopyUnicodeString", {"destination": params["destination"],
                                            "source": params["source"] or "NULL"})
        _call(f, rtl_copy_unicode_string, target, source(f) if source else None)
        return None
        yield
    return step


def _status_step(api: str, args: dict, run: Callable[[Frame], int],
                 status_out: Callable[[Frame, int], None]) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        _report(f, api, args)
        status = run(f)
        status_out(f, status)
        _returned(f, api, {"status": status})
        return None
        yield
    return step


@block("append_unicode_to_string", summary="RtlAppendUnicodeToString(&destination, "
       "L\"text\"): appends and NUL-terminates if there is room; past MaximumLength it is "
       "STATUS_BUFFER_TOO_SMALL and the destination is unchanged.",
       params=_props("destination", "text", destination=NAME, text=TEXT, status=LVALUE),
       models=("RtlAppendUnicodeToString",))
def _append_text(params: dict, cc: Any, path: list) -> Any:
    destination = _string(cc, params, "destination", path, UNICODE)
    source = _source(cc, {"text": params["text"]}, path, True)
    return _status_step(
        "RtlAppendUnicodeToString", {"destination": params["destination"]},
        lambda f: _call(f, rtl_append_unicode_to_string, destination(f), source(f)),
        _out(cc, params, "status", path))


@block("append_unicode_string_to_string", summary="RtlAppendUnicodeStringToString("
       "&destination, &source): the same rule as append_unicode_to_string with a counted "
       "source.",
       params=_props("destination", "source", destination=NAME, source=NAME, status=LVALUE),
       models=("RtlAppendUnicodeStringToString",))
def _append_string(params: dict, cc: Any, path: list) -> Any:
    destination = _string(cc, params, "destination", path, UNICODE)
    source = _string(cc, params, "source", path, UNICODE)
    return _status_step(
        "RtlAppendUnicodeStringToString", {"destination": params["destination"],
                                           "source": params["source"]},
        lambda f: _call(f, rtl_append_unicode_string_to_string, destination(f), source(f)),
        _out(cc, params, "status", path))


# -- compare -----------------------------------------------------------------------------------

def _comparison(name: str, api: str, routine: Callable[..., Any], summary: str) -> None:
    @block(name, summary=summary, max_irql="PASSIVE_LEVEL", models=(api,),
           params=_props("a", "b", a=NAME, b=NAME, case_insensitive=FLAG, into=LVALUE))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        first = _string(cc, params, "a", path, UNICODE)
        second = _string(cc, params, "b", path, UNICODE)
        insensitive = _flag(cc, params, "case_insensitive", path)
        into = _out(cc, params, "into", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            flag = bool(insensitive(f) & 0xFF)
            _report(f, api, {"a": params["a"], "b": params["b"], "case_insensitive": flag})
            result = int(_call(f, routine, first(f), second(f), flag))
            into(f, result)
            _returned(f, api, {"result": result})
            return None
            yield
        return step


_comparison("compare_unicode_string", "RtlCompareUnicodeString", rtl_compare_unicode_string,
            "RtlCompareUnicodeString(&a, &b, case_insensitive) into a LONG: < 0, 0 or > 0 "
            "(only the sign is specified): the first differing character, else the "
            "difference of the Lengths.")
_comparison("equal_unicode_string", "RtlEqualUnicodeString", rtl_equal_unicode_string,
            "RtlEqualUnicodeString(&a, &b, case_insensitive) into a BOOLEAN: different "
            "Lengths are unequal without reading either Buffer.")


# -- upcase ------------------------------------------------------------------------------------

def _conversion(name: str, api: str, kinds: tuple[str, str], routine: Callable[..., int],
                models: tuple[str, ...], summary: str) -> None:
    @block(name, summary=summary, max_irql="PASSIVE_LEVEL", models=models,
           params=_props("destination", "source", destination=NAME, source=NAME,
                         allocate=FLAG, status=LVALUE))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        destination = _string(cc, params, "destination", path, kinds[0])
        source = _string(cc, params, "source", path, kinds[1])
        allocate = _flag(cc, params, "allocate", path)
        status_out = _out(cc, params, "status", path)
        wide = kinds[0] == UNICODE

        def step(f: Frame) -> Generator[Any, Any, None]:
            flag = bool(allocate(f) & 0xFF)
            target = destination(f)
            _report(f, api, {"destination": params["destination"],
                             "source": params["source"], "allocate": flag})
            status = _call(f, routine, target, source(f), flag)
            status_out(f, status)
            result: dict[str, Any] = {"status": status}
            if status < 0x80000000:
                result.update(buffer=target.buffer, length=target.length,
                              maximum_length=target.maximum_length,
                              text=_text(f, target, wide))
            _returned(f, api, result)
            return None
            yield
        return step


_conversion("upcase_unicode_string", "RtlUpcaseUnicodeString", (UNICODE, UNICODE),
            rtl_upcase_unicode_string, ("RtlUpcaseUnicodeString",),
            "RtlUpcaseUnicodeString(&destination, &source, allocate): allocate TRUE takes "
            "Source.Length bytes of PagedPool (no room for a NUL; free with "
            "free_unicode_string); FALSE needs MaximumLength >= Source.Length, else "
            "STATUS_BUFFER_OVERFLOW; in place allowed.")
_conversion("ansi_string_to_unicode_string", "RtlAnsiStringToUnicodeString",
            (UNICODE, ANSI), rtl_ansi_string_to_unicode_string,
            ("RtlAnsiStringToUnicodeString",),
            "RtlAnsiStringToUnicodeString(&destination, &source, allocate): allocate TRUE "
            "takes exactly the size with its NUL from PagedPool (free with "
            "free_unicode_string); FALSE without room for the NUL is "
            "STATUS_BUFFER_OVERFLOW, nothing converted.")
_conversion("unicode_string_to_ansi_string", "RtlUnicodeStringToAnsiString",
            (ANSI, UNICODE), rtl_unicode_string_to_ansi_string,
            ("RtlUnicodeStringToAnsiString",),
            "RtlUnicodeStringToAnsiString(&destination, &source, allocate): allocate TRUE "
            "takes Length/2 + 1 bytes of PagedPool (free with free_ansi_string); FALSE "
            "without room is STATUS_BUFFER_OVERFLOW with as much as fits converted.")


# -- integers ----------------------------------------------------------------------------------

@block("unicode_string_to_integer", summary="RtlUnicodeStringToInteger(&string, base, "
       "&into): leading blanks, one sign, base 0 reads 0x/0o/0b, stops at the first "
       "non-digit (still STATUS_SUCCESS); '-' negates unsigned (\"-100\" is 0xFFFFFF9C).",
       params=_props("string", "into", string=NAME, base=EXPR, into=LVALUE, status=LVALUE),
       max_irql="PASSIVE_LEVEL", models=("RtlUnicodeStringToInteger",))
def _to_integer(params: dict, cc: Any, path: list) -> Any:
    string = _string(cc, params, "string", path, UNICODE)
    base = _value(cc, params, "base", path)
    into, status_out = _out(cc, params, "into", path), _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        radix = base(f) & 0xFFFFFFFF
        _report(f, "RtlUnicodeStringToInteger", {"string": params["string"], "base": radix})
        status, value = _call(f, rtl_unicode_string_to_integer, string(f), radix)
        if value is not None:
            into(f, value)
        status_out(f, status)
        _returned(f, "RtlUnicodeStringToInteger", {"status": status, "value": value})
        return None
        yield
    return step


@block("integer_to_unicode_string", summary="RtlIntegerToUnicodeString(value, base, "
       "&string): the ULONG's digits into the string's own buffer, which needs room for "
       "them and a NUL (else STATUS_BUFFER_OVERFLOW); base 0 is 10.",
       params=_props("value", "string", value=EXPR, base=EXPR, string=NAME, status=LVALUE),
       max_irql="PASSIVE_LEVEL", models=("RtlIntegerToUnicodeString",))
def _from_integer(params: dict, cc: Any, path: list) -> Any:
    value, base = _value(cc, params, "value", path), _value(cc, params, "base", path)
    string = _string(cc, params, "string", path, UNICODE)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        number, radix, target = value(f) & 0xFFFFFFFF, base(f) & 0xFFFFFFFF, string(f)
        _report(f, "RtlIntegerToUnicodeString", {"value": number, "base": radix,
                                                 "string": params["string"]})
        status = _call(f, rtl_integer_to_unicode_string, number, radix, target)
        status_out(f, status)
        _returned(f, "RtlIntegerToUnicodeString", {"status": status})
        return None
        yield
    return step


# -- free --------------------------------------------------------------------------------------

def _free(name: str, api: str, kind: str, routine: Callable[..., None], summary: str) -> None:
    @block(name, summary=summary, params=NAME, max_irql="PASSIVE_LEVEL", models=(api,))
    def compile_(params: str, cc: Any, path: list) -> Any:
        string = _string_named(cc, params, path, kind)

        def step(f: Frame) -> Generator[Any, Any, None]:
            target = string(f)
            _report(f, api, {"string": params, "buffer": target.buffer})
            _call(f, routine, target)
            return None
            yield
        return step


_free("free_unicode_string", "RtlFreeUnicodeString", UNICODE, rtl_free_unicode_string,
      "RtlFreeUnicodeString(&string): ExFreePool(Buffer) and the header zeroed (NULL "
      "Buffer: nothing). A Buffer that is no pool block (a literal) is bug check 0xC2.")
_free("free_ansi_string", "RtlFreeAnsiString", ANSI, rtl_free_ansi_string,
      "RtlFreeAnsiString(&string): as free_unicode_string.")
