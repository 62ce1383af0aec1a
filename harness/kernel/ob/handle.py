"""Object pointers and handles: what a value in driver code names (stacks-services §1).

Driver code keeps kernel objects as C does, in integers: a PFILE_OBJECT, PDEVICE_OBJECT
or PKEVENT is an address, a HANDLE an index into a handle table. :class:`ObjectTable`
gives each object the address it is first seen at (from a fixed base in nonpaged pool,
in first-use order, so every run of a scenario prints the same numbers) and finds the
object an address names; an address that names nothing is a wild pointer, which the
caller turns into the access violation the CPU raises.

:class:`HandleTable` is one process's table. A handle made with OBJ_KERNEL_HANDLE lives
in the System process's kernel table and has the top bit set (x86: 0x80000000 | index),
so it is valid in every process; any other handle a Zw* call makes lands in the table of
the process the calling thread belongs to (stacks-services 1.8), which for a dispatch
routine of a top-level driver is the application's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..constants import NTSTATUS, BugCheckCode

if TYPE_CHECKING:
    from ..ke.machine import Machine

#: Where object addresses start: a range of nonpaged pool below the buffers' allocator
#: (mm/memory.POOL_BASE), so giving an object an address moves no buffer.
OBJECT_BASE = 0x81800000
KERNEL_HANDLE_BIT = 0x80000000
FIRST_USER_HANDLE = 0x7C

#: Bytes each kind of object takes (x86 sizes of the book's era; only the spacing of
#: the addresses depends on them).
_SIZES = {"File": 0x70, "Device": 0xB8, "Driver": 0xA8, "Event": 0x10, "SymbolicLink": 0x20,
          "Irp": 0x70, "Thread": 0x258, "Process": 0x260, "Semaphore": 0x14, "Mutant": 0x20,
          "Timer": 0x28}


def object_type_name(obj: Any) -> str:
    """The OBJECT_TYPE name of a model object ("File", "Device", "Event", ...)."""
    kind = getattr(obj, "object_type", None)
    if kind is not None:
        type_name: str = kind.name
        return type_name
    name = type(obj).__name__
    return {"KEvent": "Event", "DeviceObject": "Device", "DriverObject": "Driver",
            "SymbolicLink": "SymbolicLink", "Irp": "Irp", "KThread": "Thread",
            "EProcess": "Process", "KSemaphore": "Semaphore", "KMutant": "Mutant",
            "KTimer": "Timer", "ETimer": "Timer", "GuardedMutex": "GuardedMutex"}.get(name, name)


class ObjectTable:
    """Addresses of the kernel objects driver code has seen (see the module docstring)."""

    def __init__(self) -> None:
        self._next = OBJECT_BASE
        self._address: dict[int, int] = {}      # id(obj) -> address
        self._objects: dict[int, Any] = {}      # address -> obj (keeps it alive)

    def address_of(self, obj: Any) -> int:
        """The object's address; NULL (0) for None. IRPs keep their id, which is the
        value bug-check parameters and ``Irp`` in expressions already give them."""
        if obj is None:
            return 0
        if type(obj).__name__ == "Irp":
            self._objects.setdefault(obj.id, obj)
            irp_id: int = obj.id
            return irp_id
        address = self._address.get(id(obj))
        if address is None:
            address = self._next
            self._next += (_SIZES.get(object_type_name(obj), 0x40) + 0xF) & ~0xF
            self._address[id(obj)] = address
            self._objects[address] = obj
        return address

    def register(self, address: int, obj: Any) -> int:
        """Make memory that has its own address (a Buffer) findable by that address, as
        when driver code stores a pointer to it (UNICODE_STRING.Buffer)."""
        self._objects[address] = obj
        return address

    def at(self, address: int) -> Any:
        """The object at ``address``, or None: a wild or NULL pointer."""
        return self._objects.get(address)


class HandleTable:
    """One process's handles: value -> (object, granted access)."""

    def __init__(self, kernel_table: bool = False, first: int = 4) -> None:
        self.kernel_table = kernel_table
        self.entries: dict[int, tuple[Any, int]] = {}
        self._next = first

    def insert(self, obj: Any, access: int) -> int:
        """ObpCreateHandle: the next free multiple of 4 (top bit set in the kernel table)."""
        value = self._next
        self._next += 4
        handle = value | KERNEL_HANDLE_BIT if self.kernel_table else value
        self.entries[handle] = (obj, access)
        return handle

    def lookup(self, handle: int) -> tuple[Any, int] | None:
        return self.entries.get(handle)

    def remove(self, handle: int) -> Any:
        return self.entries.pop(handle, (None, 0))[0]


