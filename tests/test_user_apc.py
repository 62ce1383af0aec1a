"""User APCs as the app sees them (win32-io §2): ReadFileEx's completion routine runs
only in an alertable wait of the issuing thread."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.runner import Session
from harness.scenario import load_scenario_text
from harness.scenario.resolve import resolve
from scenario_text import run_app

DRIVER_A = Path(__file__).resolve().parent.parent / "scenarios" / "drivers" / "hello_ddk_a.yaml"


def run(app: str, tmp_path: Path, files: bool = True) -> object:
    return run_app("files: [{path: 'C:\\test.dat', data: 'AA*64'}]\ndrivers: []\n" if files
                   else f"include: ['{DRIVER_A}']\n", app, tmp_path)


READ_EX = """\
- {open: 'test.dat', access: read, overlapped: true, as: h}
- read_file_ex: {handle: h, length: 16, completion: [{print: "done {r.bytes}"}]}
  as: r
"""


def test_2_an_alertable_sleep_ex_runs_the_queued_completion_and_returns_wait_io_completion(
        tmp_path):
    result = run(READ_EX + "- {sleep_ex: {ms: 0, alertable: true}, as: s}\n", tmp_path)
    assert result.app_output == ["done 16"]
    assert result.requests["s"].result == 0xC0


def test_2_a_wait_that_is_not_alertable_does_not_run_user_apcs(tmp_path):
    result = run(READ_EX + "- {sleep_ex: {ms: 10, alertable: false}, as: s}\n- sleep: 10\n",
                 tmp_path)
    # the APC stays queued; the thread ends without running it
    assert result.app_output == []
    assert result.requests["s"].result == 0


def test_2_an_apc_that_arrives_ends_an_alertable_sleep(tmp_path):
    result = run("""\
        - {open: '\\\\.\\HelloDDKA', overlapped: true, as: h}
        - read_file_ex: {handle: h, length: 4, completion: [{print: "done"}]}
          as: r
        - {sleep_ex: {ms: 60000, alertable: true}, as: s}
        - {close: h}
        """, tmp_path, files=False)
    assert result.app_output == ["done"]
    assert result.requests["s"].result == 0xC0
    assert result.requests["s"].returned_at == 3 * 10_000_000     # DriverA's 3 s, not 60 s


def test_2_read_file_ex_needs_an_overlapped_handle(tmp_path):
    result = run("""\
        - {open: 'test.dat', access: read, as: h}
        - read_file_ex: {handle: h, length: 16, completion: [{print: "never"}]}
          as: r
        - {sleep_ex: {ms: 0, alertable: true}}
        """, tmp_path)
    assert not result.requests["r"].ok
    assert result.requests["r"].last_error == 87          # ERROR_INVALID_PARAMETER
    assert result.app_output == []


CANCELABLE = DRIVER_A.parent / "cancelable_reads.yaml"   # pends reads, OnCancel completes


def run_with(driver: Path, app: str, tmp_path: Path) -> object:
    text = (f"scenario: t\ntitle: t\ninclude: ['{driver}']\n"
            + "app:\n" + textwrap.indent(textwrap.dedent(app), "  "))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path, root="/"))).run_app()


def test_2_2_wait_for_single_object_ex_alertable_runs_apcs_and_returns_wait_io_completion(
        tmp_path):
    result = run("""\
        - {create_event: {manual_reset: true}, as: ev}
        - {queue_user_apc: {thread: main, apc: [{print: "apc"}], data: 7}, as: q}
        - {wait_for: {objects: [ev], timeout: 0, alertable: false}, as: plain}
        - {print: "between"}
        - {wait_for: {objects: [ev], timeout: 0, alertable: true}, as: alerted}
        """, tmp_path)
    assert result.app_output == ["between", "apc"]      # the non-alertable wait ran none
    assert result.requests["plain"].result == 258        # WAIT_TIMEOUT
    assert result.requests["alerted"].result == 0xC0     # WAIT_IO_COMPLETION
    assert result.requests["q"].ok and result.requests["q"].result == 7   # pfn(dwData)


def test_2_3_all_queued_apcs_run_fifo_even_one_an_apc_queues_before_the_wait_returns(
        tmp_path):
    result = run("""\
        - {create_event: {manual_reset: true}, as: ev}
        - queue_user_apc:
            thread: main
            apc: [{print: "first"}, {queue_user_apc: {thread: main, apc: [{print: "third"}]}}]
        - {queue_user_apc: {thread: main, apc: [{print: "second"}]}}
        - {wait_for: {objects: [ev], alertable: true}, as: w}
        - {print: "returned {w.result}"}
        """, tmp_path)
    assert result.app_output == ["first", "second", "third", "returned 192"]


def test_2_4_a_signaled_object_wins_over_a_pending_apc(tmp_path):
    result = run("""\
        - {create_event: {manual_reset: true, initial_state: true}, as: ev}
        - {queue_user_apc: {thread: main, apc: [{print: "apc"}]}}
        - {wait_for: {objects: [ev], alertable: true}, as: w}
        - {print: "after the wait"}
        - {sleep_ex: {ms: 0, alertable: true}, as: drain}
        """, tmp_path)
    assert result.requests["w"].result == 0               # WAIT_OBJECT_0
    assert result.app_output == ["after the wait", "apc"]  # stayed queued for SleepEx(0)
    assert result.requests["drain"].result == 0xC0


def test_2_1_an_apc_from_another_thread_ends_an_alertable_wait_on_a_handle(tmp_path):
    result = run("""\
        threads:
          main:
            - {create_event: {manual_reset: true}, as: ev}
            - spawn: Other
            - {wait_for: {objects: [ev], alertable: true}, as: w}
          Other:
            - sleep: 1000
            - {queue_user_apc: {thread: main, apc: [{print: "in main"}]}}
        """, tmp_path)
    w = result.requests["w"]
    assert w.result == 0xC0 and w.returned_at == 10_000_000   # the INFINITE wait, ended at 1 s
    assert result.app_output == ["in main"]


def test_2_6_an_apc_queued_before_a_thread_starts_runs_before_its_first_step(tmp_path):
    result = run("""\
        threads:
          main:
            - spawn: T
            - {queue_user_apc: {thread: T, apc: [{print: "apc"}]}}
          T:
            - {print: "start routine"}
        """, tmp_path)
    assert result.app_output == ["apc", "start routine"]


def test_2_6_apcs_queued_to_a_thread_that_exits_are_discarded_and_later_ones_fail(tmp_path):
    result = run("""\
        threads:
          main:
            - spawn: T
            - sleep: 10
            - {queue_user_apc: {thread: T, apc: [{print: "never"}]}, as: early}
            - sleep: 1000
            - {queue_user_apc: {thread: T, apc: [{print: "never either"}]}, as: late}
          T:
            - sleep: 100                   # never alertable: the APC waits, then is dropped
        """, tmp_path)
    assert result.app_output == []
    assert result.requests["early"].ok
    late = result.requests["late"]
    assert not late.ok and late.last_error == 31          # ERROR_GEN_FAILURE


def test_2_8_write_file_ex_completion_gets_the_win32_error_and_the_count(tmp_path):
    result = run_with(CANCELABLE, """\
        - {open: '\\\\.\\CancelableReads', overlapped: true, as: h}
        - write_file_ex: {handle: h, data: "41 42 43 44",
                          completion: [{print: "wrote {w.bytes} error {w.result}"}]}
          as: w
        - {print: "returned {w.ok}"}
        - {sleep_ex: {ms: 0, alertable: true}}
        """, tmp_path)
    # 2.9: inline success returns TRUE and still queues the routine for the next
    # alertable wait
    assert result.app_output == ["returned TRUE", "wrote 4 error 0"]


def test_2_8_a_cancelled_read_file_ex_routine_gets_error_operation_aborted(tmp_path):
    result = run_with(CANCELABLE, """\
        - {open: '\\\\.\\CancelableReads', overlapped: true, as: h}
        - read_file_ex: {handle: h, length: 8,
                         completion: [{print: "error {r.result} bytes {r.bytes}"}]}
          as: r
        - {cancel_io_ex: h}
        - {sleep_ex: {ms: 0, alertable: true}}
        """, tmp_path)
    assert result.app_output == ["error 995 bytes 0"]    # a Win32 code, not the NTSTATUS


def test_2_10_read_file_ex_routines_of_an_exited_thread_never_run(tmp_path):
    result = run_with(CANCELABLE, """\
        threads:
          main:
            - {open: '\\\\.\\CancelableReads', overlapped: true, as: h}
            - spawn: Reader
            - join: Reader
            - {sleep_ex: {ms: 0, alertable: true}, as: s}
          Reader:
            - read_file_ex: {handle: h, length: 8, completion: [{print: "never"}]}
              as: r
        """, tmp_path)
    # the exiting Reader cancels its read and waits for it (2.10); the completion APC
    # queued to it is flushed at exit
    assert result.requests["r"].status == 0xC0000120
    assert result.app_output == []
    assert result.requests["s"].result == 0


def test_2_7_an_nt_device_io_control_file_apc_routine_is_a_user_apc_to_the_issuer(tmp_path):
    from harness.kernel import IoStatusBlock
    from harness.usermode import ntdll
    text = f"scenario: t\ntitle: t\ninclude: ['{CANCELABLE}']\napp: []\n"
    session = Session(resolve(load_scenario_text(text, tmp_path / "s.yaml", root="/")))
    kernel = session.kernel
    seen: list = []

    def apc_routine(context, iosb):
        seen.append((context, iosb.status, kernel.current_thread.name))
        yield from ()

    def body():
        _, file = yield from ntdll.NtCreateFile(kernel, "\\??\\CancelableReads", False)
        iosb = IoStatusBlock()
        status = yield from ntdll.NtDeviceIoControlFile(
            file, 0x222000, None, 0, None, 0, None, iosb, apc=(apc_routine, "ctx"))
        yield from ntdll.NtCancelIoFile(file)     # completes it: the APC is queued
        queued = list(seen)
        delay = yield from ntdll.NtDelayExecution(kernel, 0, True)
        ran = yield from ntdll.KiUserApcDispatcher(kernel)
        return status, queued, delay, ran

    thread = kernel.create_thread(body, name="Issuer", process="test.exe", user=True)
    kernel.run()
    assert thread.exit_status == (0x103, [], 0xC0, 1)    # not run by CancelIo's wait
    assert seen == [("ctx", 0xC0000120, "Issuer")]       # ApcRoutine(ApcContext, IOSB)
