"""The behaviour-block registry and the built-in blocks."""

from __future__ import annotations

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
