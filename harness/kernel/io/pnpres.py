"""Hardware resources through PnP (pnp-hardware §2.5, §5.1): what the bus driver reports
(QUERY_RESOURCES, QUERY_RESOURCE_REQUIREMENTS), the list FILTER_RESOURCE_REQUIREMENTS
carries, and the two lists START_DEVICE hands the driver.

A device's resources are bus-relative ("raw"): an I/O port range, a memory range, a bus
interrupt level, a DMA channel. The HAL translates each into what the processor sees
("translated"): for an interrupt, the system vector, the IRQL IoConnectInterrupt takes
(``u.Interrupt.Level``) and the processors it may be delivered to (§5.1). Both lists
are CM_RESOURCE_LISTs in paged pool that the PnP manager owns; a driver reads them
during START_DEVICE (and copies what it needs). A device with no resources - every
root-enumerated fake device - gets NULL for both (§2.5 item 2).

Simplified, and said so:
- The HAL is the PIC one of a uniprocessor x86 PC (ReactOS halx86's
  HalpGetRootInterruptVector): vector = PRIMARY_VECTOR_BASE (0x30) + bus level, IRQL =
  27 - bus level, affinity = the active processors. Ports and memory translate to
  themselves (x86: I/O space stays I/O space, bus memory is CPU physical memory). An
  APIC HAL's vector allocation is not modelled.
- There is no arbiter: the bus's assignment is fixed (the requirements list asks for
  exactly the ranges the devnode declares) and is what START_DEVICE gets. A driver that
  edits or replaces the requirements in FILTER_RESOURCE_REQUIREMENTS asks for an
  arbitration that is not modelled: NotModelledError.
- The raw interrupt's Affinity is what the bus put there: (KAFFINITY)-1 unless the
  devnode says otherwise (ReactOS's arbiters write -1; the HAL then narrows it).

Layouts (x86, wdm.h; CM_PARTIAL_RESOURCE_DESCRIPTOR under pshpack4): the descriptor is
16 bytes (Type, ShareDisposition, Flags, then the 12-byte union u at offset 4); a
CM_PARTIAL_RESOURCE_LIST is Version, Revision, Count, descriptors at 8; a
CM_FULL_RESOURCE_DESCRIPTOR is InterfaceType, BusNumber, the partial list at 8; a
CM_RESOURCE_LIST is Count, full descriptors at 4. IO_RESOURCE_DESCRIPTOR is 32 bytes
(u at 8), an IO_RESOURCE_LIST has its descriptors at 8, an IO_RESOURCE_REQUIREMENTS_LIST
its lists at 32. The same layouts are harness.lang.layouts' built-in structs (a test
checks the two agree).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Sequence

from ..constants import (CmResourceShareDeviceExclusive,
                         CmResourceShareDriverExclusive, CmResourceShareShared,
                         CmResourceTypeDma, CmResourceTypeInterrupt, CmResourceTypeMemory,
                         CmResourceTypePort, Eisa, Internal, Isa, MicroChannel, PCIBus,
                         PNPISABus, TurboChannel)
from ..errors import NotModelledError
from ..mm.pool import PagedPool, ex_allocate_pool_with_tag, ex_free_pool_with_tag

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

SHARE_DISPOSITIONS = {"CmResourceShareDeviceExclusive": CmResourceShareDeviceExclusive,
                      "CmResourceShareDriverExclusive": CmResourceShareDriverExclusive,
                      "CmResourceShareShared": CmResourceShareShared}
INTERFACE_TYPES = {"Internal": Internal, "Isa": Isa, "Eisa": Eisa, "MicroChannel": MicroChannel,
                   "TurboChannel": TurboChannel, "PCIBus": PCIBus, "PNPISABus": PNPISABus}

#: The PIC HAL's vector base and the IRQL the lowest bus level gets (PROFILE_LEVEL).
PRIMARY_VECTOR_BASE = 0x30
PROFILE_LEVEL = 27
#: Bus interrupt levels a PC's two 8259 PICs have.
PIC_LEVELS = 16
#: The PnP manager's pool tag for the lists it allocates (this model's choice).
TAG_PNP_RESOURCES = int.from_bytes(b"PnpR", "little")


class CmPartialResource:
    """One CM_PARTIAL_RESOURCE_DESCRIPTOR: a port or memory range (start, length), an
    interrupt (level, vector, affinity) or a DMA channel (channel, port)."""

    __slots__ = ("type", "share", "flags", "start", "length", "level", "vector",
                 "affinity", "channel", "port")

    def __init__(self, type: int, share: int = CmResourceShareDeviceExclusive,
                 flags: int = 0, start: int = 0, length: int = 0, level: int = 0,
                 vector: int = 0, affinity: int = 0, channel: int = 0, port: int = 0
                 ) -> None:
        self.type, self.share, self.flags = type, share, flags
        self.start, self.length = start, length
        self.level, self.vector, self.affinity = level, vector, affinity
        self.channel, self.port = channel, port

    def pack(self) -> bytes:
        """The 16 bytes of the descriptor (x86, the union at offset 4)."""
        head = struct.pack("<BBH", self.type, self.share, self.flags)
        if self.type in (CmResourceTypePort, CmResourceTypeMemory):
            body = struct.pack("<QI", self.start, self.length)      # u.Port / u.Memory
        elif self.type == CmResourceTypeInterrupt:
            body = struct.pack("<III", self.level, self.vector, self.affinity & 0xFFFFFFFF)
        elif self.type == CmResourceTypeDma:
            body = struct.pack("<III", self.channel, self.port, 0)
        else:
            raise NotModelledError("CM_PARTIAL_RESOURCE_DESCRIPTOR",
                                   f"resource type {self.type}")
        return head + body

    def requirement(self) -> bytes:
        """The IO_RESOURCE_DESCRIPTOR asking for exactly this resource (32 bytes): a
        range whose minimum and maximum fit it, one vector, one channel."""
        head = struct.pack("<BBBBHH", 0, self.type, self.share, 0, self.flags, 0)
        if self.type in (CmResourceTypePort, CmResourceTypeMemory):
            body = struct.pack("<IIQQ", self.length, 1, self.start,
                               self.start + self.length - 1)
        elif self.type == CmResourceTypeInterrupt:
            body = struct.pack("<II", self.vector, self.vector).ljust(24, b"\0")
        elif self.type == CmResourceTypeDma:
            body = struct.pack("<II", self.channel, self.channel).ljust(24, b"\0")
        else:
            raise NotModelledError("IO_RESOURCE_DESCRIPTOR", f"resource type {self.type}")
        return head + body

    def __repr__(self) -> str:
        if self.type == CmResourceTypeInterrupt:
            what = f"interrupt level 0x{self.level:X} vector 0x{self.vector:X} " \
                   f"affinity 0x{self.affinity:X}"
        elif self.type == CmResourceTypeDma:
            what = f"dma channel {self.channel} port 0x{self.port:X}"
        else:
            kind = "port" if self.type == CmResourceTypePort else "memory"
            what = f"{kind} 0x{self.start:X} length 0x{self.length:X}"
        return f"<CmPartialResource {what}>"


class DeviceResources:
    """What a devnode's bus assigned it: the raw descriptors, on which bus."""

    __slots__ = ("interface_type", "bus_number", "raw")

    def __init__(self, raw: Sequence[CmPartialResource], interface_type: int = 0,
                 bus_number: int = 0) -> None:
        self.raw = tuple(raw)
        self.interface_type, self.bus_number = interface_type, bus_number

    def __repr__(self) -> str:
        return f"<DeviceResources {len(self.raw)} on bus type {self.interface_type}>"


