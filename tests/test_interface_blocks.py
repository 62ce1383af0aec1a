"""The device-interface blocks in a scenario (pnp-hardware §3): the name a WDM driver
prints, the statuses of a second enable and disable, the bug check for an FDO given as
the PDO, and the located errors of misused blocks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.kernel import BugCheckCode
from harness.runner import Session
from harness.scenario import ScenarioError, load_scenario_text
from harness.scenario.resolve import resolve

GUID = "{0E57C50F-0CCC-4AD2-A895-93C5ED119860}"
NAME = "\\??\\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860}"


def scenario(add_device: str, pnp: str = "- forward\n", extension: str = "s: UNICODE_STRING\n"
             ) -> str:
    def block(text: str) -> str:
        return textwrap.indent(textwrap.dedent(text), " " * 6)
    return ("scenario: t\ntitle: t\n"
            "pnp:\n  - {instance: 'ROOT\\UNKNOWN\\0000', hardware_ids: ['X'], service: W}\n"
            "drivers:\n  - name: W\n    devices: [{name: null}]\n"
            "    extension:\n" + block(extension)
            + "    locals: {status: NTSTATUS}\n"
            + "    add_device:\n" + block(add_device)
            + "    dispatch:\n      IRP_MJ_PNP:\n" + textwrap.indent(textwrap.dedent(pnp), " " * 8))


def session(text: str, tmp_path: Path) -> Session:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path)))


def problems(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        resolve(load_scenario_text(text, path))
    return [f"{d.line}:{d.col} {d.message}" for d in caught.value.diagnostics]


REGISTER = f"""\
- create_devices
- io_register_device_interface: {{guid: '{GUID}', into: s, status: status}}
- log: "{{s}} 0x{{status:08X}}"
"""


def test_the_registered_name_prints_with_wz_and_the_enable_is_held_back(tmp_path):
    """§3.1-§3.2: AddDevice prints the name (its Length and MaximumLength with the NUL);
    the enable returns SUCCESS, the link comes once START completed."""
    s = session(scenario(REGISTER + textwrap.dedent("""\
        - log: "{s.Length} {s.MaximumLength}"
        - io_set_device_interface_state: {name: s, enable: TRUE, status: status}
        - log: "enable 0x{status:08X}"
        """)), tmp_path)
    result = s.result()
    assert result.debug_lines == [f"{NAME} 0x00000000", f"{2 * len(NAME)} {2 * len(NAME) + 2}",
                                  "enable 0x00000000"]
    assert s.kernel.namespace.lookup(NAME) is s.kernel.pnp.devnodes[0].pdo


def test_a_second_enable_and_a_second_disable_give_their_statuses(tmp_path):
    """§3.2 (after START, from the PnP handler): enable, enable again ->
    STATUS_OBJECT_NAME_EXISTS; disable, disable again -> STATUS_OBJECT_NAME_NOT_FOUND;
    the name freed with free_unicode_string."""
    pnp = """\
        - if:
            cond: stack.MinorFunction == 0x09 && !enabled    # the post-start capabilities
            then:
              - set: {enabled: 1}
              - io_set_device_interface_state: {name: s, enable: TRUE, status: status}
              - io_set_device_interface_state: {name: s, enable: TRUE, status: status}
              - log: "again 0x{status:08X}"
              - io_set_device_interface_state: {name: s, enable: FALSE, status: status}
              - io_set_device_interface_state: {name: s, enable: FALSE, status: status}
              - log: "disabled twice 0x{status:08X}"
              - free_unicode_string: s
        - forward
        """
    s = session(scenario(REGISTER, pnp, "s: UNICODE_STRING\nenabled: ULONG\n"), tmp_path)
    result = s.result()
    assert result.debug_lines[1:] == ["again 0x40000000", "disabled twice 0xC0000034"]
    assert s.kernel.namespace.lookup(NAME, reparse=False) is None


def test_the_fdo_as_the_pdo_is_bug_check_0xca_0x2(tmp_path):
    """§3.1: a driver passing its FDO (DeviceObject in its PnP handler) as the PDO: bug
    check 0xCA (0x2, the FDO, its driver object, 0), in the PnP worker."""
    pnp = f"""\
        - io_register_device_interface: {{pdo: DeviceObject, guid: '{GUID}', into: s}}
        - forward
        """
    s = session(scenario("- create_devices\n", pnp), tmp_path)
    bc = s.kernel.bugcheck
    assert bc is not None and bc.code == BugCheckCode.PNP_DETECTED_FATAL_ERROR
    fdo = s.models["W"].driver.device_object
    assert (bc.p1, bc.p2, bc.p3) == (0x2, s.kernel.objects.address_of(fdo),
                                     s.kernel.objects.address_of(fdo.driver_object))


def test_into_must_be_a_unicode_string_variable(tmp_path):
    """The block names where a UNICODE_STRING is needed: file:line:col of `into`."""
    text = scenario(REGISTER, extension="s: ULONG\n")
    found = problems(text, tmp_path)
    assert "13:94 's' must be a variable declared as UNICODE_STRING" in found, found


def test_a_malformed_guid_is_a_schema_error_with_its_place(tmp_path):
    """The GUID is checked by the schema: {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}."""
    text = scenario("- create_devices\n- io_register_device_interface: {guid: '0E57C50F', "
                    "into: s}\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, path)
    assert any(d.line == 13 and d.path.endswith("guid") for d in caught.value.diagnostics), \
        [str(d) for d in caught.value.diagnostics]
