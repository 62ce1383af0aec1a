"""Struct layouts by the MSVC x86 rules, the built-in WDK structs, and field access.

Expected offsets and sizes are written out from the C rules and the WDK headers, not
read back from the model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.lang.ctype import TYPES
from harness.lang.layouts import (BUILTIN, MODE_DSP_WRITE_PROTECT, FieldRef, LayoutError,
                                  Struct, TypeSpec, declare_struct, parse_type, resolve_path,
                                  sizeof)


def decl(*fields: tuple[str, str], pack: int = 8, structs=BUILTIN) -> Struct:
    return declare_struct("S", list(fields), structs, pack)


def offsets(struct: Struct) -> dict[str, int]:
    return {m.name: m.offset for m in struct.members}


def bits(struct: Struct) -> dict[str, tuple[int, int, int]]:
    """name -> (unit offset, bit, width) for the bitfields."""
    return {m.name: (m.offset, m.bit, m.width) for m in struct.members if m.width}


def error(fn, *args, **kwargs) -> LayoutError:
    with pytest.raises(LayoutError) as info:
        fn(*args, **kwargs)
    return info.value


# --- layout rules ------------------------------------------------------------------------

def test_member_aligned_to_its_size():
    s = decl(("a", "UCHAR"), ("b", "USHORT"), ("c", "UCHAR"), ("d", "ULONG"),
             ("e", "UCHAR"), ("f", "LONGLONG"), ("g", "PVOID"))
    assert offsets(s) == {"a": 0, "b": 2, "c": 4, "d": 8, "e": 12, "f": 16, "g": 24}
    assert (s.size, s.align) == (32, 8)


def test_pointer_is_four_bytes_on_x86():
    s = decl(("a", "UCHAR"), ("p", "HANDLE"))
    assert (offsets(s)["p"], s.size, s.align) == (4, 8, 4)


@pytest.mark.parametrize("pack, offset_f, size, align", [
    (1, 1, 9, 1), (2, 2, 10, 2), (4, 4, 12, 4), (8, 8, 16, 8), (16, 8, 16, 8)])
def test_pack_caps_alignment(pack, offset_f, size, align):
    s = decl(("a", "UCHAR"), ("f", "LONGLONG"), pack=pack)
    assert (offsets(s)["f"], s.size, s.align) == (offset_f, size, align)


def test_trailing_padding_to_struct_alignment():
    s = decl(("a", "ULONG"), ("b", "UCHAR"))
    assert (s.size, s.align) == (8, 4)
    s = decl(("a", "LONGLONG"), ("b", "UCHAR"))
    assert (s.size, s.align) == (16, 8)
    s = decl(("a", "USHORT"), ("b", "UCHAR"))
    assert (s.size, s.align) == (4, 2)


def test_struct_alignment_is_its_largest_member_capped_by_pack():
    assert decl(("a", "UCHAR"), ("b", "UCHAR")).align == 1
    assert decl(("a", "UCHAR"), ("b", "ULONG")).align == 4
    assert decl(("a", "UCHAR"), ("b", "ULONGLONG"), pack=2).align == 2


def test_array_aligned_like_its_element():
    s = decl(("a", "UCHAR"), ("b", "USHORT[3]"), ("c", "UCHAR[3]"), ("d", "ULONG"))
    assert offsets(s) == {"a": 0, "b": 2, "c": 8, "d": 12}
    assert s.member("b").size == 6 and s.member("b").count == 3


def test_nested_struct_aligned_to_its_own_align():
    s = decl(("a", "UCHAR"), ("info", "FILE_STANDARD_INFORMATION"), ("b", "UCHAR"))
    assert offsets(s) == {"a": 0, "info": 8, "b": 32}
    assert (s.size, s.align) == (40, 8)
    s = decl(("a", "UCHAR"), ("key", "KEYBOARD_INDICATOR_PARAMETERS"))
    assert (offsets(s)["key"], s.size, s.align) == (2, 6, 2)


def test_pack_caps_nested_struct_alignment():
    s = decl(("a", "UCHAR"), ("info", "FILE_STANDARD_INFORMATION"), pack=4)
    assert (offsets(s)["info"], s.size, s.align) == (4, 28, 4)


def test_array_of_structs_stride_is_struct_size():
    s = decl(("count", "ULONG"), ("keys", "KEYBOARD_INPUT_DATA[4]"))
    assert (offsets(s)["keys"], s.size) == (4, 52)
    ref = resolve_path(s, ["keys", 2, "MakeCode"])
    assert (ref.offset, ref.path) == (4 + 2 * 12 + 2, "keys[2].MakeCode")
    inner = decl(("x", "ULONG"), ("y", "UCHAR"))  # size 8: padding is part of the stride
    outer = declare_struct("O", [("v", "S[3]"), ("z", "UCHAR")], {"S": inner})
    assert resolve_path(outer, ["v", 2, "y"]).offset == 20
    assert outer.size == 28


def test_bitfields_share_unit_lsb_first():
    s = decl(("a", "UCHAR:1"), ("b", "UCHAR:4"), ("c", "UCHAR:3"), ("d", "UCHAR"))
    assert bits(s) == {"a": (0, 0, 1), "b": (0, 1, 4), "c": (0, 5, 3)}
    assert offsets(s)["d"] == 1 and s.size == 2
    s = decl(("a", "ULONG:3"), ("b", "ULONG:29"))
    assert bits(s) == {"a": (0, 0, 3), "b": (0, 3, 29)} and s.size == 4


def test_bitfields_of_same_size_share_unit_whatever_the_sign():
    s = decl(("a", "ULONG:4"), ("b", "LONG:4"))
    assert bits(s) == {"a": (0, 0, 4), "b": (0, 4, 4)} and s.size == 4


def test_bitfield_that_does_not_fit_starts_new_unit():
    s = decl(("a", "UCHAR:5"), ("b", "UCHAR:4"))
    assert bits(s) == {"a": (0, 0, 5), "b": (1, 0, 4)} and s.size == 2
    s = decl(("a", "ULONG:30"), ("b", "ULONG:3"))
    assert bits(s) == {"a": (0, 0, 30), "b": (4, 0, 3)} and s.size == 8


def test_bitfield_of_other_size_starts_new_unit():
    s = decl(("a", "UCHAR:1"), ("b", "USHORT:1"), ("c", "UCHAR:1"))
    assert bits(s) == {"a": (0, 0, 1), "b": (2, 0, 1), "c": (4, 0, 1)}
    assert (s.size, s.align) == (6, 2)


def test_non_bitfield_member_ends_the_unit():
    s = decl(("a", "UCHAR:1"), ("x", "UCHAR"), ("b", "UCHAR:1"))
    assert bits(s) == {"a": (0, 0, 1), "b": (2, 0, 1)} and s.size == 3


def test_bitfield_unit_aligned_like_its_type():
    s = decl(("x", "UCHAR"), ("a", "ULONG:3"))
    assert bits(s) == {"a": (4, 0, 3)} and (s.size, s.align) == (8, 4)
    s = decl(("x", "UCHAR"), ("a", "ULONG:3"), pack=1)
    assert bits(s) == {"a": (1, 0, 3)} and (s.size, s.align) == (5, 1)


def test_bitfield_reports_its_unit_size():
    s = decl(("a", "USHORT:3"))
    assert s.member("a").size == 2 and s.size == 2


def test_longlong_bitfield_uses_an_eight_byte_unit():
    s = decl(("a", "ULONGLONG:40"), ("b", "ULONGLONG:24"), ("c", "ULONGLONG:1"))
    assert bits(s) == {"a": (0, 0, 40), "b": (0, 40, 24), "c": (8, 0, 1)} and s.size == 16


# --- built-in WDK structs ----------------------------------------------------------------

BUILTIN_LAYOUTS = {
    "KEYBOARD_INPUT_DATA": (12, {"UnitId": 0, "MakeCode": 2, "Flags": 4, "Reserved": 6,
                                 "ExtraInformation": 8}),
    "KEYBOARD_INDICATOR_PARAMETERS": (4, {"UnitId": 0, "LedFlags": 2}),
    # kbdmou.h: two 32-bit pointers
    "CONNECT_DATA": (8, {"ClassDeviceObject": 0, "ClassService": 4}),
    "MOUSE_INPUT_DATA": (24, {"UnitId": 0, "Flags": 2, "Buttons": 4, "ButtonFlags": 4,
                              "ButtonData": 6, "RawButtons": 8, "LastX": 12, "LastY": 16,
                              "ExtraInformation": 20}),
    "FILE_STANDARD_INFORMATION": (24, {"AllocationSize": 0, "EndOfFile": 8,
                                       "NumberOfLinks": 16, "DeletePending": 20,
                                       "Directory": 21}),
    "FILE_POSITION_INFORMATION": (8, {"CurrentByteOffset": 0}),
    "FILE_BASIC_INFORMATION": (40, {"CreationTime": 0, "LastAccessTime": 8,
                                    "LastWriteTime": 16, "ChangeTime": 24,
                                    "FileAttributes": 32}),
    "FILE_END_OF_FILE_INFORMATION": (8, {"EndOfFile": 0}),
    "FILE_DISPOSITION_INFORMATION": (1, {"DeleteFile": 0}),
    "UNICODE_STRING": (8, {"Length": 0, "MaximumLength": 2, "Buffer": 4}),
    # ntdef.h ANSI_STRING (STRING): the same header, Buffer a PCHAR
    "ANSI_STRING": (8, {"Length": 0, "MaximumLength": 2, "Buffer": 4}),
    "IO_STATUS_BLOCK": (8, {"Status": 0, "Information": 4}),
    # guiddef.h GUID; wdm.h DEVICE_INTERFACE_CHANGE_NOTIFICATION (pnp-hardware §3.3)
    "GUID": (16, {"Data1": 0, "Data2": 4, "Data3": 6, "Data4": 8}),
    "DEVICE_INTERFACE_CHANGE_NOTIFICATION": (40, {"Version": 0, "Size": 2, "Event": 4,
                                                  "InterfaceClassGuid": 20,
                                                  "SymbolicLinkName": 36}),
    # wdm.h registry information: the fixed part, then the ANYSIZE_ARRAY tail (padded)
    "KEY_VALUE_PARTIAL_INFORMATION": (16, {"TitleIndex": 0, "Type": 4, "DataLength": 8,
                                           "Data": 12}),
    "KEY_VALUE_BASIC_INFORMATION": (16, {"TitleIndex": 0, "Type": 4, "NameLength": 8,
                                         "Name": 12}),
    "KEY_VALUE_FULL_INFORMATION": (24, {"TitleIndex": 0, "Type": 4, "DataOffset": 8,
                                        "DataLength": 12, "NameLength": 16, "Name": 20}),
    "KEY_BASIC_INFORMATION": (24, {"LastWriteTime": 0, "TitleIndex": 8, "NameLength": 12,
                                   "Name": 16}),
    "KEY_NODE_INFORMATION": (32, {"LastWriteTime": 0, "TitleIndex": 8, "ClassOffset": 12,
                                  "ClassLength": 16, "NameLength": 20, "Name": 24}),
    "KEY_FULL_INFORMATION": (48, {"LastWriteTime": 0, "TitleIndex": 8, "ClassOffset": 12,
                                  "ClassLength": 16, "SubKeys": 20, "MaxNameLen": 24,
                                  "MaxClassLen": 28, "Values": 32, "MaxValueNameLen": 36,
                                  "MaxValueDataLen": 40, "Class": 44}),
    # ntdef.h LIST_ENTRY: two pointers
    "LIST_ENTRY": (8, {"Flink": 0, "Blink": 4}),
    # wdm.h TIME_FIELDS: eight CSHORTs, 16 bytes
    "TIME_FIELDS": (16, {"Year": 0, "Month": 2, "Day": 4, "Hour": 6, "Minute": 8,
                         "Second": 10, "Milliseconds": 12, "Weekday": 14}),
    "CDB6GENERIC": (6, {"OperationCode": 0, "Immediate": 1, "CommandUniqueBits": 1,
                        "LogicalUnitNumber": 1, "CommandUniqueBytes": 2, "Link": 5,
                        "Flag": 5, "Reserved": 5, "VendorUnique": 5}),
    "MODE_SENSE": (6, {"OperationCode": 0, "Reserved1": 1, "Dbd": 1, "Reserved2": 1,
                       "LogicalUnitNumber": 1, "PageCode": 2, "Pc": 2, "Reserved3": 3,
                       "AllocationLength": 4, "Control": 5}),
    "MODE_SENSE10": (10, {"OperationCode": 0, "Reserved1": 1, "Dbd": 1, "Reserved2": 1,
                          "LogicalUnitNumber": 1, "PageCode": 2, "Pc": 2, "Reserved3": 3,
                          "AllocationLength": 7, "Control": 9}),
    "CDB10": (10, {"OperationCode": 0, "RelativeAddress": 1, "Reserved1": 1,
                   "ForceUnitAccess": 1, "DisablePageOut": 1, "LogicalUnitNumber": 1,
                   "LogicalBlockByte0": 2, "LogicalBlockByte1": 3, "LogicalBlockByte2": 4,
                   "LogicalBlockByte3": 5, "Reserved2": 6, "TransferBlocksMsb": 7,
                   "TransferBlocksLsb": 8, "Control": 9}),
    "MODE_PARAMETER_HEADER": (4, {"ModeDataLength": 0, "MediumType": 1,
                                  "DeviceSpecificParameter": 2, "BlockDescriptorLength": 3}),
    "MODE_PARAMETER_HEADER10": (8, {"ModeDataLength": 0, "MediumType": 2,
                                    "DeviceSpecificParameter": 3, "Reserved": 4,
                                    "BlockDescriptorLength": 6}),
    "MODE_PARAMETER_BLOCK": (8, {"DensityCode": 0, "NumberOfBlocks": 1, "Reserved": 4,
                                 "BlockLength": 5}),
    # wdm.h hardware resources on x86 (pnp-hardware §2.5); the descriptor under pshpack4
    "PHYSICAL_ADDRESS": (8, {"LowPart": 0, "HighPart": 4, "QuadPart": 0}),
    "CM_PARTIAL_RESOURCE_DESCRIPTOR": (16, {"Type": 0, "ShareDisposition": 1, "Flags": 2,
                                            "u": 4}),
    "CM_PARTIAL_RESOURCE_LIST": (24, {"Version": 0, "Revision": 2, "Count": 4,
                                      "PartialDescriptors": 8}),
    "CM_FULL_RESOURCE_DESCRIPTOR": (32, {"InterfaceType": 0, "BusNumber": 4,
                                         "PartialResourceList": 8}),
    "CM_RESOURCE_LIST": (36, {"Count": 0, "List": 4}),
    "IO_RESOURCE_DESCRIPTOR": (32, {"Option": 0, "Type": 1, "ShareDisposition": 2,
                                    "Spare1": 3, "Flags": 4, "Spare2": 6, "u": 8}),
    "IO_RESOURCE_LIST": (40, {"Version": 0, "Revision": 2, "Count": 4, "Descriptors": 8}),
    "IO_RESOURCE_REQUIREMENTS_LIST": (72, {"ListSize": 0, "InterfaceType": 4, "BusNumber": 8,
                                           "SlotNumber": 12, "Reserved": 16,
                                           "AlternativeLists": 28, "List": 32}),
    # srb.h on x86 (stacks-services 3.2): 64 bytes, the union at 44, the CDB at 48
    "SCSI_REQUEST_BLOCK": (64, {"Length": 0, "Function": 2, "SrbStatus": 3, "ScsiStatus": 4,
                                "PathId": 5, "TargetId": 6, "Lun": 7, "QueueTag": 8,
                                "QueueAction": 9, "CdbLength": 10,
                                "SenseInfoBufferLength": 11, "SrbFlags": 12,
                                "DataTransferLength": 16, "TimeOutValue": 20,
                                "DataBuffer": 24, "SenseInfoBuffer": 28, "NextSrb": 32,
                                "OriginalRequest": 36, "SrbExtension": 40,
                                "InternalStatus": 44, "QueueSortKey": 44, "Cdb": 48}),
    # scsi.h union _CDB: every arm at 0, 16 bytes (AsByte)
    "CDB": (16, {"CDB6GENERIC": 0, "MODE_SENSE": 0, "MODE_SENSE10": 0, "CDB10": 0,
                 "AsByte": 0}),
    # scsi.h fixed-format SENSE_DATA: 18 bytes, the sense key in byte 2, ASC at 12
    "SENSE_DATA": (18, {"ErrorCode": 0, "Valid": 0, "SegmentNumber": 1, "SenseKey": 2,
                        "Reserved": 2, "IncorrectLength": 2, "EndOfMedia": 2, "FileMark": 2,
                        "Information": 3, "AdditionalSenseLength": 7,
                        "CommandSpecificInformation": 8, "AdditionalSenseCode": 12,
                        "AdditionalSenseCodeQualifier": 13, "FieldReplaceableUnitCode": 14,
                        "SenseKeySpecific": 15}),
}


def test_every_builtin_is_tested():
    assert set(BUILTIN) == set(BUILTIN_LAYOUTS)


@pytest.mark.parametrize("name", sorted(BUILTIN_LAYOUTS))
def test_builtin_size_and_offsets(name):
    size, expected = BUILTIN_LAYOUTS[name]
    struct = BUILTIN[name]
    assert struct.name == name
    assert sizeof(struct) == struct.size == size
    assert offsets(struct) == expected
    assert list(offsets(struct)) == list(expected)  # declaration order kept


def test_builtin_alignments():
    assert BUILTIN["FILE_STANDARD_INFORMATION"].align == 8
    assert BUILTIN["UNICODE_STRING"].align == 4
    assert BUILTIN["ANSI_STRING"].align == 4
    assert BUILTIN["KEYBOARD_INPUT_DATA"].align == 4
    assert BUILTIN["CDB10"].align == 1


def test_builtin_member_types():
    assert BUILTIN["UNICODE_STRING"].member("Buffer").ctype == TYPES["PVOID"]
    assert BUILTIN["MOUSE_INPUT_DATA"].member("LastX").ctype.signed
    assert BUILTIN["MOUSE_INPUT_DATA"].member("Buttons").size == 4
    assert BUILTIN["FILE_STANDARD_INFORMATION"].member("Directory").ctype == TYPES["BOOLEAN"]
    assert BUILTIN["MODE_SENSE10"].member("AllocationLength").count == 2
    assert BUILTIN["MODE_PARAMETER_BLOCK"].member("BlockLength").size == 3


def test_builtin_scsi_bitfields():
    assert bits(BUILTIN["CDB6GENERIC"]) == {
        "Immediate": (1, 0, 1), "CommandUniqueBits": (1, 1, 4), "LogicalUnitNumber": (1, 5, 3),
        "Link": (5, 0, 1), "Flag": (5, 1, 1), "Reserved": (5, 2, 4), "VendorUnique": (5, 6, 2)}
    sense = {"Reserved1": (1, 0, 3), "Dbd": (1, 3, 1), "Reserved2": (1, 4, 1),
             "LogicalUnitNumber": (1, 5, 3), "PageCode": (2, 0, 6), "Pc": (2, 6, 2)}
    assert bits(BUILTIN["MODE_SENSE"]) == sense
    assert bits(BUILTIN["MODE_SENSE10"]) == sense
    assert bits(BUILTIN["CDB10"]) == {
        "RelativeAddress": (1, 0, 1), "Reserved1": (1, 1, 2), "ForceUnitAccess": (1, 3, 1),
        "DisablePageOut": (1, 4, 1), "LogicalUnitNumber": (1, 5, 3)}


def test_builtin_is_read_only():
    with pytest.raises(TypeError):
        BUILTIN["X"] = BUILTIN["CDB10"]  # type: ignore[index]


def test_mouse_union_arms_share_bytes():
    mouse = BUILTIN["MOUSE_INPUT_DATA"]
    buf = bytearray(mouse.size)
    flags, data, buttons = (resolve_path(mouse, [n]) for n in
                            ("ButtonFlags", "ButtonData", "Buttons"))
    for ref, value in ((flags, 0x0001), (data, 0xFF88)):
        buf[ref.offset:ref.offset + 2] = ref.encode(bytes(buf[ref.offset:ref.offset + 2]), value)
    assert buttons.decode(bytes(buf[4:8])) == 0xFF880001


def _write(buf: bytearray, ref: FieldRef, value: int) -> None:
    end = ref.offset + ref.ctype.size
    buf[ref.offset:end] = ref.encode(bytes(buf[ref.offset:end]), value)


def _read(buf: bytes, ref: FieldRef) -> int:
    return ref.decode(bytes(buf[ref.offset:ref.offset + ref.ctype.size]))


def test_write_protect_bit_sets_byte_2_of_mode_parameter_header():
    header = BUILTIN["MODE_PARAMETER_HEADER"]
    buf = bytearray([0x23, 0x00, 0x10, 0x08])
    ref = resolve_path(header, ["DeviceSpecificParameter"])
    _write(buf, ref, _read(buf, ref) | MODE_DSP_WRITE_PROTECT)
    assert bytes(buf) == bytes([0x23, 0x00, 0x90, 0x08])
    assert MODE_DSP_WRITE_PROTECT == 0x80
    buf = bytearray(4)
    _write(buf, ref, 0x80)
    assert bytes(buf) == b"\x00\x00\x80\x00"


def test_write_protect_bit_in_mode_parameter_header10_is_byte_3():
    ref = resolve_path(BUILTIN["MODE_PARAMETER_HEADER10"], ["DeviceSpecificParameter"])
    buf = bytearray(8)
    _write(buf, ref, 0x80)
    assert bytes(buf) == b"\x00\x00\x00\x80\x00\x00\x00\x00"


def test_mode_sense10_allocation_length_is_big_endian_pair_of_bytes():
    sense = BUILTIN["MODE_SENSE10"]
    cdb = bytearray(10)
    _write(cdb, resolve_path(sense, ["AllocationLength", 0]), 0x01)
    _write(cdb, resolve_path(sense, ["AllocationLength", 1]), 0xFC)
    assert cdb[7:9] == b"\x01\xfc"


# --- FieldRef ----------------------------------------------------------------------------

def test_scalar_decode_encode_little_endian():
    ref = resolve_path(BUILTIN["KEYBOARD_INPUT_DATA"], ["ExtraInformation"])
    assert (ref.offset, ref.ctype, ref.bit, ref.width) == (8, TYPES["ULONG"], None, None)
    assert ref.encode(b"\xff" * 4, 0x12345678) == b"\x78\x56\x34\x12"
    assert ref.decode(b"\x78\x56\x34\x12") == 0x12345678
    assert ref.encode(b"\x00" * 4, -1) == b"\xff" * 4  # wraps like a C store


def test_signed_scalar_decodes_negative():
    ref = resolve_path(BUILTIN["MOUSE_INPUT_DATA"], ["LastX"])
    assert ref.decode(b"\xfe\xff\xff\xff") == -2
    assert ref.decode(ref.encode(b"\0" * 4, 0x80000000)) == -0x80000000


def test_large_integer_round_trip():
    ref = resolve_path(BUILTIN["FILE_STANDARD_INFORMATION"], ["EndOfFile"])
    assert (ref.offset, ref.ctype.size) == (8, 8)
    assert ref.decode(ref.encode(b"\0" * 8, -5)) == -5


def test_unsigned_bitfield_decode_zero_extends():
    ref = resolve_path(BUILTIN["CDB6GENERIC"], ["LogicalUnitNumber"])
    assert (ref.offset, ref.bit, ref.width) == (1, 5, 3)
    assert ref.decode(b"\xe0") == 7
    assert ref.decode(b"\x1f") == 0


def test_signed_bitfield_decode_sign_extends():
    s = decl(("a", "LONG:4"), ("b", "CHAR:1"), ("c", "CHAR:3"))
    a, b, c = (resolve_path(s, [n]) for n in "abc")
    assert [(r.offset, r.bit) for r in (a, b, c)] == [(0, 0), (4, 0), (4, 1)]
    assert a.decode(b"\x0f\x00\x00\x00") == -1
    assert a.decode(b"\x08\x00\x00\x00") == -8
    assert a.decode(b"\x07\xff\xff\xff") == 7  # bits above the field are not its sign
    assert b.decode(b"\x01") == -1  # a 1-bit signed field holds 0 or -1
    assert c.decode(b"\x02") == 1
    assert c.decode(b"\x0e") == -1
    assert c.decode(b"\x08") == -4


def test_bitfield_write_leaves_neighbouring_bits_unchanged():
    sense = BUILTIN["MODE_SENSE"]
    dbd = resolve_path(sense, ["Dbd"])
    assert dbd.encode(b"\xf7", 1) == b"\xff"
    assert dbd.encode(b"\xff", 0) == b"\xf7"
    pc, page = resolve_path(sense, ["Pc"]), resolve_path(sense, ["PageCode"])
    byte = page.encode(b"\x00", 0x3F)
    byte = pc.encode(byte, 2)
    assert byte == b"\xbf"
    assert (page.decode(byte), pc.decode(byte)) == (0x3F, 2)


def test_bitfield_write_wraps_to_width():
    ref = resolve_path(BUILTIN["CDB6GENERIC"], ["CommandUniqueBits"])
    assert ref.encode(b"\x00", 0x1F) == b"\x1e"  # 0x1F -> 0xF in bits 1..4
    assert ref.decode(ref.encode(b"\x00", 0x1F)) == 0xF
    assert ref.wrap(0x1F) == 0xF
    signed = resolve_path(decl(("a", "SHORT:5")), ["a"])
    assert signed.decode(signed.encode(b"\0\0", 16)) == -16
    assert signed.decode(signed.encode(b"\0\0", -17)) == 15


def test_wrong_raw_length_is_a_programming_error():
    ref = resolve_path(BUILTIN["KEYBOARD_INPUT_DATA"], ["MakeCode"])
    with pytest.raises(ValueError, match="need 2 bytes, got 3"):
        ref.decode(b"\0\0\0")
    with pytest.raises(ValueError):
        ref.encode(b"\0", 1)


def test_resolve_path_through_nested_struct():
    s = decl(("pad", "UCHAR"), ("info", "FILE_STANDARD_INFORMATION"))
    ref = resolve_path(s, ["info", "Directory"])
    assert (ref.offset, ref.ctype, ref.path) == (8 + 21, TYPES["BOOLEAN"], "info.Directory")


def test_resolve_path_array_element():
    ref = resolve_path(BUILTIN["MODE_SENSE10"], ["AllocationLength", 1])
    assert (ref.offset, ref.ctype, ref.path) == (8, TYPES["UCHAR"], "AllocationLength[1]")
    arr = decl(("x", "UCHAR"), ("v", "ULONG[3]"))
    assert resolve_path(arr, ["v", 2]).offset == 12


# --- errors ------------------------------------------------------------------------------

def test_layout_error_str_is_message():
    err = LayoutError("boom", 3)
    assert (str(err), err.message, err.field) == ("boom", "boom", 3)
    assert LayoutError("x").field is None


def test_unknown_member_did_you_mean_and_field_list():
    err = error(BUILTIN["KEYBOARD_INPUT_DATA"].member, "Makecode")
    assert err.message == ("KEYBOARD_INPUT_DATA has no field 'Makecode'; did you mean "
                           "'MakeCode'? (fields: UnitId, MakeCode, Flags, Reserved, "
                           "ExtraInformation)")
    assert err.field is None


def test_unknown_member_without_close_match_lists_fields():
    err = error(BUILTIN["UNICODE_STRING"].member, "Zzz")
    assert err.message == ("UNICODE_STRING has no field 'Zzz' "
                           "(fields: Length, MaximumLength, Buffer)")


def test_unknown_member_of_big_struct_does_not_list_fields():
    big = decl(*[(f"Field{i}", "UCHAR") for i in range(20)])
    err = error(big.member, "Feild3")
    assert err.message == "S has no field 'Feild3'; did you mean 'Field3'?"


def test_resolve_path_unknown_name():
    err = error(resolve_path, BUILTIN["MODE_SENSE"], ["pagecode"])
    assert err.message.startswith("MODE_SENSE has no field 'pagecode'; did you mean 'PageCode'?")


def test_resolve_path_unknown_name_inside_nested_struct():
    s = decl(("info", "FILE_STANDARD_INFORMATION"))
    err = error(resolve_path, s, ["info", "Directry"])
    assert err.message.startswith("info: FILE_STANDARD_INFORMATION has no field 'Directry'; "
                                  "did you mean 'Directory'?")


def test_resolve_path_index_out_of_range():
    err = error(resolve_path, BUILTIN["MODE_SENSE10"], ["AllocationLength", 2])
    assert err.message == "index 2 out of range for AllocationLength (0..1)"
    err = error(resolve_path, BUILTIN["MODE_SENSE10"], ["AllocationLength", -1])
    assert err.message == "index -1 out of range for AllocationLength (0..1)"


def test_resolve_path_indexing_a_non_array():
    err = error(resolve_path, BUILTIN["MODE_SENSE"], ["AllocationLength", 0])
    assert err.message == "AllocationLength is a scalar UCHAR: cannot go on with 0"
    s = decl(("info", "FILE_STANDARD_INFORMATION"))
    err = error(resolve_path, s, ["info", 0])
    assert err.message == "info is not an array: cannot index it with 0"
    err = error(resolve_path, s, [0])
    assert err.message == "S is not an array: cannot index it with 0"


def test_resolve_path_ending_on_whole_array():
    err = error(resolve_path, BUILTIN["MODE_SENSE10"], ["AllocationLength"])
    assert err.message == "AllocationLength is an array of 2: add an index 0..1"
    err = error(resolve_path, BUILTIN["MODE_SENSE10"], ["AllocationLength", "x"])
    assert err.message.startswith("AllocationLength is an array of 2")
    err = error(resolve_path, BUILTIN["MODE_SENSE10"], ["AllocationLength", True])
    assert err.message.startswith("AllocationLength is an array of 2")


def test_resolve_path_ending_on_nested_struct():
    s = decl(("info", "FILE_STANDARD_INFORMATION[2]"))
    err = error(resolve_path, s, ["info", 1])
    assert err.message == ("info[1] is a struct FILE_STANDARD_INFORMATION, not a scalar: "
                           "name one of its fields")


def test_resolve_path_past_a_scalar():
    err = error(resolve_path, BUILTIN["KEYBOARD_INPUT_DATA"], ["MakeCode", "X"])
    assert err.message == "MakeCode is a scalar USHORT: cannot go on with 'X'"


def test_resolve_empty_path():
    err = error(resolve_path, BUILTIN["CDB10"], [])
    assert err.message == "empty path into CDB10: name a field"


def test_parse_type_forms():
    assert parse_type("ULONG", {}) == TypeSpec("ULONG", TYPES["ULONG"])
    assert parse_type(" UCHAR [ 16 ] ", {}) == TypeSpec("UCHAR[16]", TYPES["UCHAR"], count=16)
    assert parse_type("UCHAR:3", {}) == TypeSpec("UCHAR:3", TYPES["UCHAR"], width=3)
    kid = parse_type("KEYBOARD_INPUT_DATA", BUILTIN)
    assert (kid.struct, kid.ctype, kid.size, kid.align) == (
        BUILTIN["KEYBOARD_INPUT_DATA"], None, 12, 4)
    arr = parse_type("KEYBOARD_INPUT_DATA[4]", BUILTIN)
    assert (arr.count, arr.size, arr.align, sizeof(arr)) == (4, 48, 4, 48)
    assert parse_type("LONGLONG:64", {}).width == 64
    assert parse_type("UCHAR[65536]", {}).count == 65536
    assert sizeof(TYPES["LONGLONG"]) == 8


def test_parse_type_unknown_did_you_mean():
    assert error(parse_type, "ULONGG", {}).message == "unknown type 'ULONGG'; did you mean 'ULONG'?"
    assert error(parse_type, "ulong", {}).message == "unknown type 'ulong'; did you mean 'ULONG'?"
    assert error(parse_type, "KEYBOARD_INPUT_DAT[2]", BUILTIN).message == (
        "unknown type 'KEYBOARD_INPUT_DAT'; did you mean 'KEYBOARD_INPUT_DATA'?")
    assert error(parse_type, "Qwerty", {}).message == "unknown type 'Qwerty'"


@pytest.mark.parametrize("text", ["", "   ", "ULONG[", "ULONG[]", "UCHAR[-1]", "UCHAR[0x10]",
                                  "ULONG ULONG", "1ULONG", "UCHAR:", "UCHAR:-1", "*PVOID",
                                  "UCHAR[2][2]", "UCHAR[٣]"])
def test_parse_type_bad_syntax(text):
    assert error(parse_type, text, {}).message == (
        f"bad type {text!r}: expected NAME, NAME*, NAME[N] or NAME:BITS")


def test_parse_type_non_string_is_bad_syntax():
    assert error(parse_type, 5, {}).message.startswith("bad type 5:")


@pytest.mark.parametrize("text", ["UCHAR[0]", "UCHAR[65537]"])
def test_parse_type_array_length_range(text):
    assert error(parse_type, text, {}).message == (
        f"bad type '{text}': array length must be 1..65536")


@pytest.mark.parametrize("text, bits", [("UCHAR:0", 8), ("UCHAR:9", 8), ("USHORT:17", 16),
                                        ("ULONG:33", 32), ("LONGLONG:65", 64)])
def test_parse_type_bitfield_width_range(text, bits):
    assert error(parse_type, text, {}).message == (
        f"bad type '{text}': bitfield width must be 1..{bits}")


def test_parse_type_bitfield_of_pointer_or_struct():
    assert error(parse_type, "PVOID:3", {}).message == (
        "bad type 'PVOID:3': a bitfield needs an integer type, not PVOID")
    assert error(parse_type, "UNICODE_STRING:3", BUILTIN).message == (
        "bad type 'UNICODE_STRING:3': a bitfield needs an integer type, not UNICODE_STRING")


def test_parse_type_bitfield_array():
    assert error(parse_type, "UCHAR[2]:3", {}).message == (
        "bad type 'UCHAR[2]:3': a bitfield cannot be an array")


def test_declare_duplicate_field_index():
    err = error(declare_struct, "S", [("a", "UCHAR"), ("b", "UCHAR"), ("a", "ULONG")], {})
    assert (err.message, err.field) == (
        "struct S: duplicate field 'a' (first declared as field 0)", 2)


@pytest.mark.parametrize("name", ["1a", "a-b", "", "a b", "int", "struct", "é", 7])
def test_declare_bad_field_name_index(name):
    err = error(declare_struct, "S", [("ok", "UCHAR"), (name, "UCHAR")], {})
    assert (err.message, err.field) == (f"struct S: bad field name {name!r}: "
                                        "not a C identifier", 1)


def test_declare_bad_type_index():
    err = error(declare_struct, "S", [("a", "UCHAR"), ("b", "UCHAR"), ("c", "ULONGG")], {})
    assert (err.message, err.field) == (
        "struct S, field 'c': unknown type 'ULONGG'; did you mean 'ULONG'?", 2)
    err = error(declare_struct, "S", [("a", "UCHAR:9")], {})
    assert (err.message, err.field) == (
        "struct S, field 'a': bad type 'UCHAR:9': bitfield width must be 1..8", 0)


@pytest.mark.parametrize("pack", [0, 3, 32, -8, True, 8.0, "8", None])
def test_declare_bad_pack(pack):
    err = error(declare_struct, "S", [("a", "UCHAR")], {}, pack)
    assert (err.message, err.field) == (
        f"struct S: pack must be one of 1, 2, 4, 8, 16, not {pack!r}", None)


def test_declare_empty_struct():
    err = error(declare_struct, "S", [], {})
    assert (err.message, err.field) == (
        "struct S has no fields (C does not allow an empty struct)", None)


@pytest.mark.parametrize("name", ["", "9S", "my struct", None])
def test_declare_bad_struct_name(name):
    err = error(declare_struct, name, [("a", "UCHAR")], {})
    assert (err.message, err.field) == (f"bad struct name {name!r}: not a C identifier", None)


def test_declare_struct_named_like_a_scalar():
    err = error(declare_struct, "ULONG", [("a", "UCHAR")], {})
    assert (err.message, err.field) == ("struct name 'ULONG' is already a scalar type", None)


def test_declared_struct_can_be_used_by_a_later_one():
    inner = declare_struct("INNER", [("X", "ULONG")], {})
    outer = declare_struct("OUTER", [("a", "UCHAR"), ("Inner", "INNER")], {"INNER": inner})
    ref = resolve_path(outer, ["Inner", "X"])
    assert (ref.offset, ref.path, outer.size) == (4, "Inner.X", 8)


# --- properties --------------------------------------------------------------------------

SCALARS = sorted(TYPES)
PACK = st.sampled_from([1, 2, 4, 8, 16])


def _type_text(draw_name: str, count: int | None) -> str:
    return draw_name if count is None else f"{draw_name}[{count}]"


MEMBER_TYPES = st.builds(_type_text, st.sampled_from(SCALARS),
                         st.none() | st.integers(1, 5))


@settings(max_examples=300)
@given(st.lists(MEMBER_TYPES, min_size=1, max_size=12), PACK)
def test_property_layout_of_scalars_and_arrays(types, pack):
    s = declare_struct("P", [(f"m{i}", t) for i, t in enumerate(types)], {}, pack)
    end = 0
    max_align = 1
    for member, text in zip(s.members, types):
        spec = parse_type(text, {})
        align = min(spec.align, pack)
        max_align = max(max_align, align)
        assert member.offset % align == 0
        assert member.offset >= end  # no overlap, declaration order
        assert member.size == spec.size
        end = member.offset + member.size
    assert s.align == max_align
    assert s.size % s.align == 0
    assert end <= s.size < end + s.align


BITFIELD_TYPES = st.sampled_from(["UCHAR", "CHAR", "USHORT", "SHORT", "ULONG", "LONG",
                                  "ULONGLONG", "LONGLONG"]).flatmap(
    lambda n: st.integers(1, TYPES[n].bits).map(lambda w: f"{n}:{w}"))


@settings(max_examples=300)
@given(st.lists(BITFIELD_TYPES | MEMBER_TYPES, min_size=1, max_size=10), PACK, st.data())
def test_property_encode_then_decode_wraps(types, pack, data):
    s = declare_struct("P", [(f"m{i}", t) for i, t in enumerate(types)], {}, pack)
    buf = bytearray(data.draw(st.binary(min_size=s.size, max_size=s.size)))
    for member in s.members:
        assert member.offset + member.size <= s.size
        path = [member.name] + ([data.draw(st.integers(0, member.count - 1))]
                                if member.count else [])
        ref = resolve_path(s, path)
        value = data.draw(st.integers(-(1 << 70), 1 << 70))
        before = bytes(buf)
        _write(buf, ref, value)
        width = ref.width or ref.ctype.bits
        expect = value & ((1 << width) - 1)
        if ref.ctype.signed and expect >> (width - 1):
            expect -= 1 << width
        assert _read(buf, ref) == expect == ref.wrap(value)
        # Only the field's own bits changed.
        old = int.from_bytes(before, "little")
        new = int.from_bytes(buf, "little")
        mask = ((1 << width) - 1) << (8 * ref.offset + (ref.bit or 0))
        assert old & ~mask == new & ~mask


@settings(max_examples=300)
@given(st.lists(BITFIELD_TYPES, min_size=1, max_size=10), PACK)
def test_property_bitfields_stay_inside_their_unit_and_do_not_overlap(types, pack):
    s = declare_struct("P", [(f"m{i}", t) for i, t in enumerate(types)], {}, pack)
    taken: set[int] = set()
    for m in s.members:
        assert m.bit + m.width <= m.ctype.bits
        assert m.offset % min(m.ctype.size, pack) == 0
        own = {8 * m.offset + m.bit + k for k in range(m.width)}
        assert not own & taken
        taken |= own
    assert s.size % s.align == 0


TYPE_TEXT = st.text(max_size=30) | st.builds(
    lambda name, a, b, c: f"{name}{a}{b}{c}",
    st.sampled_from(SCALARS + ["KEYBOARD_INPUT_DATA", "CDB10", "NOPE", ""]),
    st.sampled_from(["", " ", "[", "]", ":", "[3]", "[0]", "[70000]", ":3", ":0", ":99"]),
    st.sampled_from(["", "]", "[2]", ":1", "x", " "]),
    st.text(alphabet="[]:0123456789 ", max_size=4))


@settings(max_examples=500)
@given(TYPE_TEXT)
def test_property_type_text_parses_or_raises_layout_error(text):
    try:
        spec = parse_type(text, BUILTIN)
    except LayoutError as err:
        assert err.message and err.field is None
    else:
        assert spec.size >= 1 and spec.align in (1, 2, 4, 8)
        assert parse_type(spec.text, BUILTIN) == spec  # canonical text round-trips


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "1x", "int", ""]), TYPE_TEXT),
                max_size=5), st.sampled_from([0, 1, 2, 3, 4, 8, 16]))
def test_property_declare_struct_builds_or_raises_layout_error(fields, pack):
    try:
        s = declare_struct("P", fields, BUILTIN, pack)
    except LayoutError as err:
        assert err.field is None or 0 <= err.field < len(fields)
    else:
        assert s.size % s.align == 0 and len(s.members) == len(fields)


def test_a_pointer_type_is_32_bits_and_knows_its_pointee():
    """NAME* is a 32-bit pointer to NAME (a struct or a scalar type)."""
    structs = {"POINT": BUILTIN["IO_STATUS_BLOCK"]}
    spec = parse_type("POINT*", structs)
    assert spec.text == "POINT*" and spec.ctype.bits == 32 and spec.pointee is structs["POINT"]
    assert parse_type("ULONG *", {}).pointee.name == "ULONG"
    assert parse_type("POINT*[4]", structs).count == 4
