"""Compact trace records, the lazy trace view and the trace file (harness/trace/records.py,
view.py, tracefile.py)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.kernel import (DO_DEVICE_INITIALIZING, IRP_MJ, NTSTATUS, Kernel, io_allocate_irp,
                            io_attach_device_to_device_stack, io_call_driver,
                            io_complete_request, io_copy_current_irp_stack_location_to_next,
                            io_create_device, io_create_driver, io_free_irp,
                            io_get_next_irp_stack_location, io_set_completion_routine)
from harness.runner import Session
from harness.scenario import load_scenario
from harness.trace import (TraceFile, TraceFileError, TraceRecorder, TraceView, read_trace,
                           render_dbgview, render_json, render_text, write_trace)
from harness.trace import recorder as recorder_module
from harness.trace import records
from harness.trace import view as view_module

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "scenarios" / "book"
SMPR = NTSTATUS.STATUS_MORE_PROCESSING_REQUIRED


def _session(name: str, **kwargs: object) -> Session:
    return Session(load_scenario(BOOK / name), **kwargs)   # type: ignore[arg-type]


# -- the sync IRP of benchmarks/irp_throughput.py, as a small fixture ----------------------

def _forward(device, irp):
    io_copy_current_irp_stack_location_to_next(irp)
    io_set_completion_routine(irp, _propagate, None, True, True, True)
    return (yield from io_call_driver(device.device_extension["lower"], irp))


def _propagate(device, irp, context):
    return NTSTATUS.STATUS_SUCCESS
    yield


def _complete(device, irp):
    irp.io_status.status = NTSTATUS.STATUS_SUCCESS
    irp.io_status.information = 16
    yield from io_complete_request(irp)
    return NTSTATUS.STATUS_SUCCESS


def _creator_done(device, irp, context):
    io_free_irp(irp)
    return SMPR
    yield


def _run_sync_irps(count: int) -> tuple[Kernel, TraceRecorder]:
    recorder = TraceRecorder()
    kernel = Kernel(cpus=1, instruments=[recorder])
    lower = None
    for name, dispatch in (("Disk", _complete), ("Filter", _forward), ("Upper", _forward)):
        driver = io_create_driver(kernel, name)
        driver.major_function[IRP_MJ.IRP_MJ_READ] = dispatch
        _, device = io_create_device(driver, 0, None)
        device.flags &= ~DO_DEVICE_INITIALIZING
        if lower is not None:
            device.device_extension["lower"] = io_attach_device_to_device_stack(device, lower)
        lower = device

    def issue():
        for _ in range(count):
            irp = io_allocate_irp(kernel, lower.stack_size)
            loc = io_get_next_irp_stack_location(irp)
            loc.major_function = IRP_MJ.IRP_MJ_READ
            loc.parameters.length = 16
            io_set_completion_routine(irp, _creator_done, None, True, True, True)
            yield from io_call_driver(lower, irp)

    kernel.create_thread(issue, name="Issuer")
    kernel.run()
    return kernel, recorder


# -- records and the view ----------------------------------------------------------------

def test_every_hook_writes_a_compact_record_with_a_layout_tag():
    """No hook writes anything but records.py layouts: the raw list is tags and fields."""
    session = _session("ch12_completion_pending.yaml")
    session.run_app()
    raw = session.recorder.raw
    i, count = 0, 0
    while i < len(raw):
        assert type(raw[i]) is records.Layout
        i += raw[i].width
        count += 1
    assert i == len(raw) and count == len(session.recorder.events())


def test_an_io_call_driver_record_shares_the_previous_snapshot_only_when_it_is_equal():
    """Every location of the sync IRPs reads (0, 0, 0xE0, None, (16, ...)) when it is
    called: the trace keeps one tuple for all nine calls. A location that differs gets
    a tuple of its own, and the next call on it shares that one."""
    kernel, recorder = _run_sync_irps(3)
    raw = recorder.raw
    stacks, i = [], 0
    while i < len(raw):
        if raw[i] is records.CALL:
            stacks.append(raw[i + 10])
        i += raw[i].width
    assert len(stacks) == 9 and all(stack is stacks[0] for stack in stacks)
    assert stacks[0] == (0, 0, 0xE0, None, (16, 0, 0, 0, 0, 0))
    # a location that differs gets its own tuple, and the one after it too
    irp = io_allocate_irp(kernel, 1)
    calls = [e for e in recorder.events() if e.kind == "IoCallDriver"]
    assert {e.details["parameters"] for e in calls} == {(16, 0, 0, 0, 0, 0)}
    before = len(raw)
    loc = io_get_next_irp_stack_location(irp)
    loc.major_function, loc.minor_function = IRP_MJ.IRP_MJ_READ, 1
    irp.current_location -= 1
    recorder.irp_call(irp, None)
    recorder.irp_call(irp, None)
    first, second = raw[before + 10], raw[before + 11 + 10]
    assert first == (1, 0, 0, None, None) and first is not stacks[0] and second is first


def test_the_view_decodes_the_same_event_by_index_slice_and_iteration(monkeypatch):
    monkeypatch.setattr(view_module, "CACHE_EVENTS", 0)     # decode on every read
    _, recorder = _run_sync_irps(5)
    view = recorder.events()
    assert isinstance(view, TraceView)
    listed = list(view)
    assert len(view) == len(listed) == 5 * 20 + 2
    assert [e.seq for e in listed] == list(range(len(listed)))
    assert view[0] == listed[0] and view[-1] == listed[-1]
    assert view[3:9] == listed[3:9] and view[::7] == listed[::7]
    assert view[7] is not view[7]                 # decoded on each read, nothing kept
    with pytest.raises(IndexError):
        view[len(listed)]
    assert list(view.kinds()) == [e.kind for e in listed]


def test_a_short_trace_keeps_its_decoded_events_once_read():
    _, recorder = _run_sync_irps(2)
    view = recorder.events()
    assert view[5] is view[5]


def test_the_view_follows_records_written_after_it_was_made():
    session = _session("ch05_link_list_lookaside.yaml")
    view = session.recorder.events()
    before = len(view)
    session.run_app()
    assert len(view) > before and view[-1].seq == len(view) - 1


def test_a_retained_event_costs_at_most_150_bytes_after_the_trace_is_read():
    """issue 8: <= 150 bytes per retained event (the records + the view's index)."""
    tracemalloc.start()
    try:
        _, recorder = _run_sync_irps(2000)
        events = recorder.events()
        kinds = [e.kind for e in events]          # what a step does: read every event
        middle = events[len(events) // 2]
        del kinds
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert middle.kind and len(events) == 2000 * 20 + 2
    assert current / len(events) <= 150


# -- the trace file ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ch12_completion_pending.yaml", "ch05_link_list_lookaside.yaml",
                                  "ch11_zw_sync_call.yaml"])
