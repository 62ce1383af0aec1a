"""Structured exception handling around driver steps, and the probes that raise into it
(book §5.6; stacks-services 4.7).

``try: {body, except, finally}`` is __try / __except(EXCEPTION_EXECUTE_HANDLER) /
__finally. What the body raises (ExRaiseStatus, a probe, an access violation on a user
address at PASSIVE_LEVEL or APC_LEVEL) runs the except steps; a bug check, a fault at
DISPATCH_LEVEL or on a kernel address cannot be caught. The finally steps run however
the body ends, a `return` included.
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import NotModelledError, StatusRaised, dbg_print, probe_for_read, probe_for_write
from .actions import EXPR, ROUTINE
from .driver_io import LVALUE, _out, _value
from .registry import block
from .runtime import Frame, run_steps

@block("try", summary="__try { body } __except (EXCEPTION_EXECUTE_HANDLER) { except } "
       "and / or __finally { finally }; 'code' gets GetExceptionCode().",
       params={"type": "object", "required": ["body"], "additionalProperties": False,
               "properties": {"body": ROUTINE, "except": ROUTINE, "finally": ROUTINE,
                              "code": LVALUE}},
       models=())
def _try(params: dict, cc: Any, path: list) -> Any:
    body = cc.steps(params["body"], path + ["body"])
    handler = cc.steps(params["except"], path + ["except"]) if "except" in params else None
    final = cc.steps(params.get("finally", []), path + ["finally"])
    code = _out(cc, params, "code", path)

    def guarded(f: Frame) -> Generator[Any, Any, Any]:
        if handler is None:
            return (yield from run_steps(body, f))
        thread = f.kernel.current_thread
        thread.exception_handlers += 1
        try:
            result = yield from run_steps(body, f)
        except StatusRaised as raised:
            thread.exception_handlers -= 1
            code(f, raised.status)
            f.kernel.hooks.service_call("__except", {"code": f"0x{raised.status:08X}"})
            return (yield from run_steps(handler, f))
        thread.exception_handlers -= 1
        return result

    def step(f: Frame) -> Generator[Any, Any, Any]:
        try:
            result = yield from guarded(f)
        except StatusRaised:
            yield from run_steps(final, f)     # __finally runs as the exception unwinds
            raise
        yield from run_steps(final, f)         # ... and when the body is left by return
        return result
    return step


def _probe(name: str, api: str, probe: Any) -> None:
    @block(name, summary=f"{api}(address, length, alignment): raises "
           "STATUS_DATATYPE_MISALIGNMENT or STATUS_ACCESS_VIOLATION into the __try; "
           + ("touches nothing." if "Read" in api else "writes each page (NULL faults)."),
           params={"type": "object", "required": ["address", "length", "alignment"],
                   "additionalProperties": False,
                   "properties": {"address": EXPR, "length": EXPR, "alignment": EXPR}},
           max_irql="APC_LEVEL", models=(api,))
    def compile_(params: dict, cc: Any, path: list) -> Any:
        address, length = _value(cc, params, "address", path), _value(cc, params, "length",
                                                                       path)
        alignment = _value(cc, params, "alignment", path)

        def step(f: Frame) -> Generator[Any, Any, None]:
            probe(f.kernel, address(f) & 0xFFFFFFFF, length(f) & 0xFFFFFFFF, alignment(f))
            return None
            yield
        return step


_probe("probe_for_read", "ProbeForRead", probe_for_read)
_probe("probe_for_write", "ProbeForWrite", probe_for_write)


STATUS_BREAKPOINT = 0x80000003


@block("assert", summary="ASSERT(expression): a checked build evaluates it and, when it is "
       "false, RtlAssert prints the assertion and breaks: with no debugger attached the "
       "breakpoint exception is unhandled (0x7E in a system thread, else 0x1E, code "
       "0x80000003) unless a __try catches it. A free build compiles it away.",
       params={"anyOf": [EXPR, {"type": "object", "required": ["expression"],
                                "additionalProperties": False,
                                "properties": {"expression": EXPR,
                                               "file": {"type": "string", "maxLength": 260},
                                               "line": {"type": "integer", "minimum": 1}}}]},
       models=("RtlAssert", "DbgBreakPoint"))
def _assert(params: Any, cc: Any, path: list) -> Any:
    spec = params if isinstance(params, dict) else {"expression": params}
    text = str(spec["expression"])
    if cc.spec.get("build") == "free":               # stacks-services 4.8: not evaluated
        def nothing(f: Frame) -> Generator[Any, Any, None]:
            return None
            yield
        return nothing
    check = cc.expr(spec["expression"], path)
    file, line, _ = cc.source.locate(path)
    file, line = spec.get("file", file), spec.get("line", line)

    def step(f: Frame) -> Generator[Any, Any, None]:
        if check.fn(f):
            return None
        # RtlAssert's text through DbgPrint (stacks-services 4.8, the ReactOS wording)
        dbg_print(f.kernel, f"*** Assertion failed: {text}")
        dbg_print(f.kernel, f"***   Source File: {file}, line {line}")
        if f.kernel.debugger:
            dbg_print(f.kernel, "Break repeatedly, break Once, Ignore, terminate Process "
                                "or terminate Thread (boipt)?")
            raise NotModelledError("RtlAssert", "the kernel debugger's prompt: what is "
                                   "answered there is not modelled")
        # no debugger: DbgBreakPoint's breakpoint exception finds no debugger and no
        # handler (stacks-services 4.8's default; pnp-hardware §2.4: 0x7E in a system
        # thread such as the PnP worker running AddDevice)
        f.kernel.raise_status(STATUS_BREAKPOINT, f"ASSERT({text}) failed")
        return None
        yield
    return step
