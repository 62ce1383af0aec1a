"""The checks API (harness/checks/): each check passes on a true claim and fails, with
a message that says what was expected and what happened, on a false one."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import checks
from harness.checks import CheckFailed, UnknownName

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def pending() -> checks.Run:
    """DriverB forwards r1 to DriverA, which pends it 3 s; B's completion routine runs
    in A's timer DPC."""
    return checks.run(SCENARIOS / "book/ch12_completion_pending.yaml")


@pytest.fixture(scope="module")
def overlapped() -> checks.Run:
    return checks.run(SCENARIOS / "examples/overlapped_read_warning.yaml")


@pytest.fixture(scope="module")
def irql() -> checks.Run:
    return checks.run(SCENARIOS / "book/ch08_irql_rules.yaml")


def _fails(*parts: str) -> pytest.RaisesContext:
    return pytest.raises(CheckFailed, match="(?s)" + ".*".join(map(_escape, parts)))


def _escape(text: str) -> str:
    import re
    return re.escape(text)


# -- the failure message ----------------------------------------------------------------


def test_a_false_claim_shows_the_irps_trace_its_irp_table_and_the_rerun_command(pending):
    with pytest.raises(CheckFailed) as failure:
        pending.request("r1").completes_with("STATUS_CANCELLED", bytes=0)
    message = str(failure.value)
    irp = pending.request("r1").irp
    assert message.startswith("r1: expected STATUS_CANCELLED and 0 bytes, got STATUS_SUCCESS")
    assert f"trace of IRP#{irp}:" in message and "CompletionRoutine" in message
    assert "!irp at its last event:" in message
    assert message.rstrip().endswith(
        f"rerun: irp-harness run {SCENARIOS / 'book/ch12_completion_pending.yaml'} --seed 0")
    assert isinstance(failure.value, AssertionError)


def test_a_step_driven_run_reruns_from_a_replay_file(tmp_path, monkeypatch):
    monkeypatch.setenv("IRP_HARNESS_REPLAY_DIR", str(tmp_path))
    run = checks.Run(SCENARIOS / "book/ch12_completion_pending.yaml", machine={"cpus": 2})
    run.call({"open": "\\\\.\\HelloDDKA", "as": "h"})
    run.call({"read": {"handle": "h", "length": 10}, "as": "r1"})
    run.advance("4 s")
    with _fails("r1 completed at 3.0", "rerun: irp-harness run", str(tmp_path)):
        run.request("r1").has_not_completed()
    (replay,) = tmp_path.iterdir()
    text = replay.read_text()
    assert "cpus: 2" in text and "advance_100ns: 40000000" in text


def test_an_unknown_request_lists_the_names_the_app_used(pending):
    with _fails("the app made no request named 'r9' (it made: h, r1, CloseHandle#1)"):
        pending.request("r9")


# -- requests ---------------------------------------------------------------------------


def test_completes_with_status_bytes_and_time(pending):
    pending.request("r1").completes_with("STATUS_SUCCESS", bytes=0, at="3 s")
    pending.request("r1").completes_with(0, bytes=0, at=30_000_000)
    with _fails("r1: expected completion at 2 s, it completed at 3.0000"):
        pending.request("r1").completes_with("STATUS_SUCCESS", bytes=0, at="2 s")
    with _fails("r1: expected STATUS_SUCCESS and 10 bytes, got STATUS_SUCCESS and 0 bytes"):
        pending.request("r1").completes_with("STATUS_SUCCESS", bytes=10)
    with pytest.raises(UnknownName, match="did you mean 'STATUS_SUCCESS'"):
        pending.request("r1").completes_with("STATUS_SUCESS", bytes=0)


def test_has_not_completed(pending):
    with _fails("r1 completed at 3.0000000 s with STATUS_SUCCESS"):
        pending.request("r1").has_not_completed()


def test_returned_bool_bytes_and_time(pending):
    pending.request("r1").returned(ok=True, bytes=0, at="3 s")
    with _fails("r1: expected FALSE with 0 bytes, got TRUE with 0 bytes"):
        pending.request("r1").returned(ok=False, bytes=0)
    with _fails("r1: expected to return at 1 s, it returned at 3.0000000 s"):
        pending.request("r1").returned(at="1 s")


