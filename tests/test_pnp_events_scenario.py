"""The ``pnp:`` section's later events (pnp-hardware §2.2, §2.9, §2.10): plug_in,
rebalance, eject and their checks, with file:line:col for what cannot happen."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.runner import RunError, Session
from harness.scenario import load_scenario_text
from harness.scenario.resolve import resolve
from scenario_text import problems

DRIVER = """\
drivers:
  - name: W
    devices: [{name: null}]
    add_device: [create_devices]
    dispatch:
      IRP_MJ_PNP:
        - log: "{minor_name}"
        - if:
            cond: stack.MinorFunction == 0x02
            then: [{set_status: {status: STATUS_SUCCESS}}, forward, io_detach_device,
                   io_delete_device, {return: lower}]
        - forward
"""


def scenario(devnode: str) -> str:
    return ("scenario: t\ntitle: t\npnp:\n  - instance: 'ROOT\\UNKNOWN\\0000'\n"
            "    service: W\n" + devnode + DRIVER)


def session(text: str, tmp_path: Path) -> Session:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path)))


def test_2_2_plug_in_of_a_device_present_at_boot_is_a_scenario_error(tmp_path):
    text = scenario("    events: [{at: 1s, action: plug_in}]\n")
    [problem] = problems(text, tmp_path)
    assert problem.startswith("6:") and "already present" in problem


def test_2_2_an_event_before_present_at_finds_no_device(tmp_path):
    text = scenario("    present_at: 2s\n    events: [{at: 1s, action: eject}]\n")
    [problem] = problems(text, tmp_path)
    assert "not present then: eject" in problem


def test_2_9_hold_is_only_for_a_rebalance(tmp_path):
    text = scenario("    events: [{at: 1s, action: uninstall, hold: 1s}]\n")
    [problem] = problems(text, tmp_path)
    assert "only for rebalance" in problem


def test_2_6_capabilities_are_the_bit_fields_the_schema_names(tmp_path):
    text = scenario("    capabilities: {ejectable: true}\n")
    [problem] = problems(text, tmp_path)
    assert "ejectable" in problem


def test_2_2_present_at_absent_at_boot_started_then(tmp_path):
    run = session(scenario("    present_at: 1s\n"), tmp_path)
    assert run.kernel.pnp.devnode("ROOT\\UNKNOWN\\0000") is None
    run.advance(10_000_000)
    node = run.kernel.pnp.devnode("ROOT\\UNKNOWN\\0000")
    assert node is not None and node.state == "Started"
    assert node.pdo.driver_object is run.kernel.pnp.root


def test_2_2_plug_in_after_a_surprise_removal_makes_a_new_devnode(tmp_path):
    run = session(scenario("    events: [{at: 1s, action: surprise_remove},\n"
                           "             {at: 2s, action: plug_in}]\n"), tmp_path)
    first = run.kernel.pnp.devnode("ROOT\\UNKNOWN\\0000")
    run.advance(25_000_000)
    again = run.kernel.pnp.devnode("ROOT\\UNKNOWN\\0000")
    assert again is not None and again is not first and again.state == "Started"
    assert run.kernel.bugcheck is None


def test_2_10_a_step_on_an_absent_device_is_a_run_error(tmp_path):
    run = session(scenario("    present_at: 1s\n"), tmp_path)
    with pytest.raises(RunError, match="no devnode"):
        run.devnode_event("ROOT\\UNKNOWN\\0000", "eject")
