"""The I/O manager's IRP engine: IoCallDriver and IoCompleteRequest (cancel: cancel.py).

This module follows io-core-semantics.md §2, §4, §5 and §7 step by step; comments cite
the rule. The subtle parts (each has a unit test named after it):

* IoCallDriver is a nested call on the caller's thread; the dispatch routine's return
  value is IoCallDriver's (§2.2, §2.3).
* IoCompleteRequest walks the stack bottom-up in the completer's context, advancing
  CurrentLocation BEFORE each level, recomputing PendingReturned per level, and
  stopping dead on STATUS_MORE_PROCESSING_REQUIRED with the IRP still allocated (§5.2).
* The final phase (copy-back, IOSB, events, freeing) runs later as a special kernel
  APC in the requesting thread, or inline for deferred-completion requests (§5.3, §5.4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from ..constants import (DISPATCH_LEVEL, NTSTATUS, SL_ERROR_RETURNED,
                         SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS,
                         SL_PENDING_RETURNED, BugCheckCode, IrpFlags, nt_error)
from ..errors import NotModelledError
from ..ke.dispatcher import ke_set_event
from ..ke.machine import KERNEL_STACK_CALL_LEVELS
from ..ke.schedule import ke_preemption_point
from ..mm.memory import io_free_mdl, mm_unlock_pages
from ..mm.usermem import UnmappedUserPointer, copy_to_user
from ..ob.object import ob_dereference_object_deferred
from .completion import FO_SKIP_SET_EVENT, iop_queue_completion_packet
from .irp import IO_TYPE_IRP, KernelMode, Irp, io_free_irp
from .probe import under_seh

if TYPE_CHECKING:
    from .device import DeviceObject

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
STATUS_PENDING = NTSTATUS.STATUS_PENDING
SMPR = NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
_ERROR_BIT = 0x80000000
_DEFER = IrpFlags.IRP_DEFER_IO_COMPLETION
_SYNC_API = IrpFlags.IRP_SYNCHRONOUS_API


def io_call_driver(device: "DeviceObject", irp: Irp) -> Generator[Any, Any, int]:
    """IoCallDriver / IofCallDriver (io-core §2.2).

    Moves to the next location, bug checks 0x35 when none is left, stores ``device``
    in the new current location and calls the driver's dispatch routine in the
    caller's thread and IRQL, returning its status unchanged.
    """
    kernel = irp.kernel
    if kernel.verifier and kernel.cpu.irql > DISPATCH_LEVEL:
        kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x10, kernel.cpu.irql,
                         irp.id, 0, reason="IoCallDriver above DISPATCH_LEVEL")
    location = irp.current_location - 1
    irp.current_location = location
    if location <= 0:
        kernel.bug_check(BugCheckCode.NO_MORE_IRP_STACK_LOCATIONS, irp.id, 0, 0, 0,
                         reason=f"IoCallDriver({device.label}) with no stack location left")
    stack = irp.stack[location - 1]
    stack.device_object = device
    kernel.hooks.irp_call(irp, device)
    routine = device.driver_object.major_function[stack.major_function]
    thread = kernel.cpu.thread
    depth = thread.call_depth = thread.call_depth + 1   # the kernel stack this call uses
    if depth > KERNEL_STACK_CALL_LEVELS:
        kernel.stack_overflow(thread)
    assert routine is not None     # IopCreateDriver fills every entry (io/driver.py)
    status: int = yield from routine(device, irp)
    thread.call_depth -= 1
    kernel.hooks.dispatch_return(irp, device, status)
    return status


def io_complete_request(irp: Irp, priority_boost: int = 0) -> Generator[Any, Any, None]:
    """IoCompleteRequest / IofCompleteRequest (io-core §5.1-§5.3)."""
    kernel = irp.kernel
    if kernel.chooser is not None:      # ke/schedule.py: a choice point at its entry
        yield from ke_preemption_point(kernel, "IoCompleteRequest")
    count = irp.stack_count
    hooks = kernel.hooks
    stack = irp.stack
    location = irp.current_location
    # Recorded before the checks, so a second completion shows up before its bug check.
    hooks.irp_complete(irp, stack[location - 1].device_object if location <= count else None,
                       irp.io_status.status)
    # §5.1: a walk that already ran to the end means someone completes it again; a
    # freed packet no longer has Type IO_TYPE_IRP (stacks-services 1.28): same check.
    if irp.current_location > count + 1 or irp.type != IO_TYPE_IRP:
        kernel.bug_check(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, irp.id, 0, 0, 0,
                         reason=f"IoCompleteRequest on IRP#{irp.id}, already completed")
    if kernel.verifier:
        _verify_completion(kernel, irp)
    if irp.current_location > count:
        # §5.2: the walk starts by moving up one; from StackCount + 1 (the creator's view,
        # e.g. resuming after its own completion routine returned SMPR, stacks-services
        # 1.33) that is already past the top, so no routine runs: the final phase only.
        irp.current_location = count + 2
        yield from _after_walk(irp, priority_boost)
        return
    cpu = kernel.cpu
    while True:
        level = irp.current_location
        irp.current_location = level + 1          # §5.2.1: advance before examining
        loc = stack[level - 1]
        control = loc.control
        pending = irp.pending_returned = (control & SL_PENDING_RETURNED) != 0  # §4.3
        status = irp.io_status.status             # §10.4: the status at this level
        # IopClearStackLocation (§5.2.5), inlined below in both branches: keep
        # MajorFunction, DeviceObject, CompletionRoutine, Context; Control keeps only
        # SL_ERROR_RETURNED; Parameters back to zero (None: recreated on next use).
        if ((status < _ERROR_BIT and control & SL_INVOKE_ON_SUCCESS)
                or (status >= _ERROR_BIT and control & SL_INVOKE_ON_ERROR)
                or (irp.cancel and control & SL_INVOKE_ON_CANCEL)):
            loc.minor_function = 0
            loc.flags = 0
            loc._parameters = None
            loc.file_object = None
            loc.control = control & SL_ERROR_RETURNED
            # §10.1: the routine gets the device of its OWN location (level + 1), or
            # NULL when it belongs to the IRP's creator, who has no location.
            device = stack[level].device_object if level < count else None
            routine = loc.completion_routine
            saved = cpu.context
            cpu.context = "completion"
            hooks.completion_routine(irp, device, routine, pending)
            assert routine is not None    # IoSetCompletionRoutine refuses NULL with flags
            result = yield from routine(device, irp, loc.context)
            hooks.completion_return(irp, device, routine, result)
            cpu.context = saved
            if result == SMPR:                    # §5.2.5 / §10.10: stop, IRP still owned
                return
        else:
            if pending and level < count:         # §4.3: auto-propagate to level + 1
                stack[level].control |= SL_PENDING_RETURNED
            loc.minor_function = 0
            loc.flags = 0
            loc._parameters = None
            loc.file_object = None
            loc.control = control & SL_ERROR_RETURNED
        if irp.current_location > count:          # the top was examined: walk ran out
            irp.current_location = count + 2      # §0.3: "completed"
            break
    yield from _after_walk(irp, priority_boost)


def _verify_completion(kernel: Any, irp: Irp) -> None:
    """Driver Verifier's checks at IoCompleteRequest (io-core §5.1; 0xC9 subcodes)."""
    status = irp.io_status.status
    if status in (STATUS_PENDING, 0xFFFFFFFF):
        kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x06, status, irp.id,
                         0, reason="IoCompleteRequest with STATUS_PENDING")
    if irp.cancel_routine is not None:
        kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x07,
                         kernel.routine_address(irp.cancel_routine), irp.id, 0,
                         reason=f"IoCompleteRequest while the cancel routine "
                                f"{getattr(irp.cancel_routine, '__name__', '?')} is set")
    if kernel.cpu.irql > DISPATCH_LEVEL:
        kernel.bug_check(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x0E, kernel.cpu.irql,
                         irp.id, 0, reason="IoCompleteRequest above DISPATCH_LEVEL")


