"""Blocks for the device's hardware (book §9.4, §9.5): registers, interrupts, ISRs,
KeSynchronizeExecution and the DpcForIsr (pnp-hardware §5).

A block names a device of the scenario's ``hardware:`` by its name; the interrupt
object IoConnectInterrupt returns goes into a PKINTERRUPT variable as C keeps it.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (NTSTATUS, KInterrupt, NotModelledError, active_processors,
                      io_connect_interrupt, io_disconnect_interrupt,
                      io_initialize_dpc_request, io_request_dpc, ke_synchronize_execution)
from .actions import EXPR, ROUTINE_REF
from .driver_io import LVALUE, _out, _value
from .registry import block
from .runtime import Frame, ScenarioRuntimeError
from .sync import REF, _context, _report, _returned, object_pointer

HARDWARE = {"$ref": "#/$defs/identifier", "description": "a device under hardware:"}


def _hardware(cc: Any, name: str, path: list) -> Callable[[Frame], Any]:
    def device(f: Frame) -> Any:
        found = f.kernel.hardware.get(name)
        if found is None:
            raise ScenarioRuntimeError(f"{cc.where(path)}: no device {name!r} under hardware:")
        return found
    return device


@block("connect_interrupt", summary="IoConnectInterrupt(&interrupt, isr, context, NULL, "
       "vector, irql, synchronize_irql, mode, share, affinity, ...) for a device's interrupt "
       "line: the vector, DIRQL and mode of its hardware: declaration. `vector`, `irql` and "
       "`affinity` are what a PnP driver passes from its translated interrupt descriptor; "
       "they must name that line. The ISR runs at DIRQL on the CPU that takes the "
       "interrupt and returns TRUE when its device interrupted.",
       params={"type": "object", "required": ["hardware", "isr"], "additionalProperties": False,
               "properties": {"hardware": HARDWARE, "isr": ROUTINE_REF, "context": REF,
                              "vector": EXPR, "irql": EXPR, "affinity": EXPR,
                              "synchronize_irql": EXPR, "interrupt": LVALUE,
                              "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("IoConnectInterrupt",))
def _connect_interrupt(params: dict, cc: Any, path: list) -> Any:
    device = _hardware(cc, params["hardware"], path + ["hardware"])
    vector, irql = _value(cc, params, "vector", path, None), _value(cc, params, "irql", path, None)
    affinity = _value(cc, params, "affinity", path, None)
    isr = cc.routine(params["isr"], "isr", "InterruptService", path + ["isr"])
    context = _context(cc, params, path) if "context" in params else None
    sync = _value(cc, params, "synchronize_irql", path, None)
    interrupt_out, status_out = _out(cc, params, "interrupt", path), _out(cc, params,
                                                                          "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        hw = device(f)
        if hw.line is None:
            raise ScenarioRuntimeError(f"{cc.where(path)}: {hw.name} has no interrupt: line")
        _report(f, "IoConnectInterrupt", {"device": hw.name, "isr": isr.name})
        wanted = _translated_line(f, hw, vector(f), irql(f))
        mask = affinity(f)
        status: int
        if mask is not None and not mask & active_processors(f.kernel):
            # pnp-hardware §5.1: a ProcessorEnableMask with no active processor
            status, interrupt = NTSTATUS.STATUS_INVALID_PARAMETER, None
        else:
            status, interrupt = io_connect_interrupt(
                f.kernel, isr.bind(f.model), context(f) if context else f.device, wanted,
                sync(f))
        interrupt_out(f, f.kernel.objects.address_of(interrupt))
        status_out(f, status)
        _returned(f, "IoConnectInterrupt", status=status)
        return None
        yield
    return step


def _translated_line(f: Frame, hw: Any, vector: int | None, irql: int | None) -> Any:
    """The line a driver's Vector and Irql (its translated descriptor's, §5.1) connect
    to: the device's, which must have them."""
    line = hw.line
    if (vector is not None and vector != line.vector) or (irql is not None
                                                          and irql != line.irql):
        raise NotModelledError("IoConnectInterrupt", f"vector 0x{vector or line.vector:X}, "
                               f"IRQL {irql if irql is not None else line.irql}: the "
                               f"interrupt line of {hw.name} is vector 0x{line.vector:X} at "
                               f"DIRQL {line.irql}; an interrupt object on a vector no "
                               "hardware: device drives is not modelled (declare the line "
                               "with the translated resource's vector and Level)")
    return line


@block("disconnect_interrupt", summary="IoDisconnectInterrupt(interrupt): the ISR is not "
       "called again.", params=EXPR, max_irql="PASSIVE_LEVEL",
       models=("IoDisconnectInterrupt",))
