"""The behaviour-block registry and the built-in blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

import harness.blocks.builtin  # noqa: F401 - registers the blocks
from harness.blocks.registry import REGISTRY, BlockDefinitionError, block
from harness.kernel import constants

NAMED_RECIPES = {"buffered_io", "direct_io", "neither_io", "pending_queue", "split_irp",
                 "timeout_dpc"}


def test_registering_a_name_twice_is_caught_at_definition_time():
    with pytest.raises(BlockDefinitionError, match="registered twice"):
        block("complete", summary="again", bare=True)


def test_a_block_without_parameters_must_be_bare():
    with pytest.raises(BlockDefinitionError, match="must be bare"):
        block("nothing_to_say", summary="x")


def test_max_irql_must_be_a_named_level():
    with pytest.raises(BlockDefinitionError, match="max_irql"):
        block("too_high", summary="x", bare=True, max_irql="HIGH_LEVEL")


def test_the_design_cards_named_blocks_exist_as_recipes():
    assert NAMED_RECIPES <= set(REGISTRY)
    assert all(REGISTRY[name].kind == "block" for name in NAMED_RECIPES)


def test_every_block_says_what_it_models_in_wdk_names():
    for spec in REGISTRY.values():
        assert spec.summary, spec.name
        for routine in spec.models:
            assert routine[0].isupper() and " " not in routine, (spec.name, routine)


def test_block_irql_limits_are_kernel_irql_names():
    for spec in REGISTRY.values():
        assert hasattr(constants.IRQL, spec.max_irql)


def test_block_summaries_name_only_blocks_that_exist():
    """Issue 6: `irp-harness blocks` once pointed at if_cancel_owned and if_removed."""
    import re

    from harness.blocks.registry import REGISTRY
    prefixes = ("if_", "start_", "complete_", "remove_", "acquire_", "release_", "queue_",
                "cancel_", "log_", "create_", "set_", "interlocked_")
    problems = []
    for spec in REGISTRY.values():
        params = set(spec.params.get("properties", {}))
        for word in re.findall(r"\b[a-z]+_[a-z0-9_]+\b", spec.summary):
            if word.startswith(prefixes) and word not in REGISTRY and word not in params:
                problems.append(f"{spec.name}: {word}")
    assert not problems


def test_custom_blocks_come_from_the_project_steps_folder(tmp_path):
    from harness.blocks.discovery import load_custom_blocks, project_block_files
    from harness.blocks.registry import REGISTRY
    steps = tmp_path / "steps"
    steps.mkdir()
    (steps / "team_blocks.py").write_text(
        "from harness.blocks import block\n"
        "@block('team_noop_for_test', summary='Nothing.', params=None, bare=True)\n"
        "def compile_(params, cc, path):\n"
        "    def step(f):\n"
        "        return None\n"
        "        yield\n"
        "    return step\n")
    (steps / "test_other.py").write_text("raise SystemExit('not a block module')\n")
    assert [p.name for p in project_block_files(tmp_path)] == ["team_blocks.py"]
    try:
        load_custom_blocks(tmp_path)
        load_custom_blocks(tmp_path)            # a second discovery imports nothing again
        assert REGISTRY["team_noop_for_test"].builtin is False
    finally:
        REGISTRY.pop("team_noop_for_test", None)


def test_custom_blocks_come_from_entry_points(monkeypatch):
    import harness.blocks.discovery as discovery
    from harness.blocks.registry import REGISTRY

    class EntryPoint:
        name, value = "team", "team_pkg.blocks"

        def load(self):
            from harness.blocks import block

            @block("team_entry_point_block", summary="Nothing.", params=None, bare=True)
            def compile_(params, cc, path):
                return None
            return compile_

    monkeypatch.setattr(discovery, "entry_points", lambda group: [EntryPoint()]
                        if group == "irp_harness.blocks" else [])
    monkeypatch.setattr(discovery, "_loaded", set())
    try:
        sources = discovery.load_custom_blocks(Path("/nonexistent"))
        assert sources == ["entry point team (team_pkg.blocks)"]
        assert "team_entry_point_block" in REGISTRY
    finally:
        REGISTRY.pop("team_entry_point_block", None)


def test_a_broken_custom_block_module_is_named_in_the_error(tmp_path):
    from harness.blocks.discovery import load_custom_blocks
    from harness.blocks.registry import BlockDefinitionError
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "broken_blocks.py").write_text("import no_such_module_here\n")
    with pytest.raises(BlockDefinitionError, match=r"broken_blocks\.py: ModuleNotFoundError"):
        load_custom_blocks(tmp_path)


def test_a_custom_block_named_badly_is_refused_at_definition_time():
    from harness.blocks.registry import BlockDefinitionError, block
    with pytest.raises(BlockDefinitionError, match="lower_snake_case"):
        block("FillSequence", summary="x", params=None, bare=True)
