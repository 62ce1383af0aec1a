"""The registry in a scenario: the registry: section (located errors, what the machine
boots with), the registry blocks' memory rules, and reading KEY_*_INFORMATION through
typed pointers (stacks-services 4.17-4.24)."""

from __future__ import annotations

import textwrap

import pytest

from harness.kernel import BugCheckCode, NotModelledError
from harness.runner.session import RunError
from scenario_text import problems, run

ZHANGFAN = "\\Registry\\Machine\\Software\\Zhangfan"


def scenario(steps: str = "- log: x\n", locals_: str = "n: ULONG\n", registry: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(steps), " " * 6)
    return ("scenario: t\ntitle: t\n" + textwrap.dedent(registry)
            + "drivers:\n  - name: D\n"
            "    devices: [{name: '\\Device\\D', link: '\\??\\D'}]\n"
            "    locals:\n" + textwrap.indent(textwrap.dedent(locals_), " " * 6)
            + "    driver_entry:\n" + body)


# -- the registry: section -----------------------------------------------------------------

def test_registry_section_is_installed_before_the_drivers_load(tmp_path):
    """4.18/4.19: the keys and values of registry: exist when DriverEntry runs."""
    text = scenario("""\
        - zw_open_key: {name: '\\Registry\\Machine\\Software\\Zhangfan', handle: h,
                        status: s}
        - log: "open {s:08X}"
        """, "h: HANDLE\ns: NTSTATUS\n", registry="""\
        registry:
          - key: '\\Registry\\Machine\\Software\\Zhangfan'
            values:
              - {name: D, type: REG_DWORD, data: 0xFFFFFFFF}
              - {name: Q, type: REG_QWORD, data: 5}
              - {name: S, type: REG_SZ, data: "hi"}
              - {name: M, type: REG_MULTI_SZ, data: [a, b]}
              - {name: B, type: REG_BINARY, data: "hex: 01 02"}
              - {name: N, type: REG_NONE}
        """)
    result = run(text, tmp_path)
    assert result.debug_lines == ["open 00000000"]
    values = result.registry[ZHANGFAN]
    assert list(values) == ["D", "Q", "S", "M", "B", "N"]
    assert values["D"] == (4, b"\xFF" * 4) and values["Q"] == (11, (5).to_bytes(8, "little"))
    assert values["S"] == (1, "hi\0".encode("utf-16-le"))
    assert values["M"] == (7, "a\0b\0\0".encode("utf-16-le"))
    assert values["B"] == (3, b"\1\2") and values["N"] == (0, b"")


def test_every_driver_has_its_service_key(tmp_path):
    """The RegistryPath key of each driver exists; registry: adds to it."""
    text = scenario(registry="""\
        registry:
          - key: '\\Registry\\Machine\\System\\CurrentControlSet\\Services\\D\\Parameters'
            values: [{name: Level, type: REG_DWORD, data: 3}]
        """)
    result = run(text, tmp_path)
    base = "\\Registry\\Machine\\System\\ControlSet001\\Services\\D"
    assert result.registry[base]["Type"] == (4, (1).to_bytes(4, "little"))
    assert result.registry[base + "\\Parameters"] == {"Level": (4, (3).to_bytes(4, "little"))}


def test_registry_section_errors_are_located(tmp_path):
    """Bad user input: a key outside a hive, a non-volatile key under a volatile one,
    a key listed twice, data of the wrong kind: file:line:col and what to write."""
    text = scenario(registry="""\
        registry:
          - key: '\\Registry\\Machine\\Foo'
          - key: '\\Registry\\Machine\\Hardware\\X'
          - key: '\\Registry\\Machine\\Software\\A'
          - key: '\\REGISTRY\\MACHINE\\SOFTWARE\\a'
          - key: '\\Registry\\Machine\\Software\\B'
            values: [{name: v, type: REG_DWORD, data: "ten"}, {name: V, type: REG_SZ, data: x}]
          - key: '\\Registry\\Foo\\Bar'
        """)
    found = problems(text, tmp_path)
    assert found[0].startswith("4:10: registry/0/key: ") and "volatile" in found[0]
    assert found[1].startswith("5:10: registry/1/key: ") and "volatile" in found[1]
    assert found[2].startswith("7:10: registry/3/key: ") and "listed twice" in found[2]
    assert any(p.startswith("9:") and "registry/4/values/0/data" in p and "integer" in p
               for p in found)
    assert any("registry/4/values/1/name" in p and "listed twice" in p for p in found)
    assert any("registry/5/key" in p and "\\Registry\\Machine or \\Registry\\User" in p
               for p in found)


def test_registry_section_schema_rejects_a_relative_key(tmp_path):
    """The schema: a key that is not \\Registry\\... is refused with its location."""
    text = scenario(registry="registry:\n  - key: 'HKLM\\Software\\X'\n")
    found = problems(text, tmp_path)
    assert found and found[0].startswith("4:")


def test_a_volatile_key_may_hold_volatile_children(tmp_path):
    """4.18: volatile under volatile is fine; the run sees both."""
    text = scenario(registry="""\
        registry:
          - {key: '\\Registry\\Machine\\Software\\Tmp', volatile: true}
          - {key: '\\Registry\\Machine\\Software\\Tmp\\Child', volatile: true}
        """)
    assert ZHANGFAN.replace("Zhangfan", "Tmp\\Child") in run(text, tmp_path).registry


# -- the blocks ------------------------------------------------------------------------------

