"""Rules of hardware resources through PnP (pnp-hardware §2.3, §2.5, §5.1), one test
each: what the root PDO reports, FILTER_RESOURCE_REQUIREMENTS' Information, the raw and
translated CM_RESOURCE_LISTs of START_DEVICE (NULL for a device without resources), the
PIC HAL's translation, and who frees the lists."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from harness.kernel import (CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE, CM_RESOURCE_PORT_IO,
                            DO_DEVICE_INITIALIZING, IRP_MJ, IRP_MN, NTSTATUS,
                            TAG_PNP_RESOURCES, CmPartialResource, CmResourceShareDeviceExclusive,
                            CmResourceShareShared, CmResourceTypeInterrupt, CmResourceTypeMemory,
                            CmResourceTypePort, DevNode, DeviceResources, Kernel,
                            NotModelledError, PCIBus, hal_get_interrupt_vector,
                            hal_translate_resource, io_attach_device_to_device_stack,
                            io_call_driver, io_complete_request, io_create_device,
                            io_create_driver, io_get_current_irp_stack_location,
                            io_skip_current_irp_stack_location, pnp_start_devnode,
                            pnp_uninstall)
from harness.kernel.io.pnp import pnp_irp
from harness.kernel.io.pnpres import cm_resource_list, io_resource_requirements_list
from harness.kernel.mm.pool import tag_text
from harness.lang.layouts import BUILTIN, resolve_path

OK = NTSTATUS.STATUS_SUCCESS
NOT_SUPPORTED = NTSTATUS.STATUS_NOT_SUPPORTED
MN = IRP_MN


def rtl8139() -> DeviceResources:
    """An RTL8139's assignment: 0x100 I/O ports, 0x100 bytes of memory, IRQ 11."""
    return DeviceResources([
        CmPartialResource(CmResourceTypePort, CmResourceShareDeviceExclusive,
                          CM_RESOURCE_PORT_IO, start=0xC000, length=0x100),
        CmPartialResource(CmResourceTypeMemory, start=0xF4000000, length=0x100),
        CmPartialResource(CmResourceTypeInterrupt, CmResourceShareShared,
                          CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE, level=11, vector=11,
                          affinity=0xFFFFFFFF)], PCIBus, 0)


def read(kernel: Kernel, address: int) -> bytes:
    """The pool block that starts at ``address``."""
    block = kernel.pool_blocks.blocks[address]
    assert not block.freed
    return block.buffer.read()


def field(data: bytes, struct_name: str, *path: Any) -> int:
    """A scalar of a built-in WDK struct laid over ``data`` (harness.lang.layouts)."""
    ref = resolve_path(BUILTIN[struct_name], list(path))
    return ref.decode(data[ref.offset:ref.offset + ref.ctype.size])


def descriptor(data: bytes, index: int, *path: Any) -> int:
    """A field of the index-th CM_PARTIAL_RESOURCE_DESCRIPTOR of a CM_RESOURCE_LIST
    (the layout declares PartialDescriptors[1]: the bytes are shifted by whole
    descriptors so that one is the first)."""
    return field(data[16 * index:], "CM_RESOURCE_LIST", "List", 0, "PartialResourceList",
                 "PartialDescriptors", 0, *path)


def requirement(data: bytes, index: int, *path: Any) -> int:
    """A field of the index-th IO_RESOURCE_DESCRIPTOR of a requirements list."""
    return field(data[32 * index:], "IO_RESOURCE_REQUIREMENTS_LIST", "List", 0,
                 "Descriptors", 0, *path)


def pnp_tagged(kernel: Kernel) -> tuple[int, int]:
    return kernel.pool_blocks.usage().get(tag_text(TAG_PNP_RESOURCES), (0, 0))


