"""The logical unit of a USB mass-storage device: a block device behind the bulk-only
transport, executing the CDBs USBSTOR passes it (stacks-services 3.3).

A stick with ``blocks`` blocks of ``block_size`` bytes, its data, and the position of its
write-protect switch. What it answers:

* TEST UNIT READY: GOOD.
* MODE SENSE(6) / MODE SENSE(10): only the mode parameter header, as many sticks do (no
  block descriptor, no mode pages, whatever page was asked for); its
  DeviceSpecificParameter has MODE_DSP_WRITE_PROTECT (0x80) set while the switch is on.
  At most the allocation length comes back: the caller sees the rest as an underrun.
* READ CAPACITY(10): the last block's address and the block size, big-endian.
* READ(10) / WRITE(10): whole blocks; past the end is CHECK CONDITION with ILLEGAL REQUEST
  / LOGICAL BLOCK ADDRESS OUT OF RANGE; a write while the switch is on is CHECK CONDITION
  with DATA PROTECT / WRITE PROTECTED, and nothing is written.

Any other operation code is not modelled and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import (SCSI_ADSENSE_ILLEGAL_BLOCK, SCSI_ADSENSE_WRITE_PROTECT,
                         SCSI_SENSE_DATA_PROTECT, SCSI_SENSE_ILLEGAL_REQUEST,
                         SCSIOP_MODE_SENSE, SCSIOP_MODE_SENSE10, SCSIOP_READ,
                         SCSIOP_READ_CAPACITY, SCSIOP_TEST_UNIT_READY, SCSIOP_WRITE,
                         SCSISTAT_CHECK_CONDITION, SCSISTAT_GOOD, MODE_DSP_WRITE_PROTECT)
from ..errors import NotModelledError
from .scsi import cdb10_lba, sense_data

#: What one command takes on the bus (CBW, data, CSW at full speed), a chosen figure.
DEFAULT_LATENCY = 10_000           # 1 ms in 100 ns units
#: A 1 MiB stick unless the scenario says otherwise.
DEFAULT_BLOCKS, DEFAULT_BLOCK_SIZE = 2048, 512


@dataclass
class ScsiResult:
    """What the device answered: SCSI status, the data it sent (DATA IN) and, after
    CHECK CONDITION, its sense data; ``transferred`` is the count of bytes moved."""

    status: int
    data: bytes = b""
    sense: bytes | None = None
    transferred: int = 0


class ScsiLun:
    """One logical unit: its blocks and its write-protect switch."""

    def __init__(self, blocks: int = DEFAULT_BLOCKS, block_size: int = DEFAULT_BLOCK_SIZE,
                 data: bytes = b"", write_protected: bool = False,
                 latency: int = DEFAULT_LATENCY) -> None:
        if blocks < 1 or block_size < 1 or len(data) > blocks * block_size:
            raise ValueError("the medium's data does not fit in its blocks")
        self.blocks = blocks
        self.block_size = block_size
        self.media = bytearray(data) + bytearray(blocks * block_size - len(data))
        self.write_protected = write_protected       # the switch on the stick
        self.latency = latency
        self.commands: list[int] = []                # operation codes, in order (a log)

    def execute(self, cdb: bytes, data_out: bytes = b"", allocation: int = 0) -> ScsiResult:
        """Run one CDB. ``data_out`` is what the host sends (WRITE), ``allocation`` the
        most the host takes (the SRB's DataTransferLength)."""
        opcode = cdb[0]
        self.commands.append(opcode)
        if opcode == SCSIOP_TEST_UNIT_READY:
            return ScsiResult(SCSISTAT_GOOD)
        if opcode in (SCSIOP_MODE_SENSE, SCSIOP_MODE_SENSE10):
            return self._mode_sense(cdb, allocation)
        if opcode == SCSIOP_READ_CAPACITY:
            data = (self.blocks - 1).to_bytes(4, "big") + self.block_size.to_bytes(4, "big")
            return self._data_in(data, allocation)
        if opcode in (SCSIOP_READ, SCSIOP_WRITE):
            return self._read_write(opcode, cdb, data_out, allocation)
        raise NotModelledError("USB mass-storage LUN", f"SCSI operation code 0x{opcode:02X}: "
                               "only TEST UNIT READY, MODE SENSE(6/10), READ CAPACITY(10), "
                               "READ(10) and WRITE(10) are modelled")

    def _mode_sense(self, cdb: bytes, allocation: int) -> ScsiResult:
        # stacks-services 3.3: the 6-byte command answers a MODE_PARAMETER_HEADER (4
        # bytes), the 10-byte one a MODE_PARAMETER_HEADER10 (8); DeviceSpecificParameter
        # bit 7 is the write protection. ModeDataLength counts the bytes after itself.
        dsp = MODE_DSP_WRITE_PROTECT if self.write_protected else 0
        if cdb[0] == SCSIOP_MODE_SENSE:
            header = bytes([3, 0, dsp, 0])
            wanted = cdb[4]
        else:
            header = (6).to_bytes(2, "big") + bytes([0, dsp, 0, 0]) + (0).to_bytes(2, "big")
            wanted = int.from_bytes(cdb[7:9], "big")
        return self._data_in(header, min(wanted, allocation) if allocation else wanted)

    def _data_in(self, data: bytes, allocation: int) -> ScsiResult:
        sent = data[:allocation]
        return ScsiResult(SCSISTAT_GOOD, sent, transferred=len(sent))

    def _read_write(self, opcode: int, cdb: bytes, data_out: bytes, allocation: int
                    ) -> ScsiResult:
        lba, count = cdb10_lba(cdb)
        if lba + count > self.blocks:
            return ScsiResult(SCSISTAT_CHECK_CONDITION, sense=sense_data(
                SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ADSENSE_ILLEGAL_BLOCK))
        start, length = lba * self.block_size, count * self.block_size
        if opcode == SCSIOP_READ:
            return self._data_in(bytes(self.media[start:start + length]), allocation)
        if self.write_protected:
            return ScsiResult(SCSISTAT_CHECK_CONDITION, sense=sense_data(
                SCSI_SENSE_DATA_PROTECT, SCSI_ADSENSE_WRITE_PROTECT))
        if len(data_out) < length:
            raise NotModelledError("USB mass-storage LUN", f"WRITE(10) of {length} bytes with "
                                   f"only {len(data_out)} to send: a short DATA OUT phase is "
                                   "not modelled")
        self.media[start:start + length] = data_out[:length]
        return ScsiResult(SCSISTAT_GOOD, transferred=length)

    def __repr__(self) -> str:
        return (f"<LUN {self.blocks}x{self.block_size}"
                f"{' write-protected' if self.write_protected else ''}>")