def active_processors(kernel: "Kernel") -> int:
    """KeActiveProcessors: one bit per CPU of the machine."""
    return (1 << len(kernel.cpus)) - 1


def hal_get_interrupt_vector(kernel: "Kernel", bus_level: int) -> tuple[int, int, int]:
    """The PIC HAL's translation of a bus interrupt level (§5.1; ReactOS halx86
    HalpGetRootInterruptVector): (system vector, IRQL, affinity). A level the PICs do
    not have is a scenario that asks for hardware no PC has."""
    if not 0 <= bus_level < PIC_LEVELS:
        raise NotModelledError("HalGetInterruptVector",
                               f"bus level {bus_level}: the PIC HAL has levels 0..15")
    vector = PRIMARY_VECTOR_BASE + bus_level
    return vector, PROFILE_LEVEL - bus_level, active_processors(kernel)


def hal_translate_resource(kernel: "Kernel", raw: CmPartialResource) -> CmPartialResource:
    """The translated descriptor of one raw one (§2.5 item 2): an interrupt gets the
    system vector, Level = the IRQL and the HAL's affinity; ports, memory and DMA stay
    as they are on x86."""
    out = CmPartialResource(raw.type, raw.share, raw.flags, raw.start, raw.length,
                            raw.level, raw.vector, raw.affinity, raw.channel, raw.port)
    if raw.type == CmResourceTypeInterrupt:
        out.vector, out.level, out.affinity = hal_get_interrupt_vector(kernel, raw.level)
    return out


