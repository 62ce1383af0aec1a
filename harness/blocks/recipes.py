"""Named behaviour blocks: the book's recipes, each a few WDK calls with parameters.

A recipe does the mechanics only; the book's KdPrint lines are written around it in
the scenario with ``log`` steps, so a scenario reads like the original driver.
"""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import (IRP_MJ, NTSTATUS, FileStandardInformation, KDpc, dbg_print, io_allocate_mdl,
                      io_build_partial_mdl, io_call_driver, io_complete_request,
                      io_copy_current_irp_stack_location_to_next, io_free_mdl,
                      io_get_current_irp_stack_location, io_get_next_irp_stack_location,
                      io_mark_irp_pending, io_set_completion_routine, ke_set_timer,
                      mm_get_system_address_for_mdl_safe, mm_prepare_mdl_for_reuse)
from .actions import (BYTE, DURATION, NAME, STATUS, complete_all, complete_irp,
                      require_user_context)
from .registry import block
from .runtime import Frame
from .state import fault

SUCCESS = NTSTATUS.STATUS_SUCCESS


@block("buffered_io", kind="block", bare=True,
       summary="DO_BUFFERED_IO reads/writes through Irp->AssociatedIrp.SystemBuffer: fill "
       "reads with a byte, or back them with an in-memory file (book §7.2). Also answers "
       "IRP_MJ_QUERY_INFORMATION FileStandardInformation with the file's length.",
       params={"type": "object", "additionalProperties": False, "properties": {
           "fill": BYTE, "file": NAME, "file_size": {"type": "integer", "minimum": 1,
                                                            "maximum": 1 << 24}}},
       models=("IoCompleteRequest", "IoGetCurrentIrpStackLocation"))
