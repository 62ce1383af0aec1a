"""Values as a check (or a Gherkin step) writes them: NTSTATUS and Win32 error names,
times such as ``"3 s"``, and how close a time must be."""

from __future__ import annotations

import re

from ..kernel import WIN32_ERROR_NAMES, NTSTATUS
from ..lang.diagnostics import did_you_mean

#: 100 ns units per unit a time may be written in
UNITS = {"s": 10_000_000, "ms": 10_000, "us": 10}
_TIME = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|ms|us)\s*")


class UnknownName(ValueError):
    """A check names something that does not exist (a status, an error, a column):
    a mistake in the test, not a false claim about the run."""


def status_value(text: str | int) -> int:
    """An NTSTATUS: a number, or a name (a misspelt one fails with a suggestion)."""
    if isinstance(text, int):
        return text
    text = text.strip()
    if text[:1].isdigit():
        return int(text, 0)
    if text not in NTSTATUS.__members__:
        raise UnknownName(f"unknown NTSTATUS {text!r}{did_you_mean(text, NTSTATUS.__members__)}")
    return int(NTSTATUS[text])


def win32_error_value(text: str | int) -> int:
    """A Win32 error code: a number or its name (ERROR_IO_PENDING)."""
    if isinstance(text, int):
        return text
    text = text.strip()
    if text[:1].isdigit():
        return int(text, 0)
    for value, name in WIN32_ERROR_NAMES.items():
        if name == text:
            return value
    raise UnknownName(f"unknown Win32 error {text!r}"
                      f"{did_you_mean(text, WIN32_ERROR_NAMES.values())}")


def seconds_to_hns(number: str | float, unit: str) -> int:
    """``number`` ``unit`` (s, ms, us) in the kernel's 100 ns units."""
    return round(float(number) * UNITS[unit])


def moment(at: str | int) -> tuple[int, int, str]:
    """A point of simulated time as a check takes it: ``"3 s"``, ``"2.5 ms"``,
    ``"10 us"`` or an int of 100 ns units. Returns (100 ns units, slack, the text to
    show): written in s or ms a time matches within 1 ms, in us to the 100 ns unit,
    an int exactly."""
    if isinstance(at, int):
        return at, 0, f"{at} x 100 ns"
    match = _TIME.fullmatch(at)
    if match is None:
        raise UnknownName(f"a time is written like '3 s', '500 ms' or '10 us', got {at!r}")
    number, unit = match.groups()
    return seconds_to_hns(number, unit), 1 if unit == "us" else 10_000, f"{number} {unit}"