def test_returned_error_and_last_error(overlapped):
    overlapped.request("r1").returned_error("ERROR_MORE_DATA")
    overlapped.request("r1").left_last_error("ERROR_MORE_DATA")
    with _fails("r1: expected FALSE with ERROR_IO_PENDING, got FALSE with GetLastError "
                "ERROR_MORE_DATA"):
        overlapped.request("r1").returned_error("ERROR_IO_PENDING")
    with _fails("r1: GetLastError() is ERROR_MORE_DATA, expected ERROR_SUCCESS"):
        overlapped.request("r1").left_last_error("ERROR_SUCCESS")


def test_overlapped_event_buffer_and_byte_count(overlapped):
    overlapped.request("r1").overlapped_holds("STATUS_BUFFER_OVERFLOW", 4)
    overlapped.request("r1").buffer_holds("AB*4")
    overlapped.request("r1").event_is_signaled()
    overlapped.request("r2").event_is_signaled(False)
    overlapped.request("poll").left_bytes_untouched()
    with _fails("r1: expected the OVERLAPPED to hold STATUS_SUCCESS and 4 bytes, it holds "
                "STATUS_BUFFER_OVERFLOW and 4"):
        overlapped.request("r1").overlapped_holds("STATUS_SUCCESS", 4)
    with _fails("buffer of r1: expected CD CD, got AB AB"):
        overlapped.request("r1").buffer_holds("CD*2")
    with _fails("r2: expected its event signaled, it is not signaled"):
        overlapped.request("r2").event_is_signaled()
    with _fails("g2: expected the byte count untouched, the call wrote 8"):
        overlapped.request("g2").left_bytes_untouched()


def test_a_request_view_reads_through_to_the_request(pending):
    view = pending.request("r1")
    assert view.status_name == "STATUS_SUCCESS" and view.api == "ReadFile"
    assert view.request.name == "r1"


# -- the trace --------------------------------------------------------------------------


def test_trace_contains_in_order(pending):
    pending.irp_of("r1").contains_in_order([
        {"kind": "IoCallDriver", "driver": "DriverB"},
        {"kind": "DispatchReturn", "driver": "DriverA", "status": "STATUS_PENDING"},
        {"kind": "CompletionRoutine", "driver": "DriverB", "irql": "DISPATCH_LEVEL"}])
    with _fails("no event matching {'kind': 'IoCallDriver', 'driver': 'DriverB'} after "
                "event #", "of IRP of r1", "trace of IRP#"):
        pending.irp_of("r1").contains_in_order([
            {"kind": "CompletionRoutine", "driver": "DriverB"},
            {"kind": "IoCallDriver", "driver": "DriverB"}])
    with _fails("of the trace", "last events of the trace"):
        pending.trace.contains_in_order([{"kind": "KeBugCheckEx"}])
    with pytest.raises(UnknownName, match=r"unknown trace column\(s\) \['colour'\]"):
        pending.trace.contains_in_order([{"colour": "red"}])


def test_trace_counts(pending):
    assert pending.irp_of("r1").count(kind="CompletionRoutine") == 1
    pending.irp_of("r1").occurs(2, kind="IoCallDriver")
    with _fails("2 events of IRP of r1 match {'kind': 'IoCallDriver'}, expected 3"):
        pending.irp_of("r1").occurs(3, kind="IoCallDriver")


def test_completion_routines(pending):
    pending.completion_routines("DriverB").saw_pending_returned(True)
    pending.completion_routines("DriverB").ran_at("DISPATCH_LEVEL")
    with _fails("a completion routine of DriverB saw PendingReturned TRUE"):
        pending.completion_routines("DriverB").saw_pending_returned(False)
    with _fails("a completion routine of DriverB ran at DISPATCH_LEVEL"):
        pending.completion_routines("DriverB").ran_at("PASSIVE_LEVEL")
    with _fails("no completion routine of DriverA ran"):
        pending.completion_routines("DriverA").ran_at("DISPATCH_LEVEL")


def test_rule_violations(pending):
    with _fails("no rule violation mentions 'IRQL' (reported: none)"):
        pending.trace.reports_violation("IRQL")


# -- DbgView and the console ------------------------------------------------------------


def test_debug_output_in_order_contains_and_counts(pending):
    out = pending.debug_output
    out.contains_in_order(["DriverB:Enter B HelloDDKRead", "Enter MyIoCompletion"])
    out.contains("MyIoCompletion")
    out.contains("Enter MyIoCompletion", times=1)
    out.does_not_contain("KeBugCheck")
    with _fails("debug line 'DriverB:Enter B HelloDDKRead' not found (in order) after line",
                "DbgView:"):
        out.contains_in_order(["Enter MyIoCompletion", "DriverB:Enter B HelloDDKRead"])
    with _fails("'Enter MyIoCompletion' is in 1 debug lines, expected 2"):
        out.contains("Enter MyIoCompletion", times=2)
    with _fails("the debug output lacks 'nothing like this'"):
        out.contains("nothing like this")
    with _fails("the debug output has 'MyIoCompletion'"):
        out.does_not_contain("MyIoCompletion")


