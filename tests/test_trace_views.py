"""The trace views: the sequence diagram's lanes and rows, the `!irp` table, CTL_CODE
decoding, the device-stack picture, and the new IRP trace events they rest on."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.bdd.context import IrpScenario
from harness.kernel import (FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_NEITHER, Instrument,
                            ctl_code)
from harness.runner import Session, run_scenario
from harness.scenario import load_scenario
from harness.trace import (TraceEvent, decode_ctl_code, format_ctl_code, irp_state, irp_table,
                           render_sequence_svg, render_text)
from harness.trace.diagram import APP, dpc_lane, layout
from harness.trace.stackpic import device_topology, irp_path, render_stack_svg

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "scenarios" / "book"


@pytest.fixture(scope="module")
def pending_run():
    """ch12: DriverB forwards a read with MyIoCompletion to DriverA, whose timer DPC
    completes it 3 s later (book-experiments §3)."""
    return run_scenario(BOOK / "ch12_completion_pending.yaml")


def _event(seq, kind, driver=None, irp=None, cpu=0, irql=0, thread="main", process="app.exe",
           context="thread", **details):
    return TraceEvent(seq=seq, time=seq, cpu=cpu, irql=irql, thread=thread, process=process,
                      context=context, kind=kind, driver=driver,
                      device=None if driver is None else f"\\Device\\{driver}", irp=irp,
                      major=None if irp is None else 3, details=details)


def _three_deep() -> list[TraceEvent]:
    """Boot loads Bus, then Fdo, then the Filter on top (bottom-up, as a PnP stack is
    built); the app's read then goes Filter -> Fdo -> Bus."""
    boot = dict(thread="DriverLoader", process="System")
    events = [_event(0, "ServiceCall", api="DriverEntry", driver="\\Driver\\Bus", **boot),
              _event(1, "ServiceReturn", api="DriverEntry", **boot),
              _event(2, "ServiceCall", api="DriverEntry", driver="\\Driver\\Fdo", **boot),
              _event(3, "ServiceReturn", api="DriverEntry", **boot),
              _event(4, "ServiceCall", api="DriverEntry", driver="\\Driver\\Filter", **boot),
              _event(5, "ServiceReturn", api="DriverEntry", **boot),
              _event(6, "Win32Call", api="ReadFile")]
    for seq, driver in enumerate(("Filter", "Fdo", "Bus"), 7):
        events.append(_event(seq, "IoCallDriver", driver, irp=1, location=4 - (seq - 6)))
    for seq, driver in enumerate(("Bus", "Fdo", "Filter"), 10):
        events.append(_event(seq, "DispatchReturn", driver, irp=1))
    return events


# -- the sequence diagram ------------------------------------------------------------------

def test_diagram_lanes_follow_stack_order_not_declaration_order():
    model = layout(_three_deep())
    assert model.lanes == [APP, "Filter", "Fdo", "Bus"]


def test_diagram_completion_routine_called_from_a_dpc_starts_on_the_dpc_lane(pending_run):
    rows = layout(pending_run.events).rows
    routine = next(r for r in rows if r.kind == "CompletionRoutine" and r.irp == 5)
    assert (routine.src, routine.dst) == (dpc_lane(0), "DriverB")
    done = next(r for r in rows if r.kind == "CompletionReturn" and r.irp == 5)
    assert (done.src, done.dst) == ("DriverB", dpc_lane(0))


def test_diagram_irp_sent_from_driver_entry_starts_on_that_drivers_lane(pending_run):
    rows = layout(pending_run.events, fold_boot=False).rows
    # DriverB's DriverEntry opens DriverA (IoGetDeviceObjectPointer): IRP#1 CREATE
    first = next(r for r in rows if r.kind == "IoCallDriver")
    assert (first.src, first.dst, first.irp) == ("DriverB", "DriverA", 1)


def test_diagram_folds_boot_by_default(pending_run):
    events = pending_run.events
    boot_end = next(e.seq for e in events if e.kind == "Win32Call")
    folded = layout(events)
    assert folded.folded == boot_end
    assert folded.boot == ["DriverEntry DriverA", "DriverEntry DriverB"]
    assert min(r.seq for r in folded.rows) == boot_end
    unfolded = layout(events, fold_boot=False)
    assert unfolded.folded == 0 and any(r.seq < boot_end for r in unfolded.rows)
    assert f"({boot_end} events folded)" in render_sequence_svg(events)


