"""Rules of the Rtl counted-string routines (stacks-services 4.9-4.15), one test each."""

from __future__ import annotations

import pytest

from harness.kernel import (DISPATCH_LEVEL, NTSTATUS, BugCheckCode, BugCheckHalt, Buffer,
                            ex_allocate_pool_with_tag)
from harness.kernel.rtl import (STATUS_INVALID_PARAMETER_2, CountedString, StringFault,
                                rtl_ansi_string_to_unicode_string,
                                rtl_append_unicode_string_to_string,
                                rtl_append_unicode_to_string, rtl_compare_unicode_string,
                                rtl_copy_unicode_string, rtl_equal_unicode_string,
                                rtl_free_ansi_string, rtl_free_unicode_string,
                                rtl_init_ansi_string, rtl_init_empty_unicode_string,
                                rtl_init_unicode_string, rtl_integer_to_unicode_string,
                                rtl_unicode_string_to_ansi_string,
                                rtl_unicode_string_to_integer, rtl_upcase_unicode_string,
                                string_literal, string_text)

PAGED = 1
OK = NTSTATUS.STATUS_SUCCESS
WILD = 0xCCCCCCCC


def header(kernel) -> CountedString:
    """A UNICODE_STRING / ANSI_STRING variable: 8 bytes of the driver's memory."""
    return CountedString(Buffer.new(kernel.pool, 8))


def wide(kernel, text: str) -> CountedString:
    """RtlInitUnicodeString(&s, L"text")."""
    string = header(kernel)
    rtl_init_unicode_string(kernel, string, string_literal(kernel, text, True).address)
    return string


def narrow(kernel, text: str) -> CountedString:
    """RtlInitAnsiString(&s, "text")."""
    string = header(kernel)
    rtl_init_ansi_string(kernel, string, string_literal(kernel, text, False).address)
    return string


def over_pool(kernel, size: int, maximum: int | None = None) -> tuple[CountedString, Buffer]:
    """An empty string over a fresh pool block (raw pool: 0xCD bytes)."""
    block = ex_allocate_pool_with_tag(kernel, PAGED, size)
    string = header(kernel)
    rtl_init_empty_unicode_string(string, block.address, size if maximum is None else maximum)
    return string, block


def test_4_9_init_points_buffer_at_the_source_without_copying(kernel):
    """4.9: RtlInitUnicodeString: Buffer = src, Length = 2 x wcslen, MaximumLength =
    Length + 2; NULL gives 0/0/NULL; RtlInitAnsiString the same in bytes (+1). No copy:
    writing the literal changes what the string holds."""
    literal = string_literal(kernel, "hello", True)
    string = header(kernel)
    rtl_init_unicode_string(kernel, string, literal.address)
    assert (string.length, string.maximum_length, string.buffer) == (10, 12, literal.address)
    literal.write("H".encode("utf-16-le"))
    assert string_text(kernel, string, True) == "Hello"
    rtl_init_unicode_string(kernel, string, 0)
    assert (string.length, string.maximum_length, string.buffer) == (0, 0, 0)

    ansi = string_literal(kernel, "hello", False)
    string = header(kernel)
    rtl_init_ansi_string(kernel, string, ansi.address)
    assert (string.length, string.maximum_length, string.buffer) == (5, 6, ansi.address)
    ansi.write(b"HELLO")
    assert string_text(kernel, string, False) == "HELLO"
    rtl_init_ansi_string(kernel, string, 0)
    assert (string.length, string.maximum_length, string.buffer) == (0, 0, 0)
    assert kernel.pool_blocks.usage() == {}          # literals are the image's, no pool