def test_a_trace_file_reads_back_the_events_the_run_recorded(tmp_path, name):
    session = _session(name)
    result = session.run_app()
    path = tmp_path / "run.irpt"
    write_trace(session.recorder, path, {"scenario": result.scenario_id})
    back = read_trace(path)
    assert isinstance(back, TraceFile) and back.header["run"]["scenario"] == result.scenario_id
    assert len(back) == len(result.events)
    assert list(back) == list(result.events)
    assert back[-1] == result.events[-1]
    assert render_text(back) == render_text(result.events)
    assert render_json(back) == render_json(result.events)
    assert render_dbgview(back) == render_dbgview(result.events)


def test_a_trace_file_keeps_the_ntstatus_type_of_a_detail(tmp_path):
    """ServiceReturn's details hold an NTSTATUS: the text renderer prints its name."""
    session = _session("ch12_completion_pending.yaml")
    result = session.run_app()
    write_trace(session.recorder, tmp_path / "t.irpt")
    back = [e for e in read_trace(tmp_path / "t.irpt") if e.kind == "ServiceReturn"]
    live = [e for e in result.events if e.kind == "ServiceReturn"]
    assert back and [e.details for e in back] == [e.details for e in live]
    assert isinstance(back[0].details["status"], NTSTATUS)


def test_a_trace_file_keeps_an_integer_beyond_64_bits_and_text_beyond_ascii(tmp_path):
    """The writer's fast encoder refuses integers beyond 64 bits; their chunk is written by
    the standard one, so a driver's absurd Information and a DbgPrint in Chinese come back
    as they were (the file is UTF-8 text either way)."""
    kernel, recorder = _run_sync_irps(2)
    huge = 2**70 + 3
    recorder.dbg_print("读取完成")
    complete = next(i for i, item in enumerate(recorder.raw) if item is records.COMPLETE)
    recorder.raw[complete + 10] = huge                # the Information field (records.py)
    write_trace(recorder, tmp_path / "t.irpt")
    back, live = list(read_trace(tmp_path / "t.irpt")), list(recorder.events())
    assert back == live
    assert [e.information for e in back if e.kind == "IoCompleteRequest"][0] == huge
    assert back[-1].details["text"] == "读取完成"
    assert "读取完成" in (tmp_path / "t.irpt").read_text(encoding="utf-8")


def test_the_fast_and_the_standard_encoder_of_a_trace_file_give_the_same_values(tmp_path):
    """orjson writes dataclasses and datetimes itself unless told not to; the writer
    hands them to its callback as the standard encoder does."""
    import dataclasses
    import datetime

    from harness.trace.tracefile import TraceWriter

    @dataclasses.dataclass
    class Point:
        x: int

    writer = TraceWriter(tmp_path / "t.irpt")
    chunk = [1, "读", (2, None), [True, 2**40], Point(3), datetime.date(2026, 12, 1)]
    fast = writer._encode(chunk)
    assert json.loads(fast) == json.loads(writer._slow(chunk))
    writer.close()