def test_diagram_per_request_keeps_only_that_requests_rows(pending_run):
    rows = layout(pending_run.events, irp=5).rows
    kinds = [r.kind for r in rows]
    assert kinds[0] == "Win32Call" and rows[0].label.startswith("ReadFile(")
    assert kinds[-1] == "Win32Return"
    assert "DpcRoutine" in kinds and "CompletionRoutine" in kinds
    assert all("IRP#4" not in r.label for r in rows)
    svg = render_sequence_svg(pending_run.events, "r1", irp=5)
    ET.fromstring(svg)
    assert "IRP#5" in svg and "IRP#4" not in svg


def test_diagram_irql_strip_has_each_cpus_irql_per_row(pending_run):
    rows = layout(pending_run.events).rows
    routine = next(r for r in rows if r.kind == "CompletionRoutine")
    call = next(r for r in rows if r.kind == "IoCallDriver" and r.irp == 5)
    assert routine.irql == (2,) and call.irql == (0,)
    # two CPUs: each column keeps its own CPU's last IRQL
    events = [_event(0, "Win32Call", api="Sleep"),
              _event(1, "DpcRoutine", cpu=1, irql=2, context="dpc", dpc="D"),
              _event(2, "DbgPrint", cpu=0, irql=0, text="on CPU0")]
    assert [r.irql for r in layout(events).rows] == [(0, 0), (0, 2), (0, 2)]
    svg = render_sequence_svg(events)
    assert svg.count("<title>CPU1 IRQL 2</title>") == 2


def test_diagram_names_completion_and_cancel_routines():
    events = [_event(0, "Win32Call", api="CancelIo"),
              _event(1, "IoCallDriver", "Low", irp=1, location=1),
              _event(2, "DispatchReturn", "Low", irp=1),
              _event(3, "CancelRoutine", "Low", irp=1, context="cancel", routine="OnCancel"),
              _event(4, "CancelReturn", "Low", irp=1, context="cancel", routine="OnCancel")]
    rows = layout(events).rows
    cancel = next(r for r in rows if r.kind == "CancelRoutine")
    assert (cancel.src, cancel.dst, cancel.label) == (APP, "Low", "cancel routine OnCancel")


# -- CTL_CODE ------------------------------------------------------------------------------

def test_ctl_code_0x222003_decomposes_into_its_four_fields():
    parts = decode_ctl_code(0x222003)
    assert parts == (FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)
    assert ctl_code(*parts) == 0x222003
    assert format_ctl_code(0x222003) == \
        "0x222003 CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)"


def test_ctl_code_vendor_device_type_and_access_bits():
    # DeviceType 0x8000 (vendor range), FILE_READ_ACCESS | FILE_WRITE_ACCESS, METHOD_OUT_DIRECT
    assert format_ctl_code(ctl_code(0x8000, 0x801, 2, 3)) == \
        ("0x8000E006 CTL_CODE(0x8000, 0x801, METHOD_OUT_DIRECT, "
         "FILE_READ_ACCESS | FILE_WRITE_ACCESS)")


def test_text_trace_prints_ioctl_codes_in_hex():
    text = run_scenario(BOOK / "ch07_ioctl_test.yaml").text()
    assert "code=0x222000 CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED," in text
    assert "code=2236416" not in text


# -- the `!irp` view -----------------------------------------------------------------------