class Fdo:
    """A function driver over a root devnode: PnP IRPs are passed down (the root PDO
    completes START); ``on_pnp(minor, irp, stack)`` sees each on the way down."""

    def __init__(self, kernel: Kernel, resources: DeviceResources | None,
                 on_pnp: Any = None, start_status: int | None = None) -> None:
        self.kernel, self.on_pnp, self.start_status = kernel, on_pnp, start_status
        self.driver = io_create_driver(kernel, "\\Driver\\HelloWDM")
        self.driver.add_device = self._add_device
        self.driver.major_function[IRP_MJ.IRP_MJ_PNP] = self._pnp
        self.node = DevNode("PCI\\VEN_10EC&DEV_8139\\3&61AAA01&0&18",
                            ["PCI\\VEN_10EC&DEV_8139"], "HelloWDM", resources=resources)
        kernel.pnp.report_root_device(self.node)

    def _add_device(self, driver, pdo):
        _, fdo = io_create_device(driver, 0, None)
        self.lower = io_attach_device_to_device_stack(fdo, pdo)
        fdo.flags &= ~DO_DEVICE_INITIALIZING
        return OK
        yield

    def _pnp(self, device, irp):
        stack = io_get_current_irp_stack_location(irp)
        if self.on_pnp is not None:
            self.on_pnp(stack.minor_function, irp, stack)
        if stack.minor_function == MN.IRP_MN_START_DEVICE and self.start_status is not None:
            irp.io_status.status = self.start_status
            yield from io_complete_request(irp)
            return self.start_status
        io_skip_current_irp_stack_location(irp)
        return (yield from io_call_driver(self.lower, irp))

    def _load(self, service):
        return self.driver
        yield

    def start(self):
        return pnp_start_devnode(self.kernel, self.node, self._load)


def run(kernel: Kernel, body: Any, *args: Any) -> Any:
    """``body(*args)`` in a System thread (the PnP worker), the machine run to its end."""
    thread = kernel.create_thread(body, *args, name="PnpWorker", process="System")
    assert kernel.run() is None, str(kernel.bugcheck)
    return thread.exit_status


def test_2_3_root_pdo_answers_query_resources_with_the_boot_configuration():
    kernel = Kernel()
    fdo = Fdo(kernel, rtl8139())
    status, info = run(kernel, pnp_irp, kernel, fdo.node, MN.IRP_MN_QUERY_RESOURCES)
    assert status == OK and info != 0
    data = read(kernel, info)
    assert field(data, "CM_RESOURCE_LIST", "Count") == 1
    assert field(data, "CM_RESOURCE_LIST", "List", 0, "InterfaceType") == PCIBus
    assert field(data, "CM_RESOURCE_LIST", "List", 0, "PartialResourceList", "Count") == 3
    assert descriptor(data, 0, "u", "Port", "Start", "LowPart") == 0xC000
    assert descriptor(data, 1, "Type") == CmResourceTypeMemory


def test_2_3_root_pdo_answers_query_resource_requirements_with_fixed_ranges():
    kernel = Kernel()
    fdo = Fdo(kernel, rtl8139())
    status, info = run(kernel, pnp_irp, kernel, fdo.node,
                       MN.IRP_MN_QUERY_RESOURCE_REQUIREMENTS)
    data = read(kernel, info)
    name = "IO_RESOURCE_REQUIREMENTS_LIST"
    assert status == OK
    assert field(data, name, "ListSize") == len(data) == 32 + 8 + 3 * 32
    assert field(data, name, "AlternativeLists") == 1
    assert field(data, name, "List", 0, "Count") == 3
    assert requirement(data, 0, "u", "Port", "Length") == 0x100
    assert requirement(data, 0, "u", "Port", "MinimumAddress", "QuadPart") == 0xC000
    assert requirement(data, 0, "u", "Port", "MaximumAddress", "QuadPart") == 0xC0FF
    assert requirement(data, 2, "Type") == CmResourceTypeInterrupt
    assert requirement(data, 2, "u", "Interrupt", "MinimumVector") == 11
    assert requirement(data, 2, "u", "Interrupt", "MaximumVector") == 11


def test_2_3_a_device_without_resources_leaves_the_queries_as_they_are():
    kernel = Kernel()
    fdo = Fdo(kernel, None)
    assert run(kernel, pnp_irp, kernel, fdo.node, MN.IRP_MN_QUERY_RESOURCES) == \
        (NOT_SUPPORTED, 0)
    assert run(kernel, pnp_irp, kernel, fdo.node, MN.IRP_MN_QUERY_RESOURCE_REQUIREMENTS) == \
        (NOT_SUPPORTED, 0)