def _after_walk(irp: Irp, priority_boost: int) -> Generator[Any, Any, None]:
    """io-core §5.3: what IofCompleteRequest does once the walk ran to the end."""
    kernel = irp.kernel
    flags = irp.flags
    if flags & IrpFlags.IRP_ASSOCIATED_IRP:
        # §5.3.1 / stacks-services 1.31: count the master down, free this IRP and its
        # MDLs; the last one completes the master with whatever is in ITS IoStatus.
        master = irp.master_irp
        mdl = irp.mdl_address
        while mdl is not None:
            mm_unlock_pages(mdl)
            io_free_mdl(mdl)
            mdl = mdl.next
        irp.mdl_address = None
        io_free_irp(irp)
        assert master is not None     # IoMakeAssociatedIrp set both
        master.irp_count -= 1
        if master.irp_count == 0:
            yield from io_complete_request(master, priority_boost)
        return
    if flags & (IrpFlags.IRP_PAGING_IO | IrpFlags.IRP_CLOSE_OPERATION):
        # §5.3.3: synchronous close: IOSB and event at once; the issuer frees the IRP.
        if irp.user_iosb is not None:
            irp.user_iosb.status = irp.io_status.status
            irp.user_iosb.information = irp.io_status.information
        if irp.user_event is not None:
            ke_set_event(irp.user_event, priority_boost)
        return
    mdl = irp.mdl_address                         # §5.3.4: unlock now, free later
    while mdl is not None:
        mm_unlock_pages(mdl)
        mdl = mdl.next
    if flags & _DEFER and not irp.pending_returned:
        return                                    # §5.3.5 / §10.8: the caller finishes
    thread = irp.thread
    if thread is None and irp.cancel:
        _iop_cleanup_irp(irp)                     # §5.3.6: canceled, no thread: no APC
        return
    if thread is None:
        # §10.11: an IoAllocateIrp IRP whose walk was not stopped with SMPR: the APC is
        # initialized on a NULL thread. Windows dereferences NULL (inferred outcome).
        if kernel.cpu.irql >= DISPATCH_LEVEL:
            kernel.bug_check(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0, kernel.cpu.irql, 1, 0,
                             reason=f"IRP#{irp.id} has no thread: completion APC to NULL")
        kernel.bug_check(BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, 0xC0000005, 0, 0, 0,
                         reason=f"IRP#{irp.id} has no thread: completion APC to NULL")
    kernel.queue_kernel_apc(thread, lambda: iop_complete_request(irp))