def test_debug_output_is_the_whole_log_with_hex_wildcards(pending):
    lines = pending.debug_output.lines
    pending.debug_output.is_(lines)
    with _fails("the debug output differs:", "-missing line", "+" + lines[-1]):
        pending.debug_output.is_(lines[:-1] + ["missing line"])


def test_debug_times_and_process(pending):
    pending.debug_output.printed_at("Enter MyIoCompletion", ["3 s"])
    with _fails("'Enter MyIoCompletion' was printed at ['3000.0000 ms'], expected "
                "['1000.0000 ms']"):
        pending.debug_output.printed_at("Enter MyIoCompletion", ["1 s"])
    process = pending.debug_output.prints("DriverB:Enter B HelloDDKRead")[0].process
    pending.debug_output.printed_in("DriverB:Enter B HelloDDKRead", process)
    with _fails("was printed in process", "expected 'System'"):
        pending.debug_output.printed_in("DriverB:Enter B HelloDDKRead", "System")


def test_value_after_a_printed_prefix(pending):
    with _fails("no debug line starts with 'NoSuchPrefix:' followed by a hex number"):
        pending.debug_output.value_after("NoSuchPrefix:")


def test_app_output(pending):
    pending.app_output.is_(pending.app_output.lines)
    with _fails("the application printed:", "expected:\n  hello"):
        pending.app_output.is_(["hello"])
    with _fails("no application line contains 'hello'"):
        pending.app_output.contains("hello")


# -- outcome and bug checks -------------------------------------------------------------


def test_outcome_and_threads(pending, irql):
    assert pending.outcome == "OK" and irql.outcome == "BUGCHECK"
    pending.outcome_is("OK")
    pending.no_thread_is_blocked()
    with _fails("expected the outcome HANG, got OK"):
        pending.outcome_is("HANG")
    with _fails("thread 'main' is not blocked (blocked: none)"):
        pending.thread_is_blocked("main")


def test_no_bugcheck(pending, irql):
    pending.bugcheck.none()
    assert not pending.bugcheck and pending.bugcheck.code is None
    with _fails("the machine bug-checked", "the machine bug-checked: "):
        irql.bugcheck.none()


def test_bugcheck_code_name_and_parameters(irql):
    irql.bugcheck.is_(0xA)
    irql.bugcheck.is_("IRQL_NOT_LESS_OR_EQUAL")
    irql.bugcheck.is_(0xA, "IRQL_NOT_LESS_OR_EQUAL", params=[0, "IRQL DISPATCH_LEVEL", 0, 0])
    irql.bugcheck.parameter_is(2, "IRQL DISPATCH_LEVEL")
    irql.bugcheck.parameters_are([None, 2, None, None])
    assert irql.bugcheck.params == (0, 2, 0, 0) and irql.bugcheck.name == "IRQL_NOT_LESS_OR_EQUAL"
    with _fails("expected bug check (0x44), got *** STOP 0x0000000A IRQL_NOT_LESS_OR_EQUAL"):
        irql.bugcheck.is_(0x44)
    with _fails("bug check parameter 2: expected IRQL PASSIVE_LEVEL = 0x0, got"):
        irql.bugcheck.parameter_is(2, "IRQL PASSIVE_LEVEL")
    with _fails("bug check parameters: expected 0, 1, 0, 0 = 0x0, 0x1, 0x0, 0x0, got "
                "0x0, 0x2, 0x0, 0x0"):
        irql.bugcheck.parameters_are([0, 1, 0, 0])


def test_bugcheck_checks_on_a_clean_run(pending):
    with _fails("expected bug check MULTIPLE_IRP_COMPLETE_REQUESTS (0x44), got none"):
        pending.bugcheck.is_(0x44, "MULTIPLE_IRP_COMPLETE_REQUESTS")
    with _fails("the machine did not bug-check"):
        pending.bugcheck.parameters_are([0, 0, 0, 0])


def test_a_time_must_have_a_unit(pending):
    with pytest.raises(UnknownName, match="a time is written like '3 s'"):
        pending.request("r1").completes_with("STATUS_SUCCESS", bytes=0, at="3 seconds")
