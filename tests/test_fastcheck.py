"""The compiled schema checks (scenario/fastcheck.py) answer as jsonschema does.

The loader trusts a compiled check's "valid" without asking jsonschema, so a check
must never accept what jsonschema rejects. The property tests build values from every
app verb's schema and from the document schemas (mostly almost-valid ones: the schema's
own shape with a key dropped or added, a wrong type, a number past its bound, a string
outside its length or pattern) and compare the two answers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from harness.scenario.fastcheck import FastChecker
from harness.scenario.schema import build_schema, registry_blocks
from harness.scenario.schema_app import APP_VERBS

SCHEMA = build_schema(registry_blocks())
DEFS = SCHEMA["$defs"]
ROOT = {"$schema": SCHEMA["$schema"], "$defs": DEFS}
ONE_VERB = {k: v for k, v in DEFS["app_step"].items() if k != "oneOf"}


def _answer(is_valid: Any, value: Any) -> bool:
    """jsonschema's answer; where it raises (a bool key meeting a patternProperties
    regex) the compiled check must say "invalid", so the loader asks jsonschema and
    fails as it always did."""
    try:
        return is_valid(value)
    except TypeError:
        return False

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64),
                    st.floats(allow_nan=False, width=32), st.sampled_from([1.0, 0.0, -1.5]),
                    st.text(max_size=6), st.sampled_from(["h", "r1", "IRP_MJ_READ", "10",
                                                          "STATUS_SUCCESS", "", "1 s"]))
ANY = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8)


def _target(ref: str) -> Any:
    node: Any = SCHEMA
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def shaped(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that follow ``schema``'s shape, with mistakes mixed in."""
    if depth > 5 or not isinstance(schema, dict):
        return ANY
    if "$ref" in schema:
        return st.deferred(lambda: shaped(_target(schema["$ref"]), depth + 1))
    options: list[st.SearchStrategy[Any]] = [ANY]
    for key in ("anyOf", "oneOf", "allOf"):
        options += [shaped(sub, depth + 1) for sub in schema.get(key, [])]
    if "enum" in schema:
        options.append(st.sampled_from(list(schema["enum"])))
    if "const" in schema:
        options.append(st.just(schema["const"]))
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" in kinds or "properties" in schema:
        options.append(_object(schema, depth))
    if "array" in kinds or "items" in schema:
        options.append(st.lists(shaped(schema.get("items", True), depth + 1),
                                min_size=max(0, schema.get("minItems", 0) - 1),
                                max_size=min(4, schema.get("maxItems", 3) + 1)))
    if "integer" in kinds or "number" in kinds:
        low, high = schema.get("minimum", -10), schema.get("maximum", 10**6)
        options.append(st.sampled_from([low - 1, low, high, high + 1, (low + high) // 2,
                                        float(low), True]))
    if "string" in kinds:
        low, high = schema.get("minLength", 0), schema.get("maxLength", 8)
        options.append(st.text(alphabet="abcAZ_0\\.:", min_size=max(0, low - 1),
                               max_size=min(high + 1, 10)))
        options.append(st.sampled_from(["h", "IRP_MJ_READ", "0x10", "1 s", "3s",
                                        "STATUS_SUCCESS", "\\Device\\X", "A*10"]))
    return st.one_of(options)


def _object(schema: dict, depth: int) -> st.SearchStrategy[dict]:
    props = schema.get("properties", {})
    required = [k for k in schema.get("required", []) if k in props]
    names = sorted(props)

    @st.composite
    def build(draw: Any) -> dict:
        chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) \
            if names else []
        keys = list(dict.fromkeys(required + chosen))
        if keys and draw(st.integers(0, 9)) == 0:
            keys.remove(draw(st.sampled_from(keys)))          # a required key missing
        value = {key: draw(shaped(props[key], depth + 1)) for key in keys}
        if draw(st.integers(0, 9)) == 0:                       # an unknown key, or `on:`
            value[draw(st.sampled_from(["extra", "x_note", True, 1]))] = draw(SCALARS)
        return value
    return build()


@lru_cache(maxsize=None)
def _pair(verb: str) -> tuple[Any, Any]:
    schema = dict(ONE_VERB, required=[verb])
    return (FastChecker(ROOT).compile(schema),
            Draft202012Validator(dict(ROOT, **schema)).is_valid)