def _iop_cleanup_irp(irp: Irp) -> None:
    """IopCleanupIrp (io-core §5.3.6): a canceled IRP with no thread is freed without an
    APC: its MDLs, its system buffer if IRP_DEALLOCATE_BUFFER, the file reference, the IRP."""
    mdl = irp.mdl_address
    while mdl is not None:
        io_free_mdl(mdl)
        mdl = mdl.next
    irp.mdl_address = None
    if irp.flags & IrpFlags.IRP_DEALLOCATE_BUFFER and irp.system_buffer is not None:
        irp.system_buffer.freed = True
    file = irp.original_file_object
    io_free_irp(irp)
    if file is not None:
        ob_dereference_object_deferred(file)


def _copy_back(irp: Irp, info: int) -> int:
    """§5.4.1 under the final phase's exception handler (win32-io 6.4): Information bytes
    from the SystemBuffer to the user's buffer, which was probed only for the requested
    length. A longer copy overwrites the user memory that follows while it is committed
    (reported as a violation: the driver's Information is wrong) and faults where it is
    not; the fault's code replaces IoStatus.Status and the rest of the phase follows it.
    Returns the status the phase goes on with."""
    kernel = irp.kernel
    status = irp.io_status.status
    user = irp.user_buffer
    length = user.length if user is not None else 0
    if info > length:
        if irp.requestor_mode == KernelMode:
            # a kernel caller's buffer (a Zw* or IoBuild* request): pool corruption
            raise NotModelledError("IopCompleteRequest copy-back", f"Information {info} "
                                   f"overruns the kernel caller's buffer of {length} bytes")
        if kernel.verifier:
            raise NotModelledError("Driver Verifier's check of Information against the "
                                   "buffer", f"Information {info} > {length} bytes")
        kernel.hooks.violation("IopCompleteRequest copy-back overrun", f"Information {info} "
                               f"is more than the {length}-byte user buffer", irp, (info, length))
    source = irp.system_buffer
    data = source.read(0, info) if source is not None else b""
    # past the SystemBuffer the copy reads the pool that follows it: its contents are
    # not modelled (zeros)
    data += bytes(info - len(data))
    target = user if user is not None else UnmappedUserPointer(kernel, 0, info)
    fault = under_seh(kernel, lambda: copy_to_user(kernel, target, data))
    if fault != STATUS_SUCCESS:
        irp.io_status.status = status = fault
    return status


