"""A devnode's ``resources:`` in YAML and a driver reading START_DEVICE's lists
(pnp-hardware §2.5): the located errors a bad declaration gets, ``&p->Field`` (an
address computed, nothing read), and a NULL list dereferenced in the PnP worker."""

from __future__ import annotations

import textwrap

import pytest

from harness.kernel import BugCheckCode
from harness.lang.expr import NO_NAMES, ExprError, compile_text
from harness.runner import RunError
from scenario_text import problems, run

DRIVER = """\
drivers:
  - name: W
    devices: [{name: null}]
    locals: {raw: CM_RESOURCE_LIST*, list: CM_PARTIAL_RESOURCE_LIST*, n: ULONG}
    add_device: [create_devices]
    dispatch:
      IRP_MJ_PNP:
        - if:
            cond: stack->MinorFunction == 0x00
            then:
{start}
        - forward
"""


def scenario(resources: str, start: str = "              - log: start", instance: str =
             "PCI\\VEN_10EC&DEV_8139\\3&61AAA01&0&18") -> str:
    return (f"scenario: t\ntitle: t\npnp:\n  - instance: '{instance}'\n    service: W\n"
            + textwrap.indent(textwrap.dedent(resources), "    ")
            + DRIVER.replace("{start}", start))


def test_2_5_a_resource_is_one_kind_of_descriptor(tmp_path):
    text = scenario("resources: [{port: 0x300, interrupt: 5, length: 8}]\n")
    assert problems(text, tmp_path) == [
        "6:17: pnp/0/resources/0: a resource is one of port, memory, interrupt or dma, not "
        "port and interrupt at once"]


def test_2_5_a_key_another_kind_takes_is_refused_where_it_is(tmp_path):
    text = scenario("resources: [{memory: 0xF4000000, length: 0x100, vector: 3}]\n")
    assert problems(text, tmp_path) == [
        "6:61: pnp/0/resources/0/vector: vector does not go with a memory resource (it "
        "takes length, share, flags)"]


def test_2_5_a_range_needs_its_length(tmp_path):
    text = scenario("resources: [{port: 0x300}]\n")
    assert problems(text, tmp_path) == ["6:17: pnp/0/resources/0: a port range needs a length"]


def test_2_5_ports_past_the_io_space_are_an_error(tmp_path):
    text = scenario("resources: [{port: 0xFFF0, length: 0x100}]\n")
    assert problems(text, tmp_path) == [
        "6:40: pnp/0/resources/0/length: ports 0xFFF0..0x100EF run past the I/O space's end "
        "(0xFFFF)"]


def test_5_1_an_interrupt_level_the_pics_do_not_have_is_a_schema_error(tmp_path):
    text = scenario("resources: [{interrupt: 16}]\n")
    (message,) = problems(text, tmp_path)
    assert message.startswith("6:29: pnp/0/resources/0/interrupt:") and "15" in message


def test_2_5_address_of_a_field_through_a_null_pointer_is_its_offset(tmp_path):
    # &raw->List[0].PartialResourceList reads nothing: NULL + 4 + 8 (C's arithmetic)
    start = ("              - set: {list: '&raw->List[0].PartialResourceList'}\n"
             "              - log: 'list={list:X}'\n")
    result = run(scenario("", start, "ROOT\\UNKNOWN\\0000"), tmp_path)
    assert result.bugcheck is None
    assert "list=C" in result.debug_lines


def test_2_5_2_reading_through_null_allocated_resources_is_0x7e_in_the_pnp_worker(tmp_path):
    # §2.5 item 2: a root-enumerated fake device gets NULL lists; the first read (Count,
    # 4 bytes into the partial list at 0xC) faults in a system thread at PASSIVE_LEVEL
    start = ("              - set: {raw: stack->Parameters.StartDevice.AllocatedResources}\n"
             "              - set: {list: '&raw->List[0].PartialResourceList'}\n"
             "              - set: {n: list->Count}\n"
             "              - log: 'not reached'\n")
    result = run(scenario("", start, "ROOT\\UNKNOWN\\0000"), tmp_path)
    bugcheck = result.bugcheck
    assert bugcheck is not None
    assert bugcheck.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
    assert (bugcheck.p1, bugcheck.p4) == (0xC0000005, 0x10)
    assert "not reached" not in result.debug_lines


