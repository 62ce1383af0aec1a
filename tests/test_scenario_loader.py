"""Rules pinned for loading scenario YAML: includes, positions and diagnostics."""

from __future__ import annotations

from pathlib import Path
import textwrap

import pytest

from harness.blocks.registry import BlockSpec
from harness.scenario import Diagnostic, ScenarioError, load_scenario, load_scenario_text

DATA = Path(__file__).parent / "data" / "scenarios"


def _spec(name: str, params: dict, *, bare: bool = False) -> BlockSpec:
    return BlockSpec(name, "action", f"Summary of {name}.", params, bare,
                     "DISPATCH_LEVEL", (), lambda **_: None)


BLOCKS = {
    "complete": _spec("complete", bare=True, params={
        "type": "object", "additionalProperties": False,
        "properties": {"status": {"$ref": "#/$defs/ntstatus"},
                       "information": {"type": "integer", "minimum": 0}}}),
    "log": _spec("log", {"type": "string"}),
    "forward": _spec("forward", {
        "type": "object", "required": ["to"], "additionalProperties": False,
        "properties": {"to": {"type": "string"}, "completion": {"type": "string"},
                       "timeout": {"$ref": "#/$defs/duration"}}}),
}

HEADER = "scenario: t\ntitle: T\n"
DRIVER = """\
drivers:
  - name: DriverA
    devices:
      - name: '\\Device\\A'
    dispatch:
      IRP_MJ_READ:
        - log: hi
        - complete
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def errors_of(text: str, *, filename: str = "s.yaml", **kwargs) -> list[Diagnostic]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(textwrap.dedent(text), filename, blocks=BLOCKS, **kwargs)
    return caught.value.diagnostics


def test_good_scenario_loads_with_included_drivers_first():
    scenario = load_scenario(DATA / "book" / "ch12-completion-success.yaml", blocks=BLOCKS)
    assert [d["name"] for d in scenario.data["drivers"]] == ["Helper", "DriverA", "DriverB"]
    assert "include" not in scenario.data
    assert scenario.data["constants"]["IOCTL_TEST1"]["ctl_code"][1] == 0x800
    assert [p.name for p in scenario.includes] == ["driver_a.yaml", "common.yaml"]
    assert scenario.source_text.startswith("# yaml-language-server: $schema=")


def test_locate_follows_merged_drivers_into_their_files():
    scenario = load_scenario(DATA / "book" / "ch12-completion-success.yaml", blocks=BLOCKS)
    file, line, col = scenario.locate("drivers/1/dispatch/IRP_MJ_READ/1")
    assert file.endswith("drivers/driver_a.yaml") and (line, col) == (14, 11)
    path = ["drivers", 2, "dispatch", "IRP_MJ_READ", 1, "forward", "to"]
    file, line, col = scenario.locate(path)
    assert file.endswith("ch12-completion-success.yaml") and (line, col) == (21, 25)
    assert scenario.locate("(root)")[1:] == (2, 1)


def test_diagnostic_prints_as_file_line_col_path_message():
    diagnostic = Diagnostic("s.yaml", 3, 5, "(root)", "boom")
    assert str(diagnostic) == "s.yaml:3:5: (root): boom"
    assert str(ScenarioError([diagnostic, diagnostic])) == "s.yaml:3:5: (root): boom"


def test_duplicate_key_reported_with_both_lines():
    [error] = errors_of(HEADER + "title: again\n" + DRIVER)
    assert (error.line, error.col, error.path) == (3, 1, "title")
    assert "duplicate key 'title'" in error.message
    assert "line 2" in error.message and "line 3" in error.message


def test_unknown_top_level_key_suggests_closest():
    [error] = errors_of(HEADER + DRIVER + "machne: {cpus: 2}\n")
    assert (error.line, error.col, error.path) == (11, 1, "machne")
    assert error.message == "unknown key 'machne'; did you mean 'machine'?"


def test_misspelled_block_name_suggests_closest_at_its_line_and_col():
    errors = errors_of(HEADER + DRIVER.replace("- complete", "- complet")
                       + "    routines:\n      Done: {complet: {status: STATUS_SUCCESS}}\n")
    assert [(e.line, e.col, e.path, e.message) for e in errors] == [
        (10, 11, "drivers/0/dispatch/IRP_MJ_READ/1",
         "unknown block 'complet'; did you mean 'complete'?"),
        (12, 14, "drivers/0/routines/Done/complet",
         "unknown block 'complet'; did you mean 'complete'?"),
    ]


def test_misspelled_dispatch_key_suggests_irp_major_name():
    [error] = errors_of(HEADER + DRIVER.replace("IRP_MJ_READ", "IRP_MJ_RAED"))
    assert (error.line, error.col) == (8, 7)
    assert error.message == "unknown key 'IRP_MJ_RAED'; did you mean 'IRP_MJ_READ'?"


def test_bad_parameter_type_reported_at_deepest_node():
    [error] = errors_of(HEADER + DRIVER.replace(
        "- complete", "- complete: {status: STATUS_SUCCESS, information: lots}"))
    assert (error.line, error.col) == (10, 59)
    assert error.path == "drivers/0/dispatch/IRP_MJ_READ/1/complete/information"
    assert error.message == "expected integer, got string"


def test_app_step_needs_exactly_one_known_verb():
    errors = errors_of(HEADER + DRIVER + """\