def test_2_5_1_filter_requirements_starts_with_the_list_in_information():
    kernel = Kernel()
    seen = {}

    def on_pnp(minor, irp, stack):
        if minor == MN.IRP_MN_FILTER_RESOURCE_REQUIREMENTS:
            seen["information"] = irp.io_status.information
            seen["parameter"] = stack.parameters.other["IoResourceRequirementList"]
            seen["status"] = irp.io_status.status
            seen["list"] = read(kernel, irp.io_status.information)
    fdo = Fdo(kernel, rtl8139(), on_pnp)
    run(kernel, fdo.start)
    assert seen["information"] != 0 and seen["information"] == seen["parameter"]
    assert seen["status"] == NOT_SUPPORTED
    assert seen["list"] == io_resource_requirements_list(PCIBus, 0, rtl8139().raw)
    assert fdo.node.state == "Started"


def test_2_5_1_filter_requirements_is_null_for_a_device_without_resources():
    kernel = Kernel()
    seen = {}

    def on_pnp(minor, irp, stack):
        if minor == MN.IRP_MN_FILTER_RESOURCE_REQUIREMENTS:
            seen["information"] = irp.io_status.information
            seen["parameter"] = stack.parameters.other["IoResourceRequirementList"]
    fdo = Fdo(kernel, None, on_pnp)
    run(kernel, fdo.start)
    assert seen == {"information": 0, "parameter": 0}


def test_2_5_1_a_function_driver_that_edits_the_requirements_is_not_modelled():
    kernel = Kernel()

    def on_pnp(minor, irp, stack):
        if minor == MN.IRP_MN_FILTER_RESOURCE_REQUIREMENTS:
            block = kernel.pool_blocks.blocks[irp.io_status.information]
            block.buffer.write(b"\x02", 40 + 8)      # the port's Length: 0x100 -> 0x102
    fdo = Fdo(kernel, rtl8139(), on_pnp)
    kernel.create_thread(fdo.start, name="PnpWorker", process="System")
    with pytest.raises(NotModelledError, match="arbitrat"):
        kernel.run()


def test_2_5_2_start_device_carries_the_raw_and_the_translated_list():
    kernel = Kernel()
    seen = {}

    def on_pnp(minor, irp, stack):
        if minor == MN.IRP_MN_START_DEVICE:
            other = stack.parameters.other
            seen["raw"] = read(kernel, other["AllocatedResources"])
            seen["translated"] = read(kernel, other["AllocatedResourcesTranslated"])
    fdo = Fdo(kernel, rtl8139(), on_pnp)
    run(kernel, fdo.start)
    raw, translated = seen["raw"], seen["translated"]
    assert raw == cm_resource_list(PCIBus, 0, rtl8139().raw)
    for data in (raw, translated):                 # ports and memory: the same on x86
        assert descriptor(data, 0, "u", "Port", "Start", "LowPart") == 0xC000
        assert descriptor(data, 0, "u", "Port", "Length") == 0x100
        assert descriptor(data, 1, "u", "Memory", "Start", "QuadPart") == 0xF4000000
    interrupt = ("u", "Interrupt")
    assert [descriptor(raw, 2, *interrupt, f) for f in ("Level", "Vector", "Affinity")] == \
        [11, 11, 0xFFFFFFFF]
    assert [descriptor(translated, 2, *interrupt, f) for f in ("Level", "Vector", "Affinity")] \
        == [27 - 11, 0x30 + 11, 1]


def test_2_5_2_start_device_lists_are_null_for_a_root_enumerated_fake_device():
    kernel = Kernel()
    seen = {}

    def on_pnp(minor, irp, stack):
        if minor == MN.IRP_MN_START_DEVICE:
            seen.update(stack.parameters.other)
    fdo = Fdo(kernel, None, on_pnp)
    run(kernel, fdo.start)
    assert seen == {"AllocatedResources": 0, "AllocatedResourcesTranslated": 0}
    assert pnp_tagged(kernel) == (0, 0)


