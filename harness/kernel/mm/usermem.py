"""A process's user memory as the kernel touches it: committed buffers, invalid
pointers, and the access violation a touch of unmapped memory raises (win32-io §6).

The model's user memory is what the process allocated: each :class:`UserBuffer` comes
from a :class:`UserAddressSpace`, a bump allocator that remembers its buffers, and the
pages they lie on are committed read/write (the allocator hands out one run of pages,
so everything from the first page to the end of the last one used is mapped). Two
regions are invalid whatever the process did, and an :class:`UnmappedUserPointer`
(a scenario's ``buffer: {address: ...}``) must lie in one of them, so that a probe
decides by the address alone as Windows does (ex/probe.py):

* the first 64 KB (NULL .. 0xFFFF): never mapped in any process;
* MmUserProbeAddress (0x7FFF0000) and above: the no-access guard and kernel space.

Touching an unmapped user address is an access violation (STATUS_ACCESS_VIOLATION):
inside a __try below DISPATCH_LEVEL it unwinds to the handler; at DISPATCH_LEVEL it
is bug check 0xD1; otherwise an unhandled exception (0x1E, or 0x7E in a system
thread). What a write overruns past a buffer, while still on committed pages, lands in
the neighbouring buffers' bytes (6.4: silent corruption) - the padding between two
allocations is written to nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, NoReturn

from ..constants import DISPATCH_LEVEL, NTSTATUS, BugCheckCode
from ..errors import StatusRaised
from .memory import PAGE_SIZE, AddressSpace, Buffer

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

MM_USER_PROBE_ADDRESS = 0x7FFF0000
NO_ACCESS_REGION = 0x10000          # the first 64 KB of a process are never mapped
STATUS_ACCESS_VIOLATION = NTSTATUS.STATUS_ACCESS_VIOLATION


def never_mapped(address: int) -> bool:
    """True for an address no user process ever has memory at (the first 64 KB, or
    MmUserProbeAddress and above)."""
    return address < NO_ACCESS_REGION or address >= MM_USER_PROBE_ADDRESS


def mm_access_fault(kernel: "Kernel", address: int, write: bool,
                    status: int = STATUS_ACCESS_VIOLATION) -> NoReturn:
    """The CPU's fault on ``address`` as the current context takes it (raises).

    stacks-services 4.7: a fault on a user address inside __try (below
    DISPATCH_LEVEL) goes to the handler; at DISPATCH_LEVEL an access violation is
    0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL; otherwise the exception is unhandled.
    """
    irql = kernel.cpu.irql
    thread = kernel.current_thread
    if thread is not None and thread.exception_handlers and address < 0x80000000 \
            and irql < DISPATCH_LEVEL:
        raise StatusRaised(status)
    if status == STATUS_ACCESS_VIOLATION and irql >= DISPATCH_LEVEL:
        kernel.bug_check(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, address, irql,
                         int(write), 0, reason=f"access to 0x{address:08X} at IRQL {irql}")
    code = (BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
            if thread is not None and thread.process == "System"
            else BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED)
    kernel.bug_check(code, status, 0, int(write), address,
                     reason=f"unhandled exception 0x{status:08X} in driver code")


class UserAddressSpace(AddressSpace):
    """A process's user allocations: a bump allocator that keeps its buffers (in
    address order), so a write past one buffer can find the next."""

    __slots__ = ("buffers", "base")

    def __init__(self, base: int) -> None:
        super().__init__(base)
        self.base = base
        self.buffers: list[UserBuffer] = []

    @property
    def committed_end(self) -> int:
        """The first address past the committed pages (the last used page's end)."""
        return (self.next + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)

    def committed(self, address: int) -> bool:
        return self.base & ~(PAGE_SIZE - 1) <= address < self.committed_end

    def covering(self, start: int, end: int) -> Iterator["UserBuffer"]:
        """The buffers that hold some byte of start..end-1."""
        for buffer in self.buffers:
            if buffer.address < end and buffer.address + buffer.length > start:
                yield buffer


class UserBuffer(Buffer):
    """A buffer the process allocated (committed, read/write)."""

    __slots__ = ("space",)
    space: UserAddressSpace

    @classmethod
    def allocate(cls, space: UserAddressSpace, size: int, fill: int = 0) -> "UserBuffer":
        buffer = cls(space.allocate(size), bytearray([fill]) * size)
        buffer.space = space
        space.buffers.append(buffer)
        return buffer


class UnmappedUserPointer(Buffer):
    """A user pointer with no memory behind it (``buffer: NULL`` with a length, or
    ``{address: 0x10}``): the probes judge it by its address; any touch faults."""

    __slots__ = ("kernel",)
    resident = False

    def __init__(self, kernel: "Kernel", address: int, length: int) -> None:
        if not never_mapped(address):
            raise ValueError(f"0x{address:08X} is not in the never-mapped first 64 KB "
                             "nor at or above MmUserProbeAddress (0x7FFF0000)")
        super().__init__(address, bytearray(), 0, length)
        self.kernel = kernel

    def access(self, write: bool, start: int = 0) -> None:
        mm_access_fault(self.kernel, self.address + start, write)

    def read(self, start: int = 0, count: int | None = None) -> bytes:
        if count == 0:
            return b""
        self.access(False, start)
        return b""

    def write(self, payload: bytes, start: int = 0) -> None:
        if payload:
            self.access(True, start)

    def fill(self, value: int, count: int | None = None, start: int = 0) -> None:
        if count != 0:
            self.access(True, start)

    def view(self, address: int, start: int = 0, count: int | None = None) -> "Buffer":
        count = self.length - start if count is None else count
        return UnmappedUserPointer(self.kernel, self.address + start, count)

    def __repr__(self) -> str:
        return f"<unmapped user pointer 0x{self.address:08X} ({self.length} bytes)>"


def copy_to_user(kernel: "Kernel", buffer: Buffer, data: bytes) -> None:
    """RtlCopyMemory(buffer, data, len(data)) into user memory, forward, byte by byte
    as far as the pages allow (win32-io 6.4): what fits lands in ``buffer``; what runs
    past it on committed pages overwrites the neighbouring allocations; the first byte
    on an uncommitted page faults (raises, see :func:`mm_access_fault`)."""
    if not buffer.resident:
        buffer.write(data)                       # faults at once
        return
    inside = data[:buffer.length]
    buffer.write(inside)
    rest = data[buffer.length:]
    if not rest:
        return
    space = getattr(buffer, "space", None)
    if space is None:
        buffer.write(data)                       # not user memory: BufferOverrun
        return
    start = buffer.address + buffer.length
    end = start + len(rest)
    limit = min(end, space.committed_end)
    for other in space.covering(start, limit):
        lo, hi = max(start, other.address), min(limit, other.address + other.length)
        other.write(rest[lo - start:hi - start], lo - other.address)
    if end > limit:
        mm_access_fault(kernel, limit, True)