def iop_complete_request(irp: Irp) -> None:
    """IopCompleteRequest: the final phase in the requesting thread (io-core §5.4)."""
    kernel = irp.kernel
    status = irp.io_status.status
    info = irp.io_status.information
    flags = irp.flags
    if flags & IrpFlags.IRP_BUFFERED_IO:
        if (flags & IrpFlags.IRP_INPUT_OPERATION and status != NTSTATUS.STATUS_VERIFY_REQUIRED
                and not nt_error(status)):        # §5.4.1 / §10.5: warnings copy too
            # A builder read with Buffer NULL, Length 0 (stacks-services 1.25, #38/#39)
            # has no UserBuffer: RtlCopyMemory of 0 bytes touches nothing.
            if info:
                status = _copy_back(irp, info)
        if flags & IrpFlags.IRP_DEALLOCATE_BUFFER and irp.system_buffer is not None:
            irp.system_buffer.freed = True
        irp.flags &= ~(IrpFlags.IRP_BUFFERED_IO | IrpFlags.IRP_DEALLOCATE_BUFFER)
    mdl = irp.mdl_address                         # §5.4.2
    while mdl is not None:
        io_free_mdl(mdl)
        mdl = mdl.next
    irp.mdl_address = None
    file = irp.original_file_object
    synchronous = bool(flags & _SYNC_API) or (file is not None and file.synchronous)
    is_create = bool(flags & IrpFlags.IRP_CREATE_OPERATION)
    kernel.hooks.irp_final(irp, status, info)
    if not nt_error(status) or (irp.pending_returned and not synchronous):
        # §5.4.3 the "report" branch
        if irp.user_iosb is not None:
            irp.user_iosb.status = status
            irp.user_iosb.information = info
        if irp.user_event is not None:
            ke_set_event(irp.user_event)
            if file is not None and file.synchronous:
                file.final_status = status
                ke_set_event(file.event)
        elif file is not None:
            file.final_status = status
            # win32-io 3.7 FILE_SKIP_SET_EVENT_ON_HANDLE: the file's event stays alone.
            # Honoured for overlapped file objects only: a FO_SYNCHRONOUS_IO one waits on
            # that event inside the service (a choice; the spec names no sync case).
            if not (file.flags & FO_SKIP_SET_EVENT and not file.synchronous):
                ke_set_event(file.event)
        if irp.user_apc_routine is not None and not is_create \
                and irp.requestor_mode != KernelMode:
            # win32-io §2: a user-mode ApcRoutine (ReadFileEx's completion routine) is a
            # user APC to the issuing thread, run by its next alertable wait
            kernel.queue_user_apc(irp.thread, (irp.user_apc_routine, irp.user_apc_context,
                                               irp.user_iosb))
        elif irp.user_apc_routine is not None and not is_create:
            # stacks-services 1.14: a Zw* caller's ApcRoutine is a NORMAL kernel APC to
            # the same thread, ApcRoutine(ApcContext, IoStatusBlock, 0); the IRP is freed
            # first (by that APC's kernel routine in Windows, before the routine runs).
            routine, context, iosb = irp.user_apc_routine, irp.user_apc_context, irp.user_iosb

            def normal_routine() -> Any:
                return routine(context, iosb)
            normal_routine.__name__ = getattr(routine, "__name__", "ApcRoutine")
            kernel.queue_kernel_apc(irp.thread, normal_routine, normal=True)
        elif file is not None and not is_create:
            # §5.4.3f / win32-io 3.2: a port packet, after the IOSB and the events
            iop_queue_completion_packet(irp, file)
    elif irp.pending_returned and file is not None:
        # §5.4.4 the "silent" branch, pended: only the waiter learns the status.
        if flags & _SYNC_API:
            if irp.user_iosb is not None:
                irp.user_iosb.status = status
                irp.user_iosb.information = info
            ke_set_event(irp.user_event if irp.user_event is not None else file.event)
        else:
            file.final_status = status
            ke_set_event(file.event)
    # §10.6: an error completed without pending and no file object: nothing written.
    if irp.thread is not None and irp in irp.thread.irp_list:
        irp.thread.irp_list.remove(irp)
    io_free_irp(irp)
    if file is not None and not is_create:
        ob_dereference_object_deferred(file)
