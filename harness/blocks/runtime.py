"""What compiled driver code runs against: the driver's state and one call's frame.

A scenario driver becomes a :class:`DriverModel` (its DRIVER_OBJECT, devices and the
named events, timers, queues and files its blocks share). Each invocation of a routine
gets a :class:`Frame`: which device and IRP it runs for and what it will return.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, Sequence

from ..kernel import (KEvent, KTimer, NotificationEvent, NotModelledError,
                      io_get_current_irp_stack_location, iop_dead_code)

STOP = object()   # a step returns STOP to end its routine (the ``return`` action)


class ScenarioRuntimeError(Exception):
    """The scenario asked for something impossible while running (e.g. a dispatch
    routine that ended without deciding a status). Names the YAML place."""


def run_steps(steps: Sequence[Callable[["Frame"], Generator[Any, Any, Any]]], frame: "Frame"
              ) -> Generator[Any, Any, Any]:
    """Run compiled steps in order until one returns STOP. Code whose image was
    unloaded while it waited (a system thread the driver did not stop) dies on its
    way back: bug check 0xCE (pnp-hardware §1.8)."""
    image = frame.model.image
    for step in steps:
        if (yield from step(frame)) is STOP:
            return STOP
        if image is not None and image.unloaded:
            iop_dead_code(frame.kernel, frame.routine)
    return None


class DriverModel:
    """One scenario driver at run time."""

    def __init__(self, kernel: Any, name: str, driver: Any) -> None:
        self.kernel = kernel
        self.name = name
        self.driver = driver
        self.devices: dict[str, Any] = {}
        self.bound: dict[Any, Callable[..., Any]] = {}   # Routine -> its callable here
        self.globals: dict[str, Any] = {}               # state: (driver globals)
        self.events: dict[str, KEvent] = {}
        self.timers: dict[str, KTimer] = {}
        self.queues: dict[str, list[Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.timeouts: dict[int, KTimer] = {}   # IRP id -> timer that would time it out
        self.vars: dict[str, Any] = {}
        self.create_devices: Callable[[], Any] | None = None   # set by the session
        self.image: Any = None          # the DriverImage its code is in (set by the session)
        self.registry_path = ""         # DriverEntry's RegistryPath (its service key)
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
                 "vars", "routine")

    def __init__(self, model: DriverModel, device: Any, irp: Any, context: Any = None) -> None:
        self.kernel = model.kernel
        self.model = model
        self.device = device
        self.irp = irp
        self.context = context
        self.result: Any = None
        self.lower_status: Any = None
        self.vars: dict[str, Any] = {}
        self.routine: Any = None     # the kernel-callable routine running (its "address")

    @property
    def stack(self) -> Any:
        return io_get_current_irp_stack_location(self.irp)

    def lower_device(self) -> Any:
        lower = self.device.device_extension.get("lower") if self.device else None
        if lower is None:
            raise NotModelledError("IoCallDriver", f"device {self.device.label} is not attached "
                                   "to anything (no attach_to): there is no lower device")
        return lower