def cm_resource_list(interface_type: int, bus_number: int,
                     descriptors: Sequence[CmPartialResource]) -> bytes:
    """A CM_RESOURCE_LIST of one full descriptor (Version 1, Revision 1)."""
    partial = struct.pack("<HHI", 1, 1, len(descriptors)) + b"".join(
        d.pack() for d in descriptors)
    full = struct.pack("<iI", interface_type, bus_number) + partial
    return struct.pack("<I", 1) + full


def io_resource_requirements_list(interface_type: int, bus_number: int,
                                  descriptors: Sequence[CmPartialResource]) -> bytes:
    """An IO_RESOURCE_REQUIREMENTS_LIST with one alternative list asking for exactly
    ``descriptors``; ListSize is its whole size."""
    alternative = struct.pack("<HHI", 1, 1, len(descriptors)) + b"".join(
        d.requirement() for d in descriptors)
    size = 32 + len(alternative)
    head = struct.pack("<IiII12sI", size, interface_type, bus_number, 0, bytes(12), 1)
    return head + alternative


def _allocate(kernel: "Kernel", data: bytes) -> int:
    """A paged-pool copy of ``data`` in the PnP manager's name: its address. It is the
    kernel's own allocation even when the root PDO answers inside a driver's
    IoCallDriver, so Driver Verifier's pool tracking charges no driver for it."""
    thread = kernel.current_thread
    outer, thread.running_image = thread.running_image, None
    try:
        buffer = ex_allocate_pool_with_tag(kernel, PagedPool, len(data), TAG_PNP_RESOURCES)
    finally:
        thread.running_image = outer
    buffer.write(data)
    return buffer.address


def iop_free_resource_list(kernel: "Kernel", address: int) -> None:
    """ExFreePool of a list the PnP manager was given or made (0: nothing)."""
    block = kernel.pool_blocks.blocks.get(address) if address else None
    if block is not None and not block.freed:
        ex_free_pool_with_tag(kernel, address)


def pnp_bus_query_resources(kernel: "Kernel", resources: DeviceResources) -> int:
    """The bus driver's QUERY_RESOURCES answer: the boot configuration, a
    CM_RESOURCE_LIST the caller frees (§2.3)."""
    return _allocate(kernel, cm_resource_list(resources.interface_type,
                                              resources.bus_number, resources.raw))


def pnp_bus_query_resource_requirements(kernel: "Kernel", resources: DeviceResources) -> int:
    """The bus driver's QUERY_RESOURCE_REQUIREMENTS answer: an
    IO_RESOURCE_REQUIREMENTS_LIST the caller frees (§2.3)."""
    return _allocate(kernel, io_resource_requirements_list(
        resources.interface_type, resources.bus_number, resources.raw))


def iop_assign_resources(kernel: "Kernel", resources: DeviceResources | None,
                         requirements: int, sent: bytes, filtered: int
                         ) -> tuple[int, int]:
    """Arbitration after FILTER_RESOURCE_REQUIREMENTS (§2.5 items 1-2): the raw and the
    translated CM_RESOURCE_LIST START_DEVICE carries, (0, 0) for a device without
    resources. ``requirements`` is the list the IRP was sent with and ``sent`` its
    bytes; ``filtered`` is the IRP's Information when it came back."""
    changed = filtered != requirements
    if not changed and requirements:
        block = kernel.pool_blocks.blocks.get(requirements)
        changed = block is None or block.freed or block.buffer.read(0, len(sent)) != sent
    if changed:
        raise NotModelledError("resource arbitration", "a driver changed the resource "
                               "requirements in IRP_MN_FILTER_RESOURCE_REQUIREMENTS; "
                               "arbitrating a filtered list is not modelled (the bus's "
                               "assignment is fixed)")
    if resources is None or not resources.raw:
        return 0, 0
    translated = [hal_translate_resource(kernel, raw) for raw in resources.raw]
    raw_list = _allocate(kernel, cm_resource_list(resources.interface_type,
                                                  resources.bus_number, resources.raw))
    # ReactOS copies InterfaceType and BusNumber into the translated list unchanged
    translated_list = _allocate(kernel, cm_resource_list(resources.interface_type,
                                                         resources.bus_number, translated))
    return raw_list, translated_list
