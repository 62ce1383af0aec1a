"""The irp-harness command line: run, validate, blocks, schema (through click's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness import __version__
from harness.cli import cli, describe_type

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "scenarios" / "book"
DATA = ROOT / "tests" / "data" / "cli"
CH07 = "scenarios/book/ch07_buffered_read.yaml"

CH07_DBGVIEW = [
    "Enter HelloDDKDispatchRoutin", "\tIRP_MJ_CREATE", "Leave HelloDDKDispatchRoutin",
    "Enter HelloDDKRead", "Leave HelloDDKRead",
    "Enter HelloDDKDispatchRoutin", "\tIRP_MJ_CLEANUP", "Leave HelloDDKDispatchRoutin",
    "Enter HelloDDKDispatchRoutin", "\tIRP_MJ_CLOSE", "Leave HelloDDKDispatchRoutin",
]


@pytest.fixture
def invoke(monkeypatch):
    """Run the CLI from the project root, so scenario paths are the short relative ones."""
    monkeypatch.chdir(ROOT)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return run


# -- run ---------------------------------------------------------------------------------
def test_run_prints_dbgview_lines_of_the_buffered_read_in_order(invoke):
    result = invoke("run", CH07, "--format", "dbgview")
    lines = result.stdout.splitlines()[:len(CH07_DBGVIEW)]      # then the summary
    assert [line.split("\t", 2)[2] for line in lines] == CH07_DBGVIEW
    assert [line.split("\t")[0] for line in lines] == [f"{i:08d}" for i in range(11)]


def test_run_json_format_is_valid_json_whose_kinds_include_iocalldriver(invoke):
    result = invoke("run", CH07, "--format", "json")
    events = json.loads(result.stdout)          # the summary went to stderr
    assert "IoCallDriver" in {event["kind"] for event in events}


def test_run_clean_scenario_exits_0_with_a_summary_of_requests_output_and_outcome(invoke):
    result = invoke("run", CH07)
    assert result.exit_code == 0
    trace, summary = result.stdout.split("\nRequests:\n", 1)
    assert "IoCallDriver" in trace                            # the text trace, then
    assert result.stderr == ""                                # the summary, on stdout
    assert "r1" in summary and "ReadFile" in summary and "STATUS_SUCCESS" in summary
    assert "Read 10 bytes:AA AA AA AA AA AA AA AA AA AA" in summary
    assert "Outcome: OK" in summary


def test_run_exits_1_when_a_dispatch_routine_completes_an_irp_twice(invoke):
    result = invoke("run", str(DATA.relative_to(ROOT) / "double_complete.yaml"))
    assert result.exit_code == 1
    assert "BUG CHECK 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS" in result.stdout
    assert "parameters: 0x2, 0x0, 0x0, 0x0" in result.stdout
    assert "already completed" in result.stdout
    assert "Traceback" not in result.output


def test_run_exits_1_on_a_hang_and_names_the_blocked_thread(invoke):
    result = invoke("run", "tests/data/cli/pend_forever.yaml", "--format", "dbgview")
    assert result.exit_code == 1
    assert "HANG: blocked threads: main" in result.stdout


def test_run_malformed_scenario_exits_2_with_a_located_message_and_no_traceback(invoke):
    result = invoke("run", "tests/data/cli/misspelled_block.yaml")
    assert result.exit_code == 2
    assert ("tests/data/cli/misspelled_block.yaml:8:21: drivers/0/dispatch/IRP_MJ_READ/0: "
            "unknown block 'compleet'; did you mean 'complete'?") in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_run_missing_file_exits_2_without_traceback(invoke):
    result = invoke("run", "tests/data/cli/no_such_scenario.yaml")
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_run_same_seed_gives_identical_json_twice(invoke):
    first = invoke("run", CH07, "--format", "json", "--seed", "7")
    second = invoke("run", CH07, "--format", "json", "--seed", "7")
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert first.stderr == second.stderr
    assert "seed 7" in first.stderr


def test_run_output_file_gets_the_trace_and_stdout_the_summary(invoke, tmp_path):
    target = tmp_path / "trace.txt"
    result = invoke("run", CH07, "--format", "dbgview", "--output", str(target))
    assert result.exit_code == 0
    written = target.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t", 2)[2] for line in written] == CH07_DBGVIEW
    assert "Outcome: OK" in result.stdout
    assert str(tmp_path) not in result.output


# -- validate ----------------------------------------------------------------------------
def test_validate_reports_ok_for_every_book_scenario_and_skips_driver_include_files(invoke):
    result = invoke("validate", "scenarios/")
    assert result.exit_code == 0, result.output
    ok = {line[4:] for line in result.stdout.splitlines() if line.startswith("ok  ")}
    book = {f"scenarios/book/{path.name}" for path in BOOK.glob("*.yaml")}
    assert book and book <= ok
    assert not any("scenarios/drivers/" in line for line in result.stdout.splitlines())
    assert "include-only file" in result.stderr


def test_validate_exits_2_and_prints_diagnostics_when_any_file_is_invalid(invoke):
    result = invoke("validate", CH07, "tests/data/cli/misspelled_block.yaml")
    assert result.exit_code == 2
    assert f"ok  {CH07}" in result.stdout
    assert "misspelled_block.yaml:8:21: drivers/0/dispatch/IRP_MJ_READ/0:" in result.stdout
    assert "Traceback" not in result.output


def test_validate_named_driver_file_is_checked_as_a_driver_file(invoke):
    result = invoke("validate", "scenarios/drivers/hello_ddk_a.yaml")
    assert result.exit_code == 0, result.output
    assert "ok  scenarios/drivers/hello_ddk_a.yaml  (driver file)" in result.stdout


# -- blocks ------------------------------------------------------------------------------
def test_blocks_lists_forward_and_split_irp(invoke):
    result = invoke("blocks")
    assert result.exit_code == 0
    names = {line.split()[0] for line in result.stdout.splitlines()
             if line.startswith("  ") and not line.startswith("   ")}
    assert {"forward", "split_irp"} <= names
    assert "IoBuildPartialMdl" in result.stdout


def test_blocks_with_a_misspelled_name_suggests_the_right_one(invoke):
    result = invoke("blocks", "split_ir")
    assert result.exit_code == 2
    assert "did you mean 'split_irp'?" in result.stderr


def test_blocks_name_shows_parameters_with_required_and_descriptions(invoke):
    result = invoke("blocks", "split_irp")
    assert result.exit_code == 0
    assert "chunk" in result.stdout and "integer 1..16777216" in result.stdout
    assert "required" in result.stdout
    assert "- split_irp: {chunk: <integer 1..16777216>}" in result.stdout


def test_blocks_json_dumps_the_catalog(invoke):
    result = invoke("blocks", "--json")
    catalog = json.loads(result.stdout)
    by_name = {entry["name"]: entry for entry in catalog}
    assert by_name["forward"]["kind"] == "action" and by_name["forward"]["bare"] is True
    assert "IoCallDriver" in by_name["forward"]["models"]
    assert by_name["split_irp"]["kind"] == "block"
    assert {"name": "chunk", "type": "integer 1..16777216", "required": True,
            "description": ""} in by_name["split_irp"]["parameters"]


@pytest.mark.parametrize("schema, text", [
    ({"$ref": "#/$defs/duration"}, "duration"),
    ({"enum": ["lifo", "fifo"]}, "lifo | fifo"),
    ({"type": "integer", "minimum": 0, "maximum": 255}, "integer 0..255"),
    ({"type": "array", "items": {"enum": ["success", "error"]}}, "list of success | error"),
    ({"anyOf": [{"$ref": "#/$defs/ntstatus"}, {"const": "keep"}]}, "ntstatus | keep"),
])
def test_describe_type_summarises_parameter_schemas(schema, text):
    assert describe_type(schema) == text


# -- schema and version ------------------------------------------------------------------
def test_schema_prints_the_shipped_scenario_schema(invoke):
    from harness.scenario.schema import SCHEMA_PATH, registry_blocks, schema_text

    result = invoke("schema")
    assert result.exit_code == 0
    assert result.stdout == schema_text(registry_blocks())
    assert json.loads(result.stdout)["title"] == "irp-harness scenario"
    assert SCHEMA_PATH.exists()


def test_schema_output_writes_the_file(invoke, tmp_path):
    target = tmp_path / "scenario.schema.json"
    result = invoke("schema", "--output", str(target))
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["$schema"].endswith("2020-12/schema")


def test_version_prints_the_package_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"irp-harness {__version__}"


def test_run_exits_2_when_the_harness_cannot_run_the_scenario(invoke):
    result = invoke("run", "tests/data/cli/user_buffer_from_dpc.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot run the scenario: "
                                    "tests/data/cli/user_buffer_from_dpc.yaml:")
    assert "not modelled" in result.stderr
    assert "Traceback" not in result.output


def test_diagram_writes_an_svg_with_a_lane_per_driver(tmp_path):
    from click.testing import CliRunner
    from harness.cli import cli
    out = tmp_path / "ch12.svg"
    result = CliRunner().invoke(cli, ["diagram", "scenarios/book/ch12_completion_pending.yaml",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and ">DriverA<" in svg and ">DriverB<" in svg
    assert "MyIoCompletion PendingReturned=TRUE" in svg


def test_blocks_and_schema_include_the_projects_custom_blocks(invoke):
    """steps/example_blocks.py registers fill_sequence; the CLI (run from the project)
    lists it and puts it in the schema it prints, but not in the shipped schema file."""
    listing = invoke("blocks")
    assert "fill_sequence" in listing.stdout
    printed = json.loads(invoke("schema").stdout)
    assert "fill_sequence" in printed["$defs"]["step"]["anyOf"][1]["properties"]
    from harness.scenario.schema import SCHEMA_PATH
    assert "fill_sequence" not in SCHEMA_PATH.read_text(encoding="utf-8")


def test_validate_reports_name_errors_with_exit_2(invoke, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: b\ntitle: b\ndrivers:\n  - name: D\n"
                   "    devices: [{name: '\\Device\\D'}]\n"
                   "    dispatch: {IRP_MJ_READ: {complete: {status: STATUS_SUCESS}}}\n"
                   "app:\n  - wait: r2\n")
    result = invoke("validate", str(bad))
    assert result.exit_code == 2
    assert "6:49: drivers/0/dispatch/IRP_MJ_READ/complete/status: unknown NTSTATUS " \
           "'STATUS_SUCESS'; did you mean 'STATUS_SUCCESS'?" in result.stdout
    assert "8:11: app/0/wait: no step makes a request named 'r2'" in result.stdout
