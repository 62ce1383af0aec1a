"""The sequence diagram renders every shipped scenario as well-formed SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.runner import run_scenario
from harness.trace import render_sequence_svg

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p for d in ("book", "pitfalls") for p in (ROOT / "scenarios" / d).glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_diagram_is_well_formed_svg_with_one_arrow_per_call(path):
    result = run_scenario(path)
    svg = render_sequence_svg(result.events, path.stem, fold_boot=False)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    calls = sum(1 for e in result.events if e.kind == "IoCallDriver")
    assert svg.count("IRP_MJ_") >= calls