def test_4_10_copy_truncates_silently_and_adds_a_nul_only_if_there_is_room(kernel):
    """4.10: n = min(Src.Length, Dst.MaximumLength) bytes, Dst.Length = n, a NUL after
    them only if n < MaximumLength; n may be odd; a NULL source sets Length 0."""
    source = wide(kernel, "Hello World")
    big, block = over_pool(kernel, 1024)
    rtl_copy_unicode_string(kernel, big, source)
    assert big.length == 22 and string_text(kernel, big, True) == "Hello World"
    assert block.read(22, 2) == b"\0\0"

    small, block = over_pool(kernel, 12, maximum=10)
    rtl_copy_unicode_string(kernel, small, source)
    assert small.length == 10 and string_text(kernel, small, True) == "Hello"
    assert block.read(10, 2) == b"\xcd\xcd"           # n == MaximumLength: no NUL

    odd, _ = over_pool(kernel, 8, maximum=5)
    rtl_copy_unicode_string(kernel, odd, source)
    assert odd.length == 5

    rtl_copy_unicode_string(kernel, big, None)
    assert (big.length, big.maximum_length) == (0, 1024)


def test_4_11_append_past_maximum_length_is_buffer_too_small_and_changes_nothing(kernel):
    """4.11: RtlAppendUnicodeToString: NULL appends nothing; Length + 2 x wcslen(s) >
    MaximumLength is STATUS_BUFFER_TOO_SMALL (0xC0000023) with Dst unchanged; else it
    appends, updates Length and NUL-terminates if there is room. The same rule for
    RtlAppendUnicodeStringToString."""
    dst, block = over_pool(kernel, 16, maximum=12)
    hello = string_literal(kernel, "hello", True).address
    assert rtl_append_unicode_to_string(kernel, dst, hello) == OK
    assert dst.length == 10 and block.read(10, 2) == b"\0\0"
    bang = string_literal(kernel, "!", True).address
    assert rtl_append_unicode_to_string(kernel, dst, bang) == OK
    assert dst.length == 12 and block.read(12, 2) == b"\xcd\xcd"    # full: no NUL
    before = block.read()
    status = rtl_append_unicode_to_string(kernel, dst, string_literal(kernel, "x", True).address)
    assert status == NTSTATUS.STATUS_BUFFER_TOO_SMALL == 0xC0000023
    assert dst.length == 12 and block.read() == before
    assert rtl_append_unicode_to_string(kernel, dst, 0) == OK and dst.length == 12
    assert string_text(kernel, dst, True) == "hello!"

    dst, _ = over_pool(kernel, 32, maximum=24)
    assert rtl_append_unicode_string_to_string(kernel, dst, wide(kernel, "Hello ")) == OK
    assert rtl_append_unicode_string_to_string(kernel, dst, wide(kernel, "World")) == OK
    assert string_text(kernel, dst, True) == "Hello World"
    assert rtl_append_unicode_string_to_string(kernel, dst, wide(kernel, "!!")) == \
        NTSTATUS.STATUS_BUFFER_TOO_SMALL
    assert dst.length == 22


def test_4_12_compare_gives_the_sign_and_equal_checks_the_lengths_first(kernel):
    """4.12: RtlCompareUnicodeString compares over the shorter length (up-casing both
    when CaseInsensitive), the first difference decides, then the Lengths; only the sign
    matters. RtlEqualUnicodeString: different Lengths are unequal at once - the Buffers
    are not read (#8's uninitialised second string), equal ones are."""
    def compare(a: str, b: str, insensitive: bool = False) -> int:
        return rtl_compare_unicode_string(kernel, wide(kernel, a), wide(kernel, b),
                                          insensitive)
    assert compare("abc", "abd") < 0 < compare("abd", "abc")
    assert compare("abc", "ab") > 0 > compare("ab", "abc")
    assert compare("Hello", "hello") < 0                  # 'H' 0x48 < 'h' 0x68
    assert compare("Hello", "HELLO", True) == 0 == compare("same", "same")
    assert rtl_equal_unicode_string(kernel, wide(kernel, "Hello"), wide(kernel, "HELLO"), True)
    assert not rtl_equal_unicode_string(kernel, wide(kernel, "Hello"), wide(kernel, "HELLO"),
                                        False)

    garbage = header(kernel)
    garbage.length, garbage.buffer = 0xCCCC, WILD
    assert not rtl_equal_unicode_string(kernel, wide(kernel, "Hello"), garbage, True)
    garbage.length = 10                                   # the same Length: Buffer is read
    with pytest.raises(StringFault) as fault:
        rtl_equal_unicode_string(kernel, wide(kernel, "Hello"), garbage, True)
    assert (fault.value.address, fault.value.write) == (WILD, False)


