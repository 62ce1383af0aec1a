"""Blocks for pool memory and the Rtl memory routines (book §5.3-§5.5; stacks-services
4.3-4.6).

A pool block's address goes where C keeps it (a PVOID / PUCHAR variable); the Rtl*
blocks take pointer expressions, which must point into a live pool block (a NULL or
wild pointer faults as the CPU would).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (POOL_TYPES, TAG_NONE, NotModelledError, ex_interlocked,
                      ex_allocate_from_lookaside_list, ex_delete_lookaside_list,
                      ex_free_to_lookaside_list, ex_initialize_lookaside_list,
                      ex_allocate_pool_with_tag, ex_free_pool_with_tag, tag_text)
from .actions import EXPR, object_ref
from .driver_io import LVALUE, _out, _value
from .sync import REF
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
         run: Callable[[Frame, dict], int | None]) -> None:
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


# -- linked lists of records (stacks-services 4.1) ------------------------------------------

_LIST = {"type": "string", "minLength": 1, "maxLength": 64,
         "description": "a LIST_ENTRY of the state, extension or locals"}


def _list_of(cc: Any, params: Any, path: list) -> Callable[[Frame], list]:
    name = params["list"] if isinstance(params, dict) else params
    return cc.list(name, "produce", path)


def _list_block(name: str, api: str, summary: str, props: dict,
                run: Callable[[Frame, list, dict], Any]) -> None:
    @block(name, summary=summary, params={"type": "object", "required": ["list", *[
        k for k in props if k in ("entry",)]], "additionalProperties": False,
        "properties": {"list": _LIST, **props}}, models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        items = _list_of(cc, params, path + ["list"])
        entry = _value(cc, params, "entry", path) if "entry" in params else None
        into = _out(cc, params, "into", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            result = run(f, items(f), {"entry": entry(f) & 0xFFFFFFFF if entry else None})
            if result is not None:
                into(f, result)
            return None
            yield
        return step


def _insert(head: bool) -> Callable[[Frame, list, dict], None]:
    def run(f: Frame, items: list, a: dict) -> None:
        if a["entry"] in items:
            raise NotModelledError("InsertHeadList" if head else "InsertTailList",
                                   f"0x{a['entry']:08X} is already in the list: the links "
                                   "it corrupts are not modelled")
        items.insert(0, a["entry"]) if head else items.append(a["entry"])
    return run


def _remove(head: bool) -> Callable[[Frame, list, dict], int]:
    def run(f: Frame, items: list, a: dict) -> int:
        if not items:        # 4.1: an empty list gives the head itself, unchanged
            return f.kernel.objects.address_of(items)
        return items.pop(0 if head else -1)
    return run


def _remove_entry(f: Frame, items: list, a: dict) -> int:
    if a["entry"] not in items:
        raise NotModelledError("RemoveEntryList", f"0x{a['entry']:08X} is not in the list")
    items.remove(a["entry"])
    return int(not items)     # TRUE when the list became empty


_ENTRY = dict(EXPR, description="the record's address (the list keeps records, so "
                                "CONTAINING_RECORD is the record itself)")
_list_block("insert_head_list", "InsertHeadList", "InsertHeadList(&head, &record->ListEntry).",
            {"entry": _ENTRY}, _insert(True))
_list_block("insert_tail_list", "InsertTailList", "InsertTailList(&head, &record->ListEntry).",
            {"entry": _ENTRY}, _insert(False))
_list_block("remove_head_list", "RemoveHeadList", "RemoveHeadList + CONTAINING_RECORD: the "
            "first record into 'into'; on an empty list the head itself (unchanged).",
            {"into": LVALUE}, _remove(True))
_list_block("remove_tail_list", "RemoveTailList", "RemoveTailList + CONTAINING_RECORD: the "
            "last record into 'into'; on an empty list the head itself (unchanged).",
            {"into": LVALUE}, _remove(False))
_list_block("is_list_empty", "IsListEmpty", "IsListEmpty(&head) into 'into'.",
            {"into": LVALUE}, lambda f, items, a: int(not items))
_list_block("remove_entry_list", "RemoveEntryList", "RemoveEntryList(&record->ListEntry) "
            "from this list: 'into' gets TRUE when the list became empty.",
            {"entry": _ENTRY, "into": LVALUE}, _remove_entry)


def _ex_interlocked_list(name: str, api: str, summary: str, head: bool, insert: bool) -> None:
    props: dict[str, Any] = {"list": _LIST, "lock": REF, "into": LVALUE}
    if insert:
        props["entry"] = _ENTRY

    @block(name, summary=summary, params={"type": "object", "additionalProperties": False,
                                          "required": ["list", "lock", *(["entry"] if insert
                                                                         else [])],
                                          "properties": props}, models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        items = _list_of(cc, params, path + ["list"])
        lock = object_ref(cc, params["lock"], "KSPIN_LOCK", path + ["lock"])
        entry = _value(cc, params, "entry", path) if insert else None
        into = _out(cc, params, "into", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            records = items(f)

            def operation() -> int:
                # kernel-env §2.5: the inserts give the old first / last entry or NULL;
                # the remove gives NULL on an empty list (RemoveHeadList gives the head)
                if insert:
                    assert entry is not None     # compiled for the inserts
                    record = entry(f) & 0xFFFFFFFF
                    old = (records[0] if head else records[-1]) if records else 0
                    _insert(head)(f, records, {"entry": record})
                    return old
                return records.pop(0) if records else 0
            f.kernel.hooks.service_call(api, {"list": params["list"]})
            into(f, (yield from ex_interlocked(lock(f), api, operation)))
        return step


_ex_interlocked_list("ex_interlocked_insert_head_list", "ExInterlockedInsertHeadList",
                     "ExInterlockedInsertHeadList(&head, &record->ListEntry, &lock): under the "
                     "lock at any IRQL; 'into' gets the old first record or NULL.", True, True)
_ex_interlocked_list("ex_interlocked_insert_tail_list", "ExInterlockedInsertTailList",
                     "ExInterlockedInsertTailList(&head, &record->ListEntry, &lock): 'into' "
                     "gets the old last record or NULL.", False, True)
_ex_interlocked_list("ex_interlocked_remove_head_list", "ExInterlockedRemoveHeadList",
                     "ExInterlockedRemoveHeadList(&head, &lock): the first record, or NULL on "
                     "an empty list (unlike RemoveHeadList).", True, False)


@block("initialize_list_head", summary="InitializeListHead(&head): an empty list.",
       params=_LIST, models=("InitializeListHead",))
def _initialize_list_head(params: str, cc: Any, path: list) -> Any:
    items = cc.list(params, "produce", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        items(f).clear()
        return None
        yield
    return step


# -- lookaside lists (stacks-services 4.2) ---------------------------------------------------

def _lookaside(cc: Any, name: str, path: list) -> Callable[[Frame], Any]:
    var = cc.source.names.state.get(name)
    if var is None or var.object not in ("PAGED_LOOKASIDE_LIST", "NPAGED_LOOKASIDE_LIST"):
        cc.report(path, f"{name!r} is not a PAGED_LOOKASIDE_LIST or NPAGED_LOOKASIDE_LIST "
                  "variable")
        return lambda f: None
    store = cc.source.names.store_of(var)
    return lambda f: store(f)[name]


@block("initialize_lookaside_list", summary="ExInitializePagedLookasideList / "
       "ExInitializeNPagedLookasideList(&list, NULL, NULL, 0, size, tag, 0) by the "
       "variable's type.",
       params={"type": "object", "required": ["list", "size", "tag"],
               "additionalProperties": False,
               "properties": {"list": {"$ref": "#/$defs/identifier"}, "size": EXPR,
                              "tag": TAG}},
       models=("ExInitializePagedLookasideList", "ExInitializeNPagedLookasideList"))
def _init_lookaside(params: dict, cc: Any, path: list) -> Any:
    lookaside = _lookaside(cc, params["list"], path + ["list"])
    size, tag = _value(cc, params, "size", path), _tag(params["tag"])

    def step(f: Frame) -> Generator[Any, Any, None]:
        ex_initialize_lookaside_list(lookaside(f), size(f) & 0xFFFFFFFF, tag)
        return None
        yield
    return step


@block("allocate_from_lookaside_list", summary="ExAllocateFrom(N)PagedLookasideList: a "
       "cached block or a new pool block, its address into 'into'.",
       params={"type": "object", "required": ["list", "into"], "additionalProperties": False,
               "properties": {"list": {"$ref": "#/$defs/identifier"}, "into": LVALUE}},
       models=("ExAllocateFromPagedLookasideList", "ExAllocateFromNPagedLookasideList"))
def _alloc_lookaside(params: dict, cc: Any, path: list) -> Any:
    lookaside = _lookaside(cc, params["list"], path + ["list"])
    into = _out(cc, params, "into", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        into(f, ex_allocate_from_lookaside_list(lookaside(f)).address)
        return None
        yield
    return step


@block("free_to_lookaside_list", summary="ExFreeTo(N)PagedLookasideList: cached while the "
       "list is below its depth (4), else back to the pool.",
       params={"type": "object", "required": ["list", "pointer"], "additionalProperties": False,
               "properties": {"list": {"$ref": "#/$defs/identifier"}, "pointer": EXPR}},
       models=("ExFreeToPagedLookasideList", "ExFreeToNPagedLookasideList"))
def _free_lookaside(params: dict, cc: Any, path: list) -> Any:
    lookaside = _lookaside(cc, params["list"], path + ["list"])
    pointer = _value(cc, params, "pointer", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        ex_free_to_lookaside_list(lookaside(f), pointer(f) & 0xFFFFFFFF)
        return None
        yield
    return step


@block("delete_lookaside_list", summary="ExDelete(N)PagedLookasideList: the cached blocks go "
       "back to the pool; blocks still held stay allocated.",
       params={"$ref": "#/$defs/identifier"},
       models=("ExDeletePagedLookasideList", "ExDeleteNPagedLookasideList"))
def _delete_lookaside(params: str, cc: Any, path: list) -> Any:
    lookaside = _lookaside(cc, params, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        ex_delete_lookaside_list(lookaside(f))
        return None
        yield
    return step
