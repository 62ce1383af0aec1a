"""System threads and process objects (sync-objects §4, kernel-env §4).

A thread's process is a name ("System", "test.exe"); :class:`EProcess` is the object a
PEPROCESS names, created on first use. PsCreateSystemThread starts a kernel thread in
the System process (ProcessHandle NULL) or in the caller's (NtCurrentProcess()); its
handle lands in the caller's process table unless OBJ_KERNEL_HANDLE (XP, 4.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import NTSTATUS, PASSIVE_LEVEL, BugCheckCode
from ..errors import NotModelledError
from ..ke.machine import ThreadTerminated
from ..ob.handle import handle_table

if TYPE_CHECKING:
    from ..ke.machine import KThread, Machine as Kernel

NT_CURRENT_PROCESS = 0xFFFFFFFF     # (HANDLE)-1
NT_CURRENT_THREAD = 0xFFFFFFFE      # (HANDLE)-2
THREAD_ALL_ACCESS = 0x1F03FF
#: EPROCESS.ImageFileName on XP x86: the offset the book's sample reads (#18)
IMAGE_FILE_NAME_OFFSET = 0x174


class EProcess:
    """EPROCESS: what a driver may ask of a process (its ImageFileName)."""

    __slots__ = ("name", "image_file_name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.image_file_name = name[:15]     # UCHAR ImageFileName[16], NUL-terminated

    def __repr__(self) -> str:
        return f"<EPROCESS {self.name}>"


def process_object(kernel: "Kernel", name: str) -> EProcess:
    """The EPROCESS of the process called ``name`` (one per machine)."""
    processes = kernel.processes
    process = processes.get(name)
    if process is None:
        process = processes[name] = EProcess(name)
    return process


def ps_get_current_process(kernel: "Kernel") -> EProcess:
    """PsGetCurrentProcess / IoGetCurrentProcess: the process whose address space the
    CPU runs in: the calling thread's (a DPC borrows whatever thread it interrupted)."""
    return process_object(kernel, kernel.current_thread.process)


def ps_get_process_image_file_name(process: EProcess) -> str:
    """PsGetProcessImageFileName: the first 15 characters of the image's file name."""
    return process.image_file_name


def ps_create_system_thread(kernel: "Kernel", start: Callable[[Any], Generator[Any, Any, Any]],
                            context: Any, process_handle: int = 0,
                            kernel_handle: bool = False, name: str = ""
                            ) -> tuple[int, int]:
    """PsCreateSystemThread (4.1): (status, handle). ``start(context)`` runs at
    PASSIVE_LEVEL in the new thread; returning from it ends the thread with
    STATUS_SUCCESS. The thread is readied, not run: the caller goes on until it waits."""
    if kernel.cpu.irql != PASSIVE_LEVEL:
        kernel.bug_check(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, kernel.cpu.irql, 0, 0,
                         reason=f"PsCreateSystemThread at IRQL {kernel.cpu.irql}")
    creator = kernel.current_thread
    if process_handle in (0, None):
        process = "System"
    elif process_handle & 0xFFFFFFFF == NT_CURRENT_PROCESS:
        process = creator.process
    else:
        return NTSTATUS.STATUS_INVALID_HANDLE, 0   # other process handles: not modelled
    thread = kernel.create_thread(_system_thread_start, start, context,
                                  name=name or getattr(start, "__name__", "SystemThread"),
                                  process=process, system=True)
    handle = handle_table(kernel, kernel_handle=kernel_handle).insert(thread,
                                                                      THREAD_ALL_ACCESS)
    kernel.hooks.service_return("PsCreateSystemThread", {"status": NTSTATUS.STATUS_SUCCESS,
                                                          "thread": thread.name,
                                                          "process": process})
    return NTSTATUS.STATUS_SUCCESS, handle


def _system_thread_start(start: Callable[[Any], Generator[Any, Any, Any]], context: Any
                         ) -> Generator[Any, Any, int]:
    """PspSystemThreadStartup: the start routine; returning is a STATUS_SUCCESS exit."""
    yield from start(context)
    return NTSTATUS.STATUS_SUCCESS


def ps_terminate_system_thread(kernel: "Kernel", status: int) -> int:
    """PsTerminateSystemThread (4.3): ends the calling system thread (never returns);
    from a thread that is not a system thread: STATUS_INVALID_PARAMETER, nothing ends."""
    thread: "KThread" = kernel.current_thread
    if not thread.system or kernel.cpu.context not in ("thread", "completion", "cancel"):
        return NTSTATUS.STATUS_INVALID_PARAMETER
    raise ThreadTerminated(status)


PROCESS_BASE_PRIORITY = 8


def ke_set_priority_thread(thread: "KThread", priority: int) -> int:
    """KeSetPriorityThread (4.4): the OLD current priority; 0 becomes 1 unless the base
    priority is 0. Priorities outside 1..31 are not modelled (LOW_PRIORITY is reserved)."""
    if not 0 <= priority <= 31:
        raise NotModelledError("KeSetPriorityThread", f"priority {priority} outside 0..31")
    old = thread.priority
    thread.priority = 1 if priority == 0 and thread.base_priority != 0 else priority
    return old


def ke_query_priority_thread(thread: "KThread") -> int:
    """KeQueryPriorityThread: the current priority."""
    return thread.priority


#: KTHREAD.Saturation of the threads whose base was last set with |increment| >= 16 (+1 or
#: -1), per machine: KThread's slots have no room for it
SATURATION_INCREMENT = 16


def ke_set_base_priority_thread(thread: "KThread", increment: int) -> int:
    """KeSetBasePriorityThread (4.4): base = process base + increment, kept inside the
    dynamic class 1..15 (|increment| >= 16 saturates); returns the previous increment:
    old base - process base, or +-16 when the previous setting saturated."""
    previous = thread.base_priority - PROCESS_BASE_PRIORITY
    if thread.priority_saturation:
        previous = SATURATION_INCREMENT * thread.priority_saturation
    thread.priority_saturation = (0 if abs(increment) < SATURATION_INCREMENT
                                  else 1 if increment > 0 else -1)
    base = max(1, min(15, PROCESS_BASE_PRIORITY + increment))
    thread.base_priority = thread.priority = base
    return previous