def test_5_1_pic_hal_translates_a_bus_level_to_vector_irql_and_the_active_processors():
    one, two = Kernel(cpus=1), Kernel(cpus=2)
    assert hal_get_interrupt_vector(one, 0) == (0x30, 27, 0x1)
    assert hal_get_interrupt_vector(one, 11) == (0x3B, 16, 0x1)
    assert hal_get_interrupt_vector(two, 15) == (0x3F, 12, 0x3)
    with pytest.raises(NotModelledError, match="PIC"):
        hal_get_interrupt_vector(one, 16)


def test_2_5_2_translation_keeps_ports_memory_and_the_raw_descriptor():
    kernel = Kernel()
    port, memory, irq = rtl8139().raw
    translated = hal_translate_resource(kernel, irq)
    assert (translated.level, translated.vector, translated.affinity) == (16, 0x3B, 1)
    assert (irq.level, irq.vector, irq.affinity) == (11, 11, 0xFFFFFFFF)   # untouched
    assert translated.share == CmResourceShareShared and translated.flags == irq.flags
    assert hal_translate_resource(kernel, port).pack() == port.pack()
    assert hal_translate_resource(kernel, memory).pack() == memory.pack()


def test_2_5_the_pnp_manager_frees_what_it_read_and_keeps_the_assigned_lists():
    kernel = Kernel()
    fdo = Fdo(kernel, rtl8139())
    run(kernel, fdo.start)
    size = len(cm_resource_list(PCIBus, 0, rtl8139().raw))
    # the boot configuration and the requirements are gone; raw + translated stay
    assert pnp_tagged(kernel) == (2, 2 * size)
    run(kernel, pnp_uninstall, kernel, fdo.node)
    assert fdo.node.state == "Removed"
    assert pnp_tagged(kernel) == (0, 0)


def test_2_5_3_a_failed_start_releases_the_resources():
    kernel = Kernel()
    fdo = Fdo(kernel, rtl8139(), start_status=NTSTATUS.STATUS_UNSUCCESSFUL)
    run(kernel, fdo.start)
    assert fdo.node.problem == 10
    assert fdo.node.allocated == (0, 0)
    assert pnp_tagged(kernel) == (0, 0)


def test_2_5_cm_resource_list_bytes_follow_the_wdm_layout():
    data = cm_resource_list(PCIBus, 2, rtl8139().raw)
    assert len(data) == BUILTIN["CM_RESOURCE_LIST"].size - 16 + 3 * 16
    assert field(data, "CM_RESOURCE_LIST", "List", 0, "BusNumber") == 2
    assert field(data, "CM_RESOURCE_LIST", "List", 0, "PartialResourceList", "Version") == 1
    assert descriptor(data, 0, "Type") == CmResourceTypePort
    assert descriptor(data, 0, "ShareDisposition") == CmResourceShareDeviceExclusive
    assert descriptor(data, 0, "Flags") == CM_RESOURCE_PORT_IO
    assert descriptor(data, 2, "ShareDisposition") == CmResourceShareShared
    assert descriptor(data, 0, "u", "Port", "Start", "HighPart") == 0
    assert struct.unpack_from("<I", data, 24)[0] == 0xC000     # u.Port.Start at 20 + 4


def test_2_3_the_root_pdo_answers_in_the_kernel_name_inside_a_drivers_io_call_driver():
    # R95 (the verifier's pool tracking) charges an allocation to the image whose code
    # runs on the thread: the bus driver's answer is the kernel's, not the FDO's
    kernel = Kernel()

    def on_pnp(minor, irp, stack):
        kernel.current_thread.running_image = "HelloWDM.sys"    # the FDO's code runs
    fdo = Fdo(kernel, rtl8139(), on_pnp)
    run(kernel, fdo.start)
    status, info = run(kernel, pnp_irp, kernel, fdo.node, MN.IRP_MN_QUERY_RESOURCES)
    assert status == OK
    assert kernel.pool_blocks.blocks[info].owner is None
