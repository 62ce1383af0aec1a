"""Scenario value notations: durations and buffer patterns.

The schema accepts these notations (``$defs/duration``, ``$defs/buffer_pattern``);
the functions here turn a validated value into what the simulated kernel uses.
The regular expressions are shared with the schema so the two cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
import re

#: A duration string: a decimal number and a unit, no spaces (``"3s"``, ``"1.5ms"``).
DURATION_PATTERN = r"^[0-9]+(\.[0-9]+)?(s|ms|us|ns)$"

#: A repeated byte: two hex digits, optionally ``0x``-prefixed, ``*`` and a count.
REPEAT_PATTERN = r"^(0x|0X)?([0-9A-Fa-f]{2})\*([0-9]+)$"

# Ticks (100 ns units) per unit; ``ns`` is fractional, so use exact arithmetic.
_TICKS_PER_UNIT = {
    "s": Fraction(10_000_000),
    "ms": Fraction(10_000),
    "us": Fraction(10),
    "ns": Fraction(1, 100),
}

#: The largest buffer a pattern may describe (buffers are real memory in the model).
MAX_PATTERN_BYTES = 1 << 24

_DURATION_RE = re.compile(DURATION_PATTERN)
_REPEAT_RE = re.compile(REPEAT_PATTERN)


def parse_duration(value: int | str) -> int:
    """Convert a scenario duration to 100 ns units (Windows kernel time).

    Args:
        value: a non-negative integer already in 100 ns units, or a string such as
            ``"3s"``, ``"10ms"``, ``"500us"``, ``"100ns"`` or ``"1.5ms"``.

    Returns:
        The duration in 100 ns units.

    Raises:
        ValueError: the value is not a duration, is negative, or is not a whole
            number of 100 ns units (``"150ns"``).
    """
    # bool is an int subclass; ``true`` is never a meaningful duration.
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r} "
                         "(use an integer of 100 ns units or e.g. '10ms')")
    match = _DURATION_RE.match(value)
    if match is None:
        raise ValueError(f"not a duration: {value!r} "
                         "(expected e.g. '3s', '10ms', '500us', '100ns')")
    number = Fraction(Decimal(value[: match.start(2)]))
    ticks = number * _TICKS_PER_UNIT[match.group(2)]
    if ticks.denominator != 1:
        raise ValueError(f"duration {value!r} is not a whole number of 100 ns units")
    return int(ticks)


def parse_buffer_pattern(value: str) -> bytes:
    """Turn a buffer pattern into the bytes it stands for.

    ``"AA*10"`` and ``"0xFF*4096"`` are one byte (two hex digits) repeated;
    ``"hex: 80 84 1E 00"`` lists bytes in hex (a little-endian ULONG 2000000 here);
    ``"wide: \\Driver\\ACPI"`` is C's L"..." with its NUL (UTF-16LE, wcslen * 2 + 2
    bytes); any other string is taken literally and encoded as UTF-8 (``"hello"``).

    Args:
        value: the pattern as written in the scenario.

    Returns:
        The buffer contents.

    Raises:
        ValueError: ``value`` is not a string.
    """
    if not isinstance(value, str):
        raise ValueError(f"not a buffer pattern: {value!r}")
    if value.startswith("hex:"):
        return bytes.fromhex(value[4:])
    if value.startswith("wide:"):
        return (value[5:].lstrip(" ") + "\0").encode("utf-16-le")
    match = _REPEAT_RE.match(value)
    if match is None:
        return value.encode("utf-8")
    count = int(match.group(3)) if len(match.group(3)) <= 9 else MAX_PATTERN_BYTES + 1
    if count > MAX_PATTERN_BYTES:
        raise ValueError(f"{value!r} asks for more than {MAX_PATTERN_BYTES} bytes (the model "
                         "holds buffers in memory)")
    return bytes([int(match.group(2), 16)]) * count
