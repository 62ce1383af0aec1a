"""SCSI_REQUEST_BLOCKs, CDBs and sense data as the storage stack passes them
(stacks-services 3.2-3.3).

Between a class driver (disk.sys) and the port or bus driver below it (USBSTOR) a
request travels as IRP_MJ_SCSI - the same code as IRP_MJ_INTERNAL_DEVICE_CONTROL, 0x0F -
with the SRB's address in ``Parameters.Scsi.Srb``, which overlays
``Parameters.Others.Argument1`` (the key the stack location's ``other`` dict keeps it
under). The SRB itself is memory a filter reads and writes through a pointer, so here it
is a nonpaged pool block laid out as srb.h has it on x86 (64 bytes, the CDB at 48):
:class:`Srb` is a typed view of that block. ``tests/kernel/test_storage.py`` checks the
offsets against the built-in ``SCSI_REQUEST_BLOCK`` struct scenario code sees.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..constants import (SCSI_REQUEST_BLOCK_SIZE, SENSE_BUFFER_SIZE, SRB_STATUS_AUTOSENSE_VALID,
                         SRB_STATUS_QUEUE_FROZEN)
from ..errors import NotModelledError
from ..mm.memory import Buffer
from ..mm.pool import ex_allocate_pool_with_tag, ex_free_pool_with_tag

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel
    from ..io.irp import IoStackLocation

NonPagedPool = 0
#: where IoStackLocation.parameters.other keeps Parameters.Scsi.Srb (= Others.Argument1)
SRB_ARGUMENT = "Argument1"


def _tag(text: str) -> int:
    """A pool tag as C's multi-character constant writes it ('abcd' reads "dcba")."""
    return int.from_bytes(text.encode("latin-1"), "big")


#: pool tags of what the class driver allocates (it reads "ClSr" etc. in !poolused)
TAG_SRB, TAG_SENSE, TAG_MODE_DATA = _tag("rSlC"), _tag("eSlC"), _tag("dMlC")

# srb.h SCSI_REQUEST_BLOCK on x86: (offset, struct format)
_FIELDS: dict[str, tuple[int, str]] = {
    "Length": (0, "<H"), "Function": (2, "B"), "SrbStatus": (3, "B"), "ScsiStatus": (4, "B"),
    "PathId": (5, "B"), "TargetId": (6, "B"), "Lun": (7, "B"), "QueueTag": (8, "B"),
    "QueueAction": (9, "B"), "CdbLength": (10, "B"), "SenseInfoBufferLength": (11, "B"),
    "SrbFlags": (12, "<I"), "DataTransferLength": (16, "<I"), "TimeOutValue": (20, "<I"),
    "DataBuffer": (24, "<I"), "SenseInfoBuffer": (28, "<I"), "NextSrb": (32, "<I"),
    "OriginalRequest": (36, "<I"), "SrbExtension": (40, "<I"), "InternalStatus": (44, "<I"),
}
CDB_OFFSET = 48
SRB_FIELD_OFFSETS = {name: offset for name, (offset, _) in _FIELDS.items()} | {"Cdb": CDB_OFFSET}


def srb_status(value: int) -> int:
    """SRB_STATUS(x): the status without the AUTOSENSE_VALID and QUEUE_FROZEN bits."""
    return value & ~(SRB_STATUS_AUTOSENSE_VALID | SRB_STATUS_QUEUE_FROZEN)


class Srb:
    """A SCSI_REQUEST_BLOCK in pool memory; fields read and written as a driver would."""

    __slots__ = ("buffer",)

    def __init__(self, buffer: Buffer) -> None:
        self.buffer = buffer

    @property
    def address(self) -> int:
        return self.buffer.address

    def get(self, name: str) -> int:
        offset, fmt = _FIELDS[name]
        value: int = struct.unpack_from(fmt, self.buffer.read(offset, struct.calcsize(fmt)))[0]
        return value

    def set(self, name: str, value: int) -> None:
        offset, fmt = _FIELDS[name]
        size = struct.calcsize(fmt)
        self.buffer.write(struct.pack(fmt, value & ((1 << 8 * size) - 1)), offset)

    @property
    def cdb(self) -> bytes:
        return self.buffer.read(CDB_OFFSET, 16)

    @cdb.setter
    def cdb(self, value: bytes) -> None:
        self.buffer.write(bytes(value).ljust(16, b"\0")[:16], CDB_OFFSET)

    def __repr__(self) -> str:
        return (f"<SRB 0x{self.address:08X} function={self.get('Function')} "
                f"cdb=0x{self.cdb[0]:02X} status=0x{self.get('SrbStatus'):02X}>")


