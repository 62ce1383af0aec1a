"""The registry's information structures, as ZwQueryKey / ZwQueryValueKey / the
ZwEnumerate* services write them (stacks-services 4.20, 4.21; x86 layouts of wdm.h).

Every class follows one rule (RO:cmvalche CmpQueryKeyValueData, CmpQueryKeyData):
ResultLength is always the size the whole structure needs; a Length below the fixed
part (up to the variable-length name, data or class) is STATUS_BUFFER_TOO_SMALL and
nothing is written; a Length that holds the fixed part but not all the rest gets the
fixed part and as much of the rest as fits, with STATUS_BUFFER_OVERFLOW (a warning).
Names are UTF-16LE and never NUL-terminated.
"""

from __future__ import annotations

import struct

from ..constants import (NTSTATUS, KeyBasicInformation, KeyFullInformation,
                         KeyNodeInformation, KeyValueBasicInformation,
                         KeyValueFullInformation, KeyValuePartialInformation)
from .hive import KeyNode, KeyValue

STATUS_SUCCESS = NTSTATUS.STATUS_SUCCESS
#: FIELD_OFFSET of the variable part, per class (x86)
VALUE_BASIC_FIXED = 12      # TitleIndex, Type, NameLength | Name
VALUE_FULL_FIXED = 20       # TitleIndex, Type, DataOffset, DataLength, NameLength | Name
VALUE_PARTIAL_FIXED = 12    # TitleIndex, Type, DataLength | Data
KEY_BASIC_FIXED = 16        # LastWriteTime, TitleIndex, NameLength | Name
KEY_NODE_FIXED = 24         # LastWriteTime, TitleIndex, ClassOffset, ClassLength, NameLength
KEY_FULL_FIXED = 44         # LastWriteTime, TitleIndex, ClassOffset, ClassLength, SubKeys,
#                             MaxNameLen, MaxClassLen, Values, MaxValueNameLen,
#                             MaxValueDataLen | Class
NO_OFFSET = 0xFFFFFFFF      # DataOffset / ClassOffset when there is no data / class


def _align4(n: int) -> int:
    return (n + 3) & ~3


def _fit(length: int, fixed: int, pieces: list[tuple[int, bytes]], required: int,
         header: bytes) -> tuple[int, bytes | None, int]:
    """(status, the bytes written from the buffer's start, ResultLength): the fixed
    header, then each (offset, bytes) piece truncated at ``length``."""
    if length < fixed:
        return NTSTATUS.STATUS_BUFFER_TOO_SMALL, None, required
    out = bytearray(header)
    status = STATUS_SUCCESS
    for offset, data in pieces:
        room = max(0, length - offset)
        if room < len(data):
            status = NTSTATUS.STATUS_BUFFER_OVERFLOW
            data = data[:room]
        if data:
            out.extend(bytes(offset - len(out)))
            out.extend(data)
    return status, bytes(out), required


def value_information(value: KeyValue, info_class: int, length: int
                      ) -> tuple[int, bytes | None, int | None]:
    """KEY_VALUE_BASIC / FULL / PARTIAL_INFORMATION of one value (4.20)."""
    name = value.name.encode("utf-16-le")
    if info_class == KeyValueBasicInformation:
        header = struct.pack("<III", 0, value.type, len(name))
        return _fit(length, VALUE_BASIC_FIXED, [(VALUE_BASIC_FIXED, name)],
                    VALUE_BASIC_FIXED + len(name), header)
    if info_class == KeyValueFullInformation:
        data = value.data
        required = VALUE_FULL_FIXED + len(name)
        data_offset = NO_OFFSET
        pieces = [(VALUE_FULL_FIXED, name)]
        if data:
            data_offset = _align4(required)     # the data starts ULONG-aligned after the name
            required = data_offset + len(data)
            pieces.append((data_offset, data))
        header = struct.pack("<IIIII", 0, value.type, data_offset, len(data), len(name))
        return _fit(length, VALUE_FULL_FIXED, pieces, required, header)
    if info_class == KeyValuePartialInformation:
        header = struct.pack("<III", 0, value.type, len(value.data))
        return _fit(length, VALUE_PARTIAL_FIXED, [(VALUE_PARTIAL_FIXED, value.data)],
                    VALUE_PARTIAL_FIXED + len(value.data), header)
    return NTSTATUS.STATUS_INVALID_PARAMETER, None, None


def key_information(node: KeyNode, info_class: int, length: int
                    ) -> tuple[int, bytes | None, int | None]:
    """KEY_BASIC / NODE / FULL_INFORMATION of one key (4.21)."""
    name = node.name.encode("utf-16-le")
    class_ = node.class_name.encode("utf-16-le")
    time = node.last_write_time
    if info_class == KeyBasicInformation:
        header = struct.pack("<QII", time, 0, len(name))
        return _fit(length, KEY_BASIC_FIXED, [(KEY_BASIC_FIXED, name)],
                    KEY_BASIC_FIXED + len(name), header)
    if info_class == KeyNodeInformation:
        required = KEY_NODE_FIXED + len(name)
        class_offset = NO_OFFSET
        pieces = [(KEY_NODE_FIXED, name)]
        if class_:
            class_offset = _align4(required)
            required = class_offset + len(class_)
            pieces.append((class_offset, class_))
        header = struct.pack("<QIIII", time, 0, class_offset, len(class_), len(name))
        return _fit(length, KEY_NODE_FIXED, pieces, required, header)
    if info_class == KeyFullInformation:
        subkeys = list(node.subkeys.values())
        values = list(node.values.values())
        header = struct.pack(
            "<QIIIIIIIII", time, 0, KEY_FULL_FIXED if class_ else NO_OFFSET, len(class_),
            len(subkeys), max((2 * len(k.name) for k in subkeys), default=0),
            max((2 * len(k.class_name) for k in subkeys), default=0), len(values),
            max((2 * len(v.name) for v in values), default=0),
            max((len(v.data) for v in values), default=0))
        return _fit(length, KEY_FULL_FIXED, [(KEY_FULL_FIXED, class_)],
                    KEY_FULL_FIXED + len(class_), header)
    return NTSTATUS.STATUS_INVALID_PARAMETER, None, None
