"""Rules pinned for the composed scenario schema and the value notations."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator
import pytest

from harness.blocks.registry import REGISTRY, BlockSpec
from harness.scenario import schema as schema_module
from harness.scenario.schema import IRP_MJ_NAMES, SCHEMA_PATH, build_schema, schema_text
from harness.lang.units import parse_buffer_pattern, parse_duration


def _spec(name: str, params: dict, *, bare: bool = False) -> BlockSpec:
    return BlockSpec(name, "action", f"Summary of {name}.", params, bare,
                     "DISPATCH_LEVEL", (), lambda **_: None)


FAKE_BLOCKS = {
    "complete": _spec("complete", {"type": "object", "additionalProperties": False,
                                   "properties": {"status": {"$ref": "#/$defs/ntstatus"}}},
                      bare=True),
    "log": _spec("log", {"type": "string"}),
}


@pytest.fixture
def schema() -> dict:
    return build_schema(FAKE_BLOCKS)


def _validator_for(schema: dict, name: str) -> Draft202012Validator:
    return Draft202012Validator({"$schema": schema["$schema"], "$defs": schema["$defs"],
                                 "$ref": f"#/$defs/{name}"})


def test_schema_is_valid_draft_2020_12(schema):
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shipped_schema_file_is_valid_and_up_to_date():
    shipped = SCHEMA_PATH.read_text(encoding="utf-8")
    Draft202012Validator.check_schema(json.loads(shipped))
    assert shipped == schema_text(schema_module.builtin_blocks()), (
        "scenario.schema.json is stale: run python -m harness.scenario.schema")


def test_shipped_driver_file_schema_is_up_to_date():
    shipped = schema_module.DRIVER_FILE_SCHEMA_PATH.read_text(encoding="utf-8")
    Draft202012Validator.check_schema(json.loads(shipped))
    assert shipped == schema_module.driver_file_schema_text(schema_module.builtin_blocks()), (
        "driver_file.schema.json is stale: run python -m harness.scenario.schema")


def test_write_schema_is_deterministic_with_trailing_newline(tmp_path, monkeypatch):
    monkeypatch.setattr(schema_module, "registry_blocks", lambda: FAKE_BLOCKS)
    first = schema_module.write_schema(tmp_path / "a.json").read_text(encoding="utf-8")
    second = schema_module.write_schema(tmp_path / "b.json").read_text(encoding="utf-8")
    assert first == second and first.endswith("}\n")
    assert json.loads(first) == build_schema(FAKE_BLOCKS)


def test_schema_is_built_from_the_given_mapping_not_the_registry(schema):
    assert set(REGISTRY) != {"complete", "log"}
    step_object = schema["$defs"]["step"]["anyOf"][1]
    assert set(step_object["properties"]) == {"complete", "log"}


def test_step_is_bare_name_enum_or_single_key_object(schema):
    bare, single_key = schema["$defs"]["step"]["anyOf"]
    assert bare == {"title": "block name", "type": "string", "enum": ["complete"],
                    "description": bare["description"]}
    assert single_key["minProperties"] == single_key["maxProperties"] == 1
    assert single_key["additionalProperties"] is False
    assert "oneOf" not in json.dumps(schema["$defs"]["step"])


def test_block_summary_is_hover_text(schema):
    log = schema["$defs"]["step"]["anyOf"][1]["properties"]["log"]
    assert log["title"] == "log" and log["description"] == "Summary of log."


def test_dispatch_keys_are_the_28_irp_major_functions(schema):
    dispatch = schema["$defs"]["dispatch"]
    assert len(IRP_MJ_NAMES) == 28
    assert IRP_MJ_NAMES[0x03] == "IRP_MJ_READ" and IRP_MJ_NAMES[0x1b] == "IRP_MJ_PNP"
    assert dispatch["propertyNames"]["enum"] == list(IRP_MJ_NAMES)
    assert "IRP_MJ_SCSI" not in dispatch["properties"]


@pytest.mark.parametrize("value", [42, "3s", "10ms", "500us", "100ns", "1.5ms"])
def test_duration_schema_accepts_what_parse_duration_accepts(schema, value):
    validator = _validator_for(schema, "duration")
    assert validator.is_valid(value)
    parse_duration(value)


@pytest.mark.parametrize("value", ["3 s", "10", "-1s", "1h", 1.5, True])
def test_duration_schema_rejects_what_parse_duration_rejects(schema, value):
    validator = _validator_for(schema, "duration")
    assert not validator.is_valid(value)
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(("text", "ticks"), [
    (156250, 156250), ("3s", 30_000_000), ("10ms", 100_000), ("500us", 5_000),
    ("100ns", 1), ("1.5ms", 15_000), ("0s", 0),
])
def test_parse_duration_converts_each_unit_to_100ns(text, ticks):
    assert parse_duration(text) == ticks


@pytest.mark.parametrize("bad", ["150ns", "", "ms", -5, None])
def test_parse_duration_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(("pattern", "data"), [
    ("AA*3", b"\xaa\xaa\xaa"), ("0xFF*2", b"\xff\xff"), ("hello", b"hello"), ("", b""),
])
def test_parse_buffer_pattern_repeats_hex_bytes_else_literal(pattern, data):
    assert parse_buffer_pattern(pattern) == data


def test_ntstatus_accepts_names_and_numbers_only(schema):
    validator = _validator_for(schema, "ntstatus")
    assert validator.is_valid("STATUS_PENDING") and validator.is_valid(0xC0000120)
    assert not validator.is_valid("STATUS_pending") and not validator.is_valid("SUCCESS")


def test_schema_block_list_equals_the_registry():
    """One source of truth: the shipped schema names exactly the built-in blocks (a
    project's custom blocks are in the schema `irp-harness schema` prints)."""
    builtin = schema_module.builtin_blocks()
    shipped = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    bare, single_key = shipped["$defs"]["step"]["anyOf"]
    assert set(single_key["properties"]) == set(builtin)
    assert set(bare["enum"]) == {name for name, spec in builtin.items() if spec.bare}


def test_hex_buffer_pattern_lists_bytes_and_schema_rejects_bad_hex(schema):
    assert parse_buffer_pattern("hex: 80 84 1E 00") == (2_000_000).to_bytes(4, "little")
    pattern = schema["$defs"]["buffer_pattern"]
    validator = Draft202012Validator(pattern)
    assert validator.is_valid("hex: 80 84 1E 00") and validator.is_valid("hello")
    assert not validator.is_valid("hex: 8G")


def test_shipped_driver_files_validate_against_the_schema_their_modeline_names():
    """Issue 6: the driver files of scenarios/drivers name driver_file.schema.json."""
    import re

    import yaml
    root = Path(__file__).resolve().parent.parent
    for path in sorted((root / "scenarios" / "drivers").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        (target,) = re.findall(r"^# yaml-language-server: \$schema=(\S+)", text, re.M)
        schema = json.loads((path.parent / target).resolve().read_text(encoding="utf-8"))
        errors = list(Draft202012Validator(schema).iter_errors(yaml.safe_load(text)))
        assert not errors, f"{path.name}: {errors[0].message}"


def test_an_app_step_written_as_a_list_is_located_not_a_crash(tmp_path):
    """Found by the fuzzer: `- - wait: r2` (a list where a step should be)."""
    from harness.scenario import ScenarioError, load_scenario_text
    text = ("scenario: t\ntitle: t\ndrivers:\n  - name: D\n    devices: [{name: null}]\n"
            "app:\n  - - wait: r2\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, tmp_path / "s.yaml")
    assert [d.message for d in caught.value.diagnostics] == [
        "expected app step (object), got array"]
