"""Blocks for pool memory and the Rtl memory routines (book §5.3-§5.5; stacks-services
4.3-4.6).

A pool block's address goes where C keeps it (a PVOID / PUCHAR variable); the Rtl*
blocks take pointer expressions, which must point into a live pool block (a NULL or
wild pointer faults as the CPU would).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (POOL_TYPES, TAG_NONE, NotModelledError, ex_allocate_pool_with_tag,
                      ex_free_pool_with_tag, tag_text)
from .actions import EXPR
from .driver_io import LVALUE, _out, _value
from .registry import block
from .runtime import Frame
from .state import fault

TAG = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 4},
                 {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF}],
       "description": "a pool tag: up to four characters as C writes them ('1234' is "
                      "the ULONG 0x31323334, stored lowest byte first) or a number"}


def _tag(value: Any) -> int:
    """A C multi-character constant: 'abcd' is 0x61626364 (so it reads "dcba" in memory;
    the book's tags are written this way)."""
    if isinstance(value, int):
        return value
    return int.from_bytes(value.encode("latin-1").rjust(4, b"\0")[-4:], "big")


def _memory(f: Frame, address: int, length: int, write: bool) -> tuple[Any, int]:
    """The pool block ``address`` points into and the offset there; faults otherwise."""
    block = f.kernel.pool_blocks.containing(address)
    if block is None:
        freed = f.kernel.pool_blocks.blocks.get(address)
        if freed is not None and freed.freed:
            raise NotModelledError("touching freed pool", f"0x{address:08X} was freed: "
                                   "what it holds now is not modelled")
        fault(f, address, write)
    offset = address - block.buffer.address
    if offset + length > block.size:
        raise NotModelledError("a buffer overrun", f"{length} bytes at 0x{address:08X} run "
                               f"past the {block.size}-byte pool block")
    return block.buffer, offset


@block("allocate_pool", summary="ExAllocatePoolWithTag(type, size, tag) (ExAllocatePool "
       "without a tag): the block's address into a variable. Raw pool, not zeroed; paged "
       "pool above APC_LEVEL is bug check 0xC2 0x08 (0xC4 0x01 under Driver Verifier).",
       params={"type": "object", "required": ["size", "into"], "additionalProperties": False,
               "properties": {"type": {"enum": list(POOL_TYPES)}, "size": EXPR, "tag": TAG,
                              "into": LVALUE}},
       models=("ExAllocatePool", "ExAllocatePoolWithTag"))
def _allocate_pool(params: dict, cc: Any, path: list) -> Any:
    pool_type = POOL_TYPES[params.get("type", "NonPagedPool")]
    size = _value(cc, params, "size", path)
    tag = _tag(params["tag"]) if "tag" in params else TAG_NONE   # ExAllocatePool's 'None'
    into = _out(cc, params, "into", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        count = size(f) & 0xFFFFFFFF
        f.kernel.hooks.service_call("ExAllocatePoolWithTag", {
            "type": params.get("type", "NonPagedPool"), "size": count, "tag": tag_text(tag)})
        buffer = ex_allocate_pool_with_tag(f.kernel, pool_type, count, tag)
        f.kernel.hooks.service_return("ExAllocatePoolWithTag", {"address": buffer.address})
        into(f, buffer.address)
        return None
        yield
    return step


@block("free_pool", summary="ExFreePool(p) / ExFreePoolWithTag(p, tag): a second free is "
       "0xC2 0x07, a pointer no block starts at 0xC2 0x42 (0x40 a user address), the wrong "
       "tag 0xC2 0x0A.",
       params={"anyOf": [EXPR, {"type": "object", "required": ["pointer"],
                                "additionalProperties": False,
                                "properties": {"pointer": EXPR, "tag": TAG}}]},
       models=("ExFreePool", "ExFreePoolWithTag"))
def _free_pool(params: Any, cc: Any, path: list) -> Any:
    params = params if isinstance(params, dict) else {"pointer": params}
    pointer = _value(cc, params, "pointer", path)
    tag = _tag(params["tag"]) if "tag" in params else None

    def step(f: Frame) -> Generator[Any, Any, None]:
        address = pointer(f) & 0xFFFFFFFF
        f.kernel.hooks.service_call("ExFreePool", {"address": address})
        ex_free_pool_with_tag(f.kernel, address, tag)
        return None
        yield
    return step


def _rtl(name: str, api: str, summary: str, props: dict, required: tuple[str, ...],
         run: Callable[[Frame, dict], None]) -> None:
    @block(name, summary=summary, params={"type": "object", "required": list(required),
                                          "additionalProperties": False, "properties": props},
           models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        values = {key: _value(cc, params, key, path) for key in props if key in params
                  and key != "into"}
        into = _out(cc, params, "into", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            result = run(f, {key: fn(f) & 0xFFFFFFFF for key, fn in values.items()})
            if result is not None:
                into(f, result)
            return None
            yield
        return step


def _fill(f: Frame, a: dict) -> None:
    buffer, offset = _memory(f, a["pointer"], a["length"], True)
    buffer.fill(a.get("value", 0) & 0xFF, a["length"], offset)


def _copy(f: Frame, a: dict) -> None:
    source, at = _memory(f, a["source"], a["length"], False)
    target, to = _memory(f, a["destination"], a["length"], True)
    target.write(source.read(at, a["length"]), to)


def _compare(f: Frame, a: dict) -> int:
    """RtlCompareMemory: the number of leading bytes that match (4.6)."""
    first, at = _memory(f, a["source1"], a["length"], False)
    second, bt = _memory(f, a["source2"], a["length"], False)
    x, y = first.read(at, a["length"]), second.read(bt, a["length"])
    return next((i for i in range(len(x)) if x[i] != y[i]), len(x))


_rtl("rtl_zero_memory", "RtlZeroMemory", "RtlZeroMemory(pointer, length).",
     {"pointer": EXPR, "length": EXPR}, ("pointer", "length"), _fill)
_rtl("rtl_fill_memory", "RtlFillMemory", "RtlFillMemory(pointer, length, value).",
     {"pointer": EXPR, "length": EXPR, "value": EXPR}, ("pointer", "length", "value"), _fill)
_rtl("rtl_copy_memory", "RtlCopyMemory", "RtlCopyMemory(destination, source, length) "
     "between pool blocks.", {"destination": EXPR, "source": EXPR, "length": EXPR},
     ("destination", "source", "length"), _copy)
_rtl("rtl_compare_memory", "RtlCompareMemory", "RtlCompareMemory(source1, source2, length): "
     "the number of leading bytes that match into 'into' (== length when equal).",
     {"source1": EXPR, "source2": EXPR, "length": EXPR, "into": LVALUE},
     ("source1", "source2", "length", "into"), _compare)
