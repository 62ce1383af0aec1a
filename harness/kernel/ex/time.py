"""Time conversions: ExSystemTimeToLocalTime and the Rtl time-field routines
(sync-objects 8.9, 8.10). Times are LARGE_INTEGERs of 100 ns since 1601-01-01."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from ..errors import NotModelledError

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

_EPOCH = _dt.datetime(1601, 1, 1)
HNS_PER_DAY = 864_000_000_000
#: TIME_FIELDS' members in declaration order (CSHORT each)
TIME_FIELDS = ("Year", "Month", "Day", "Hour", "Minute", "Second", "Milliseconds", "Weekday")


def ex_system_time_to_local_time(kernel: "Kernel", system_time: int) -> int:
    """ExSystemTimeToLocalTime: system time minus the time-zone bias (UTC - local) in
    force now; China Standard Time (UTC+8) adds 8 h."""
    return system_time - kernel.time_zone_bias


def ex_local_time_to_system_time(kernel: "Kernel", local_time: int) -> int:
    """ExLocalTimeToSystemTime: the inverse."""
    return local_time + kernel.time_zone_bias


def rtl_time_to_time_fields(time: int) -> dict[str, int]:
    """RtlTimeToTimeFields: Year..Milliseconds (the sub-millisecond part truncated) and
    Weekday, 0 = Sunday (1601-01-01 was a Monday); proleptic Gregorian."""
    if time < 0:
        raise NotModelledError("RtlTimeToTimeFields of a negative time")
    try:
        moment = _EPOCH + _dt.timedelta(microseconds=time // 10)
    except OverflowError:
        raise NotModelledError("RtlTimeToTimeFields after the year 9999") from None
    return {"Year": moment.year, "Month": moment.month, "Day": moment.day,
            "Hour": moment.hour, "Minute": moment.minute, "Second": moment.second,
            "Milliseconds": moment.microsecond // 1000,
            "Weekday": (moment.weekday() + 1) % 7}


def rtl_time_fields_to_time(fields: dict[str, int]) -> int | None:
    """RtlTimeFieldsToTime: the time, or None (FALSE) for any field out of range
    (month 13, 30 February, a year before 1601); Weekday is ignored."""
    try:
        moment = _dt.datetime(fields["Year"], fields["Month"], fields["Day"], fields["Hour"],
                              fields["Minute"], fields["Second"],
                              fields["Milliseconds"] * 1000)
    except (ValueError, OverflowError):
        return None
    if moment < _EPOCH:
        return None
    delta = moment - _EPOCH
    return (delta.days * HNS_PER_DAY + delta.seconds * 10_000_000
            + delta.microseconds * 10)


def parse_time_zone(text: str) -> int:
    """``UTC+08:00`` (or ``UTC-5``, ``UTC``) -> the bias in hns (UTC - local)."""
    import re
    match = re.fullmatch(r"UTC(?:([+-])(\d{1,2})(?::(\d{2}))?)?", text.strip())
    if match is None:
        raise ValueError(f"time zone {text!r}: expected UTC, UTC+8 or UTC+05:30")
    sign, hours, minutes = match.groups()
    offset = (int(hours or 0) * 60 + int(minutes or 0)) * 600_000_000
    return -offset if sign != "-" else offset
