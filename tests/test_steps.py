"""The step library: unambiguous patterns and honest failures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import harness.bdd.explore_steps as explore_steps
import harness.bdd.steps as steps
from harness.bdd.context import IrpScenario

ROOT = Path(__file__).resolve().parent.parent
STEP_LINE = re.compile(r"^\s*(Given|When|Then|And|But|\*)\s+(.*\S)\s*$")


def _project_steps() -> object:
    """The project's own steps (steps/conftest.py), loaded under a name of its own."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("project_steps", ROOT / "steps" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _step_parsers() -> list[tuple[str, object]]:
    out = []
    for module in (steps, explore_steps, _project_steps()):
        for name in dir(module):
            if name.startswith("pytestbdd_stepdef_"):
                context = getattr(module, name)._get_wrapped_function()()
                out.append((context.type, context.parser))
    return out


def _feature_step_lines() -> list[tuple[str, str, str]]:
    lines = []
    for feature in sorted((ROOT / "features").rglob("*.feature")):
        kind = "given"
        for text in feature.read_text(encoding="utf-8").splitlines():
            match = STEP_LINE.match(text)
            if not match:
                continue
            keyword, body = match.groups()
            if keyword in ("Given", "When", "Then"):
                kind = keyword.lower()
            lines.append((str(feature.relative_to(ROOT)), kind, body))
    return lines


def test_every_feature_step_matches_exactly_one_step_definition():
    """pytest-bdd silently picks one of several matching steps: forbid the ambiguity."""
    parsers = _step_parsers()
    problems = []
    for feature, kind, body in _feature_step_lines():
        matches = [p for t, p in parsers if t == kind and p.is_matching(body)]
        if len(matches) != 1:
            problems.append(f"{feature}: {kind} {body!r} matches {len(matches)} steps")
    assert not problems, "\n".join(problems)


def test_step_library_phrases_do_not_overlap():
    """Sample phrasings of every step, each matching only its own definition."""
    samples = {
        "given": ['the scenario "book/a.yaml"', 'the scenario "a.yaml" with seed 7',
                  'the scenario "a.yaml" with machine.strict=true'],
        "when": ["the application runs", r'the app opens "\\.\X" as "h"',
                 r'the app opens "\\.\X" for overlapped I/O as "h"',
                 'the app reads 10 bytes from "h" as "r1"', 'the app writes "BB*10" to "h" as "w"',
                 'the app sends IOCTL "IOCTL_TEST1" to "h" with input "BB*10" and 10 output '
                 'bytes as "c1"', 'the app cancels I/O on "h"', 'the app closes "h"',
                 "3 s pass", "500 ms pass"],
        "then": ['"r1" returned TRUE with 10 bytes', '"r1" returned FALSE with error 995',
                 '"r1" completes with STATUS_SUCCESS and 10 bytes at 3 s',
                 '"r1" has not completed', 'the buffer of "r1" holds "AA*10"',
                 "the debug output is:", "the debug output contains in order:",
                 'the debug output contains "x"', 'the debug output does not contain "x"',
                 "the application printed:", "the trace contains in order:",
                 'the debug output contains "x" 1 time', '"r1" returned at 3 s',
                 'the application printed a line containing "AA"',
                 'the debug output shows "mdl_address:0X" followed by the buffer address of "r1"',
                 'the debug output shows "kernel_address:0X" followed by a system-space address',
                 'the debug output shows "DeviceObject " followed by the address of device '
                 r'"\Device\X"',
                 'the trace of "r1" contains in order:',
                 "the completion routine of DriverB saw PendingReturned TRUE",
                 "the completion routine of DriverB ran at DISPATCH_LEVEL",
                 "no bug check occurred",
                 'the trace reports a rule violation containing "DISPATCH_LEVEL"',
                 "the machine bug-checked with MULTIPLE_IRP_COMPLETE_REQUESTS (0x44)",
                 'the bug check parameter 1 is the IRP of "r1"',
                 'the bug check parameter 1 is 0x01',
                 'the bug check parameter 1 is pointer printed after "DriverB:pNewIrp:"',
                 'the bug check parameters are 0x44, 0, 0, 0',
                 'the thread "main" is still blocked', "no thread is blocked"],
    }
    parsers = _step_parsers()
    for kind, lines in samples.items():
        for line in lines:
            assert sum(p.is_matching(line) for t, p in parsers if t == kind) == 1, line


def test_failed_assertion_shows_irp_trace_and_rerun_command():
    scenario = IrpScenario(ROOT / "scenarios", "book/ch12_completion_pending.yaml")
    scenario.run_app()
    request = scenario.request("r1")
    with pytest.raises(AssertionError) as failure:
        scenario.fail("r1 is wrong", request.irp)
    message = str(failure.value)
    assert f"trace of IRP#{request.irp}" in message
    assert "IoCallDriver" in message and "CompletionRoutine" in message
    assert "rerun: irp-harness run" in message and "--seed 0" in message


def test_unknown_request_name_fails_with_the_names_the_app_used():
    scenario = IrpScenario(ROOT / "scenarios", "book/ch12_completion_pending.yaml")
    scenario.run_app()
    with pytest.raises(AssertionError, match="it made: h, r1"):
        scenario.request("r9")
