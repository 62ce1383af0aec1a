"""Counted strings: UNICODE_STRING and ANSI_STRING (stacks-services 4.9-4.15).

A counted string is an 8-byte header - ``USHORT Length; USHORT MaximumLength; PVOID
Buffer`` on x86 - and the characters at ``Buffer``: ``Length`` bytes of them, with no
NUL needed, in a buffer of ``MaximumLength`` bytes. The header is the driver's own
memory (a variable of its state or locals); the routines here read and write it
through :class:`CountedString` and reach ``Buffer`` the way the CPU would: a pointer
that names no memory is a :class:`StringFault` (the caller turns it into the access
violation of its context), a run past the memory is not modelled and says so.

The code follows ReactOS's ``sdk/lib/rtl/unicode.c`` and, where they differ, the
Windows Research Kernel: string memory comes from PagedPool with the tag ``'grtS'``
(``Strg`` in memory, WRK ``ExpAllocateStringRoutine``) and goes back with ExFreePool
(no tag check), so a buffer the driver allocated itself may be freed with
RtlFreeUnicodeString. The system ANSI code page is a single-byte one, Windows-1252:
one byte per character both ways, a character it cannot hold becomes ``?``. Pool
never runs out here, so STATUS_NO_MEMORY is never returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..constants import NTSTATUS
from ..errors import NotModelledError
from ..mm.memory import Buffer
from ..mm.pool import PagedPool, ex_allocate_pool_with_tag, ex_free_pool_with_tag

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

#: MAXUSHORT: the largest size a counted string can describe
MAX_USTRING = 0xFFFF
#: what the conversions return for a result too long to describe (not in NTSTATUS yet)
STATUS_INVALID_PARAMETER_2 = 0xC00000F0
#: 'grtS' as C writes it: ExpAllocateStringRoutine's tag, "Strg" in memory
STRING_TAG = int.from_bytes(b"grtS", "big")
#: the system ANSI code page (RtlAnsiStringToUnicodeString and back)
ANSI_CODE_PAGE = "cp1252"

SUCCESS = NTSTATUS.STATUS_SUCCESS
_WIDE_NUL, _NUL = b"\0\0", b"\0"


class StringFault(Exception):
    """A string routine touched a pointer that names no memory (NULL, garbage, never
    set): the access violation the CPU raises, for the caller to deliver.

    Attributes:
        address: the address read or written.
        write: True for a write.
    """

    def __init__(self, address: int, write: bool) -> None:
        super().__init__(address, write)
        self.address = address
        self.write = write

    def __str__(self) -> str:
        return f"{'write to' if self.write else 'read from'} 0x{self.address:08X}"


class CountedString:
    """A UNICODE_STRING or ANSI_STRING header in memory (8 bytes, x86 layout)."""

    __slots__ = ("header",)

    def __init__(self, header: Buffer) -> None:
        self.header = header

    def _get(self, offset: int, size: int) -> int:
        return int.from_bytes(self.header.read(offset, size), "little")

    def _put(self, offset: int, size: int, value: int) -> None:
        self.header.write((value & ((1 << 8 * size) - 1)).to_bytes(size, "little"), offset)

    @property
    def length(self) -> int:
        return self._get(0, 2)

    @length.setter
    def length(self, value: int) -> None:
        self._put(0, 2, value)

    @property
    def maximum_length(self) -> int:
        return self._get(2, 2)

    @maximum_length.setter
    def maximum_length(self, value: int) -> None:
        self._put(2, 2, value)

    @property
    def buffer(self) -> int:
        return self._get(4, 4)

    @buffer.setter
    def buffer(self, value: int) -> None:
        self._put(4, 4, value)

    def __repr__(self) -> str:
        return (f"<CountedString Length={self.length} MaximumLength={self.maximum_length} "
                f"Buffer=0x{self.buffer:08X}>")


# -- memory ------------------------------------------------------------------------------

def _locate(kernel: "Kernel", address: int, count: int, write: bool) -> tuple[Buffer, int]:
    """The memory holding ``count`` bytes at ``address``, and the offset there."""
    found = kernel.objects.at(address) if address else None
    if isinstance(found, Buffer):
        buffer, offset = found, 0
    else:
        block = kernel.pool_blocks.containing(address) if address else None
        if block is None:
            for start, old in kernel.pool_blocks.blocks.items():
                if old.freed and start <= address < start + max(old.size, 1):
                    buffer, offset = old.buffer, address - start
                    break
            else:
                raise StringFault(address, write)
        else:
            buffer, offset = block.buffer, address - block.buffer.address
    if buffer.freed:
        raise NotModelledError("touching freed pool", f"0x{address:08X} was freed: what it "
                               "holds now is not modelled")
    if offset + count > buffer.length:
        raise NotModelledError("a buffer overrun", f"{count} bytes at 0x{address:08X} run "
                               f"past the {buffer.length}-byte buffer at "
                               f"0x{buffer.address:08X}")
    return buffer, offset


def _read(kernel: "Kernel", address: int, count: int, at: int = 0) -> bytes:
    """``count`` bytes at ``address + at`` (``address`` a string's Buffer pointer)."""
    if count <= 0:
        return b""                       # nothing to read: the pointer is not touched
    buffer, offset = _locate(kernel, address, at + count, False)
    return buffer.read(offset + at, count)


def _write(kernel: "Kernel", address: int, data: bytes, at: int = 0) -> None:
    if data:
        buffer, offset = _locate(kernel, address, at + len(data), True)
        buffer.write(data, offset + at)


def _terminated(kernel: "Kernel", address: int, wide: bool) -> bytes:
    """The characters at ``address`` up to their NUL (wcslen / strlen), NUL excluded."""
    buffer, offset = _locate(kernel, address, 0, False)
    data = buffer.read(offset)
    step = 2 if wide else 1
    for at in range(0, len(data) - step + 1, step):
        if data[at:at + step] == (_WIDE_NUL if wide else _NUL):
            return data[:at]
    raise NotModelledError("a string without its NUL", f"no terminating NUL at "
                           f"0x{address:08X} before the end of its {buffer.length}-byte "
                           "buffer: what follows in memory is not modelled")


def _units(data: bytes) -> list[int]:
    """UTF-16 code units, as the routines see WCHARs."""
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data) - 1, 2)]


