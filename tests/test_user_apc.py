"""User APCs as the app sees them (win32-io §2): ReadFileEx's completion routine runs
only in an alertable wait of the issuing thread."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.runner import Session
from harness.scenario import load_scenario_text
from harness.scenario.resolve import resolve

DRIVER_A = Path(__file__).resolve().parent.parent / "scenarios" / "drivers" / "hello_ddk_a.yaml"


def run(app: str, tmp_path: Path, files: bool = True) -> object:
    text = ("scenario: t\ntitle: t\n"
            + ("files: [{path: 'C:\\test.dat', data: 'AA*64'}]\ndrivers: []\n" if files else
               f"include: ['{DRIVER_A}']\n")
            + "app:\n" + textwrap.indent(textwrap.dedent(app), "  "))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path, root="/"))).run_app()


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