def test_4_13_upcase_allocates_source_length_bytes_or_overflows_without_writing(kernel):
    """4.13: RtlUpcaseUnicodeString. Allocate TRUE: PagedPool of Src.Length bytes,
    MaximumLength = Src.Length (no NUL), freed by RtlFreeUnicodeString. Allocate FALSE:
    Src.Length > Dst.MaximumLength is STATUS_BUFFER_OVERFLOW (0x80000005) and nothing is
    written. In place is allowed (#8 prints Hello World, then HELLO WORLD)."""
    string = wide(kernel, "Hello World")
    assert rtl_upcase_unicode_string(kernel, string, string, False) == OK
    assert string_text(kernel, string, True) == "HELLO WORLD" and string.length == 22

    copy = header(kernel)
    assert rtl_upcase_unicode_string(kernel, copy, wide(kernel, "straße"), True) == OK
    assert (copy.length, copy.maximum_length) == (12, 12)
    assert string_text(kernel, copy, True) == "STRAßE"    # one-to-one table: ß stays
    assert kernel.pool_blocks.usage() == {"Strg": (1, 12)}
    block = kernel.pool_blocks.blocks[copy.buffer]
    assert block.pool_type == PAGED and block.size == 12
    rtl_free_unicode_string(kernel, copy)
    assert kernel.pool_blocks.usage() == {} and copy.header.read() == bytes(8)

    short, block = over_pool(kernel, 24, maximum=20)
    short.length = 4
    status = rtl_upcase_unicode_string(kernel, short, wide(kernel, "Hello World"), False)
    assert status == NTSTATUS.STATUS_BUFFER_OVERFLOW == 0x80000005
    assert short.length == 4 and block.read() == b"\xcd" * 24

    kernel.raise_irql(DISPATCH_LEVEL)                     # paged pool: not at DISPATCH
    with pytest.raises(BugCheckHalt):
        rtl_upcase_unicode_string(kernel, header(kernel), string, True)
    assert (kernel.bugcheck.code, kernel.bugcheck.p1) == (BugCheckCode.BAD_POOL_CALLER, 0x08)


def test_4_14_integer_conversions_follow_the_base_rules_and_negate_unsigned(kernel):
    """4.14: RtlUnicodeStringToInteger skips chars <= ' ', takes one sign, base 0 reads
    0x/0X, 0o, 0b (else 10), other bases than 2/8/10/16 are STATUS_INVALID_PARAMETER;
    it stops at the first bad digit with STATUS_SUCCESS; '-' negates unsigned ("-100" is
    0xFFFFFF9C). RtlIntegerToUnicodeString: Base 0 is 10, the ULONG's digits go into the
    string's own buffer and need room for a NUL too (else STATUS_BUFFER_OVERFLOW)."""
    def parse(text: str, base: int) -> tuple[int, int | None]:
        return rtl_unicode_string_to_integer(kernel, wide(kernel, text), base)
    assert parse("-100", 10) == (OK, 0xFFFFFF9C)
    assert parse(" \t+42", 0) == (OK, 42)
    assert [parse(t, 0)[1] for t in ("0x1F", "0X1F", "0o17", "0b101", "017")] == \
        [31, 31, 15, 5, 17]
    assert parse("12ab", 10) == (OK, 12) and parse("abc", 10) == (OK, 0)
    assert parse("ff", 16) == (OK, 255) and parse("4294967297", 10) == (OK, 1)
    assert parse("12", 3) == (NTSTATUS.STATUS_INVALID_PARAMETER, None)

    def digits(value: int, base: int, room: int = 1024) -> tuple[int, str]:
        string, block = over_pool(kernel, room)
        status = rtl_integer_to_unicode_string(kernel, value, base, string)
        text = string_text(kernel, string, True) if status == OK else ""
        if status == OK:
            assert block.read(string.length, 2) == b"\0\0"
        return status, text
    assert digits(200, 10) == (OK, "200") == digits(200, 0)
    assert digits(255, 16) == (OK, "FF") and digits(5, 2) == (OK, "101")
    assert digits(-100 & 0xFFFFFFFF, 10) == (OK, "4294967196")
    assert digits(200, 7)[0] == NTSTATUS.STATUS_INVALID_PARAMETER
    assert digits(200, 10, room=6)[0] == NTSTATUS.STATUS_BUFFER_OVERFLOW   # no room for NUL
    assert digits(200, 10, room=8) == (OK, "200")