def _buffered_io(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    fill = params.get("fill", 0)
    file_name = params.get("file")
    size = params.get("file_size", 1024)

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        loc = io_get_current_irp_stack_location(irp)
        p = loc.parameters
        major = loc.major_function
        if major == IRP_MJ.IRP_MJ_QUERY_INFORMATION:
            file = f.model.files.setdefault(file_name or "file", {"data": bytearray(size),
                                                                  "length": 0})
            if p.file_information_class == FileStandardInformation:
                irp.system_buffer.write(file["length"].to_bytes(8, "little"), 8)
            yield from complete_irp(f, SUCCESS, p.length)
            return
        if major not in (IRP_MJ.IRP_MJ_READ, IRP_MJ.IRP_MJ_WRITE):
            yield from complete_irp(f, SUCCESS, 0)
            return
        if file_name is None:
            if major == IRP_MJ.IRP_MJ_READ and p.length:
                irp.system_buffer.fill(fill, p.length)
            yield from complete_irp(f, SUCCESS, p.length)
            return
        file = f.model.files.setdefault(file_name, {"data": bytearray(size), "length": 0})
        if p.byte_offset + p.length > size:
            yield from complete_irp(f, NTSTATUS.STATUS_FILE_INVALID, 0)
            return
        start, end = p.byte_offset, p.byte_offset + p.length
        if major == IRP_MJ.IRP_MJ_WRITE:
            file["data"][start:end] = irp.system_buffer.read(0, p.length)
            file["length"] = max(file["length"], end)
        elif p.length:
            irp.system_buffer.write(bytes(file["data"][start:end]))
        yield from complete_irp(f, SUCCESS, p.length)
    return step


@block("direct_io", kind="block", bare=True,
       summary="DO_DIRECT_IO read: check the MDL's byte count against Read.Length "
       "(STATUS_UNSUCCESSFUL if they differ), map it with MmGetSystemAddressForMdlSafe and "
       "fill it (book §7.3).",
       params={"type": "object", "additionalProperties": False, "properties": {"fill": BYTE}},
       models=("MmGetMdlByteCount", "MmGetSystemAddressForMdlSafe", "IoCompleteRequest"))
def _direct_io(params: dict | None, cc: Any, path: list) -> Any:
    fill = (params or {}).get("fill", 0)

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        length = io_get_current_irp_stack_location(irp).parameters.length
        mdl = irp.mdl_address
        if mdl is None or mdl.byte_count != length:
            yield from complete_irp(f, NTSTATUS.STATUS_UNSUCCESSFUL, 0)
            return
        mm_get_system_address_for_mdl_safe(f.kernel, mdl).fill(fill, length)
        yield from complete_irp(f, SUCCESS, length)
    return step


@block("neither_io", kind="block", bare=True,
       summary="Neither buffered nor direct: ProbeForWrite and fill Irp->UserBuffer in the "
       "requesting thread's context (book §7.4). Information = the requested length.",
       params={"type": "object", "additionalProperties": False, "properties": {"fill": BYTE}},
       models=("ProbeForWrite", "IoCompleteRequest"))
def _neither_io(params: dict | None, cc: Any, path: list) -> Any:
    fill = (params or {}).get("fill", 0)

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        p = io_get_current_irp_stack_location(irp).parameters
        length = p.length or p.output_buffer_length
        if length:
            require_user_context(f)
            irp.user_buffer.fill(fill, length)
        yield from complete_irp(f, SUCCESS, length)
    return step


@block("pending_queue", kind="block", bare=True,
       summary="Pend IRPs in a driver list (IoMarkIrpPending, STATUS_PENDING); on "
       "IRP_MJ_CLEANUP complete them all, newest first, then the cleanup (book §9.2).",
       params={"type": "object", "additionalProperties": False, "properties": {
           "queue": NAME, "status": STATUS, "mark": {"type": "boolean"}}},
       models=("IoMarkIrpPending", "IoCompleteRequest"))
def _pending_queue(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    queue = params.get("queue", "pending")
    status = cc.status(params.get("status", "STATUS_SUCCESS"), path)
    mark = params.get("mark", True)

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        pending = f.model.queue(queue)
        if io_get_current_irp_stack_location(irp).major_function == IRP_MJ.IRP_MJ_CLEANUP:
            yield from complete_all(pending, status)
            yield from complete_irp(f, SUCCESS, 0)
            return
        if mark:
            io_mark_irp_pending(irp)
        pending.insert(0, irp)
        f.result = NTSTATUS.STATUS_PENDING
    return step


@block("timeout_dpc", kind="block",
       summary="Pend the IRP and arm a KTIMER whose DPC completes it with a status after a "
       "delay (book §10.5); completing the IRP first cancels the timer.",
       params={"type": "object", "required": ["after"], "additionalProperties": False,
               "properties": {"after": DURATION, "status": STATUS, "log": {"type": "string"},
                              "mark": {"type": "boolean"}}},
       models=("IoMarkIrpPending", "KeSetTimer", "KeInitializeDpc", "IoCompleteRequest"))
def _timeout_dpc(params: dict, cc: Any, path: list) -> Any:
    due = -cc.duration(params["after"], path + ["after"])
    status = cc.status(params.get("status", "STATUS_CANCELLED"), path + ["status"])
    text = params.get("log")
    mark = params.get("mark", True)

    def on_timer_dpc(dpc: KDpc, context: Any, arg1: Any, arg2: Any) -> Generator[Any, Any, None]:
        model = context.device_extension["model"]      # DeferredContext: the device
        irp = model.vars.pop("timeout_irp", None)
        if text:
            dbg_print(model.kernel, text)
        if irp is not None:
            model.timeouts.pop(irp.id, None)
            irp.io_status.status, irp.io_status.information = status, 0
            yield from io_complete_request(irp)

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        if mark:
            io_mark_irp_pending(irp)
        timer = f.model.timer("timeout")
        dpc = f.model.vars.get("timeout_dpc")
        if dpc is None:
            dpc = f.model.vars["timeout_dpc"] = KDpc(f.kernel, on_timer_dpc, f.device,
                                                     "OnTimerDpc")
        f.model.vars["timeout_irp"] = irp         # one currentPendingIRP slot, as the book
        f.model.timeouts[irp.id] = timer
        ke_set_timer(timer, due, dpc)
        f.result = NTSTATUS.STATUS_PENDING
        return None
        yield
    return step


class _SplitContext:
    __slots__ = ("mdl", "previous", "length", "transferred", "va")

    def __init__(self, mdl: Any, previous: Any, length: int, va: int) -> None:
        self.mdl, self.previous, self.length, self.transferred, self.va = \
            mdl, previous, length, 0, va


@block("split_irp", kind="block",
       summary="Split a direct-I/O read into chunks of at most 'chunk' bytes with partial "
       "MDLs; the completion routine re-issues the IRP for the next chunk and returns "
       "STATUS_MORE_PROCESSING_REQUIRED (book §12.3). Assumes the lower driver completes "
       "synchronously, as the book does.",
       params={"type": "object", "required": ["chunk"], "additionalProperties": False,
               "properties": {"chunk": {"type": "integer", "minimum": 1,
                                                        "maximum": 1 << 24},
                              "log_prefix": {"type": "string"}}},
       models=("IoAllocateMdl", "IoBuildPartialMdl", "MmPrepareMdlForReuse",
               "IoSetCompletionRoutine", "IoCallDriver", "IoFreeMdl", "IoCompleteRequest"))
def _split_irp(params: dict, cc: Any, path: list) -> Any:
    chunk = params["chunk"]
    prefix = params.get("log_prefix")

    def log(kernel: Any, text: str) -> None:
        if prefix is not None:
            dbg_print(kernel, prefix + text)

    def read_completion(device: Any, irp: Any, ctx: _SplitContext) -> Generator[Any, Any, int]:
        log(device.kernel, "Enter B HelloDDKReadCompletion")
        if irp.io_status.status < 0x80000000:
            ctx.transferred += irp.io_status.information
        if ctx.length > 0:
            stage = min(ctx.length, chunk)
            mm_prepare_mdl_for_reuse(ctx.mdl)
            io_build_partial_mdl(ctx.previous, ctx.mdl, ctx.va, stage)
            ctx.va += stage
            ctx.length -= stage
            io_copy_current_irp_stack_location_to_next(irp)
            io_get_next_irp_stack_location(irp).parameters.length = stage
            io_set_completion_routine(irp, read_completion, ctx, True, True, True)
            yield from io_call_driver(device.device_extension["lower"], irp)
            return NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED
        irp.io_status.information = ctx.transferred
        log(device.kernel, "Leave B HelloDDKReadCompletion")
        return NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED

    read_completion.__name__ = "HelloDDKReadCompletion"

    def step(f: Frame) -> Generator[Any, Any, None]:
        irp = f.irp
        original = irp.mdl_address
        if original is None:          # MmGetMdlVirtualAddress(NULL): an access violation
            fault(f, 0, False)
        va, total = original.virtual_address, original.byte_count
        log(f.kernel, f"(pIrp->MdlAddress)MmGetMdlVirtualAddress:{va:08X}")
        log(f.kernel, f"(pIrp->MdlAddress)MmGetMdlByteCount:{total}")
        stage = min(total, chunk)
        new = io_allocate_mdl(f.kernel, original.buffer)
        log(f.kernel, f"(new mdl)MmGetMdlVirtualAddress:{new.virtual_address:08X}")
        log(f.kernel, f"(new mdl)MmGetMdlByteCount:{new.byte_count}")
        io_build_partial_mdl(original, new, va, stage)
        log(f.kernel, f"(new mdl)MmGetMdlVirtualAddress:{new.virtual_address:08X}")
        log(f.kernel, f"(new mdl)MmGetMdlByteCount:{new.byte_count}")
        ctx = _SplitContext(new, original, total - stage, va + stage)
        io_copy_current_irp_stack_location_to_next(irp)
        io_get_next_irp_stack_location(irp).parameters.length = stage
        irp.mdl_address = new
        io_set_completion_routine(irp, read_completion, ctx, True, True, True)
        yield from io_call_driver(f.lower_device(), irp)
        # The book assumes every chunk is done now (the lower driver completed inline).
        irp.mdl_address = original
        io_free_mdl(new)
        yield from complete_irp(f, SUCCESS, total)
    return step