def _disconnect_interrupt(params: str, cc: Any, path: list) -> Any:
    interrupt = object_pointer(cc, params, "KInterrupt", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        io_disconnect_interrupt(interrupt(f))
        return None
        yield
    return step


@block("synchronize_execution", summary="KeSynchronizeExecution(interrupt, routine, context): "
       "the routine at the interrupt's SynchronizeIrql under its spin lock, so never at the "
       "same time as the ISR; 'result' gets its BOOLEAN.",
       params={"type": "object", "required": ["interrupt", "routine"],
               "additionalProperties": False,
               "properties": {"interrupt": EXPR, "routine": ROUTINE_REF, "context": REF,
                              "result": LVALUE}},
       models=("KeSynchronizeExecution",))
def _synchronize_execution(params: dict, cc: Any, path: list) -> Any:
    interrupt = object_pointer(cc, params["interrupt"], "KInterrupt", path + ["interrupt"])
    routine = cc.routine(params["routine"], "synch", "SynchCritSection", path + ["routine"])
    context = _context(cc, params, path) if "context" in params else None
    result = _out(cc, params, "result", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        target: KInterrupt = interrupt(f)
        _report(f, "KeSynchronizeExecution", {"routine": routine.name})
        value = yield from ke_synchronize_execution(target, routine.bind(f.model),
                                                    context(f) if context else f.device)
        _returned(f, "KeSynchronizeExecution", result=value)
        result(f, value)
    return step


@block("initialize_dpc_request", summary="IoInitializeDpcRequest(DeviceObject, DpcForIsr): "
       "the DPC in the device object; DpcForIsr(Dpc, DeviceObject, Irp, Context).",
       params=ROUTINE_REF, models=("IoInitializeDpcRequest",))
def _initialize_dpc_request(params: Any, cc: Any, path: list) -> Any:
    routine = cc.routine(params, "dpc_for_isr", "DpcForIsr", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        io_initialize_dpc_request(f.device, routine.bind(f.model))
        return None
        yield
    return step


@block("request_dpc", bare=True, summary="IoRequestDpc(DeviceObject, Irp, Context) from the "
       "ISR: queued once however often it is requested (the first request's Irp and "
       "Context kept).", params=None, models=("IoRequestDpc",))
def _request_dpc(params: None, cc: Any, path: list) -> Any:
    def step(f: Frame) -> Generator[Any, Any, None]:
        if f.device is None or f.device.dpc is None:
            raise ScenarioRuntimeError(f"{cc.where(path)}: IoRequestDpc without "
                                       "IoInitializeDpcRequest (initialize_dpc_request)")
        io_request_dpc(f.device, f.device.current_irp, None)
        return None
        yield
    return step


@block("read_register", summary="READ_REGISTER_UCHAR / USHORT / ULONG: a memory-mapped "
       "device register (the model's registers serve both spaces) into a variable.",
       params={"type": "object", "required": ["hardware", "register", "into"],
               "additionalProperties": False,
               "properties": {"hardware": HARDWARE, "register": {"type": "string"},
                              "into": LVALUE}},
       models=("READ_REGISTER_UCHAR", "READ_REGISTER_USHORT", "READ_REGISTER_ULONG"))
@block("read_port", summary="READ_PORT_UCHAR / USHORT / ULONG (by the register's size) of a "
       "device register into a variable.",
       params={"type": "object", "required": ["hardware", "register", "into"],
               "additionalProperties": False,
               "properties": {"hardware": HARDWARE, "register": {"type": "string"},
                              "into": LVALUE}},
       models=("READ_PORT_UCHAR", "READ_PORT_USHORT", "READ_PORT_ULONG"))
def _read_port(params: dict, cc: Any, path: list) -> Any:
    device = _hardware(cc, params["hardware"], path + ["hardware"])
    into = _out(cc, params, "into", path)
    register = params["register"]

    def step(f: Frame) -> Generator[Any, Any, None]:
        hw = device(f)
        _check_register(cc, hw, register, path)
        into(f, hw.read(register))
        return None
        yield
    return step


@block("write_register", summary="WRITE_REGISTER_UCHAR / USHORT / ULONG: a value to a "
       "memory-mapped device register.",
       params={"type": "object", "required": ["hardware", "register", "value"],
               "additionalProperties": False,
               "properties": {"hardware": HARDWARE, "register": {"type": "string"},
                              "value": EXPR}},
       models=("WRITE_REGISTER_UCHAR", "WRITE_REGISTER_USHORT", "WRITE_REGISTER_ULONG"))
@block("write_port", summary="WRITE_PORT_UCHAR / USHORT / ULONG of a value to a device "
       "register (a w1c register clears the bits written: acknowledging an interrupt).",
       params={"type": "object", "required": ["hardware", "register", "value"],
               "additionalProperties": False,
               "properties": {"hardware": HARDWARE, "register": {"type": "string"},
                              "value": EXPR}},
       models=("WRITE_PORT_UCHAR", "WRITE_PORT_USHORT", "WRITE_PORT_ULONG"))
def _write_port(params: dict, cc: Any, path: list) -> Any:
    device = _hardware(cc, params["hardware"], path + ["hardware"])
    value = _value(cc, params, "value", path)
    register = params["register"]

    def step(f: Frame) -> Generator[Any, Any, None]:
        hw = device(f)
        _check_register(cc, hw, register, path)
        hw.write(register, value(f))
        return None
        yield
    return step


def _check_register(cc: Any, hw: Any, register: str, path: list) -> None:
    if register not in hw.registers:
        raise ScenarioRuntimeError(f"{cc.where(path)}: {hw.name} has no register {register!r} "
                                   f"(it has {', '.join(hw.registers) or 'none'})")