def test_query_into_a_null_buffer_with_a_length_faults(tmp_path):
    """A Length that promises a buffer at NULL: the header is written to address 0, an
    access violation in DriverEntry (0x1E, or 0x7E in the loader's system thread)."""
    text = scenario("""\
        - zw_create_key: {name: '\\Registry\\Machine\\Software\\Zhangfan', handle: h}
        - zw_set_value_key: {handle: h, name: v, type: REG_DWORD, data: n}
        - zw_query_value_key: {handle: h, name: v, class: KeyValuePartialInformation,
                               length: 16, result_length: n}
        """, "h: HANDLE\nn: ULONG\n")
    result = run(text, tmp_path)
    assert result.bugcheck is not None
    assert result.bugcheck.code in (BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED,
                                    BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED)
    assert result.bugcheck.p4 == 0


def test_a_length_beyond_the_pool_block_is_an_overrun_not_modelled(tmp_path):
    """A Length larger than the pool block: the service writes past it (not modelled)."""
    text = scenario("""\
        - zw_create_key: {name: '\\Registry\\Machine\\Software\\Zhangfan', handle: h}
        - zw_set_value_key: {handle: h, name: v, type: REG_SZ, text: "hello world"}
        - allocate_pool: {size: 16, into: p}
        - zw_query_value_key: {handle: h, name: v, class: KeyValuePartialInformation,
                               buffer: p, length: 64}
        """, "h: HANDLE\np: PVOID\n")
    with pytest.raises(RunError) as caught:
        run(text, tmp_path)
    assert isinstance(caught.value.__cause__, NotModelledError)


def test_typed_pointers_read_the_variable_part(tmp_path):
    """pvpi->Data is an address: (PULONG) into a ULONG*, indexed; %S prints the wide
    string at a pointer; a UNICODE_STRING may count characters inside a pool block."""
    text = scenario("""\
        - zw_create_key: {name: '\\Registry\\Machine\\Software\\Zhangfan', handle: h}
        - set: {n: 0x01020304}
        - zw_set_value_key: {handle: h, name: d, type: REG_DWORD, data: n}
        - zw_set_value_key: {handle: h, name: s, type: REG_SZ, text: "hello world"}
        - allocate_pool: {size: 64, into: pvpi}
        - zw_query_value_key: {handle: h, name: d, class: KeyValuePartialInformation,
                               buffer: pvpi, length: 64, result_length: n}
        - set: {pul: "(PULONG)pvpi->Data"}
        - log: "{n:d} {pvpi.DataLength:d} {pul[0]:08X}"
        - log: "{pvpi.Data:08X} {pvpi:08X}"
        - zw_query_value_key: {handle: h, name: s, class: KeyValuePartialInformation,
                               buffer: pvpi, length: 64}
        - log: "{pvpi.Data:S}"
        - set: {u.Length: "(USHORT)pvpi->DataLength - 2",
                u.MaximumLength: "(USHORT)pvpi->DataLength", u.Buffer: "pvpi->Data"}
        - log: "{u:wZ}"
        """, "h: HANDLE\nn: ULONG\npvpi: KEY_VALUE_PARTIAL_INFORMATION*\npul: ULONG*\n"
             "u: UNICODE_STRING\n")
    result = run(text, tmp_path)
    (line, addresses, text_line, counted) = result.debug_lines
    assert line == "16 4 01020304"
    data, base = (int(a, 16) for a in addresses.split())
    assert data == base + 12
    assert text_line == "hello world" and counted == "hello world"


def test_a_pointer_index_outside_pool_faults(tmp_path):
    """p[i] through a ULONG* that points at no pool block is an access violation."""
    text = scenario("""\
        - set: {pul: 0x1000}
        - log: "{pul[0]:d}"
        """, "pul: ULONG*\n")
    result = run(text, tmp_path)
    assert result.bugcheck is not None and result.bugcheck.p4 == 0x1000


def test_set_value_data_sources_are_exclusive(tmp_path):
    """Bad input: two data sources, or a pointer without a size, are located errors."""
    text = scenario("""\
        - zw_set_value_key: {handle: 0, name: v, type: REG_DWORD, data: n, text: x}
        - zw_set_value_key: {handle: 0, name: v, type: REG_BINARY, pointer: 0}
        """)
    found = problems(text, tmp_path)
    assert any("exactly one of data" in p for p in found)
    assert any("pointer needs a size" in p for p in found)


def test_rtl_query_registry_values_into_a_unicode_string(tmp_path):
    """4.23: a DIRECT REG_SZ into a UNICODE_STRING with a NULL Buffer: allocated."""
    text = scenario("""\
        - rtl_query_registry_values:
            relative_to: RTL_REGISTRY_SERVICES
            path: 'D\\Parameters'
            table:
              - {flags: RTL_QUERY_REGISTRY_DIRECT, name: Name, entry_context: u}
              - {flags: RTL_QUERY_REGISTRY_DIRECT, name: Missing, entry_context: n,
                 default_type: REG_DWORD, default_data: d, default_length: 4}
            status: s
        - log: "{s:08X} {u:wZ} {n:d}"
        """, "u: UNICODE_STRING\nn: ULONG\nd: {type: ULONG, value: 77}\ns: NTSTATUS\n",
        registry="""\
        registry:
          - key: '\\Registry\\Machine\\System\\CurrentControlSet\\Services\\D\\Parameters'
            values: [{name: Name, type: REG_SZ, data: "kbd"}]
        """)
    result = run(text, tmp_path)
    assert result.debug_lines == ["00000000 kbd 77"]
