"""The counted-string blocks in a scenario: buffers the driver provides, %Z and %wZ,
faults through wild Buffers, and the located errors of misused blocks
(stacks-services 4.9-4.16)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.kernel import BugCheckCode
from harness.runner import Session
from harness.scenario import ScenarioError, load_scenario_text
from harness.scenario.resolve import resolve


def scenario(steps: str, locals_: str) -> str:
    body = textwrap.indent(textwrap.dedent(steps), " " * 6)
    return ("scenario: t\ntitle: t\ndrivers:\n  - name: D\n"
            "    devices: [{name: '\\Device\\D', link: '\\??\\D'}]\n"
            "    locals:\n" + textwrap.indent(textwrap.dedent(locals_), " " * 6)
            + "    driver_entry:\n" + body)


def run(steps: str, locals_: str, tmp_path: Path) -> object:
    text = scenario(steps, locals_)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path))).run_app()


def problems(steps: str, locals_: str, tmp_path: Path) -> list[str]:
    text = scenario(steps, locals_)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        resolve(load_scenario_text(text, path))
    return [d.message for d in caught.value.diagnostics]


def test_a_wchar_array_local_is_a_destination_the_driver_provides(tmp_path):
    """4.10, 4.11: RtlInitEmptyUnicodeString over a WCHAR[8] local (MaximumLength 16),
    then a copy that truncates silently and an append that does not fit."""
    result = run("""\
        - init_empty_unicode_string: {string: dst, buffer: szBuf}
        - log: "empty [{dst}] {dst.MaximumLength}"
        - init_unicode_string: {string: src, text: "Hello World"}
        - copy_unicode_string: {destination: dst, source: NULL}
        - log: "NULL source [{dst:wZ}] {dst.Length}"
        - copy_unicode_string: {destination: dst, source: src}
        - log: "copy [{dst:wZ}] {dst.Length}"
        - set: {dst.Length: 4}
        - append_unicode_to_string: {destination: dst, text: "y!", status: status}
        - log: "append [{dst}] 0x{status:08X}"
        - append_unicode_to_string: {destination: dst, text: "01234", status: status}
        - log: "too long [{dst}] 0x{status:08X}"
        """, """\
        dst: UNICODE_STRING
        src: UNICODE_STRING
        szBuf: "WCHAR[8]"
        status: NTSTATUS
        """, tmp_path)
    assert result.bugcheck is None
    assert result.debug_lines == ["empty [] 16", "NULL source [] 0", "copy [Hello Wo] 16",
                                  "append [Hey!] 0x00000000", "too long [Hey!] 0xC0000023"]


def test_an_ansi_string_prints_with_z_and_a_wild_buffer_faults(tmp_path):
    """4.16: %Z prints Length bytes at Buffer; a garbage Buffer is the access violation
    DbgPrint would take (0x7E in DriverEntry's system thread)."""
    result = run("""\
        - init_ansi_string: {string: a, text: "Hello"}
        - log: "[{a:Z}] [{a}]"
        - set: {a.Buffer: 0xCCCCCCCC}
        - log: "[{a:Z}]"
        """, "a: ANSI_STRING\n", tmp_path)
    assert result.debug_lines == ["[Hello] [Hello]"]
    assert result.bugcheck.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
    assert result.bugcheck.p4 == 0xCCCCCCCC


def test_a_routine_reading_a_wild_buffer_faults_at_that_address(tmp_path):
    """4.12: equal Lengths make RtlEqualUnicodeString read both Buffers: garbage faults."""
    result = run("""\
        - init_unicode_string: {string: a, text: "Hello"}
        - set: {b.Length: 10, b.MaximumLength: 10, b.Buffer: 0xCCCCCCCC}
        - equal_unicode_string: {a: a, b: b, into: same}
        - log: "not reached"
        """, "a: UNICODE_STRING\nb: UNICODE_STRING\nsame: BOOLEAN\n", tmp_path)
    assert result.debug_lines == []
    assert result.bugcheck.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
    assert (result.bugcheck.p1, result.bugcheck.p4) == (0xC0000005, 0xCCCCCCCC)


def test_a_string_literal_is_made_once_per_call_site(tmp_path):
    """4.9: the literal a site points at is the image's: upcased in place, it stays
    upcased when the same site runs again (a loop), unlike another site's literal."""
    result = run("""\
        - repeat:
            times: 2
            do:
              - init_unicode_string: {string: s, text: "abc"}
              - log: "{s}"
              - upcase_unicode_string: {destination: s, source: s, allocate: FALSE}
        - init_unicode_string: {string: s, text: "abc"}
        - log: "{s}"
        """, "s: UNICODE_STRING\n", tmp_path)
    assert result.debug_lines == ["abc", "ABC", "abc"]


def test_misused_string_blocks_are_located_errors(tmp_path):
    """A string parameter must name a variable of the right struct; an Init takes exactly
    one of text, buffer and source."""
    found = problems("""\
        - init_unicode_string: {string: n, text: "x"}
        - init_ansi_string: {string: u, text: "x"}
        - init_unicode_string: {string: u, text: "x", source: NULL}
        - free_ansi_string: u
        """, "n: ULONG\nu: UNICODE_STRING\n", tmp_path)
    assert found == [
        "'n' must be a variable declared as UNICODE_STRING",
        "'u' must be a variable declared as ANSI_STRING",
        "give exactly one of text (a literal), buffer (a memory variable) or source "
        "(a pointer expression)",
        "'u' must be a variable declared as ANSI_STRING"]