def test_4_15_conversions_size_the_result_with_its_nul_and_allocate_exactly_that(kernel):
    """4.15: size = converted length + NUL, over 0xFFFF is STATUS_INVALID_PARAMETER_2;
    Allocate TRUE: PagedPool of exactly that size (MaximumLength = size, freed by
    RtlFreeUnicodeString / RtlFreeAnsiString); Allocate FALSE without room for the NUL is
    STATUS_BUFFER_OVERFLOW - ANSI->Unicode converts nothing, Unicode->ANSI as much as fits
    (ReactOS unicode.c, the WRK); the result is NUL-terminated, Length excludes the NUL.
    #8: "Hello World" both ways."""
    ansi = header(kernel)
    assert rtl_unicode_string_to_ansi_string(kernel, ansi, wide(kernel, "Hello World"),
                                             True) == OK
    assert (ansi.length, ansi.maximum_length) == (11, 12)
    assert string_text(kernel, ansi, False) == "Hello World"
    assert kernel.pool_blocks.blocks[ansi.buffer].buffer.read(11, 1) == b"\0"
    assert kernel.pool_blocks.usage() == {"Strg": (1, 12)}
    rtl_free_ansi_string(kernel, ansi)
    assert kernel.pool_blocks.usage() == {} and ansi.header.read() == bytes(8)

    uni = header(kernel)
    assert rtl_ansi_string_to_unicode_string(kernel, uni, narrow(kernel, "Hello World"),
                                             True) == OK
    assert (uni.length, uni.maximum_length) == (22, 24)
    assert string_text(kernel, uni, True) == "Hello World"
    assert kernel.pool_blocks.blocks[uni.buffer].buffer.read(22, 2) == b"\0\0"
    rtl_free_unicode_string(kernel, uni)
    assert kernel.pool_blocks.usage() == {}

    tight, block = over_pool(kernel, 24, maximum=22)
    assert rtl_ansi_string_to_unicode_string(kernel, tight, narrow(kernel, "Hello World"),
                                             False) == NTSTATUS.STATUS_BUFFER_OVERFLOW
    assert block.read() == b"\xcd" * 24                   # nothing converted
    roomy, _ = over_pool(kernel, 24)
    assert rtl_ansi_string_to_unicode_string(kernel, roomy, narrow(kernel, "Hello World"),
                                             False) == OK

    part_block = ex_allocate_pool_with_tag(kernel, PAGED, 8)
    part = header(kernel)
    part.maximum_length, part.buffer = 6, part_block.address
    assert rtl_unicode_string_to_ansi_string(kernel, part, wide(kernel, "Hello World"),
                                             False) == NTSTATUS.STATUS_BUFFER_OVERFLOW
    assert part.length == 5 and part_block.read(0, 6) == b"Hello\0"   # as much as fits
    part.maximum_length = 0
    assert rtl_unicode_string_to_ansi_string(kernel, part, wide(kernel, "x"), False) == \
        NTSTATUS.STATUS_BUFFER_OVERFLOW

    huge = header(kernel)
    huge.length, huge.buffer = 0x8000, ex_allocate_pool_with_tag(kernel, PAGED, 0x8000).address
    assert rtl_ansi_string_to_unicode_string(kernel, header(kernel), huge, True) == \
        STATUS_INVALID_PARAMETER_2 == 0xC00000F0

    odd = header(kernel)
    assert rtl_unicode_string_to_ansi_string(kernel, odd, wide(kernel, "€中"), True) == OK
    assert kernel.pool_blocks.blocks[odd.buffer].buffer.read(0, 3) == b"\x80?\0"  # cp1252

    with pytest.raises(BugCheckHalt):                     # a literal is no pool block
        rtl_free_unicode_string(kernel, wide(kernel, "Hello"))
    assert (kernel.bugcheck.code, kernel.bugcheck.p1) == (BugCheckCode.BAD_POOL_CALLER, 0x42)