app:
  - {opne: x}
  - {read: {handle: h, length: 1}, close: h}
""")
    assert [(e.line, e.message) for e in errors] == [
        (12, "unknown key 'opne'; did you mean 'open'?"),
        (13, "an app step has exactly one verb, found 'read', 'close'"),
    ]


def test_include_merges_drivers_in_order(tmp_path):
    write(tmp_path / "scenarios", {
        "a.yaml": "drivers:\n  - {name: A, devices: [{name: null}]}\n",
        "b.yaml": "include: [a.yaml]\ndrivers:\n  - {name: B, devices: [{name: null}]}\n",
        "c.yaml": "drivers:\n  - {name: C, devices: [{name: null}]}\n",
        "book/s.yaml": HEADER + "include: [../b.yaml, ../c.yaml, ../a.yaml]\n"
                       "drivers:\n  - {name: D, devices: [{name: null}]}\n",
    })
    scenario = load_scenario(tmp_path / "scenarios" / "book" / "s.yaml", blocks=BLOCKS)
    assert [d["name"] for d in scenario.data["drivers"]] == ["A", "B", "C", "D"]


def test_include_escaping_the_root_is_refused(tmp_path):
    write(tmp_path, {"outside.yaml": "drivers: []\n",
                     "scenarios/s.yaml": HEADER + "include:\n  - ../outside.yaml\n"})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "scenarios" / "s.yaml", blocks=BLOCKS)
    [error] = caught.value.diagnostics
    assert (error.line, error.col, error.path) == (4, 5, "include/0")
    assert "outside the scenarios root" in error.message


def test_include_cycle_is_refused(tmp_path):
    write(tmp_path / "scenarios", {
        "s.yaml": HEADER + "include: [a.yaml]\n",
        "a.yaml": "include: [b.yaml]\ndrivers: []\n",
        "b.yaml": "include: [a.yaml]\ndrivers: [{name: B, devices: [{name: null}]}]\n",
    })
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "scenarios" / "s.yaml", blocks=BLOCKS)
    [error] = caught.value.diagnostics
    a, b = (str(tmp_path / "scenarios" / name) for name in ("a.yaml", "b.yaml"))
    assert (error.file, error.line, error.col, error.path) == (b, 1, 11, "include/0")
    assert error.message == f"include cycle: {a} -> {b} -> {a}"


def test_error_inside_included_file_names_that_file(tmp_path):
    write(tmp_path / "scenarios", {
        "s.yaml": HEADER + "include: [drivers/a.yaml]\n",
        "drivers/a.yaml": "drivers:\n  - name: A\n    devices: [{name: null}]\n"
                          "    unload: {forward: {too: x}}\n",
    })
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "scenarios" / "s.yaml", blocks=BLOCKS)
    errors = caught.value.diagnostics
    assert all(e.file == str(tmp_path / "scenarios" / "drivers" / "a.yaml") for e in errors)
    assert [(e.line, e.col, e.message) for e in errors] == [
        (4, 23, "missing required key 'to'"),
        (4, 24, "unknown key 'too'; did you mean 'to'?"),
    ]


def test_included_file_is_validated_as_a_driver_file(tmp_path):
    write(tmp_path / "scenarios", {"s.yaml": HEADER + "include: [d.yaml]\n",
                                   "d.yaml": "scenario: nope\ndrivers: []\n"})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "scenarios" / "s.yaml", blocks=BLOCKS)
    [error] = caught.value.diagnostics
    assert error.file.endswith("d.yaml") and error.message.startswith("unknown key 'scenario'")


def test_driver_names_are_unique_across_includes(tmp_path):
    write(tmp_path / "scenarios", {
        "s.yaml": HEADER + "include: [d.yaml]\n" + DRIVER,
        "d.yaml": "drivers:\n  - {name: DriverA, devices: [{name: null}]}\n",
    })
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "scenarios" / "s.yaml", blocks=BLOCKS)
    [error] = caught.value.diagnostics
    assert (error.line, error.path) == (5, "drivers/0/name")
    assert error.message.startswith("driver 'DriverA' is already defined at ")


@pytest.mark.parametrize("word", ["yes", "No", "on", "OFF"])
def test_yes_no_on_off_are_rejected_as_ambiguous_booleans(word):
    [error] = errors_of(HEADER + DRIVER.replace("log: hi", f"log: {word}"))
    assert (error.line, error.col) == (9, 16)
    assert "ambiguous YAML 1.1 boolean" in error.message and "true/false" in error.message


def test_quoted_yes_is_a_string():
    scenario = load_scenario_text(HEADER + DRIVER.replace("log: hi", "log: 'yes'"), "s.yaml",
                                  blocks=BLOCKS)
    assert scenario.data["drivers"][0]["dispatch"]["IRP_MJ_READ"][0] == {"log": "yes"}


def test_all_errors_reported_sorted_by_position():
    errors = errors_of("""\
        scenario: Bad Id
        title: 5
        drivers:
          - name: DriverA
            devices: []
            dispatch: {IRP_MJ_READ: complte}
        """)
    assert [(e.line, e.path) for e in errors] == [
        (1, "scenario"), (2, "title"), (5, "drivers/0/devices"),
        (6, "drivers/0/dispatch/IRP_MJ_READ")]
    assert str(errors[0]).startswith("s.yaml:1:11: scenario: 'Bad Id' is not a valid scenario id")


def test_yaml_syntax_error_is_located_not_a_traceback():
    [error] = errors_of("scenario: t\ntitle: [unclosed\ndrivers: []\n")
    assert (error.file, error.line, error.path) == ("s.yaml", 3, "(root)")
    assert error.message.startswith("YAML syntax error: ")


def test_exotic_yaml_types_are_rejected():
    [error] = errors_of(HEADER + DRIVER + "description: !!binary aGVsbG8=\n")
    assert error.line == 11 and "unsupported YAML type 'binary'" in error.message


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty file: expected a mapping"),
    ("# only a comment\n", "empty file: expected a mapping"),
    (HEADER, "missing required key 'drivers'"),
])
def test_scenario_without_drivers_is_refused(text, message):
    [error] = errors_of(text)
    assert error.message == message


def test_unreadable_scenario_is_one_diagnostic(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "missing.yaml", blocks=BLOCKS)
    assert "cannot read scenario" in str(caught.value)


def test_missing_include_is_located_at_the_include_item(tmp_path):
    write(tmp_path / "scenarios", {"s.yaml": HEADER + "include: [gone.yaml]\n"})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "scenarios" / "s.yaml", blocks=BLOCKS)
    [error] = caught.value.diagnostics
    assert (error.line, error.col, error.message) == (
        3, 11, "included file 'gone.yaml' does not exist")


def test_includes_without_any_driver_are_refused(tmp_path):
    write(tmp_path / "scenarios", {"s.yaml": HEADER + "include: [d.yaml]\n",
                                   "d.yaml": "drivers: []\n"})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "scenarios" / "s.yaml", blocks=BLOCKS)
    [error] = caught.value.diagnostics
    assert (error.line, error.path) == (3, "drivers")
    assert error.message.startswith("no drivers")


def test_explicit_root_narrows_where_includes_may_come_from(tmp_path):
    write(tmp_path / "scenarios", {"d.yaml": "drivers: [{name: A, devices: [{name: null}]}]\n",
                                   "book/s.yaml": HEADER + "include: [../d.yaml]\n"})
    scenario_file = tmp_path / "scenarios" / "book" / "s.yaml"
    assert load_scenario(scenario_file, blocks=BLOCKS).data["drivers"][0]["name"] == "A"
    with pytest.raises(ScenarioError, match="outside the scenarios root"):
        load_scenario(scenario_file, root=scenario_file.parent, blocks=BLOCKS)


def test_x_keys_hold_anchors_and_are_otherwise_ignored():
    scenario = load_scenario_text(HEADER + DRIVER + "x-machine: &m {cpus: 2}\n"
                                  "machine: {<<: *m, seed: 7}\n", "s.yaml", blocks=BLOCKS)
    assert scenario.data["machine"] == {"cpus": 2, "seed": 7}
