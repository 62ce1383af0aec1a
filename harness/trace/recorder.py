"""The trace recorder: an Instrument that writes every hook call down as a record.

Recording is on the hot path of every IRP, so a hook only appends raw values (objects,
not strings) to one flat list ``raw`` as a compact record (records.py: a layout tag,
the CPU's state, the kind's fields): no object per event, nothing for the cyclic GC
to track, no formatting. The IRP hooks are closures made once at attach time (the
list's ``extend``, the kernel and SimPy's clock are their free variables: no attribute
look-up through ``self``). :meth:`TraceRecorder.events` is a lazy view (view.py).

Streaming: with ``stream=`` a :class:`~harness.trace.tracefile.TraceWriter`, the
records go to a trace file as the run goes and ``raw`` stays bounded: it is written
out when it holds more than :data:`FLUSH_ITEMS` items, checked whenever an IRP is
allocated or freed and at every event that is not about an IRP (so a run that makes
IRPs or does anything else is bounded; one IRP bounced between drivers forever is
not, until it is freed). ``events()`` reads the file back as far as it is written (it
writes what it holds first); :meth:`close` writes the rest and the end line (the
runner closes it when the scenario's app has run).
"""

from __future__ import annotations

import sys
from typing import Any

from ..kernel.instrument import Instrument
from . import records as R
from .tracefile import read_trace
from .view import TraceView

#: Items ``raw`` may hold before a streaming recorder writes them out (~2 MB).
FLUSH_ITEMS = 1 << 18


def _major(irp: Any) -> int:
    """The major of the current location; past the stack (the creator's view, a finished
    walk) the top one's. An IRP always has a location (IoAllocateIrp refuses 0)."""
    loc = irp.current_location
    count = irp.stack_count
    return irp.stack[(loc if loc <= count else count) - 1].major_function


#: The IRP hooks _bind writes as closures (the hot path); the class has stand-ins so that
#: Hooks sees it implements them.
BOUND_AT_ATTACH = ("irp_allocated", "irp_freed", "irp_call", "dispatch_return",
                   "irp_complete", "completion_routine", "completion_return", "irp_final",
                   "mark_pending", "irp_set_completion", "irp_location")


def _bound_at_attach(self: Any, *args: Any) -> None:
    raise AssertionError("TraceRecorder: the IRP hooks are bound at attach time (_bind)")