def handle_table(kernel: "Machine", handle: int | None = None, kernel_handle: bool = False
                 ) -> HandleTable:
    """The table a handle lives in: the kernel table for OBJ_KERNEL_HANDLE (or a handle
    with the top bit set), else the calling thread's process's."""
    tables = kernel.handle_tables
    if kernel_handle or (handle is not None and handle & KERNEL_HANDLE_BIT):
        key = "<kernel>"
    else:
        key = kernel.current_thread.process
    table = tables.get(key)
    if table is None:
        # An application's first handles are not 4: the console and the loader have
        # taken the low ones by the time main() runs; 0x7C is a chosen, typical value.
        first = 4 if key in ("<kernel>", "System") else FIRST_USER_HANDLE
        table = tables[key] = HandleTable(key == "<kernel>", first)
    return table


def ob_reference_object_by_handle(kernel: "Machine", handle: int, object_type: str | None,
                                  desired_access: int = 0, user_mode: bool = False,
                                  count: bool = True) -> tuple[int, Any]:
    """ObReferenceObjectByHandle (sync-objects 7.3): (status, object), checked in order:
    the pseudo-handles NtCurrentProcess()/NtCurrentThread(); a kernel handle (top bit)
    only for KernelMode; a handle not in the table is STATUS_INVALID_HANDLE; another
    type than ``object_type`` (e.g. a file handle asked for as *ExEventObjectType, the
    book's #36 defect) STATUS_OBJECT_TYPE_MISMATCH; UserMode checks the granted access
    (STATUS_ACCESS_DENIED), KernelMode skips it. The caller owns one reference
    (``count`` False: a service's own transient reference, not tracked)."""
    handle &= 0xFFFFFFFF
    if handle in (0xFFFFFFFF, 0xFFFFFFFE):
        thread = kernel.current_thread
        obj: Any = thread if handle == 0xFFFFFFFE else kernel.process_of(thread)
        if object_type is not None and object_type_name(obj) != object_type:
            return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None
        return NTSTATUS.STATUS_SUCCESS, obj
    if user_mode and handle & KERNEL_HANDLE_BIT:
        return NTSTATUS.STATUS_INVALID_HANDLE, None
    entry = handle_table(kernel, handle).lookup(handle)
    if entry is None:
        return NTSTATUS.STATUS_INVALID_HANDLE, None
    obj, granted = entry
    if object_type is not None and object_type_name(obj) != object_type:
        return NTSTATUS.STATUS_OBJECT_TYPE_MISMATCH, None
    if user_mode and desired_access & ~granted:
        return NTSTATUS.STATUS_ACCESS_DENIED, None
    if count and hasattr(obj, "reference_count"):
        obj.reference_count += 1
    return NTSTATUS.STATUS_SUCCESS, obj


def ob_close_handle(kernel: "Machine", handle: int, handle_checks: bool) -> tuple[int, Any]:
    """The handle-table half of NtClose: (status, the object whose handle went).

    An invalid handle from kernel mode returns STATUS_INVALID_HANDLE (the XP default, and
    what the book's #39 ZwClose(FileObject) got: its readers saw no crash); with bad-handle
    detection on (``handle_checks``: Driver Verifier here) it is bug check 0x93
    INVALID_KERNEL_HANDLE (P1 the handle, P2 1 = "an invalid handle was closed")."""
    table = handle_table(kernel, handle)
    if table.lookup(handle) is None:
        if handle_checks:
            kernel.bug_check(BugCheckCode.INVALID_KERNEL_HANDLE, handle, 1, 0, 0,
                             reason=f"ZwClose(0x{handle:08X}): not a handle")
        return NTSTATUS.STATUS_INVALID_HANDLE, None
    return NTSTATUS.STATUS_SUCCESS, table.remove(handle)
