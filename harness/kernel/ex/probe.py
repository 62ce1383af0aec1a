"""ProbeForRead / ProbeForWrite (stacks-services 4.7).

Both raise into the caller's __try: STATUS_DATATYPE_MISALIGNMENT for a pointer not
aligned as asked, STATUS_ACCESS_VIOLATION for a range that wraps or ends above
MmUserProbeAddress. ProbeForRead touches nothing, so ProbeForRead(NULL, 100, 4)
succeeds; ProbeForWrite writes each page, so on the never-mapped first 64 KB of user
space (NULL..0xFFFF) it faults. Other user pages are taken as mapped (the model's user
buffers are always valid and resident).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..constants import NTSTATUS
from ..mm.usermem import MM_USER_PROBE_ADDRESS, NO_ACCESS_REGION  # noqa: F401 - theirs too

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel
STATUS_DATATYPE_MISALIGNMENT = 0x80000002


def _probe(kernel: "Kernel", address: int, length: int, alignment: int, write: bool,
           routine: str) -> None:
    if length == 0:
        return
    if alignment not in (1, 2, 4, 8, 16):
        raise ValueError(f"{routine}: alignment {alignment} (1, 2, 4, 8 or 16)")
    if address % alignment:
        kernel.raise_status(STATUS_DATATYPE_MISALIGNMENT, f"{routine}(0x{address:08X}) is "
                            f"not {alignment}-byte aligned")
    end = address + length
    if end > MM_USER_PROBE_ADDRESS or end > 1 << 32:
        kernel.raise_status(NTSTATUS.STATUS_ACCESS_VIOLATION,
                            f"{routine}(0x{address:08X}, {length}) ends above "
                            "MmUserProbeAddress")
    if write and address < NO_ACCESS_REGION:
        kernel.raise_status(NTSTATUS.STATUS_ACCESS_VIOLATION,
                            f"{routine}(0x{address:08X}) writes the unmapped first 64 KB")


def probe_for_read(kernel: "Kernel", address: int, length: int, alignment: int) -> None:
    """ProbeForRead: checks only; reads nothing."""
    _probe(kernel, address, length, alignment, False, "ProbeForRead")


def probe_for_write(kernel: "Kernel", address: int, length: int, alignment: int) -> None:
    """ProbeForWrite: checks, then writes (reads and rewrites) one byte of each page."""
    _probe(kernel, address, length, alignment, True, "ProbeForWrite")