def test_irp_view_after_lower_driver_marked_pending(pending_run):
    """verifier-rules §2.1 layout: location 1 (DriverA, lowest) first and current; its
    Control e1 = the three invoke bits DriverB's IoSetCompletionRoutine wrote there
    (io-core §3.6: the NEXT location) plus SL_PENDING_RETURNED from A's IoMarkIrpPending
    (§4.1); DriverB's own location 2 has no routine (the app's IRP has no creator routine)."""
    events = pending_run.events
    mark = next(e for e in events if e.kind == "IoMarkIrpPending" and e.irp == 5)
    expected = "\n".join([
        f"Irp#5 is active with 2 stacks 1 is current (after event #{mark.seq})",
        " Thread main: PendingReturned FALSE  Irp stack trace.",
        "     cmd  flg cl Device   File     Completion-Context",
        ">[IRP_MJ_READ(3), N/A(0)]",
        "            0 e1 \\Device\\MyDDKDeviceA FileObject#2 MyIoCompletion-00000000 "
        "Success Error Cancel pending",
        "\t       \\Driver\\DriverA",
        "\t\t\tArgs: 00000000 00000000 00000000 00000000",
        " [IRP_MJ_READ(3), N/A(0)]",
        "            0  0 \\Device\\MyDDKDeviceB FileObject#2 00000000-00000000",
        "\t       \\Driver\\DriverB",
        "\t\t\tArgs: 00000000 00000000 00000000 00000000"])
    assert irp_table(events, 5, mark.seq) == expected


def test_io_core_5_2_walk_clears_locations_and_ends_past_the_top(pending_run):
    """After MyIoCompletion returns STATUS_SUCCESS the walk passes DriverB's location
    (no routine) and runs out: CurrentLocation StackCount + 2 (§0.3), each examined
    location cleared to SL_ERROR_RETURNED only (§5.2.5), PendingReturned TRUE from the
    bit MyIoCompletion's IoMarkIrpPending set in B's location (§4.3)."""
    events = pending_run.events
    back = next(e for e in events if e.kind == "CompletionReturn" and e.irp == 5)
    state = irp_state(events, 5, back.seq)
    assert state.current == 4
    assert [loc.control for loc in state.locations] == [0, 0]
    assert state.pending_returned is True
    assert state.locations[0].routine == "MyIoCompletion"   # §5.2.5 keeps the routine


def test_irp_view_decodes_an_ioctl_in_args():
    result = run_scenario(BOOK / "ch07_ioctl_test.yaml")
    call = next(e for e in result.events if e.kind == "IoCallDriver"
                and e.major_name == "IRP_MJ_DEVICE_CONTROL")
    table = irp_table(result.events, call.irp, call.seq)
    assert ">[IRP_MJ_DEVICE_CONTROL(e), N/A(0)]" in table
    assert ("Args: 0000000a 0000000a 0x222000 00000000  (0x222000 CTL_CODE("
            "FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS))") in table


def test_io_core_3_6_set_completion_routine_event_arms_the_next_location(pending_run):
    events = pending_run.events
    armed = next(e for e in events if e.kind == "IoSetCompletionRoutine" and e.irp == 5)
    assert armed.driver == "DriverB"
    assert armed.details == {"routine": "MyIoCompletion", "context": None, "control": 0xE0}
    state = irp_state(events, 5, armed.seq)
    assert state.current == 2 and state.location(1).routine == "MyIoCompletion"
    assert state.location(2).routine is None


def test_io_core_3_4_skip_and_3_5_copy_are_trace_events(pending_run):
    kinds = [e.kind for e in pending_run.events if e.irp in (4, 5)]
    # CREATE is forwarded with IoSkip..., READ with IoCopy... + a completion routine
    assert "IoSkipCurrentIrpStackLocation" in kinds
    assert kinds.index("IoCopyCurrentIrpStackLocationToNext") < kinds.index(
        "IoSetCompletionRoutine")