def test_a_streamed_run_keeps_its_records_bounded_and_reads_its_file_back(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_module, "FLUSH_ITEMS", 200)
    live = _session("ch12_completion_pending.yaml").run_app()
    path = tmp_path / "streamed.irpt"
    session = _session("ch12_completion_pending.yaml", trace_file=str(path))
    seen: list[int] = []
    flush = session.recorder.flush

    def watched() -> None:
        seen.append(len(session.recorder.raw))
        flush()
    monkeypatch.setattr(session.recorder, "flush", watched)
    result = session.run_app()
    assert len(seen) > 3 and max(seen) < 200 + 64        # written out as it went
    assert isinstance(result.events, TraceFile)
    assert len(result.events) == len(live.events)
    assert render_text(result.events) == render_text(live.events)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1]) == {"end": True, "events": len(live.events)}


def test_a_trace_file_cut_short_still_reads_its_complete_lines(tmp_path):
    session = _session("ch12_completion_pending.yaml")
    session.run_app()
    session.recorder.flush()
    path = tmp_path / "t.irpt"
    write_trace(session.recorder, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    (tmp_path / "cut.irpt").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    cut = read_trace(tmp_path / "cut.irpt")
    assert len(cut) == len(read_trace(path))         # no end line: counted


def test_a_file_that_is_not_a_trace_or_of_another_version_is_refused(tmp_path):
    (tmp_path / "x.irpt").write_text("hello\n", encoding="utf-8")
    with pytest.raises(TraceFileError, match="not an irp-harness-trace file"):
        read_trace(tmp_path / "x.irpt")
    (tmp_path / "v.irpt").write_text(json.dumps({"format": "irp-harness-trace", "version": 99,
                                                 "layouts": []}) + "\n", encoding="utf-8")
    with pytest.raises(TraceFileError, match="version 99"):
        read_trace(tmp_path / "v.irpt")


# -- the command line ------------------------------------------------------------------------

def test_run_format_trace_streams_a_file_that_trace_and_diagram_read(tmp_path):
    scenario = str(BOOK / "ch12_completion_pending.yaml")
    runner = CliRunner()
    out = tmp_path / "run.irpt"
    streamed = runner.invoke(cli, ["run", scenario, "-f", "trace", "-o", str(out)])
    assert streamed.exit_code == 0, streamed.output
    text = runner.invoke(cli, ["run", scenario])
    shown = runner.invoke(cli, ["trace", str(out)])
    assert shown.exit_code == 0
    assert shown.output.strip() and shown.output in text.output    # the same lines
    svg = tmp_path / "d.svg"
    drawn = runner.invoke(cli, ["diagram", str(out), "-o", str(svg)])
    assert drawn.exit_code == 0 and svg.read_text(encoding="utf-8").startswith("<svg")


def test_run_format_trace_needs_an_output_file():
    result = CliRunner().invoke(cli, ["run", str(BOOK / "ch12_completion_pending.yaml"),
                                      "-f", "trace"])
    assert result.exit_code == 2 and "--output" in result.output


def test_trace_command_refuses_a_file_that_is_not_a_trace(tmp_path):
    (tmp_path / "x.irpt").write_text("{}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["trace", str(tmp_path / "x.irpt")])
    assert result.exit_code == 2 and "cannot read the trace file" in result.output




def test_select_decodes_only_the_events_asked_for(monkeypatch):
    monkeypatch.setattr(view_module, "CACHE_EVENTS", 0)
    _, recorder = _run_sync_irps(3)
    view = recorder.events()
    everything = list(view)
    assert view.select(("IoCallDriver",)) == [e for e in everything if e.kind == "IoCallDriver"]
    assert view.select(irp=2) == [e for e in everything if e.irp == 2] != []
    assert view.select(("IoFreeIrp",), irp=3) == [e for e in everything
                                                  if e.kind == "IoFreeIrp" and e.irp == 3]


def test_a_pickled_or_copied_layout_tag_is_the_same_tag():
    """Records are compared by tag identity (view.py, tracefile.py): a copy must not make
    a new layout (nor add one to the table)."""
    import copy
    import pickle

    count = len(records.LAYOUTS)
    tags = [records.CALL, records.ROUTINE_PENDING, records.DBG_PRINT]
    assert pickle.loads(pickle.dumps(tags)) == tags
    assert all(a is b for a, b in zip(copy.deepcopy(tags), tags))
    assert len(records.LAYOUTS) == count and records.layout_of(2) is records.CALL


def test_a_streamed_trace_reads_back_as_far_as_it_is_written_while_the_run_goes_on(tmp_path):
    from harness.trace import TraceWriter

    recorder = TraceRecorder(TraceWriter(tmp_path / "live.irpt"))
    kernel = Kernel(instruments=[recorder])

    def idle():
        yield from ()
    kernel.create_thread(idle, name="First")
    kernel.run()
    first = list(recorder.events())
    kernel.create_thread(idle, name="Second")
    kernel.run()
    second = recorder.events()
    assert len(first) == 2 and len(second) == 4 and list(second)[:2] == first
    recorder.close()
    closed = recorder.events()
    assert len(closed) == 4 and closed[3].details == {"thread": "Second"}