class TraceRecorder(Instrument):
    """Records the run; ``events()`` returns the typed trace (a lazy view)."""

    def __init__(self, stream: Any = None) -> None:
        self.raw: list[Any] = []      # records, see records.py
        self.kernel: Any = None
        self.stream = stream          # a TraceWriter, or None: keep the records
        self._limit = FLUSH_ITEMS if stream is not None else sys.maxsize
        self._view: Any = None

    # -- records ------------------------------------------------------------------------
    def _add(self, layout: R.Layout, *fields: Any) -> None:
        """A record that is not about an IRP (header: time, cpu, irql, thread, context)."""
        cpu = self.kernel.cpu
        raw = self.raw
        raw.extend((layout, self.kernel.env._now, cpu.index, cpu.irql, cpu.thread,
                    cpu.context))
        raw.extend(fields)
        if len(raw) > self._limit:
            self.flush()

    def _add_irp(self, layout: R.Layout, irp: Any, *fields: Any) -> None:
        cpu = self.kernel.cpu
        raw = self.raw
        raw.extend((layout, self.kernel.env._now, cpu.index, cpu.irql, cpu.thread,
                    cpu.context, irp.id, _major(irp)))
        raw.extend(fields)

    def flush(self) -> None:
        """Write the records kept so far to the stream (streaming only; once the stream
        is closed, records stay in ``raw``)."""
        if self.stream is not None and self.raw and not self.stream.closed:
            self.stream.write_records(self.raw)
            self.raw.clear()

    def close(self) -> None:
        """End a streamed trace: write what is left and close the file."""
        if self.stream is not None and not self.stream.closed:
            self.flush()
            self.stream.close()

    # -- the hot IRP hooks, bound once ------------------------------------------------
    def attach(self, kernel: Any) -> None:
        self.kernel = kernel
        self._bind(kernel, kernel.env, self.raw.extend)

    def _bind(self, kernel: Any, env: Any, extend: Any) -> None:   # noqa: C901
        # Each is the _add_irp of its kind written out: the clock is Environment._now
        # (the ``now`` property costs a call), ``major`` is _major(irp) inlined: a
        # current location past the stack (the creator's view, StackCount + 1, and a
        # finished walk, StackCount + 2) reads the top location; index -1 does the same
        # for location 0, which only the bug check of IoCallDriver ever sees. An IRP
        # always has a location (IoAllocateIrp refuses a StackSize of 0). Not try/except
        # IndexError: the creator's routine and IoFreeIrp see StackCount + 1, and a
        # raised exception costs more than the test, measured.
        raw = self.raw
        recorder = self
        allocate, free, call, ret = R.ALLOCATE, R.FREE, R.CALL, R.RETURN
        complete, routine_, routine_pending = R.COMPLETE, R.ROUTINE, R.ROUTINE_PENDING
        routine_return, final, mark = R.ROUTINE_RETURN, R.FINAL, R.MARK
        set_completion, locations = R.SET_COMPLETION, R.LOCATION

        def irp_allocated(irp: Any) -> None:
            cpu = kernel.cpu
            # A driver's IoAllocateIrp does not say what the IRP is for (its locations
            # are zero until the driver fills one in); builders and the I/O manager
            # announce it once the major is written.
            major = None if irp.allocated_by == "IoAllocateIrp" else _major(irp)
            extend((allocate, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context,
                    irp.id, major, irp.stack_count))
            if len(raw) > recorder._limit:
                recorder.flush()

        def irp_freed(irp: Any) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((free, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context, irp.id, major))
            if len(raw) > recorder._limit:
                recorder.flush()

        last_stack: Any = None

        def irp_call(irp: Any, device: Any) -> None:
            nonlocal last_stack
            cpu = kernel.cpu
            loc = irp.current_location
            # io_call_driver stored ``device`` in location ``loc`` (1..StackCount) before
            # the hook. What the caller wrote there directly (minor, flags, Parameters,
            # the file object) is kept for the `!irp` view (irpview.py): one tuple. It is
            # most often the previous call's (a location copied or skipped down, the next
            # IRP of the same kind): then that tuple is kept again, so the trace holds one
            # pointer instead of two more tuples (their memory is most of the difference
            # between the kernel's trace and a hand model's, benchmarks/README.md).
            s = irp.stack[loc - 1]
            p = s._parameters
            stack = (s.minor_function, s.flags, s.control, s.file_object, None if p is None
                     else (p.length, p.key, p.byte_offset, p.output_buffer_length,
                           p.input_buffer_length, p.io_control_code))
            if stack == last_stack:
                stack = last_stack
            else:
                last_stack = stack
            extend((call, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context, irp.id,
                    s.major_function, device, loc, stack))

        def dispatch_return(irp: Any, device: Any, status: Any) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((ret, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context, irp.id,
                    major, device, status))

        def irp_complete(irp: Any, device: Any, status: Any) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((complete, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context, irp.id,
                    major, device, status, irp.io_status.information))

        def completion_routine(irp: Any, device: Any, routine: Any, pending: bool) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            io_status = irp.io_status
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((routine_pending if pending else routine_, env._now, cpu.index, cpu.irql,
                    cpu.thread, cpu.context, irp.id, major, device, io_status.status,
                    io_status.information, routine, loc))

        def completion_return(irp: Any, device: Any, routine: Any, status: Any) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((routine_return, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context,
                    irp.id, major, device, status, routine))

        def irp_final(irp: Any, status: Any, info: Any) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((final, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context, irp.id,
                    major, status, info, irp.pending_returned))

        def mark_pending(irp: Any, device: Any) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((mark, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context, irp.id,
                    major, device))

        def irp_set_completion(irp: Any, routine: Any, context: Any, control: int) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((set_completion, env._now, cpu.index, cpu.irql, cpu.thread, cpu.context,
                    irp.id, major, routine, context, control))

        def irp_location(irp: Any, routine: str) -> None:
            cpu = kernel.cpu
            loc = irp.current_location
            count = irp.stack_count
            major = irp.stack[(loc if loc <= count else count) - 1].major_function
            extend((locations[routine], env._now, cpu.index, cpu.irql, cpu.thread,
                    cpu.context, irp.id, major))

        # instance attributes shadow the class's stand-ins; Hooks binds them (machine.py
        # attaches an instrument before it builds its Hooks)
        closures = locals()
        for name in BOUND_AT_ATTACH:
            setattr(self, name, closures[name])

    irp_allocated = irp_freed = irp_call = dispatch_return = irp_complete = _bound_at_attach
    completion_routine = completion_return = irp_final = mark_pending = _bound_at_attach
    irp_set_completion = irp_location = _bound_at_attach

    # -- the other hooks ----------------------------------------------------------------
    def irp_cancel(self, irp: Any, had_routine: bool) -> None:
        self._add_irp(R.CANCEL_IRP, irp, had_routine)

    def cancel_routine(self, irp: Any, device: Any, routine: Any) -> None:
        self._add_irp(R.CANCEL, irp, device, routine)

    def cancel_return(self, irp: Any, device: Any, routine: Any) -> None:
        self._add_irp(R.CANCEL_RETURN, irp, device, routine)

    def dpc_queued(self, dpc: Any, inserted: bool) -> None:
        self._add(R.DPC_QUEUED, dpc.name, inserted)

    def dpc_run(self, dpc: Any) -> None:
        self._add(R.DPC_RUN, dpc.name)

    def interrupt(self, line: Any, cpu: Any) -> None:
        self._add(R.INTERRUPT, line.device.name, line.vector, line.irql)

    def isr_return(self, interrupt: Any, claimed: bool) -> None:
        self._add(R.ISR_RETURN, interrupt.name, claimed)

    def timer_set(self, timer: Any, due: int, period: int, replaced: bool) -> None:
        self._add(R.TIMER_SET, timer.name, due, timer.due, period, replaced)

    def timer_expired(self, timer: Any) -> None:
        self._add(R.TIMER_EXPIRED, timer.name)

    def timer_cancelled(self, timer: Any, was_queued: bool) -> None:
        self._add(R.TIMER_CANCELLED, timer.name, was_queued)

    def event_set(self, event: Any, previous: int) -> None:
        self._add(R.EVENT_SET, R.label(event), previous)

    def wait_begin(self, objects: Any, timeout: Any) -> None:
        self._add(R.WAIT_BEGIN, [R.label(o) for o in objects], timeout)

    def wait_end(self, objects: Any, status: Any) -> None:
        self._add(R.WAIT_END, [R.label(o) for o in objects], status)

    def thread_start(self, thread: Any) -> None:
        self._add(R.THREAD_START, thread.name)

    def thread_exit(self, thread: Any) -> None:
        self._add(R.THREAD_EXIT, thread.name)

    def irql_change(self, old: int, new: int) -> None:
        self._add(R.IRQL_CHANGE, old, new)

    def dbg_print(self, text: str) -> None:
        self._add(R.DBG_PRINT, text)

    def app_print(self, text: str) -> None:
        self._add(R.APP_PRINT, text)

    def service_call(self, api: str, args: dict) -> None:
        self._add(R.SERVICE_CALL, {"api": api, **args})

    def service_return(self, api: str, result: dict) -> None:
        self._add(R.SERVICE_RETURN, {"api": api, **result})

    def apc_run(self, thread: Any, routine: Any) -> None:
        self._add(R.KERNEL_APC, getattr(routine, "__name__", "?"))

    def win32_call(self, api: str, args: dict) -> None:
        self._add(R.WIN32_CALL, {"api": api, **args})

    def win32_return(self, api: str, result: dict) -> None:
        self._add(R.WIN32_RETURN, {"api": api, **result})

    def violation(self, rule: str, detail: str, irp: Any = None,
                  parameters: Any = None) -> None:
        self._add(R.VIOLATION, None if irp is None else irp.id,
                  None if irp is None else _major(irp), rule, detail,
                  None if parameters is None else list(parameters))

    def machine_frozen(self, reason: str) -> None:
        self._add(R.MACHINE_FROZEN, reason)

    def bugcheck(self, bugcheck: Any) -> None:
        self._add(R.BUGCHECK, bugcheck.code, bugcheck.name,
                  [bugcheck.p1, bugcheck.p2, bugcheck.p3, bugcheck.p4], bugcheck.reason)

    # -- reading ------------------------------------------------------------------------
    def events(self) -> Any:
        """The typed trace: a lazy view over the records (view.py), or, once a streamed
        trace is closed, over its file (tracefile.py)."""
        if self.stream is not None:          # the file so far (the run may go on)
            self.flush()
            self.stream.sync()
            return read_trace(self.stream.path,
                              count=self.stream.events if self.stream.closed else None)
        if self._view is None:
            self._view = TraceView(self.raw)
        return self._view