class _StackSnapshots(Instrument):
    """Copies the real stack at the hooks whose event the replay must match exactly."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, tuple]] = []

    def _take(self, kind: str, irp) -> None:
        self.seen.append((kind, irp.id, (irp.current_location, tuple(
            (loc.control, getattr(loc.completion_routine, "__name__", None),
             None if loc.device_object is None else loc.device_object.label)
            for loc in irp.stack))))

    def irp_call(self, irp, device):
        self._take("IoCallDriver", irp)

    def mark_pending(self, irp, device):
        self._take("IoMarkIrpPending", irp)

    def irp_set_completion(self, irp, routine, context, control):
        self._take("IoSetCompletionRoutine", irp)

    def completion_routine(self, irp, device, routine, pending):
        self._take("CompletionRoutine", irp)

    def dispatch_return(self, irp, device, status):
        self._take("DispatchReturn", irp)

    def irp_final(self, irp, status, info):
        self._take("IopCompleteRequest", irp)


REPLAYED = sorted(BOOK.glob("ch1[12]_*.yaml")) + [BOOK / "ch09_cancel_irp.yaml",
                                                   BOOK / "ch21_ioctl_timeout.yaml"]


@pytest.mark.parametrize("path", REPLAYED, ids=lambda p: p.stem)
def test_irp_view_replay_matches_the_kernels_stack(path):
    """At every event it can check, the replayed table equals the kernel's own stack:
    CurrentLocation and, per location, Control, CompletionRoutine and DeviceObject."""
    session = Session(load_scenario(path))
    snapshots = _StackSnapshots()
    session.kernel.add_instrument(snapshots)   # after the recorder: it records first
    events = session.run_app().events
    kinds = {kind for kind, _, _ in snapshots.seen}
    queue = {}
    for kind, irp, real in snapshots.seen:
        queue.setdefault((kind, irp), []).append(real)
    checked = 0
    for e in events:
        if e.kind not in kinds or e.irp is None or not queue.get((e.kind, e.irp)):
            continue
        real = queue[(e.kind, e.irp)].pop(0)
        state = irp_state(events, e.irp, e.seq)
        if state is None:      # allocated during boot, before the snapshots began
            continue
        replayed = (state.current, tuple((loc.control, loc.routine, loc.device)
                                         for loc in state.locations))
        assert replayed == real, f"IRP#{e.irp} at event #{e.seq} {e.kind}"
        checked += 1
    assert checked > 0


def test_failing_per_irp_step_shows_the_irp_table():
    scenario = IrpScenario(ROOT, "scenarios/book/ch12_completion_pending.yaml")
    scenario.run_app()
    with pytest.raises(AssertionError) as failure:
        scenario.fail("r1: expected something else", 5)
    message = str(failure.value)
    assert "!irp at its last event:" in message
    assert "Irp#5 has been freed" in message        # its last event is IoFreeIrp
    assert "MyIoCompletion-00000000" in message


# -- the device-stack picture --------------------------------------------------------------

def test_stack_picture_of_a_pnp_keyboard_stack_names_pdo_fdo_and_filters():
    session = Session(load_scenario(BOOK / "ch22_ctrl2cap.yaml"))
    result = session.run_app()
    topology = device_topology(session.kernel)
    stack = next(s for s in topology.stacks if any(b.driver == "Ctrl2cap" for b in s))
    assert [(b.driver, b.role) for b in stack] == [
        ("PnpManager", "PDO"), ("i8042prt", "FDO"), ("kbdclass", "filter"),
        ("Ctrl2cap", "filter")]
    svg = render_stack_svg(topology, result.events, title="ch22")
    ET.fromstring(svg)
    assert "\\Driver\\Ctrl2cap" in svg and "AttachedTo" in svg


def test_stack_picture_draws_the_irps_path_and_links(pending_run):
    session = Session(load_scenario(BOOK / "ch12_completion_pending.yaml"))
    result = session.run_app()
    topology = device_topology(session.kernel)
    assert [[(b.label, b.role, b.links) for b in s] for s in topology.stacks] == [[
        ("\\Device\\MyDDKDeviceA", "device", ["\\??\\HelloDDKA"]),
        ("\\Device\\MyDDKDeviceB", "filter", [])]]
    r1 = result.requests["r1"].irp
    assert [what for _, what in irp_path(result.events, r1)] == [
        "IoCallDriver IRP_MJ_READ", "IoCallDriver IRP_MJ_READ",
        "IoCompleteRequest STATUS_SUCCESS", "completion MyIoCompletion"]
    svg = render_stack_svg(topology, result.events, irp=r1)
    ET.fromstring(svg)
    assert "1. IoCallDriver IRP_MJ_READ" in svg and "\\??\\HelloDDKA" in svg


def test_text_render_of_new_events_is_short(pending_run):
    text = render_text([e for e in pending_run.events if e.kind == "IoSetCompletionRoutine"])
    assert "routine=MyIoCompletion context=None control=0xE0" in text
