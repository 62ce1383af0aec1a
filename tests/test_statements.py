"""Driver state, expressions, views and statements at run time.

Each test runs a one-driver scenario whose read routine exercises one rule, and
checks what the application or DbgView saw, or the bug check.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.kernel import BugCheckCode
from harness.runner import RunError, Session
from harness.scenario import load_scenario_text
from harness.scenario.resolve import resolve


def run(read: str, tmp_path: Path, extra: str = "", app: str | None = None,
        io: str = "buffered") -> object:
    """Run a scenario whose driver D handles IRP_MJ_READ with ``read``; returns the result."""
    body = textwrap.indent(textwrap.dedent(read), " " * 8)
    text = (f"scenario: t\ntitle: t\ndrivers:\n  - name: D\n    devices: [{{name: '\\Device\\D', "
            f"link: '\\??\\D', io: {io}}}]\n"
            + textwrap.indent(textwrap.dedent(extra), "    ")
            + "    dispatch:\n      IRP_MJ_CREATE: complete\n      IRP_MJ_CLOSE: complete\n"
            "      IRP_MJ_READ:\n" + body + "app:\n"
            + textwrap.indent(textwrap.dedent(app or """\
                - {open: '\\\\.\\D', as: h}
                - {read: {handle: h, length: 8}, as: r1}
                - {close: h}
                """), "  "))
    return run_text(text, tmp_path)


def run_text(text: str, tmp_path: Path) -> object:
    """Load, resolve and run a scenario given as text."""
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path))).run_app()


def debug(result: object) -> list[str]:
    return result.debug_lines


# -- state --------------------------------------------------------------------------------

def test_a_global_counter_persists_across_calls(tmp_path):
    result = run("""\
        - add: {count: 1}
        - log: "count={count}"
        - complete
        """, tmp_path, extra="state: {count: ULONG}\n", app="""\
        - {open: '\\\\.\\D', as: h}
        - repeat: {times: 3, do: [{read: {handle: h, length: 1}}]}
        - {close: h}
        """)
    assert debug(result) == ["count=1", "count=2", "count=3"]


TWO_DEVICES = textwrap.dedent("""\
    scenario: t
    title: t
    drivers:
      - name: D
        devices:
          - {name: '\\Device\\A', link: '\\??\\A', io: buffered}
          - {name: '\\Device\\B', link: '\\??\\B', io: buffered}
    """)


def test_each_device_has_its_own_extension(tmp_path):
    text = TWO_DEVICES + textwrap.dedent("""\
            extension: {opens: ULONG}
            dispatch:
              IRP_MJ_CREATE: [{add: {opens: 1}}, {log: "{device} opens={opens}"}, complete]
              IRP_MJ_CLOSE: complete
        app:
          - {open: '\\\\.\\A', as: a1}
          - {open: '\\\\.\\A', as: a2}
          - {open: '\\\\.\\B', as: b1}
        """)
    result = run_text(text, tmp_path)
    assert debug(result) == ["\\Device\\A opens=1", "\\Device\\A opens=2", "\\Device\\B opens=1"]


def test_locals_are_fresh_for_every_call(tmp_path):
    result = run("""\
        - add: {n: 5}
        - log: "n={n}"
        - complete
        """, tmp_path, extra="locals: {n: LONG}\n", app="""\
        - {open: '\\\\.\\D', as: h}
        - {read: {handle: h, length: 1}}
        - {read: {handle: h, length: 1}}
        """)
    assert debug(result) == ["n=5", "n=5"]


def test_initial_values_and_wrap_at_the_declared_width(tmp_path):
    result = run("""\
        - add: {small: 1, big: 1}
        - log: "{small} {big}"
        - complete
        """, tmp_path, extra="state:\n  small: {type: UCHAR, value: 255}\n"
                             "  big: {type: LONG, value: 2147483647}\n")
    assert debug(result) == ["0 -2147483648"]


# -- the Interlocked family: the WDK's exact return values ----------------------------------

@pytest.mark.parametrize("block, expected", [
    ("{interlocked_increment: {target: v, as: r}}", "v=11 r=11"),
    ("{interlocked_decrement: {target: v, as: r}}", "v=9 r=9"),
    ("{interlocked_exchange: {target: v, value: 3, as: r}}", "v=3 r=10"),
    ("{interlocked_exchange_add: {target: v, value: 3, as: r}}", "v=13 r=10"),
    ("{interlocked_compare_exchange: {target: v, exchange: 7, comparand: 10, as: r}}",
     "v=7 r=10"),
    ("{interlocked_compare_exchange: {target: v, exchange: 7, comparand: 9, as: r}}",
     "v=10 r=10"),
])
def test_interlocked_routines_return_what_the_wdk_documents(tmp_path, block, expected):
    result = run(f"""\
        - {block}
        - log: "v={{v}} r={{r}}"
        - complete
        """, tmp_path, extra="state: {v: {type: LONG, value: 10}, r: LONG}\n")
    assert debug(result) == [expected]


def test_interlocked_increment_wraps_as_a_long(tmp_path):
    result = run("""\
        - interlocked_increment: {target: v, as: r}
        - log: "{r}"
        - complete
        """, tmp_path, extra="state: {v: {type: LONG, value: 2147483647}, r: LONG}\n")
    assert debug(result) == ["-2147483648"]


# -- control flow ------------------------------------------------------------------------

def test_if_else_and_while_follow_c(tmp_path):
    result = run("""\
        - while:
            cond: "i < 3"
            do:
              - if: {cond: "i % 2 == 0", then: [{log: "even {i}"}], else: [{log: "odd {i}"}]}
              - add: {i: 1}
        - complete
        """, tmp_path, extra="locals: {i: ULONG}\n")
    assert debug(result) == ["even 0", "odd 1", "even 2"]


def test_a_loop_past_its_bound_is_a_located_error_not_a_hang(tmp_path):
    with pytest.raises(RunError, match=r"s\.yaml:\d+:\d+: the loop ran 50 times without "
                                       "ending"):
        run("""\
            - while: {cond: "1", do: [{add: {i: 1}}], max: 50}
            - complete
            """, tmp_path, extra="locals: {i: ULONG}\n")


def test_return_inside_a_loop_ends_the_routine(tmp_path):
    result = run("""\
        - repeat:
            times: 5
            do: [{log: "once"}, complete, {return: STATUS_SUCCESS}]
        - log: "never"
        """, tmp_path)
    assert debug(result) == ["once"]


# -- views into the request's buffers -------------------------------------------------------

def test_a_view_writes_struct_fields_into_the_system_buffer(tmp_path):
    """The Ctrl2Cap pattern (#51): rewrite a KEYBOARD_INPUT_DATA's MakeCode in place."""
    result = run("""\
        - set: {"keys[0].MakeCode": 0x3A, "keys[0].Flags": 1}
        - complete: {information: 8}
        """, tmp_path, extra="views: {keys: {buffer: system, struct: KEYBOARD_INPUT_DATA}}\n",
        app="""\
        - {open: '\\\\.\\D', as: h}
        - {read: {handle: h, length: 12, struct: KEYBOARD_INPUT_DATA}, as: r1}
        - print: "MakeCode {r1.data.MakeCode:x} Flags {r1.data.Flags}"
        """)
    assert result.app_output == ["MakeCode 3a Flags 1"]
    assert result.requests["r1"].data[:6] == bytes([0, 0, 0x3A, 0, 1, 0])


def test_a_view_of_the_input_reads_what_the_app_sent(tmp_path):
    text = textwrap.dedent("""\
        scenario: t
        title: t
        structs:
          WAIT_INPUT: {Handle: HANDLE, Timeout: ULONG}
        constants:
          IOCTL_WAIT: {ctl_code: [FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS]}
        drivers:
          - name: D
            devices: [{name: '\\Device\\D', link: '\\??\\D', io: buffered}]
            views: {input: {buffer: system, struct: WAIT_INPUT}}
            dispatch:
              IRP_MJ_CREATE: complete
              IRP_MJ_CLOSE: complete
              IRP_MJ_DEVICE_CONTROL:
                - log: "handle {input.Handle:08X} timeout {input.Timeout}"
                - complete
        app:
          - {open: '\\\\.\\D', as: h}
          - set: {t: 1000}
          - ioctl: {handle: h, code: IOCTL_WAIT,
                    input: {struct: WAIT_INPUT, fields: {Handle: h, Timeout: "t * 2"}}}
        """)
    result = run_text(text, tmp_path)
    (line,) = debug(result)
    handle = result.requests["h"]  # the HANDLE CreateFile returned
    assert line.endswith("timeout 2000") and line.startswith("handle 000000")
    assert handle.ok


def test_reading_past_a_buffer_is_not_modelled_and_says_so(tmp_path):
    with pytest.raises(RunError, match="a buffer overrun is not modelled"):
        run("""\
            - set: {x: "bytes[8]"}
            - complete
            """, tmp_path, extra="views: {bytes: {buffer: system}}\nlocals: {x: UCHAR}\n")


def test_a_null_buffer_at_passive_level_is_bug_check_0x1e(tmp_path):
    """A read has no Type3InputBuffer: *(PUCHAR)NULL is an access violation, unhandled
    in kernel mode: KMODE_EXCEPTION_NOT_HANDLED (0xC0000005, 0, write, address 0)."""
    result = run("""\
        - set: {"bytes[0]": 1}
        - complete
        """, tmp_path, extra="views: {bytes: {buffer: type3_input}}\n")
    assert result.bugcheck.code == BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED
    assert (result.bugcheck.p1, result.bugcheck.p3, result.bugcheck.p4) == (0xC0000005, 1, 0)


def test_a_null_buffer_at_dispatch_level_is_bug_check_0xd1(tmp_path):
    result = run("""\
        - acquire_cancel_lock
        - set: {x: "bytes[0]"}
        - release_cancel_lock
        - complete
        """, tmp_path, extra="views: {bytes: {buffer: type3_input}}\nlocals: {x: UCHAR}\n")
    assert result.bugcheck.code == BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL
    assert (result.bugcheck.p1, result.bugcheck.p2, result.bugcheck.p3) == (0, 2, 0)


def test_dividing_by_zero_in_driver_code_is_bug_check_0x1e_with_the_status(tmp_path):
    result = run("""\
        - set: {x: "10 / z"}
        - complete
        """, tmp_path, extra="locals: {x: ULONG, z: ULONG}\n")
    assert result.bugcheck.code == BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED
    assert result.bugcheck.p1 == 0xC0000094


def test_runaway_call_recursion_overflows_the_kernel_stack(tmp_path):
    """A routine that calls itself forever double-faults: 0x7F with parameter 1 = 8."""
    result = run("""\
        - call: Again
        """, tmp_path, extra="routines:\n  Again: [{call: Again}]\n")
    assert result.bugcheck.code == BugCheckCode.UNEXPECTED_KERNEL_MODE_TRAP
    assert result.bugcheck.p1 == 8


# -- the IRP through expressions -------------------------------------------------------

def test_irp_and_stack_fields_read_and_iostatus_written(tmp_path):
    result = run("""\
        - set: {"Irp->IoStatus.Information": "stack->Parameters.Read.Length - 3"}
        - log: "{Irp.IoStatus.Information} of {stack.Parameters.Read.Length}"
        - complete: {status: STATUS_SUCCESS, information: keep}
        """, tmp_path)
    assert debug(result) == ["5 of 8"]
    assert result.requests["r1"].bytes == 5


def test_complete_after_forward_returns_the_completion_status(tmp_path):
    """The routine returns what it completed with, as the block's help says (issue 6)."""
    text = textwrap.dedent("""\
        scenario: t
        title: t
        drivers:
          - name: Lower
            devices: [{name: '\\Device\\L', link: '\\??\\L', io: buffered}]
            dispatch: {IRP_MJ_CREATE: complete, IRP_MJ_CLOSE: complete,
                       IRP_MJ_READ: {return: STATUS_SUCCESS}}
          - name: Upper
            devices: [{name: '\\Device\\U', attach_to: '\\Device\\L'}]
            dispatch:
              IRP_MJ_CREATE: forward
              IRP_MJ_CLOSE: forward
              IRP_MJ_READ:
                - forward: {completion: [{return: STATUS_MORE_PROCESSING_REQUIRED}]}
                - complete: {status: STATUS_INVALID_PARAMETER}
        app:
          - {open: '\\\\.\\L', as: h}
          - {read: {handle: h, length: 1}, as: r1}
        """)
    result = run_text(text, tmp_path)
    returns = [e for e in result.events if e.kind == "DispatchReturn" and e.driver == "Upper"
               and e.major_name == "IRP_MJ_READ"]
    assert [e.status_name for e in returns] == ["STATUS_INVALID_PARAMETER"]


def test_close_of_a_handle_whose_open_failed_is_error_invalid_handle(tmp_path):
    result = run("- complete\n", tmp_path, app="""\
        - {open: '\\\\.\\Nothing', as: h}
        - {close: h, as: c}
        """)
    assert result.requests["h"].ok is False
    assert (result.requests["c"].ok, result.requests["c"].error_name) == (
        False, "ERROR_INVALID_HANDLE")


# -- the app language ----------------------------------------------------------------------

def test_app_variables_conditions_and_printf_formats(tmp_path):
    result = run("- complete: {information: length}\n", tmp_path, app="""\
        - {open: '\\\\.\\D', as: h}
        - set: {n: 0}
        - while:
            cond: "n < 2"
            do:
              - {read: {handle: h, length: 4}, as: r}
              - if: {cond: "r.ok && r.bytes == 4", then: [{print: "read {r.bytes} ok {n:02d}"}]}
              - set: {n: "n + 1"}
        - print: "{{done}} after {n} reads, last error {r.error:u}"
        """)
    assert result.app_output == ["read 4 ok 00", "read 4 ok 01", "{done} after 2 reads, last "
                                 "error 0"]


def test_a_declared_list_entry_holds_the_pended_irps_per_device(tmp_path):
    """pend / complete_queued on an extension's LIST_ENTRY: each device its own list."""
    text = TWO_DEVICES + textwrap.dedent("""\
            extension: {irps: LIST_ENTRY}
            dispatch:
              IRP_MJ_CREATE: complete
              IRP_MJ_CLOSE: complete
              IRP_MJ_READ: {pend: {queue: irps}}
              IRP_MJ_CLEANUP: [{complete_queued: {queue: irps, status: STATUS_CANCELLED}}, complete]
        app:
          - {open: '\\\\.\\A', as: a, overlapped: true}
          - {open: '\\\\.\\B', as: b, overlapped: true}
          - {read: {handle: a, length: 1}, as: ra}
          - {read: {handle: b, length: 1}, as: rb}
          - {close: a}
        """)
    result = run_text(text, tmp_path)
    assert result.requests["ra"].status_name == "STATUS_CANCELLED"
    assert result.requests["rb"].completed_at is None        # B's list was not drained


def test_a_divide_error_in_a_block_parameter_is_the_same_bug_check(tmp_path):
    result = run("""\
        - complete: {information: "8 / z"}
        """, tmp_path, extra="locals: {z: ULONG}\n")
    assert result.bugcheck.code == BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED
    assert result.bugcheck.p1 == 0xC0000094


def test_a_pageable_routine_at_dispatch_level_is_reported_without_the_verifier(tmp_path):
    """verifier-rules R78 without Verifier: the page happens to be resident, the code
    runs, and the trace reports it once."""
    result = run("""\
        - raise_irql: DISPATCH_LEVEL
        - log: "at DISPATCH_LEVEL"
        - lower_irql
        - complete
        """, tmp_path, extra="pageable: [IRP_MJ_READ]\n")
    assert result.bugcheck is None and debug(result) == ["at DISPATCH_LEVEL"]
    found = [e for e in result.events if e.kind == "Violation"]
    assert [e.details["rule"] for e in found] == ["pageable code at DISPATCH_LEVEL"]


def test_a_pageable_routine_at_dispatch_level_under_the_verifier_is_0xd1(tmp_path):
    body = textwrap.dedent("""\
        scenario: t
        title: t
        machine: {verifier: true}
        drivers:
          - name: D
            devices: [{name: '\\Device\\D', link: '\\??\\D', io: buffered}]
            pageable: [IRP_MJ_READ]
            dispatch:
              IRP_MJ_CREATE: complete
              IRP_MJ_CLOSE: complete
              IRP_MJ_READ: [{raise_irql: DISPATCH_LEVEL}, {log: never}]
        app:
          - {open: '\\\\.\\D', as: h}
          - {read: {handle: h, length: 1}, as: r1}
        """)
    result = run_text(body, tmp_path)
    check = result.bugcheck
    assert check.code == BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL
    assert (check.p2, check.p3) == (2, 8) and check.p1 == check.p4 != 0
    assert debug(result) == []


def test_a_called_routine_gets_the_irp_as_a_parameter_of_its_own(tmp_path):
    """A callee that moves on to another IRP (remove_device_queue) leaves the caller's
    Irp as it was, as a C parameter (found by the fuzzer)."""
    result = run("""\
        - call: Drain
        - log: "caller still has IRP#{Irp:d}"
        - complete
        """, tmp_path, extra="extension: {q: KDEVICE_QUEUE}\nroutines:\n"
                             "  Drain: [{remove_device_queue: q}, {log: 'callee: {Irp:d}'}]\n")
    assert debug(result) == ["callee: 0", "caller still has IRP#2"]


def test_completing_a_null_irp_in_a_dpc_is_an_access_violation(tmp_path):
    """A timer DPC armed in DriverEntry has no IRP: IoCompleteRequest(NULL) dereferences
    it at DISPATCH_LEVEL: 0xD1 (0, DISPATCH_LEVEL, 0 read, 0)."""
    result = run("- complete\n", tmp_path, extra=(
        "driver_entry: [{set_timer: {timer: t, after: 1s, dpc: Late}}]\n"
        "routines:\n  Late: [complete]\n"), app="""\
        - sleep: 2000
        """)
    check = result.bugcheck
    assert (check.code, check.p1, check.p2, check.p3) == (
        BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0, 2, 0)


def test_an_app_loop_past_its_bound_names_its_place_in_the_file(tmp_path):
    with pytest.raises(RunError, match=r"s\.yaml:\d+:\d+: the loop ran 3 times"):
        run("- complete\n", tmp_path, app="""\
            - while: {cond: "1", do: [{sleep: 1}], max: 3}
            """)