def string_literal(kernel: "Kernel", text: str, wide: bool) -> Buffer:
    """A string literal of the driver image (``L"..."`` or ``"..."``), NUL-terminated.

    It lives at its own address, which driver code may hold and pass around. It is
    writable, as the old DDK's literals in .data were (4.9; with read-only literals -
    /GF, newer toolsets - a write would fault: not modelled); it is no pool block."""
    data = text.encode("utf-16-le", "surrogatepass") + _WIDE_NUL if wide \
        else ansi_encode(text) + _NUL
    buffer = Buffer.new(kernel.pool, len(data))
    buffer.write(data)
    kernel.objects.register(buffer.address, buffer)
    return buffer


def string_text(kernel: "Kernel", string: CountedString, wide: bool) -> str:
    """What %wZ / %Z prints: exactly Length bytes at Buffer (4.16)."""
    data = _read(kernel, string.buffer, string.length)
    if wide:
        return "".join(map(chr, _units(data)))
    return ansi_decode(data)


# -- characters ----------------------------------------------------------------------------

def _ansi_table() -> tuple[str, ...]:
    out = []
    for byte in range(256):
        try:
            out.append(bytes([byte]).decode(ANSI_CODE_PAGE))
        except UnicodeDecodeError:      # 0x81 0x8D 0x8F 0x90 0x9D: Windows maps them 1:1
            out.append(chr(byte))
    return tuple(out)


_ANSI = _ansi_table()
_TO_ANSI = {ch: bytes([byte]) for byte, ch in enumerate(_ANSI)}


def ansi_decode(data: bytes) -> str:
    """ANSI code page bytes to text, one character per byte."""
    return "".join(_ANSI[b] for b in data)


def ansi_encode(text: str) -> bytes:
    """Text to ANSI code page bytes, one per character (or UTF-16 code unit); what the
    code page cannot hold becomes '?' (WideCharToMultiByte's default character)."""
    return b"".join(_TO_ANSI.get(ch, b"?") for ch in text)


def upcase_char(unit: int) -> int:
    """RtlUpcaseUnicodeChar: the NLS upcase table's one-to-one mapping of a WCHAR (a
    character whose capital is more than one character stays as it is: 'ß')."""
    upper = chr(unit).upper()
    return ord(upper) if len(upper) == 1 and ord(upper) <= 0xFFFF else unit


# -- RtlInit* --------------------------------------------------------------------------------

