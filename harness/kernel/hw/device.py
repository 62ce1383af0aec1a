"""A hardware device: named registers and an interrupt line (pnp-hardware §5.7).

A register has a size (1, 2 or 4 bytes: READ_PORT_UCHAR / USHORT / ULONG) and a value.
The line's ``cause`` register decides when a level-sensitive line is asserted (while
it is non-zero); a latched line is asserted by an edge and stays pending until a CPU
takes it. A ``w1c`` register clears the bits written to it (write-1-to-clear, as
interrupt-status registers do); others just store the value. Reading a register with
``read_clears`` clears those bits of other registers, as reading an 8042's data port
empties its output buffer (the OUTPUT_BUFFER_FULL status bit goes). Whatever changes the
line tells the machine's interrupt controller (``on_assert``), which the kernel sets.
"""

from __future__ import annotations

import random
from typing import Any, Callable

LevelSensitive, Latched = 0, 1


class Reaction:
    """What the device does when a value is written to a register: after a latency
    (fixed, or drawn uniformly from [low, high] with the scenario's seed), set registers
    and / or raise an edge. ``value`` None reacts to any value."""

    __slots__ = ("value", "latency", "sets", "edge")

    def __init__(self, value: int | None, latency: tuple[int, int],
                 sets: dict[str, int], edge: bool) -> None:
        self.value, self.latency, self.sets, self.edge = value, latency, sets, edge


class Register:
    __slots__ = ("name", "size", "value", "w1c", "on_write", "read_clears")

    def __init__(self, name: str, size: int, value: int = 0, w1c: bool = False,
                 on_write: tuple[Reaction, ...] = (),
                 read_clears: dict[str, int] | None = None) -> None:
        self.name, self.size, self.w1c = name, size, w1c
        self.value = value & self.mask
        self.on_write = on_write
        self.read_clears = dict(read_clears or {})   # register -> bits a read clears

    @property
    def mask(self) -> int:
        return (1 << (8 * self.size)) - 1


class InterruptLine:
    """One interrupt line: vector, DIRQL, mode, whether it may be shared."""

    __slots__ = ("device", "vector", "irql", "mode", "shared", "cause", "pending",
                 "connected", "on_assert")

    def __init__(self, device: "HardwareDevice", vector: int, irql: int, mode: int,
                 shared: bool, cause: str | None) -> None:
        self.device, self.vector, self.irql = device, vector, irql
        self.mode, self.shared, self.cause = mode, shared, cause
        self.pending = False              # a latched edge not yet taken
        self.connected: list[Any] = []    # KINTERRUPTs in connection order
        self.on_assert: Callable[["InterruptLine"], None] | None = None

    @property
    def asserted(self) -> bool:
        if self.mode == Latched:
            return self.pending
        return self.cause is not None and self.device.registers[self.cause].value != 0

    def changed(self) -> None:
        if self.asserted and self.on_assert is not None:
            self.on_assert(self)


class HardwareDevice:
    """A device of the scenario's ``hardware:``."""

    def __init__(self, name: str, registers: dict[str, Register],
                 line: dict[str, Any] | None, seed: int = 0) -> None:
        self.name = name
        self.registers = registers
        # the device's latencies: one stream per device, from the scenario's seed
        self.rng = random.Random(f"{seed}:{name}")
        self.schedule: Callable[[int, Callable[[], None]], Any] | None = None
        self.line = (InterruptLine(self, line["vector"], line["irql"], line["mode"],
                                   line["shared"], line.get("cause")) if line else None)

    def read(self, register: str) -> int:
        """READ_PORT_* / READ_REGISTER_*: the value; a ``read_clears`` register then
        clears its bits of the registers it names (which may drop a level line)."""
        reg = self.registers[register]
        value = reg.value
        for name, bits in reg.read_clears.items():
            target = self.registers[name]
            target.value &= ~bits & target.mask
            if self.line is not None and self.line.cause == name:
                self.line.changed()
        return value

    def write(self, register: str, value: int) -> None:
        reg = self.registers[register]
        value &= reg.mask
        reg.value = reg.value & ~value if reg.w1c else value
        if self.line is not None and self.line.cause == register:
            self.line.changed()
        for reaction in reg.on_write:
            if reaction.value is None or reaction.value == value:
                self._react(reaction)

    def _react(self, reaction: Reaction) -> None:
        low, high = reaction.latency
        delay = low if low == high else self.rng.randint(low, high)

        def happen() -> None:
            for name, value in reaction.sets.items():
                self.set(name, value)
            if reaction.edge:
                self.interrupt()
        if self.schedule is None or delay == 0:   # no latency: at once, inside the write
            happen()
        else:
            self.schedule(delay, happen)

    def set(self, register: str, value: int) -> None:
        """The device itself sets a register (an event of its script)."""
        reg = self.registers[register]
        reg.value = value & reg.mask
        if self.line is not None and self.line.cause == register:
            self.line.changed()

    def interrupt(self) -> None:
        """The device raises its line: an edge on a latched line; a level-sensitive line
        is asserted through its cause register instead."""
        line = self.line
        if line is None:
            return
        if line.mode == Latched:
            line.pending = True
        line.changed()

    def __repr__(self) -> str:
        return f"<hardware {self.name}>"
