"""Name resolution: every check `validate` performs, each with its located message.

Each test writes a small scenario with one mistake (or several) and checks the
diagnostics: file:line:col, the JSON path and the message with its suggestion.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.bdd.context import IrpScenario, StepError, status_value, win32_error_value
from harness.scenario import ScenarioError, load_scenario_text
from harness.scenario.resolve import resolve

HEAD = """\
scenario: t
title: t
"""

DRIVER = """\
drivers:
  - name: D
    devices: [{name: '\\Device\\D', link: '\\??\\D', io: buffered}]
"""


def problems(text: str, tmp_path: Path) -> list[str]:
    """The diagnostics of resolving ``text`` (dedented), as strings without the file."""
    path = tmp_path / "s.yaml"
    source = textwrap.dedent(text)
    path.write_text(source)
    with pytest.raises(ScenarioError) as caught:
        resolve(load_scenario_text(source, path))
    return [str(d).replace(f"{path}:", "") for d in caught.value.diagnostics]


def resolves(text: str, tmp_path: Path) -> object:
    path = tmp_path / "s.yaml"
    source = textwrap.dedent(text)
    return resolve(load_scenario_text(source, path))


def routine(steps: str, app: str = "", extra: str = "") -> str:
    """A scenario whose driver D has IRP_MJ_READ = ``steps`` (YAML list lines)."""
    body = textwrap.indent(textwrap.dedent(steps), " " * 8)
    return (HEAD + DRIVER + textwrap.indent(textwrap.dedent(extra), "    ")
            + "    dispatch:\n      IRP_MJ_READ:\n" + body + (app and "app:\n" + textwrap.indent(
                textwrap.dedent(app), "  ")))


# -- requests, handles, threads --------------------------------------------------------------

def test_wait_for_a_request_never_made_is_located_with_a_suggestion(tmp_path):
    text = routine("- complete\n", app="""\
        - {open: '\\\\.\\D', as: h, overlapped: true}
        - {read: {handle: h, length: 1}, as: r1}
        - wait: r2
        """)
    assert problems(text, tmp_path) == [
        "12:11: app/2/wait: no step makes a request named 'r2' (known: h, r1)"]


def test_a_handle_nobody_opens_is_an_error(tmp_path):
    text = routine("- complete\n", app="""\
        - {open: '\\\\.\\D', as: dev}
        - {read: {handle: hdev, length: 1}}
        """)
    assert problems(text, tmp_path) == [
        "11:21: app/1/read/handle: no step opens a handle named 'hdev'; did you mean 'dev'?"]


def test_spawn_and_join_name_threads_that_exist(tmp_path):
    text = HEAD + DRIVER + """\
    dispatch: {IRP_MJ_READ: complete}
app:
  threads:
    main: [{spawn: worker1}, {join: workr}]
    worker: [{sleep: 1}]
