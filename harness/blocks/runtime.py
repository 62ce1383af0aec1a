"""What compiled driver code runs against: the driver's state and one call's frame.

A scenario driver becomes a :class:`DriverModel` (its DRIVER_OBJECT, devices and the
named events, timers, queues and files its blocks share). Each invocation of a routine
gets a :class:`Frame`: which device and IRP it runs for and what it will return.
"""

from __future__ import annotations

from typing import Any, Callable

from ..kernel import (KEvent, KTimer, NotificationEvent, NTSTATUS, IRQL, IRP_MJ,
                      io_get_current_irp_stack_location, mm_get_system_address_for_mdl_safe)

STOP = object()   # a step returns STOP to end its routine (the ``return`` action)


class DriverModel:
    """One scenario driver at run time."""

    def __init__(self, kernel: Any, name: str, driver: Any) -> None:
        self.kernel = kernel
        self.name = name
        self.driver = driver
        self.devices: dict[str, Any] = {}
        self.routines: dict[str, Callable[..., Any]] = {}
        self.events: dict[str, KEvent] = {}
        self.timers: dict[str, KTimer] = {}
        self.queues: dict[str, list[Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.timeouts: dict[int, KTimer] = {}   # IRP id -> timer that would time it out
        self.vars: dict[str, Any] = {}
        self.create_devices: Callable[[], Any] | None = None   # set by the session
        self.devices_created = False

    def event(self, name: str) -> KEvent:
        if name not in self.events:
            self.events[name] = KEvent(self.kernel, NotificationEvent, False,
                                       f"{self.name}.{name}")
        return self.events[name]

    def timer(self, name: str) -> KTimer:
        if name not in self.timers:
            self.timers[name] = KTimer(self.kernel, name=f"{self.name}.{name}")
        return self.timers[name]

    def queue(self, name: str) -> list[Any]:
        return self.queues.setdefault(name, [])

    def __repr__(self) -> str:
        return f"<driver {self.name}>"


class Frame:
    """One invocation of a compiled routine."""

    __slots__ = ("kernel", "model", "device", "irp", "context", "result", "lower_status",
                 "vars")

    def __init__(self, model: DriverModel, device: Any, irp: Any, context: Any = None) -> None:
        self.kernel = model.kernel
        self.model = model
        self.device = device
        self.irp = irp
        self.context = context
        self.result: Any = None
        self.lower_status: Any = None
        self.vars: dict[str, Any] = {}

    @property
    def stack(self) -> Any:
        return io_get_current_irp_stack_location(self.irp)

    def lower_device(self) -> Any:
        lower = self.device.device_extension.get("lower") if self.device else None
        if lower is None:
            from ..kernel import NotModelledError
            raise NotModelledError("IoCallDriver", f"device {self.device.label} is not attached "
                                   "to anything (no attach_to): there is no lower device")
        return lower


class Fields:
    """Values a ``log`` line may name: ``{length}``, ``{mdl_va:08X}``, ``{major}`` ..."""

    def __init__(self, frame: Frame) -> None:
        self.f = frame

    def __getitem__(self, key: str) -> Any:
        f = self.f
        if key in f.vars:
            return f.vars[key]
        if key in f.model.vars:
            return f.model.vars[key]
        irp = f.irp
        getter = _FIELDS.get(key)
        if getter is None:
            raise KeyError(key)
        return getter(f, irp)


def _params(f: Frame) -> Any:
    return io_get_current_irp_stack_location(f.irp).parameters


def _mdl(f: Frame) -> Any:
    mdl = f.irp.mdl_address
    if mdl is None:
        raise KeyError("the IRP has no MDL")
    return mdl


_FIELDS: dict[str, Callable[[Frame, Any], Any]] = {
    "major": lambda f, irp: IRP_MJ(f.stack.major_function).name,
    "minor": lambda f, irp: f.stack.minor_function,
    "length": lambda f, irp: _params(f).length,
    "offset": lambda f, irp: _params(f).byte_offset,
    "input_length": lambda f, irp: _params(f).input_buffer_length,
    "output_length": lambda f, irp: _params(f).output_buffer_length,
    "code": lambda f, irp: _params(f).io_control_code,
    "status": lambda f, irp: NTSTATUS(irp.io_status.status).name,
    "information": lambda f, irp: irp.io_status.information,
    "pending_returned": lambda f, irp: "TRUE" if irp.pending_returned else "FALSE",
    "irql": lambda f, irp: IRQL(f.kernel.cpu.irql).name,
    "user_buffer": lambda f, irp: irp.user_buffer.address if irp.user_buffer else 0,
    "system_buffer": lambda f, irp: irp.system_buffer.address if irp.system_buffer else 0,
    "type3_input": lambda f, irp: (_params(f).type3_input_buffer.address
                                   if _params(f).type3_input_buffer else 0),
    "mdl_va": lambda f, irp: _mdl(f).virtual_address,
    "mdl_count": lambda f, irp: _mdl(f).byte_count,
    "mdl_offset": lambda f, irp: _mdl(f).byte_offset,
    "system_address": lambda f, irp: mm_get_system_address_for_mdl_safe(f.kernel,
                                                                         _mdl(f)).address,
    "device": lambda f, irp: f.device.label if f.device else "",
    "driver": lambda f, irp: f.model.name,
    "process": lambda f, irp: f.kernel.current_thread.process,
    "thread": lambda f, irp: f.kernel.current_thread.name,
    "irp": lambda f, irp: irp.id,
}
