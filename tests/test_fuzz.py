"""No input crashes the harness: generated scenario documents and a small fuzz run.

The mutation fuzzer (scripts/fuzz.py) runs 10,000 mutants on demand; here a few dozen
keep it honest in CI, and hypothesis builds scenario documents from the language's
own pieces. Every outcome must be a run (exit 0 or 1) or a located user error.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.runner import Session
from harness.scenario import ScenarioError, load_scenario_text
from harness.scenario.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent


def _fuzz_module():
    spec = importlib.util.spec_from_file_location("fuzz", ROOT / "scripts" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_small_fuzz_run_finds_no_crash_hang_or_unlocated_error(capsys):
    assert _fuzz_module().main(["-n", "40", "--seed", "11", "--timeout", "20"]) == 0, \
        capsys.readouterr().out


_VALUES = st.one_of(st.integers(-2**40, 2**40), st.sampled_from(
    ["3s", "10ms", "0s", "STATUS_SUCCESS", "STATUS_PENDING", "length", "count + 1", "{x}",
     "AA*4", "hex: 01 02", "", "Irp->Cancel", "keep", "x" * 3]), st.booleans(), st.none())
_BLOCKS = ["complete", "pend", "forward", "log", "return", "set", "add", "if", "while",
           "repeat", "signal", "wait", "set_timer", "queue_dpc", "delay", "fill", "call",
           "timeout_dpc", "propagate_pending", "acquire_cancel_lock", "release_cancel_lock",
           "set_cancel_routine", "complete_queued", "interlocked_increment"]
_PARAMS = st.one_of(_VALUES, st.dictionaries(
    st.sampled_from(["status", "information", "after", "cond", "do", "then", "times", "target",
                     "event", "timer", "dpc", "queue", "mark", "byte", "length", "count",
                     "value", "as", "max", "completion"]), _VALUES, max_size=3))
_STEP = st.one_of(st.sampled_from(_BLOCKS), st.builds(lambda b, p: {b: p},
                                                      st.sampled_from(_BLOCKS), _PARAMS))
_APP_STEP = st.sampled_from([
    {"open": "\\\\.\\D", "as": "h"}, {"read": {"handle": "h", "length": 4}, "as": "r1"},
    {"write": {"handle": "h", "data": "AA*2"}}, {"close": "h"}, {"sleep": 10},
    {"cancel_io": "h"}, {"print": "{r1.bytes}"}, {"set": {"n": "n + 1"}},
    {"ioctl": {"handle": "h", "code": 0x222003, "input": "hex: 01", "output_length": 4}}])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(read=st.lists(_STEP, max_size=5), state=st.booleans(),
       app=st.lists(_APP_STEP, max_size=6))
def test_generated_scenarios_run_or_give_located_errors(tmp_path, read, state, app):
    document = {"scenario": "gen", "title": "generated", "machine": {"time_limit": "5s"},
                "drivers": [{"name": "D", "devices": [{"name": "\\Device\\D",
                                                       "link": "\\??\\D", "io": "buffered"}],
                             "dispatch": {"IRP_MJ_CREATE": "complete",
                                          "IRP_MJ_CLOSE": "complete",
                                          "IRP_MJ_READ": read or "complete"},
                             "routines": {"Again": ["complete"]}}],
                "app": [{"set": {"n": 0}}] + app}
    if state:
        document["drivers"][0]["state"] = {"count": "ULONG", "x": "LONG"}
    text = json.dumps(document)                      # JSON is YAML
    path = tmp_path / "gen.yaml"
    path.write_text(text)
    try:
        program = resolve(load_scenario_text(text, path))
    except ScenarioError as error:
        assert all(d.line >= 1 and d.message for d in error.diagnostics)
        return
    from harness.runner import RunError
    try:
        result = Session(program).run_app()
    except RunError as error:                        # not modelled, with its place
        assert ":" in str(error)
        return
    assert result.outcome in ("OK", "BUGCHECK", "HANG", "TIME_LIMIT")