"""
    found = problems(text, tmp_path)
    assert found == [
        "9:20: app/threads/main/0/spawn: there is no thread named 'worker1'; did you mean "
        "'worker'?",
        "9:37: app/threads/main/1/join: there is no thread named 'workr'; did you mean "
        "'worker'?"]


def test_get_overlapped_result_names_a_request(tmp_path):
    text = routine("- complete\n", app="""\
        - {get_overlapped_result: {request: nothing}}
        """)
    assert problems(text, tmp_path)[0].endswith(
        "app/0/get_overlapped_result/request: no step makes a request named 'nothing'")


# -- driver names ----------------------------------------------------------------------------

def test_unknown_named_routine_is_reported_with_a_suggestion(tmp_path):
    text = routine("""\
        - forward: {completion: OnComplet}
        """, extra="""\
        routines:
          OnComplete: [propagate_pending]
        """)
    assert problems(text, tmp_path) == [
        "10:33: drivers/0/dispatch/IRP_MJ_READ/0/forward/completion: no routine named "
        "'OnComplet' in this driver; did you mean 'OnComplete'?"]


def test_misspelt_ntstatus_in_a_block_is_reported(tmp_path):
    text = routine("- complete: {status: STATUS_SUCESS}\n")
    assert problems(text, tmp_path) == [
        "8:30: drivers/0/dispatch/IRP_MJ_READ/0/complete/status: unknown NTSTATUS "
        "'STATUS_SUCESS'; did you mean 'STATUS_SUCCESS'?"]


def test_unknown_constant_in_by_ioctl_is_reported(tmp_path):
    text = routine("""\
        - by_ioctl:
            IOCTL_TEST: [complete]
        """, extra="""\
        state: {}
        """)
    found = problems(text, tmp_path.joinpath())
    assert len(found) == 1 and "unknown constant 'IOCTL_TEST'" in found[0]


def test_unknown_variable_in_an_expression_is_located_at_the_name(tmp_path):
    text = routine("""\
        - if: {cond: "count > 1 && cuont < 3", then: [complete]}
        - complete
        """, extra="""\
        state: {count: ULONG}
        """)
    assert problems(text, tmp_path) == [
        "9:36: drivers/0/dispatch/IRP_MJ_READ/0/if/cond: in expression 'count > 1 && cuont "
        "< 3': unknown name 'cuont'; did you mean 'count'?"]


def test_unknown_struct_field_is_reported_with_the_fields(tmp_path):
    text = routine("""\
        - set: {"keys[0].MakeCod": 0x3A}
        - complete
        """, extra="""\
        views: {keys: {buffer: system, struct: KEYBOARD_INPUT_DATA}}
        """)
    (message,) = problems(text, tmp_path)
    assert "KEYBOARD_INPUT_DATA has no field 'MakeCod'; did you mean 'MakeCode'?" in message
    assert message.startswith("9:36: drivers/0/dispatch/IRP_MJ_READ/0/set/keys[0].MakeCod: "
                              "keys[0].MakeCod: KEYBOARD_INPUT_DATA has no field")


def test_unknown_irp_field_names_the_model_fields(tmp_path):
    text = routine("""\
        - set: {n: "Irp->IoStatus.Informaton"}
        - complete
        """, extra="""\
        state: {n: ULONG}
        """)
    (message,) = problems(text, tmp_path)
    assert "the model has no IRP field 'IoStatus.Informaton'; did you mean " \
           "'IoStatus.Information'?" in message


def test_irp_mj_names_in_expressions_are_constants_and_checked(tmp_path):
    ok = routine("""\
        - if: {cond: "stack->MajorFunction == IRP_MJ_READ", then: [complete], else: [complete]}
        """)
    resolves(ok, tmp_path)
    bad = ok.replace("== IRP_MJ_READ", "== IRP_MJ_RAED")
    (message,) = problems(bad, tmp_path)
    assert "unknown name 'IRP_MJ_RAED'; did you mean 'IRP_MJ_READ'?" in message


def test_a_queue_only_consumed_with_a_near_miss_name_is_reported(tmp_path):
    text = HEAD + DRIVER + """\
    dispatch:
      IRP_MJ_READ: {pend: {queue: pending}}
      IRP_MJ_CLEANUP: [{complete_queued: {queue: pendng}}, complete]
"""
    assert problems(text, tmp_path) == [
        "8:50: drivers/0/dispatch/IRP_MJ_CLEANUP/0/complete_queued/queue: nothing puts IRPs in "
        "the queue 'pendng'; did you mean 'pending'?"]


def test_an_event_waited_on_and_never_signalled_with_a_near_miss_is_reported(tmp_path):
    text = routine("""\
        - signal: done
        - wait: doen
        - complete
        """)
    (message,) = problems(text, tmp_path)
    assert "nothing signals the event 'doen'; did you mean 'done'?" in message


def test_a_wait_with_a_timeout_on_an_idle_event_is_allowed(tmp_path):
    """KeWaitForSingleObject with a timeout on an event nobody sets is the book's sleep."""
    resolves(routine("""\
        - signal: done
        - wait: {event: doen, timeout: 1s}
        - complete
        """), tmp_path)


def test_a_timer_cancelled_but_never_set_with_a_near_miss_is_reported(tmp_path):
    text = routine("""\
        - set_timer: {timer: poll, after: 1s}
        - cancel_timer: pol
        - complete
        """)
    (message,) = problems(text, tmp_path)
    assert "nothing sets the timer 'pol'; did you mean 'poll'?" in message


# -- templates ----------------------------------------------------------------------------