def test_2_5_2_a_driver_walks_the_assigned_list(tmp_path):
    start = ("              - forward_and_wait\n"
             "              - set: {raw: stack->Parameters.StartDevice."
             "AllocatedResourcesTranslated}\n"
             "              - set: {list: '&raw->List[0].PartialResourceList'}\n"
             "              - log: 'count={list.Count} "
             "level={list.PartialDescriptors[0].u.Interrupt.Level:X}'\n"
             "              - complete: {status: keep}\n"
             "              - return: lower\n")
    result = run(scenario("resources: [{interrupt: 5, mode: Latched}]\n", start), tmp_path)
    assert result.bugcheck is None
    assert "count=1 level=16" in result.debug_lines          # IRQL 27 - 5 = 0x16


def test_address_of_needs_a_field_reached_through_a_struct_pointer(tmp_path):
    start = "              - set: {n: '&n'}\n"
    (message,) = problems(scenario("", start, "ROOT\\UNKNOWN\\0000"), tmp_path)
    assert "'&' takes a field reached through a pointer" in message
    start = "              - set: {n: '&stack->Parameters.StartDevice.AllocatedResources'}\n"
    (message,) = problems(scenario("", start, "ROOT\\UNKNOWN\\0000"), tmp_path)
    assert "through a struct pointer only" in message
    with pytest.raises(ExprError, match="not available here"):
        compile_text("&p->x", NO_NAMES)


NIC = """\
scenario: t
title: t
hardware:
  - name: Nic
    registers: {ISR: {size: 2, w1c: true}}
    interrupt: {vector: VECTOR, irql: DIRQL, mode: LevelSensitive, cause: ISR}
    events: [{at: 1ms, set: {ISR: 1}}]
pnp:
  - instance: 'PCI\\VEN_10EC&DEV_8139\\3&61AAA01&0&18'
    service: W
    resources: [{port: 0xC000, length: 0x100}, {interrupt: 11}]
drivers:
  - name: W
    devices: [{name: null}]
    state: {pInterrupt: PKINTERRUPT}
    locals: {raw: CM_RESOURCE_LIST*, irq: CM_PARTIAL_RESOURCE_DESCRIPTOR*, status: NTSTATUS,
             cause: USHORT}
    add_device: [create_devices]
    dispatch:
      IRP_MJ_PNP:
        - if:
            cond: stack->MinorFunction == 0x00
            then:
              - forward_and_wait
              - set: {raw: stack->Parameters.StartDevice.AllocatedResourcesTranslated}
              # the second descriptor: ++ from the first
              - set: {irq: "(ULONG_PTR)raw->List[0].PartialResourceList.PartialDescriptors
                            + sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR)"}
              - connect_interrupt: {hardware: Nic, isr: Isr, interrupt: pInterrupt,
                                    vector: irq->u.Interrupt.Vector,
                                    irql: "(UCHAR)irq->u.Interrupt.Level",
                                    affinity: irq->u.Interrupt.Affinity, status: status}
              - log: "connect {status:X}"
              - complete: {status: keep}
              - return: lower
        - forward
    routines:
      Isr:
        - read_port: {hardware: Nic, register: ISR, into: cause}
        - if: {cond: cause == 0, then: [{return: FALSE}]}
        - write_port: {hardware: Nic, register: ISR, value: cause}
        - log: "ISR at {irql}"
        - return: TRUE
"""


def test_5_1_io_connect_interrupt_with_the_translated_descriptor_connects_the_line(tmp_path):
    # IRQ 11 through the PIC HAL: vector 0x3B, Level (the DIRQL) 16, affinity CPU 0
    result = run(NIC.replace("VECTOR", "0x3B").replace("DIRQL", "16", 1), tmp_path)
    assert result.bugcheck is None
    assert result.debug_lines == ["connect 0", "ISR at DIRQL16"]


def test_5_1_a_translated_vector_no_hardware_line_has_is_not_modelled(tmp_path):
    with pytest.raises(RunError, match="vector 0x3B, IRQL 16: the interrupt line of Nic is "
                                       "vector 0x3C at DIRQL 15"):
        run(NIC.replace("VECTOR", "0x3C").replace("DIRQL", "15", 1), tmp_path)


def test_5_1_a_processor_mask_with_no_active_processor_is_invalid_parameter(tmp_path):
    text = NIC.replace("VECTOR", "0x3B").replace("DIRQL", "16", 1).replace(
        "affinity: irq->u.Interrupt.Affinity", "affinity: 2")      # CPU 1 of a 1-CPU machine
    result = run(text, tmp_path)
    assert result.debug_lines == ["connect C000000D"]            # and no ISR: not connected