def rtl_init_unicode_string(kernel: "Kernel", string: CountedString, source: int) -> None:
    """RtlInitUnicodeString(&string, source) (4.9): no copy - Buffer = source, Length
    = 2 x wcslen, MaximumLength = Length + 2; a NULL source gives 0 / 0 / NULL."""
    size = len(_terminated(kernel, source, True)) if source else 0
    string.length = size
    string.maximum_length = size + 2 if source else 0
    string.buffer = source


def rtl_init_ansi_string(kernel: "Kernel", string: CountedString, source: int) -> None:
    """RtlInitAnsiString / RtlInitString (4.9): Buffer = source, Length = strlen,
    MaximumLength = Length + 1; NULL gives 0 / 0 / NULL."""
    size = len(_terminated(kernel, source, False)) if source else 0
    string.length = size
    string.maximum_length = size + 1 if source else 0
    string.buffer = source


def rtl_init_empty_unicode_string(string: CountedString, buffer: int, size: int) -> None:
    """RtlInitEmptyUnicodeString(&string, buffer, size): an empty string over the
    caller's buffer (Length 0, MaximumLength = size)."""
    string.length = 0
    string.maximum_length = size
    string.buffer = buffer


# -- copy and append ---------------------------------------------------------------------------

def rtl_copy_unicode_string(kernel: "Kernel", destination: CountedString,
                            source: CountedString | None) -> None:
    """RtlCopyUnicodeString (4.10): VOID, silent truncation. A NULL source sets
    Length 0; else n = min(Source.Length, Destination.MaximumLength) bytes are copied,
    Length = n, and a NUL follows them only if n < MaximumLength."""
    if source is None:
        destination.length = 0
        return
    count = min(source.length, destination.maximum_length)
    data = _read(kernel, source.buffer, count)
    destination.length = count
    _write(kernel, destination.buffer, data)
    if count < destination.maximum_length:          # Buffer[n / sizeof(WCHAR)] = 0
        _write(kernel, destination.buffer, _WIDE_NUL, count // 2 * 2)


def _append(kernel: "Kernel", destination: CountedString, source: int, count: int) -> int:
    if destination.length + count > destination.maximum_length:
        return NTSTATUS.STATUS_BUFFER_TOO_SMALL
    at = destination.length // 2 * 2            # &Buffer[Length / sizeof(WCHAR)]
    _write(kernel, destination.buffer, _read(kernel, source, count), at)
    destination.length += count
    if destination.maximum_length > destination.length:      # a NUL if there is room
        _write(kernel, destination.buffer, _WIDE_NUL, at + count // 2 * 2)
    return SUCCESS


def rtl_append_unicode_to_string(kernel: "Kernel", destination: CountedString,
                                 source: int) -> int:
    """RtlAppendUnicodeToString(&destination, PCWSTR source) (4.11): NULL appends
    nothing; if the result would pass MaximumLength, STATUS_BUFFER_TOO_SMALL and the
    destination is unchanged."""
    if not source:
        return SUCCESS
    return _append(kernel, destination, source, len(_terminated(kernel, source, True)))


def rtl_append_unicode_string_to_string(kernel: "Kernel", destination: CountedString,
                                        source: CountedString) -> int:
    """RtlAppendUnicodeStringToString (4.11): the same rule with a counted source; an
    empty source changes nothing."""
    if not source.length:
        return SUCCESS
    return _append(kernel, destination, source.buffer, source.length)


# -- compare ---------------------------------------------------------------------------------

def rtl_compare_unicode_string(kernel: "Kernel", first: CountedString,
                               second: CountedString, case_insensitive: bool) -> int:
    """RtlCompareUnicodeString (4.12): character by character over the shorter length
    (both up-cased when case_insensitive), the first difference decides; an equal
    prefix gives first.Length - second.Length. Only the sign is specified; this is
    ReactOS's value (the difference of the two WCHARs)."""
    for index in range(min(first.length, second.length) // 2):
        a = int.from_bytes(_read(kernel, first.buffer, 2, 2 * index), "little")
        b = int.from_bytes(_read(kernel, second.buffer, 2, 2 * index), "little")
        if case_insensitive:
            a, b = upcase_char(a), upcase_char(b)
        if a != b:
            return a - b
    return first.length - second.length


def rtl_equal_unicode_string(kernel: "Kernel", first: CountedString, second: CountedString,
                             case_insensitive: bool) -> bool:
    """RtlEqualUnicodeString (4.12): different Lengths are unequal at once, without
    touching either Buffer; else equal when the comparison gives 0."""
    if first.length != second.length:
        return False
    return rtl_compare_unicode_string(kernel, first, second, case_insensitive) == 0


# -- upcase ----------------------------------------------------------------------------------

def rtl_upcase_unicode_string(kernel: "Kernel", destination: CountedString,
                              source: CountedString, allocate: bool) -> int:
    """RtlUpcaseUnicodeString (4.13). Allocate: a PagedPool buffer of Source.Length
    bytes, MaximumLength = Source.Length (no room for a NUL; free it with
    RtlFreeUnicodeString). Else Source.Length > Destination.MaximumLength is
    STATUS_BUFFER_OVERFLOW and nothing is written. In place (the same string) is
    allowed. Destination.Length = Source.Length."""
    if allocate:
        destination.maximum_length = source.length
        destination.buffer = ex_allocate_pool_with_tag(kernel, PagedPool, source.length,
                                                       STRING_TAG).address
    elif source.length > destination.maximum_length:
        return NTSTATUS.STATUS_BUFFER_OVERFLOW
    for index in range(source.length // 2):
        unit = int.from_bytes(_read(kernel, source.buffer, 2, 2 * index), "little")
        _write(kernel, destination.buffer, upcase_char(unit).to_bytes(2, "little"),
               2 * index)
    destination.length = source.length
    return SUCCESS


# -- integers --------------------------------------------------------------------------------

def _digit(unit: int) -> int:
    if 0x30 <= unit <= 0x39:
        return unit - 0x30
    if 0x41 <= unit <= 0x5A:
        return unit - 0x41 + 10
    if 0x61 <= unit <= 0x7A:
        return unit - 0x61 + 10
    return -1


def parse_integer(units: Sequence[int], base: int) -> tuple[int, int | None]:
    """RtlUnicodeStringToInteger's parse of WCHARs (4.14): (status, ULONG value).

    Leading characters <= ' ' are skipped, then one '+' or '-'; base 0 reads a 0x/0X
    (16), 0o (8) or 0b (2) prefix, else decimal; any other base than 0, 2, 8, 10, 16 is
    STATUS_INVALID_PARAMETER. Digits stop at the first that is not one in the base -
    still STATUS_SUCCESS ("12ab" is 12, "abc" 0). The total wraps at 32 bits and '-'
    negates it unsigned: "-100" is 0xFFFFFF9C."""
    i, n = 0, len(units)
    while i < n and units[i] <= 0x20:
        i += 1
    minus = False
    if i < n and units[i] in (0x2B, 0x2D):
        minus = units[i] == 0x2D
        i += 1
    if base == 0:
        base = 10
        if n - i >= 2 and units[i] == 0x30:
            prefix = {0x78: 16, 0x58: 16, 0x6F: 8, 0x62: 2}.get(units[i + 1])
            if prefix is not None:
                base, i = prefix, i + 2
    elif base not in (2, 8, 10, 16):
        return NTSTATUS.STATUS_INVALID_PARAMETER, None
    total = 0
    while i < n:
        digit = _digit(units[i])
        if digit < 0 or digit >= base:
            break
        total = (total * base + digit) & 0xFFFFFFFF
        i += 1
    return SUCCESS, (-total if minus else total) & 0xFFFFFFFF


def format_integer(value: int, base: int) -> tuple[int, str | None]:
    """RtlIntegerToChar's digits of a ULONG (4.14): base 0 is 10, a base other than 2,
    8, 10, 16 is STATUS_INVALID_PARAMETER; capital hex digits."""
    if base == 0:
        base = 10
    elif base not in (2, 8, 10, 16):
        return NTSTATUS.STATUS_INVALID_PARAMETER, None
    value &= 0xFFFFFFFF
    digits = ""
    while True:
        digits = "0123456789ABCDEF"[value % base] + digits
        value //= base
        if not value:
            return SUCCESS, digits


def rtl_unicode_string_to_integer(kernel: "Kernel", string: CountedString,
                                  base: int) -> tuple[int, int | None]:
    """RtlUnicodeStringToInteger(&string, base, &value) (4.14): (status, value); the
    value is None (not stored) when the status is a failure."""
    return parse_integer(_units(_read(kernel, string.buffer, string.length)), base)


def rtl_integer_to_unicode_string(kernel: "Kernel", value: int, base: int,
                                  string: CountedString) -> int:
    """RtlIntegerToUnicodeString(value, base, &string) (4.14): the digits of the ULONG
    value, written through RtlAnsiStringToUnicodeString(Allocate FALSE) into the
    string's own buffer - which needs room for the digits and a NUL, else
    STATUS_BUFFER_OVERFLOW."""
    status, digits = format_integer(value, base)
    if digits is None:
        return status
    return _to_unicode(kernel, string, digits.encode("ascii"), False)


# -- ANSI <-> Unicode --------------------------------------------------------------------------

def _to_unicode(kernel: "Kernel", destination: CountedString, data: bytes,
                allocate: bool) -> int:
    size = 2 * len(data) + 2                   # single-byte code page: Length*2 + NUL
    if size > MAX_USTRING:
        return STATUS_INVALID_PARAMETER_2
    destination.length = size - 2
    if allocate:
        destination.buffer = ex_allocate_pool_with_tag(kernel, PagedPool, size,
                                                       STRING_TAG).address
        destination.maximum_length = size
    elif destination.length >= destination.maximum_length:
        return NTSTATUS.STATUS_BUFFER_OVERFLOW  # no partial copy (Length already set)
    _write(kernel, destination.buffer,
           ansi_decode(data).encode("utf-16-le", "surrogatepass") + _WIDE_NUL)
    return SUCCESS


def rtl_ansi_string_to_unicode_string(kernel: "Kernel", destination: CountedString,
                                      source: CountedString, allocate: bool) -> int:
    """RtlAnsiStringToUnicodeString (4.15). The size is the converted length plus a
    NUL; over 0xFFFF bytes is STATUS_INVALID_PARAMETER_2. Allocate: a PagedPool buffer
    of exactly that size (MaximumLength = size; free it with RtlFreeUnicodeString).
    Else a converted length >= MaximumLength (no room for the NUL) is
    STATUS_BUFFER_OVERFLOW and nothing is converted - Length is set first, as ReactOS
    and the WRK do. The result is NUL-terminated; Length excludes the NUL."""
    return _to_unicode(kernel, destination, _read(kernel, source.buffer, source.length),
                       allocate)


def rtl_unicode_string_to_ansi_string(kernel: "Kernel", destination: CountedString,
                                      source: CountedString, allocate: bool) -> int:
    """RtlUnicodeStringToAnsiString (4.15): size = Source.Length / 2 + 1 bytes (one per
    WCHAR and the NUL). Allocate: a PagedPool buffer of that size (free it with
    RtlFreeAnsiString). Else, when the result does not fit with its NUL, the status is
    STATUS_BUFFER_OVERFLOW - but, unlike the other direction, as much as fits is
    converted and NUL-terminated (Length = MaximumLength - 1; nothing at all for a
    MaximumLength of 0), as ReactOS's unicode.c and the WRK do."""
    size = (source.length + 2) // 2
    if size > MAX_USTRING:
        return STATUS_INVALID_PARAMETER_2
    destination.length = size - 1
    status = SUCCESS
    if allocate:
        destination.buffer = ex_allocate_pool_with_tag(kernel, PagedPool, size,
                                                       STRING_TAG).address
        destination.maximum_length = size
    elif destination.length >= destination.maximum_length:
        if not destination.maximum_length:
            return NTSTATUS.STATUS_BUFFER_OVERFLOW
        status = NTSTATUS.STATUS_BUFFER_OVERFLOW
        destination.length = destination.maximum_length - 1
    units = _units(_read(kernel, source.buffer, source.length))
    data = ansi_encode("".join(map(chr, units)))[:destination.length]
    _write(kernel, destination.buffer, data + _NUL)
    return status


# -- free --------------------------------------------------------------------------------------

def _free(kernel: "Kernel", string: CountedString) -> None:
    if string.buffer:
        ex_free_pool_with_tag(kernel, string.buffer)     # ExFreePool: no tag check
        string.header.write(bytes(8))                    # RtlZeroMemory(string)


def rtl_free_unicode_string(kernel: "Kernel", string: CountedString) -> None:
    """RtlFreeUnicodeString (4.13, 4.15): ExFreePool(Buffer) and the header zeroed; a
    NULL Buffer does nothing. A Buffer that is no pool block (a literal from
    RtlInitUnicodeString) is bug check 0xC2 as ExFreePool has it."""
    _free(kernel, string)


def rtl_free_ansi_string(kernel: "Kernel", string: CountedString) -> None:
    """RtlFreeAnsiString: as RtlFreeUnicodeString."""
    _free(kernel, string)