def test_unknown_log_field_is_located_at_its_brace(tmp_path):
    text = routine("""\
        - log: "read {lenght} bytes"
        - complete
        """)
    assert problems(text, tmp_path) == [
        "8:22: drivers/0/dispatch/IRP_MJ_READ/0/log: in 'read {lenght} bytes': unknown field "
        "{lenght}; did you mean 'length'?"]


def test_literal_braces_are_written_doubled(tmp_path):
    """The book prints GUIDs in braces (#47): {{ and }} are literal braces."""
    program = resolves(routine("""\
        - log: "{{4D36E96B-E325-11CE-BFC1-08002BE10318}}"
        - complete
        """), tmp_path)
    assert program is not None
    (message,) = problems(routine("""\
        - log: "{4D36E96B-E325}"
        - complete
        """), tmp_path)
    assert "4D36E96B" in message and "for literal braces write {{ and }}" in message


def test_a_string_format_for_an_integer_field_is_reported(tmp_path):
    (message,) = problems(routine("""\
        - log: "{length:s}"
        - complete
        """), tmp_path)
    assert "{length:s} formats a string, but length is an integer" in message


def test_print_fields_are_checked_against_the_requests(tmp_path):
    text = routine("- complete\n", app="""\
        - {open: '\\\\.\\D', as: h}
        - {read: {handle: h, length: 1}, as: r1}
        - print: "got {r1.bytse} bytes"
        """)
    (message,) = problems(text, tmp_path)
    assert message.startswith("12:17: app/2/print:")
    assert "a request has no result 'bytse'; did you mean 'bytes'?" in message


def test_print_cannot_reach_python_objects(tmp_path):
    """str.format would print os.environ through attribute access; templates cannot."""
    text = routine("- complete\n", app="""\
        - {open: '\\\\.\\D', as: h}
        - print: "{h.__class__.__init__.__globals__}"
        """)
    (message,) = problems(text, tmp_path)
    assert "a request has no result '__class__'" in message


def test_a_huge_padding_spec_is_refused(tmp_path):
    (message,) = problems(routine("""\
        - log: "{length:999999999d}"
        - complete
        """), tmp_path)
    assert "too large" in message


# -- units -----------------------------------------------------------------------------

def test_a_bare_integer_duration_suggests_a_unit(tmp_path):
    (message,) = problems(routine("""\
        - timeout_dpc: {after: 3}
        """), tmp_path)
    assert message == ("8:32: drivers/0/dispatch/IRP_MJ_READ/0/timeout_dpc/after: a duration "
                       "needs a unit: did you mean '3s' or '3ms'?")


def test_a_bare_integer_time_limit_suggests_seconds(tmp_path):
    text = HEAD + "machine: {time_limit: 30}\n" + DRIVER + "    dispatch: {IRP_MJ_READ: complete}\n"
    assert problems(text, tmp_path) == [
        "3:23: machine/time_limit: a duration needs a unit: did you mean '30s'?"]


def test_zero_clock_tick_is_refused(tmp_path):
    text = HEAD + "machine: {clock_tick: 0}\n" + DRIVER + "    dispatch: {IRP_MJ_READ: complete}\n"
    assert problems(text, tmp_path) == ["3:23: machine/clock_tick: clock_tick must be longer "
                                        "than 0"]


# -- state declarations ---------------------------------------------------------------

def test_unknown_state_type_is_reported_with_a_suggestion(tmp_path):
    (message,) = problems(routine("- complete\n", extra="state: {n: ULNG}\n"), tmp_path)
    assert "drivers/0/state/n" in message and "did you mean 'ULONG'?" in message


def test_a_name_in_state_and_extension_is_ambiguous(tmp_path):
    found = problems(routine("- complete\n", extra="state: {n: ULONG}\nextension: {n: LONG}\n"),
                     tmp_path)
    assert any("n is declared in state too" in m for m in found)


def test_a_user_struct_with_an_unknown_field_type_is_reported(tmp_path):
    text = HEAD + "structs:\n  MY_INPUT: {Handle: HANDLE, Timeout: ULONGG}\n" + DRIVER \
        + "    dispatch: {IRP_MJ_READ: complete}\n"
    (message,) = problems(text, tmp_path)
    assert message.startswith("4:39: structs/MY_INPUT/Timeout:")
    assert "did you mean 'ULONG'" in message


# -- all at once, and in every front end ----------------------------------------------------