VERB_CASES = st.sampled_from(APP_VERBS).flatmap(
    lambda verb: st.tuples(st.just(verb), st.builds(
        lambda body, name: {verb: body, **({"as": name} if name else {})},
        shaped(ONE_VERB["properties"][verb]), st.sampled_from([None, "r1", "", 5]))))


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(VERB_CASES)
def test_a_compiled_verb_check_answers_as_jsonschema(case: tuple[str, Any]) -> None:
    verb, step = case
    fast, slow = _pair(verb)
    assert fast(step) == _answer(slow, step), step


@lru_cache(maxsize=None)
def _def_pair(name: str) -> tuple[Any, Any]:
    schema = {"$ref": f"#/$defs/{name}"}
    return (FastChecker(ROOT).compile(schema),
            Draft202012Validator(dict(ROOT, **schema)).is_valid)


DEF_CASES = st.sampled_from(sorted(DEFS)).flatmap(
    lambda name: st.tuples(st.just(name), shaped(DEFS[name])))


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(DEF_CASES)
def test_every_compiled_definition_answers_as_jsonschema(case: tuple[str, Any]) -> None:
    """Routine steps, blocks' parameters, drivers, machine settings, ...: every $defs
    entry of the scenario schema."""
    name, value = case
    fast, slow = _def_pair(name)
    assert fast(value) == _answer(slow, value), (name, value)


@pytest.mark.parametrize("value, valid", [
    (1, True), (1.0, True), (True, False), (1.5, False), ("1", False), (None, False)])
def test_integer_is_jsonschemas_integer(value: Any, valid: bool) -> None:
    """Draft 2020-12: 1.0 is an integer, a bool is not."""
    check = FastChecker({}).compile({"type": "integer"})
    assert check(value) is valid
    assert Draft202012Validator({"type": "integer"}).is_valid(value) is valid


@pytest.mark.parametrize("schema, value", [
    ({"enum": ["a", 1]}, 1.0),                     # a mixed enum: jsonschema decides
    ({"enum": [0]}, False), ({"const": 1}, True),  # a bool equals no number
    ({"uniqueItems": True}, [1, True]),            # 1 and True are distinct items
    ({"uniqueItems": True}, [[1], [1]]),
    ({"contains": {"type": "string"}}, [1, "a"]),  # a keyword not compiled: delegated
    ({"patternProperties": {"^a": {"type": "string"}}}, {1: 2}),   # a raising check
])
def test_edge_cases_agree_with_jsonschema(schema: dict, value: Any) -> None:
    check = FastChecker(schema).compile(schema)
    assert check(value) == _answer(Draft202012Validator(schema).is_valid, value)


def test_a_recursive_ref_compiles_and_checks_nested_values() -> None:
    schema = {"$defs": {"tree": {"type": "object", "additionalProperties": False,
                                 "properties": {"kids": {"type": "array",
                                                         "items": {"$ref": "#/$defs/tree"}}}}},
              "$ref": "#/$defs/tree"}
    check = FastChecker(schema).compile(schema)
    assert check({"kids": [{"kids": []}, {}]})
    assert not check({"kids": [{"kids": [{"x": 1}]}]})


def test_a_valid_app_of_ten_thousand_steps_is_checked_without_jsonschema(monkeypatch) -> None:
    """The loader's fast path: valid steps never reach jsonschema (so loading is
    linear and cheap); a wrong step still gets jsonschema's worded message."""
    from harness.scenario import load_scenario_text
    from harness.lang.diagnostics import ScenarioError
    head = ("scenario: big\ntitle: t\ndrivers: []\napp:\n"
            "  - {open: '\\\\.\\X', as: h}\n")
    steps = "".join(f"  - {{read: {{handle: h, length: 10}}, as: r{i}}}\n" for i in range(10**4))
    calls = []
    monkeypatch.setattr(Draft202012Validator, "iter_errors",
                        lambda self, *a, **k: calls.append(1) or iter(()))
    assert len(load_scenario_text(head + steps, "big.yaml").data["app"]) == 10**4 + 1
    assert calls == []
    monkeypatch.undo()
    with pytest.raises(ScenarioError) as error:
        load_scenario_text(head + steps + "  - {read: {handle: h, lenght: 10}}\n", "big.yaml")
    assert "big.yaml:10006:" in str(error.value) and "lenght" in str(error.value)