def srb_allocate(kernel: "Kernel") -> Srb:
    """A zeroed SRB in nonpaged pool (classpnp's come from nonpaged memory too)."""
    buffer = ex_allocate_pool_with_tag(kernel, NonPagedPool, SCSI_REQUEST_BLOCK_SIZE, TAG_SRB)
    buffer.write(bytes(SCSI_REQUEST_BLOCK_SIZE))
    srb = Srb(buffer)
    srb.set("Length", SCSI_REQUEST_BLOCK_SIZE)
    return srb


def srb_free(kernel: "Kernel", srb: Srb) -> None:
    ex_free_pool_with_tag(kernel, srb.address, TAG_SRB)


def srb_at(kernel: "Kernel", address: int, who: str) -> Srb:
    """The SRB whose address a request carries. One that is not a live pool block of at
    least SCSI_REQUEST_BLOCK_SIZE bytes is not modelled (what the driver would read there
    is whatever lies in memory)."""
    block = kernel.pool_blocks.containing(address)
    if block is None or block.buffer.address != address or block.size < SCSI_REQUEST_BLOCK_SIZE:
        raise NotModelledError(who, f"Parameters.Scsi.Srb is 0x{address:08X}, which is not "
                               "a SCSI_REQUEST_BLOCK in pool: what the driver reads there is "
                               "not modelled")
    return Srb(block.buffer)


def stack_srb(kernel: "Kernel", stack: "IoStackLocation", who: str) -> Srb:
    """``IoGetCurrentIrpStackLocation(Irp)->Parameters.Scsi.Srb`` as an :class:`Srb`."""
    other = stack.parameters.other or {}
    return srb_at(kernel, int(other.get(SRB_ARGUMENT, 0)), who)


def set_stack_srb(stack: "IoStackLocation", srb: Srb) -> None:
    """``irpStack->Parameters.Scsi.Srb = srb`` (Others.Argument1)."""
    params = stack.parameters
    params.other = dict(params.other or {}, **{SRB_ARGUMENT: srb.address})


def pool_memory(kernel: "Kernel", address: int, length: int, who: str) -> tuple[Buffer, int]:
    """The pool block ``length`` bytes at ``address`` lie in, and the offset there."""
    block = kernel.pool_blocks.containing(address)
    if block is None or address + length > block.buffer.address + block.size:
        raise NotModelledError(who, f"{length} bytes at 0x{address:08X} are not inside one "
                               "pool block: the transfer is not modelled")
    return block.buffer, address - block.buffer.address


# -- CDBs (scsi.h; stacks-services 3.3) --------------------------------------------------

def cdb6(opcode: int, page_code: int = 0, allocation_length: int = 0) -> bytes:
    """A 6-byte CDB as MODE SENSE(6) fills it: PageCode in byte 2, AllocationLength in 4."""
    return bytes([opcode, 0, page_code & 0x3F, 0, allocation_length & 0xFF, 0])


def cdb10(opcode: int, lba: int = 0, blocks: int = 0) -> bytes:
    """A 10-byte CDB (READ(10) / WRITE(10) / READ CAPACITY): the logical block address
    big-endian in bytes 2-5, the transfer length in blocks in 7-8."""
    return bytes([opcode, 0]) + lba.to_bytes(4, "big") + bytes([0]) + \
        blocks.to_bytes(2, "big") + bytes([0])


def cdb10_lba(cdb: bytes) -> tuple[int, int]:
    """(logical block address, blocks) of a 10-byte CDB."""
    return int.from_bytes(cdb[2:6], "big"), int.from_bytes(cdb[7:9], "big")


def sense_data(sense_key: int, asc: int = 0, ascq: int = 0) -> bytes:
    """Fixed-format sense data (response code 0x70, current error), 18 bytes."""
    data = bytearray(SENSE_BUFFER_SIZE)
    data[0] = 0x70
    data[2] = sense_key & 0x0F
    data[7] = SENSE_BUFFER_SIZE - 8            # additional sense length
    data[12], data[13] = asc, ascq
    return bytes(data)


def sense_key_of(sense: bytes) -> tuple[int, int, int]:
    """(sense key, additional sense code, qualifier) of fixed-format sense data."""
    return sense[2] & 0x0F, sense[12], sense[13]

