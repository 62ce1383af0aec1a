"""FILE_INFORMATION_CLASS: what NtQueryInformationFile / NtSetInformationFile check and
carry (stacks-services 4.27, 4.28).

The I/O manager validates the class and the buffer's length before any IRP exists:
a class that is not one of the enumeration's, or one that exists only for the other
direction (FileEndOfFileInformation cannot be queried, FileStandardInformation cannot
be set), is STATUS_INVALID_INFO_CLASS; a buffer shorter than the class's fixed size
is STATUS_INFO_LENGTH_MISMATCH. (ReactOS runs both checks for kernel-mode callers
only in checked builds; the spec's rule 4.27 states them without that condition, and
that is what is modelled.) The records are laid out as on x86, where LARGE_INTEGER is
8-aligned: FILE_BASIC_INFORMATION is 40 bytes, FILE_STANDARD_INFORMATION 24,
FILE_RENAME_INFORMATION 16 (its FileName runs on past the struct).
"""

from __future__ import annotations

import struct

from ..constants import (FileBasicInformation, FileDispositionInformation,
                         FileEndOfFileInformation, FilePositionInformation,
                         FileRenameInformation, FileStandardInformation, NTSTATUS)
from ..errors import NotModelledError

#: FileDirectoryInformation (1) .. FileShortNameInformation (40): FileMaximumInformation
#: is 41 on XP.
FILE_MAXIMUM_INFORMATION = 41
#: Classes the model answers, and their fixed size (IopQueryOperationLength).
QUERY_LENGTHS = {FileBasicInformation: 40, FileStandardInformation: 24,
                 FilePositionInformation: 8}
#: Classes the model sets, and their fixed size (IopSetOperationLength).
SET_LENGTHS = {FileRenameInformation: 16, FileDispositionInformation: 1,
               FilePositionInformation: 8, FileEndOfFileInformation: 8}
#: Classes that exist, but not for that direction: STATUS_INVALID_INFO_CLASS.
_SET_ONLY = frozenset((FileRenameInformation, 11, FileDispositionInformation, 19,
                       FileEndOfFileInformation))     # 11 Link, 19 Allocation
_QUERY_ONLY = frozenset((FileStandardInformation, 9, 18))   # 9 Name, 18 All

_BASIC = struct.Struct("<qqqqI4x")
_STANDARD = struct.Struct("<qqIBB2x")
_LARGE = struct.Struct("<q")
_RENAME_HEADER = struct.Struct("<B3xII")


def check_information_class(information_class: int, length: int, set_: bool,
                            routine: str) -> int:
    """The I/O manager's checks: STATUS_SUCCESS, STATUS_INVALID_INFO_CLASS or
    STATUS_INFO_LENGTH_MISMATCH. A real class the model does not answer raises
    NotModelledError naming it."""
    if not 0 < information_class < FILE_MAXIMUM_INFORMATION or information_class in (
            _QUERY_ONLY if set_ else _SET_ONLY):
        return NTSTATUS.STATUS_INVALID_INFO_CLASS
    lengths = SET_LENGTHS if set_ else QUERY_LENGTHS
    if information_class not in lengths:
        raise NotModelledError(routine, f"FileInformationClass {information_class} (the "
                               f"model {'sets' if set_ else 'answers'} "
                               f"{', '.join(map(str, sorted(lengths)))})")
    if length < lengths[information_class]:
        return NTSTATUS.STATUS_INFO_LENGTH_MISMATCH
    return NTSTATUS.STATUS_SUCCESS


def file_basic_information(creation: int, last_access: int, last_write: int, change: int,
                           attributes: int) -> bytes:
    """FILE_BASIC_INFORMATION: four LARGE_INTEGER times, ULONG FileAttributes."""
    return _BASIC.pack(creation, last_access, last_write, change, attributes)


def file_standard_information(allocation_size: int, end_of_file: int, links: int,
                              delete_pending: bool, directory: bool) -> bytes:
    """FILE_STANDARD_INFORMATION: AllocationSize, EndOfFile, NumberOfLinks, two BOOLEANs."""
    return _STANDARD.pack(allocation_size, end_of_file, links, int(delete_pending),
                          int(directory))


def large_integer(value: int) -> bytes:
    """FILE_POSITION_INFORMATION / FILE_END_OF_FILE_INFORMATION: one LARGE_INTEGER."""
    return _LARGE.pack(value)


def read_large_integer(data: bytes) -> int:
    value: int = _LARGE.unpack_from(data)[0]
    return value


def file_rename_information(replace_if_exists: bool, root_directory: int, name: str) -> bytes:
    """FILE_RENAME_INFORMATION as a caller fills it: the name's bytes follow the header
    (FileNameLength counts bytes, no terminating NUL)."""
    encoded = name.encode("utf-16-le")
    return _RENAME_HEADER.pack(int(replace_if_exists), root_directory, len(encoded)) + encoded


def read_file_rename_information(data: bytes) -> tuple[bool, int, str]:
    """(ReplaceIfExists, RootDirectory, FileName) of a FILE_RENAME_INFORMATION buffer."""
    replace, root, length = _RENAME_HEADER.unpack_from(data)
    name = data[_RENAME_HEADER.size:_RENAME_HEADER.size + length]
    return bool(replace), root, name.decode("utf-16-le", errors="replace")