def test_all_problems_of_a_file_are_reported_in_one_run_sorted_by_place(tmp_path):
    text = routine("""\
        - log: "{lenght}"
        - complete: {status: STATUS_SUCESS}
        - timeout_dpc: {after: 3}
        """, app="""\
        - wait: r9
        """)
    found = problems(text, tmp_path)
    assert len(found) == 4
    assert [int(m.split(":")[0]) for m in found] == sorted(int(m.split(":")[0]) for m in found)


def test_the_gherkin_given_step_of_a_broken_file_fails_with_the_located_messages(tmp_path):
    (tmp_path / "broken.yaml").write_text(routine("- complete: {status: STATUS_SUCESS}\n"))
    with pytest.raises(ScenarioError) as caught:
        IrpScenario(tmp_path, "broken.yaml")
    assert "broken.yaml:8:30: drivers/0/dispatch/IRP_MJ_READ/0/complete/status: unknown " \
           "NTSTATUS 'STATUS_SUCESS'" in str(caught.value)


def test_a_misspelt_status_in_a_step_fails_with_a_suggestion():
    with pytest.raises(StepError, match="unknown NTSTATUS 'STATUS_SUCESS'; did you mean "
                                        "'STATUS_SUCCESS'"):
        status_value("STATUS_SUCESS")
    with pytest.raises(StepError, match="did you mean 'ERROR_IO_PENDING'"):
        win32_error_value("ERROR_IO_PENDIGN")


def test_an_app_step_given_by_a_feature_is_checked_too(tmp_path):
    (tmp_path / "s.yaml").write_text(routine("- complete\n"))
    irp = IrpScenario(tmp_path, "s.yaml")
    with pytest.raises(ScenarioError, match="no step opens a handle named 'h'"):
        irp.call({"read": {"handle": "h", "length": 1}, "as": "r1"})


# -- properties: random text in a scenario loads or gives located errors, never a traceback --

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from(list("{}:.%0123456789abcxXdslnget_ r()[]+-*/&|!<>=?'\"\\\né")
                          + ["{length}", "count", "Irp->Cancel", "r1.", "keys[0].", "{r1.bytes}",
                             "{count:08X}", "MakeCode", "stack->Parameters.Read.Length"])
_TEXT = st.lists(_PIECES, max_size=12).map("".join)


def _load_or_located(text: str, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    try:
        resolve(load_scenario_text(text, path))
    except ScenarioError as error:
        assert error.diagnostics
        for d in error.diagnostics:
            assert d.line >= 1 and d.col >= 1 and d.message


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=_TEXT, cond=_TEXT, shown=_TEXT)
def test_random_templates_and_expressions_load_or_give_located_errors(tmp_path, log, cond,
                                                                       shown):
    import json
    text = routine(f"""\
        - log: {json.dumps(log)}
        - if: {{cond: {json.dumps(cond)}, then: [complete]}}
        - complete
        """, app=f"""\
        - {{open: '\\\\\\\\.\\\\D', as: h}}
        - {{read: {{handle: h, length: 1}}, as: r1}}
        - print: {json.dumps(shown)}
        """, extra="state: {count: ULONG}\nviews: {keys: {buffer: system, struct: "
                   "KEYBOARD_INPUT_DATA}}\n")
    _load_or_located(text, tmp_path)


def test_a_spin_lock_block_names_a_declared_kspin_lock(tmp_path):
    text = routine("""\
        - acquire_spin_lock: Lok
        - complete
        """, extra="extension: {Lock: KSPIN_LOCK}\n")
    (message,) = problems(text, tmp_path)
    assert "'Lok' is not a KSPIN_LOCK declared under state: or extension:; did you mean " \
           "'Lock'?" in message


def test_a_spin_lock_on_the_stack_is_refused(tmp_path):
    (message,) = problems(routine("- complete\n", extra="locals: {Lock: KSPIN_LOCK}\n"),
                          tmp_path)
    assert "a KSPIN_LOCK on the stack does not outlive the call" in message


def test_pageable_names_a_routine_of_the_driver(tmp_path):
    (message,) = problems(routine("- complete\n", extra="pageable: [IRP_MJ_RAED]\n"), tmp_path)
    assert "no routine 'IRP_MJ_RAED' to place in a pageable section; did you mean " \
           "'IRP_MJ_READ'?" in message
