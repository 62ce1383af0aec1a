"""Tests for harness.lang.expr: the C-like integer expression language."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.lang.ctype import LONG, TYPES, ULONG, CType
from harness.lang.expr import (NO_NAMES, Binary, Binding, Compiled, ExprError,
                               IntegerFault, Literal, Ref, compile_expr, compile_text,
                               parse, references)

DIVIDE_BY_ZERO = 0xC0000094
OVERFLOW = 0xC0000095
INT_MIN = -(2**31)


class Names:
    """Resolves names (with their accessors spelt out: ``Irp->Cancel``) from ``types``.

    The getter reads ``env[key]``; a reference with one index part reads
    ``env[key][index]``, the index evaluated at run time.
    """

    def __init__(self, types: dict[str, CType], sizes: dict[str, int] | None = None):
        self.types = types
        self.sizes = sizes or {}
        self.resolved: list[str] = []

    def resolve(self, ref: Ref, indexes: tuple[Compiled, ...]) -> Binding:
        key = ref.name + "".join(("->" if p.arrow else ".") + p.name if p.kind == "field"
                                 else "[]" for p in ref.parts)
        if key not in self.types:
            raise ExprError(f"unknown name '{key}'", ref.offset)
        self.resolved.append(key)
        if key == "boom":
            return Binding(self.types[key], _boom)
        if indexes:
            (index,) = indexes
            return Binding(self.types[key], lambda env: env[key][index.fn(env)])
        return Binding(self.types[key], lambda env: env[key])

    def sizeof(self, name: str, offset: int) -> int:
        if name not in self.sizes:
            raise ExprError(f"unknown struct '{name}'", offset)
        return self.sizes[name]


def _boom(env: Any) -> int:
    raise AssertionError("this getter must not be called")


def ev(text: str, resolver: Any = NO_NAMES, env: Any = None) -> int:
    return compile_text(text, resolver).fn(env)


def ty(text: str, resolver: Any = NO_NAMES) -> str:
    return compile_text(text, resolver).ctype.name


def fault(text: str, resolver: Any = NO_NAMES, env: Any = None) -> int:
    compiled = compile_text(text, resolver)
    with pytest.raises(IntegerFault) as info:
        compiled.fn(env)
    return info.value.status


def error(text: str) -> ExprError:
    with pytest.raises(ExprError) as info:
        compile_text(text, NO_NAMES)
    assert 0 <= info.value.offset <= len(text)
    return info.value


# ---------------------------------------------------------------- the brief's examples


def test_scenario_examples():
    names = Names({"Irp->IoStatus.Information": ULONG, "count": LONG, "Irp->Cancel":
                   TYPES["BOOLEAN"], "scan": TYPES["UCHAR"], "buffer[]": TYPES["UCHAR"],
                   "stack.Parameters.Read.Length": ULONG}, {"KEYBOARD_INPUT_DATA": 12})
    env = {"Irp->IoStatus.Information": 0xFFFFFFFF, "count": 3, "Irp->Cancel": 0,
           "scan": 0x9E, "buffer[]": [0, 1, 2, 0x3A], "stack.Parameters.Read.Length": 12}
    assert ev("Irp->IoStatus.Information + 1", names, env) == 0
    assert ev("count < 10 && !Irp->Cancel", names, env) == 1
    assert ev("(UCHAR)(scan ^ 0x1D)", names, env) == 0x83
    assert ty("(UCHAR)(scan ^ 0x1D)", names) == "UCHAR"
    assert ev("buffer[3] == 0x3A", names, env) == 1
    assert ev("stack.Parameters.Read.Length >= sizeof(KEYBOARD_INPUT_DATA)", names, env) == 1


# ------------------------------------------------------------------------- literals


def test_decimal_literal_is_long_then_longlong():
    assert ty("2147483647") == "LONG"
    assert ty("2147483648") == "LONGLONG"  # C11; MSVC's C mode would say ULONG
    assert ty("9223372036854775807") == "LONGLONG"


def test_hex_and_octal_literal_types():
    assert ty("0x7FFFFFFF") == "LONG"
    assert ty("0x80000000") == "ULONG"
    assert ty("0x100000000") == "LONGLONG"
    assert ty("0x8000000000000000") == "ULONGLONG"
    assert ty("020000000000") == "ULONG"  # octal 0x80000000


def test_octal_literal_with_leading_zero():
    assert ev("010") == 8
    assert ev("0") == 0


def test_octal_literal_rejects_8_and_9():
    assert error("08").message == "invalid digit '8' in octal literal '08'"


def test_unsigned_suffix_types():
    assert ty("1u") == "ULONG"
    assert ty("4294967296u") == "ULONGLONG"
    assert ty("1ul") == ty("1LU") == "ULONG"


def test_long_long_suffix_types():
    assert ty("1ll") == "LONGLONG"
    assert ty("0x8000000000000000ll") == "ULONGLONG"
    assert error("9223372036854775808ll").message.startswith("integer literal too large")
    assert ty("1ULL") == ty("1llu") == "ULONGLONG"


def test_msvc_i64_suffixes():
    assert ty("1i64") == "LONGLONG"
    assert ty("1ui64") == ty("1UI64") == "ULONGLONG"


def test_l_suffix_is_like_no_suffix():
    assert ty("1l") == "LONG"
    assert ty("3000000000L") == "LONGLONG"
    assert ty("0xFFFFFFFFl") == "ULONG"


def test_literal_too_large():
    assert error("18446744073709551616").message.startswith("integer literal too large")
    assert error("9223372036854775808").message.startswith("integer literal too large")
    assert ev("18446744073709551615u") == 2**64 - 1


def test_invalid_suffix():
    e = error("1 + 12abc")
    assert (e.message, e.offset) == ("invalid suffix 'abc' on integer literal", 4)


def test_char_literal_is_long():
    assert ev("'A'") == 65
    assert ty("'A'") == "LONG"
    assert [ev(t) for t in (r"'\n'", r"'\t'", r"'\0'", r"'\\'", r"'\''", r"'\x1D'")] == \
        [10, 9, 0, 92, 39, 0x1D]


def test_char_literal_is_signed_char_on_msvc():
    assert ev(r"'\xFF'") == -1


# ---------------------------------------------------------- promotions and conversions


def test_integer_promotion_widens_narrow_types_to_long():
    assert ev("(UCHAR)255 + 1") == 256
    assert ty("(UCHAR)255 + (UCHAR)1") == "LONG"
    assert ty("(USHORT)1 * (SHORT)1") == "LONG"
    assert ty("(BOOLEAN)1 + 0") == "LONG"
    assert ev("(CHAR)-1 + 0") == -1


def test_usual_conversions_same_type_is_kept():
    assert ty("1u + 2u") == "ULONG"
    assert ty("(NTSTATUS)1 + 2") == "LONG"  # typedefs of one type are one type


def test_usual_conversions_same_signedness_picks_wider():
    assert ty("1 + 1ll") == "LONGLONG"
    assert ty("1u + 1ull") == "ULONGLONG"


def test_usual_conversions_unsigned_of_equal_rank_wins():
    assert ev("-1 < 1u") == 0  # the famous trap: -1 becomes 0xFFFFFFFF
    assert ty("-1 + 1u") == "ULONG"
    assert ev("-1 == 0xFFFFFFFF") == 1


def test_usual_conversions_wider_signed_wins():
    assert ty("-1ll + 1u") == "LONGLONG"
    assert ev("-1ll < 1u") == 1


def test_pointer_types_behave_as_ulong_ptr():
    names = Names({"p": TYPES["PVOID"]})
    assert ev("p + 1", names, {"p": 0xFFFFFFFF}) == 0
    assert ty("p + 1", names) == "ULONG"
    assert ev("p > -1", names, {"p": 5}) == 0  # unsigned comparison


# ------------------------------------------------------------------------ arithmetic


def test_unsigned_arithmetic_wraps():
    assert ev("0xFFFFFFFF + 1") == 0
    assert ev("0u - 1") == 0xFFFFFFFF
    assert ev("0xFFFFFFFFFFFFFFFF + 1") == 0


def test_signed_arithmetic_wraps():
    assert ev("0x7FFFFFFF + 1") == -2147483648
    assert ev("65536 * 65536") == 0
    assert ev("9223372036854775807 + 1") == -(2**63)


def test_signed_division_truncates_toward_zero():
    assert (ev("-7 / 2"), ev("7 / -2"), ev("-7 / -2"), ev("7 / 2")) == (-3, -3, 3, 3)


def test_remainder_takes_sign_of_dividend():
    assert (ev("-7 % 2"), ev("7 % -2"), ev("-7 % -2"), ev("7 % 2")) == (-1, 1, -1, 1)


def test_division_converts_operands_first():
    assert ev("-1 / 2u") == 0x7FFFFFFF
    assert ev("-1 % 10u") == 0xFFFFFFFF % 10


def test_division_by_zero_faults_at_run_time():
    compiled = compile_text("1 / 0", NO_NAMES)
    assert compiled.constant is None  # folding must not raise; the fault is deferred
    assert fault("1 / 0") == DIVIDE_BY_ZERO
    assert fault("5 % 0u") == DIVIDE_BY_ZERO
    assert fault("10 / x", Names({"x": LONG}), {"x": 0}) == DIVIDE_BY_ZERO
    assert ev("10 / x", Names({"x": LONG}), {"x": 3}) == 3


def test_signed_minimum_divided_by_minus_one_faults():
    assert fault("(-2147483647 - 1) / -1") == OVERFLOW
    assert fault("(-2147483647 - 1) % -1") == OVERFLOW
    assert fault("(-9223372036854775807 - 1) / -1ll") == OVERFLOW
    assert ev("0x80000000 / -1") == 0  # unsigned: no overflow


def test_fault_message_names_the_expression():
    with pytest.raises(IntegerFault, match=r"divide by zero in '1 / 0'"):
        compile_text("1 / 0", NO_NAMES).fn(None)


# ---------------------------------------------------------------------------- shifts


def test_shift_result_has_promoted_left_type():
    assert ty("1u << 1ll") == "ULONG"
    assert ty("(UCHAR)1 << 1u") == "LONG"
    assert ev("(UCHAR)1 << 31") == INT_MIN
    assert ty("1ll << 1") == "LONGLONG"


def test_shift_count_masked_to_31_for_32_bit():
    assert ev("1 << 32") == 1
    assert ev("1u << 33") == 2
    assert ev("0x80000000 >> 32") == 0x80000000


def test_64_bit_shift_by_64_or_more_gives_zero_or_the_sign_as_allshl():
    # MSVC's x86 helpers _allshl/_allshr/_aullshr: count in CL, >= 64 saturates.
    assert ev("1ll << 64") == 0
    assert ev("1ull << 65") == 0
    assert ev("-8ll >> 70") == -1
    assert ev("8ll >> 64") == 0
    assert ev("1ll << 256") == 1     # CL is the count's low 8 bits: 256 -> 0
    assert ev("1ull << 63") == 1 << 63


def test_negative_shift_count_is_masked():
    assert ev("1 << -1") == INT_MIN
    assert ev("1u << -31") == 2


def test_signed_right_shift_is_arithmetic():
    assert ev("-8 >> 1") == -4
    assert ev("(-2147483647 - 1) >> 31") == -1


def test_unsigned_right_shift_is_logical():
    assert ev("0x80000000 >> 31") == 1
    assert ev("-8u >> 1") == 0x7FFFFFFC


def test_left_shift_wraps():
    assert ev("1 << 31") == INT_MIN
    assert ev("3u << 31") == 0x80000000


# ---------------------------------------------------------------- logic and ternary


def test_comparisons_yield_long_0_or_1():
    for text, value in [("1 < 2", 1), ("2 <= 1", 0), ("3 > 2", 1), ("2 >= 3", 0),
                        ("1 == 1", 1), ("1 != 1", 0), ("1ull == 1", 1)]:
        assert (ev(text), ty(text)) == (value, "LONG"), text


def test_logical_not_yields_long():
    assert (ev("!0"), ev("!5"), ev("!0ull"), ty("!0ull")) == (1, 0, 1, "LONG")


def test_logical_and_or_yield_long_0_or_1():
    assert (ev("2 && 3"), ev("2 && 0"), ev("0 || 7"), ev("0 || 0")) == (1, 0, 1, 0)
    assert ty("1ull && 1ull") == "LONG"


def test_logical_and_short_circuits():
    names = Names({"x": LONG, "boom": LONG})
    assert ev("x && boom", names, {"x": 0}) == 0
    assert ev("0 && boom", names) == 0
    assert compile_text("0 && boom", names).constant == 0


def test_logical_or_short_circuits():
    names = Names({"x": LONG, "boom": LONG})
    assert ev("x || boom", names, {"x": 4}) == 1
    assert ev("1 || boom", names) == 1


def test_short_circuited_names_are_still_checked_at_load():
    assert error("0 && nosuch").offset == 5


def test_ternary_evaluates_only_chosen_arm():
    names = Names({"x": LONG, "boom": LONG})
    assert ev("x ? 5 : boom", names, {"x": 1}) == 5
    assert ev("x ? boom : 6", names, {"x": 0}) == 6
    assert ev("1 ? 5 : boom", names) == 5
    assert ev("x ? 1 : 1 / 0", names, {"x": 1}) == 1


def test_ternary_type_is_usual_conversion_of_arms():
    assert ev("1 ? -1 : 0u") == 0xFFFFFFFF
    assert ty("x ? (UCHAR)1 : (UCHAR)2", Names({"x": LONG})) == "LONG"
    assert ty("1 ? 1 : 1ll") == "LONGLONG"


def test_ternary_is_right_associative():
    assert ev("0 ? 1 : 0 ? 2 : 3") == 3
    assert ev("1 ? 0 ? 4 : 5 : 6") == 5


# ---------------------------------------------------------------- unary and casts


def test_unary_minus_on_promoted_type():
    assert ev("-(ULONG)1") == 0xFFFFFFFF
    assert ev("-(UCHAR)1") == -1
    assert ev("-(-2147483647 - 1)") == INT_MIN  # x86 neg wraps


def test_bitwise_not_on_promoted_type():
    assert (ev("~(UCHAR)0"), ty("~(UCHAR)0")) == (-1, "LONG")
    assert ev("~0u") == 0xFFFFFFFF
    assert ev("~0ull") == 2**64 - 1


def test_unary_plus_promotes():
    assert (ev("+(UCHAR)200"), ty("+(UCHAR)200")) == (200, "LONG")


def test_cast_wraps_to_named_type():
    assert (ev("(UCHAR)0x1FF"), ty("(UCHAR)0x1FF")) == (0xFF, "UCHAR")
    assert (ev("(CHAR)0xFF"), ty("(CHAR)0xFF")) == (-1, "CHAR")
    assert ev("(ULONG)-1") == 0xFFFFFFFF
    assert ev("(LONG)0xFFFFFFFF") == -1
    assert ev("(BOOLEAN)256") == 0  # WDK BOOLEAN is a UCHAR, not C99 _Bool
    assert ty("(PVOID)0") == "PVOID"


def test_casts_chain():
    assert ev("(LONG)(UCHAR)(CHAR)-1") == 255
    assert ev("(USHORT)-1 + 1") == 65536


def test_sizeof_type_is_ulong():
    assert (ev("sizeof(ULONG)"), ty("sizeof(ULONG)")) == (4, "ULONG")
    assert (ev("sizeof(LONGLONG)"), ev("sizeof(PVOID)"), ev("sizeof(UCHAR)")) == (8, 4, 1)
    assert ev("sizeof(UCHAR) - 2 > 0") == 1  # size_t arithmetic is unsigned


def test_sizeof_other_name_asks_resolver():
    names = Names({}, {"KEYBOARD_INPUT_DATA": 12})
    assert ev("sizeof(KEYBOARD_INPUT_DATA) * 2", names) == 24
    with pytest.raises(ExprError) as info:
        compile_text("1 + sizeof(NOPE)", names)
    assert info.value.offset == 11


# ------------------------------------------------------------------ references, AST


def test_reference_parts_and_offsets():
    node = parse("Irp->IoStatus.Information")
    assert isinstance(node, Ref)
    assert (node.name, node.offset, node.text) == ("Irp", 0, "Irp->IoStatus.Information")
    assert [(p.kind, p.name, p.arrow, p.offset) for p in node.parts] == \
        [("field", "IoStatus", True, 5), ("field", "Information", False, 14)]


def test_index_part_holds_expression_evaluated_at_run_time():
    names = Names({"buf[]": ULONG, "i": LONG})
    env = {"buf[]": [10, 20, 30], "i": 1}
    assert ev("buf[i + 1]", names, env) == 30
    part = parse("buf[i + 1]").parts[0]
    assert (part.kind, part.offset, part.name) == ("index", 3, None)
    assert isinstance(part.index, Binary)


def test_references_in_source_order():
    node = parse("a.b + c[d[e]] * (f ? g : sizeof(h)) + i")
    assert [r.text for r in references(node)] == ["a.b", "c[d[e]]", "d[e]", "e", "f", "g", "i"]


def test_parenthesised_name_is_reference():
    node = parse("(count) + 1")
    assert isinstance(node, Binary) and isinstance(node.left, Ref)
    assert ev("(count) - 1", Names({"count": LONG}), {"count": 5}) == 4


def test_unknown_name_is_located():
    e = error("1 + Irp->Cancel")
    assert (e.message, e.offset) == ("unknown name 'Irp'", 4)


def test_true_false_null_are_names():
    assert error("TRUE").message == "unknown name 'TRUE'"
    assert ev("TRUE && !NULL", Names({"TRUE": LONG, "NULL": TYPES["PVOID"]}),
              {"TRUE": 1, "NULL": 0}) == 1


def test_constant_folding():
    compiled = compile_text("(1 + 2) * 3 << 1", NO_NAMES)
    assert (compiled.constant, compiled.fn(None), compiled.text) == (18, 18, "(1 + 2) * 3 << 1")
    assert compile_text("x + 1", Names({"x": LONG})).constant is None


def test_compiled_subtree_texts():
    seen: list[str] = []

    class Spy(Names):
        def resolve(self, ref, indexes):
            seen.extend(i.text for i in indexes)
            return super().resolve(ref, indexes)

    compile_text("buf[(i) + 1]", Spy({"buf[]": LONG, "i": LONG}))
    assert seen == ["(i) + 1"]


def test_compile_expr_without_text():
    compiled = compile_expr(parse("2 * 3"), NO_NAMES)
    assert (compiled.constant, compiled.text) == (6, "")


def test_literal_node():
    node = parse(" 0x10u ")
    assert node == Literal(16, ULONG, 1, 6)


# --------------------------------------------------------------------- parse errors


@pytest.mark.parametrize("text, message, offset", [
    ("1 +", "expected an operand after '+'", 3),
    ("1 + * 2", "expected an operand after '+'", 4),
    ("", "empty expression", 0),
    ("   ", "empty expression", 3),
    (")", "expected an operand, found ')'", 0),
    ("(1 + 2", "missing ')' for '(' at column 1", 6),
    ("2 * (1 + 2 3", "missing ')' for '(' at column 5", 11),
    ("a[1", "missing ']' for '[' at column 2", 3),
    ("1 2", "unexpected '2' after a complete expression", 2),
    ("1 + 2)", "unmatched ')'", 5),
    ("a = 1", "'=' is assignment, not comparison: did you mean '=='?", 2),
    ("(a = 1)", "'=' is assignment, not comparison: did you mean '=='?", 3),
    ("a and b", "use '&&' instead of 'and'", 2),
    ("a or b", "use '||' instead of 'or'", 2),
    ("(a) and (b)", "use '&&' instead of 'and'", 4),
    ("not a", "use '!' instead of 'not'", 0),
    ("2 ** 3", "C has no power operator '**' (use '<<' for powers of two)", 2),
    ("7 // 2", "'//' is not an operator: C's '/' already truncates integer division", 2),
    ("x++", "'++' is not supported: expressions cannot change values", 1),
    ("(FOO)x", "unknown type 'FOO' in cast", 1),
    ("(FOO)~x", "unknown type 'FOO' in cast", 1),
    ("(int)x", "C type 'int' is not supported: use a WDK name such as LONG", 1),
    ("(ULONG *)p", "cast to a pointer type by its WDK name (PUCHAR, PVOID), not with '*'", 7),
    ("(ULONG)", "expected an operand after '(ULONG)'", 7),
    ("1 $ 2", "unexpected character '$'", 2),
    ('"abc"', "string literals are not supported: expressions are integers", 0),
    ("1.5", "floating-point literals are not supported", 0),
    ("0x", "hexadecimal literal needs digits after '0x'", 0),
    ("a ? b", "expected ':' for '?' at column 3", 5),
    ("a ? b ; c", "unexpected character ';'", 6),
    ("a.", "expected a field name after '.'", 2),
    ("a->1", "expected a field name after '->'", 3),
    ("a[]", "expected an operand after '['", 2),
    ("sizeof x", "sizeof needs a type or struct name in parentheses: sizeof(NAME)", 7),
    ("sizeof(1)", "sizeof needs a type or struct name in parentheses: sizeof(NAME)", 7),
    ("sizeof(a + b)", "sizeof takes a single type or struct name", 9),
    ("sizeof(ULONG", "missing ')' for '(' at column 7", 12),
    ("''", "empty character literal", 0),
    ("'ab'", "multi-character literals are not supported", 0),
    ("'a", "unterminated character literal", 0),
    ("'\\", "unterminated character literal", 0),
    ("'\\q'", "unknown escape sequence '\\q'", 0),
    ("'\\x100'", "escape sequence out of range for a character", 0),
    ("'é'", "non-ASCII character in character literal", 0),
    ("1" * 41, "integer literal longer than 40 characters", 0),
    ("1 + " + "9" * 41, "integer literal longer than 40 characters", 4),
])
def test_parse_error_message_and_offset(text, message, offset):
    with pytest.raises(ExprError) as info:
        parse(text)
    assert (info.value.message, info.value.offset) == (message, offset)
    assert str(info.value) == message


def test_text_longer_than_1000_characters_is_refused():
    with pytest.raises(ExprError) as info:
        parse("1" + " " * 1000)
    assert info.value.offset == 0
    with pytest.raises(ExprError):
        parse("x" * 10_000)


def test_deep_nesting_is_an_error_not_recursion_error():
    with pytest.raises(ExprError):
        parse("(" * 10000 + "1" + ")" * 10000)
    with pytest.raises(ExprError) as info:
        parse("(" * 65 + "1" + ")" * 65)
    assert (info.value.message, info.value.offset) == ("expression nested too deeply", 64)
    assert ev("(" * 64 + "1" + ")" * 64) == 1


@pytest.mark.parametrize("text", ["!" * 65 + "1", "- " * 65 + "1", "(LONG)" * 65 + "1",
                                  "a[" * 65 + "1" + "]" * 65, "1 ? " * 65 + "1" + " : 1" * 65])
def test_unary_chains_casts_indexes_and_ternaries_count_as_nesting(text):
    with pytest.raises(ExprError, match="nested too deeply"):
        parse(text)


def test_long_operator_chain_is_refused_before_it_can_overflow_the_stack():
    assert ev("+".join(["1"] * 100)) == 100
    names = Names({"x": LONG})
    assert ev("+".join(["x"] * 128), names, {"x": 1}) == 128
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("+".join(["x"] * 400))


# ------------------------------------------------------------------ property tests


class Sevens:
    """Every name is the LONG constant 7 (indexes ignored); every struct is 4 bytes."""

    def resolve(self, ref, indexes):
        return Binding(LONG, lambda env: 7)

    def sizeof(self, name, offset):
        return 4


@settings(max_examples=500)
@given(st.text(alphabet="0123456789abcxyzXL()[]+-*/%<>=!&|^~?:., '\\_\t", max_size=60))
def test_any_text_parses_or_raises_located_expr_error(text):
    try:
        compiled = compile_text(text, Sevens())
    except ExprError as e:
        assert 0 <= e.offset <= len(text)
        return
    try:
        value = compiled.fn(None)
    except IntegerFault:
        assert compiled.constant is None
        return
    assert compiled.ctype.min <= value <= compiled.ctype.max
    assert compiled.constant in (None, value)


_PREC = {"|": 3, "^": 4, "&": 5, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10,
         "%": 10}


def _render(tree) -> tuple[str, int]:
    """C text with only the parentheses C precedence needs (left-associative)."""
    if tree[0] == "name":
        return f"x{tree[1]}", 99
    if tree[0] == "lit":
        return (f"{tree[1]:#x}" if tree[2] else str(tree[1])) + tree[3], 99
    if tree[0] == "neg":
        text, prec = _render(tree[1])
        text = f"({text})" if prec < 99 else text
        return ("- " if text.startswith("-") else "-") + text, 11
    op, left, right = tree
    p = _PREC[op]
    lt, lp = _render(left)
    rt, rp = _render(right)
    return f"{f'({lt})' if lp < p else lt} {op} {f'({rt})' if rp <= p else rt}", p


U32 = 2**32
_u32 = st.integers(0, U32 - 1)
_ulong_leaves = st.one_of(st.tuples(st.just("name"), st.integers(0, 3)),
                          st.tuples(st.just("lit"), _u32, st.booleans(), st.just("u")))
_ulong_trees = st.recursive(_ulong_leaves, lambda kids: st.tuples(
    st.sampled_from(["+", "-", "*", "&", "|", "^", "<<"]), kids, kids), max_leaves=16)


def _ulong_reference(tree, env) -> int:
    if tree[0] == "name":
        return env[f"x{tree[1]}"]
    if tree[0] == "lit":
        return tree[1]
    op, left, right = tree
    a, b = _ulong_reference(left, env), _ulong_reference(right, env)
    if op == "<<":
        return (a << (b & 31)) % U32
    return {"+": a + b, "-": a - b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b}[op] % U32


@given(_ulong_trees, st.lists(_u32, min_size=4, max_size=4))
def test_ulong_expressions_match_python_mod_2_32(tree, values):
    env = {f"x{i}": v for i, v in enumerate(values)}
    text, _ = _render(tree)
    compiled = compile_text(text, Names({name: ULONG for name in env}))
    assert compiled.ctype == ULONG
    assert compiled.fn(env) == _ulong_reference(tree, env), text


_s32 = st.integers(INT_MIN, 2**31 - 1)
_long_leaves = st.one_of(st.tuples(st.just("name"), st.integers(0, 3)),
                         st.tuples(st.just("lit"), st.integers(0, 2**31 - 1),
                                   st.booleans(), st.just("")),
                         st.tuples(st.just("lit"), st.integers(-3, 3).map(abs),
                                   st.just(False), st.just("")))
_long_trees = st.recursive(_long_leaves, lambda kids: st.one_of(
    st.tuples(st.sampled_from(["+", "-", "*", "/", "%", "&", "|", "^", ">>"]), kids, kids),
    st.tuples(st.just("neg"), kids)), max_leaves=16)


class _Fault(Exception):
    def __init__(self, status: int):
        self.status = status


def _long_reference(tree, env) -> int:
    """Python ints with an explicit wrap after every operation, C99 division."""
    wrap = LONG.wrap
    if tree[0] == "name":
        return env[f"x{tree[1]}"]
    if tree[0] == "lit":
        return tree[1]
    if tree[0] == "neg":
        return wrap(-_long_reference(tree[1], env))
    op, left, right = tree
    a, b = _long_reference(left, env), _long_reference(right, env)
    if op in "/%":
        if b == 0:
            raise _Fault(DIVIDE_BY_ZERO)
        if a == INT_MIN and b == -1:
            raise _Fault(OVERFLOW)
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
        return q if op == "/" else a - b * q
    if op == ">>":
        return a >> (b & 31)
    return wrap({"+": a + b, "-": a - b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b}[op])


@given(_long_trees, st.lists(_s32, min_size=4, max_size=4))
def test_long_expressions_match_python_with_c_truncation(tree, values):
    env = {f"x{i}": v for i, v in enumerate(values)}
    text, _ = _render(tree)
    compiled = compile_text(text, Names({name: LONG for name in env}))
    assert compiled.ctype == LONG
    try:
        expected = _long_reference(tree, env)
    except _Fault as f:
        with pytest.raises(IntegerFault) as info:
            compiled.fn(env)
        assert info.value.status == f.status, text
    else:
        assert compiled.fn(env) == expected, text
