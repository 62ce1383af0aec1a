"""Message templates: parsing (every error located) and printf-style rendering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.lang.template import (
    MAX_OUTPUT,
    Field,
    TemplateError,
    TemplateValueError,
    escape,
    parse_template,
)


def render(text: str, value: object = None, **values: object) -> str:
    """Render ``text``; ``value`` answers every name not given in ``values``."""
    return parse_template(text).render(lambda name: values.get(name, value))


# --- literal text and fields ---------------------------------------------------------

def test_doubled_braces_are_literal_braces():
    t = parse_template("a{{b}}c }}{{")
    assert t.literal and t.fields == ()
    assert t.render(lambda name: pytest.fail("no lookup")) == "a{b}c }{"


def test_escape_makes_text_that_renders_as_itself():
    text = "{x} }{ {{"
    assert escape(text) == "{{x}} }}{{ {{{{"
    assert render(escape(text)) == text


def test_fields_are_recorded_as_written():
    t = parse_template("n={r1.bytes:08X} s={name:-5s} v={v}")
    assert t.fields == (Field("r1.bytes", "08X", "X", "int", 2),
                        Field("name", "-5s", "s", "str", 19),
                        Field("v", "", None, "any", 32))
    assert not t.literal


def test_lookup_is_called_once_per_occurrence_in_order():
    asked = []
    t = parse_template("{a}-{b.c}-{a:x}")
    assert t.render(lambda name: asked.append(name) or 10) == "10-10-a"
    assert asked == ["a", "b.c", "a"]


def test_an_exception_from_the_lookup_passes_through():
    with pytest.raises(KeyError):
        parse_template("{missing}").render({}.__getitem__)


# --- values without a spec -----------------------------------------------------------

@pytest.mark.parametrize("value, text", [(42, "42"), (-5, "-5"), (0xFFFFFFFF, "4294967295"),
                                         ("abc", "abc"), (True, "TRUE"), (False, "FALSE")])
def test_no_spec_shows_the_value_itself(value, text):
    assert render("{v}", value) == text


def test_an_empty_spec_is_the_same_as_none():
    assert render("{v:}", 7) == "7"


# --- conversions ---------------------------------------------------------------------

@pytest.mark.parametrize("spec, value, text", [
    ("d", -7, "-7"), ("i", 7, "7"), ("u", 7, "7"), ("x", 0xBEEF, "beef"),
    ("X", 0xBEEF, "BEEF"), ("o", 8, "10"), ("c", 65, "A"), ("c", 0x141, "A"),
    ("c", 0xE9, "\xe9"), ("s", "hi", "hi"), ("S", "hi", "hi"), ("ws", "hi", "hi"),
    ("wZ", "hi", "hi"), ("Z", "hi", "hi"), ("hs", "hi", "hi"), ("ls", "hi", "hi"),
    ("p", 0x8123AB0, "08123AB0"), ("p", -1, "FFFFFFFF"), ("p", 0x1_0000_0001, "00000001"),
    ("d", True, "1"),
])
def test_each_conversion(spec, value, text):
    assert render("{v:" + spec + "}", value) == text


@pytest.mark.parametrize("spec, value, text", [
    ("u", -1, "4294967295"), ("x", -1, "ffffffff"), ("d", 0xFFFFFFFF, "-1"),
    ("lld", -1, "-1"), ("llu", -1, "18446744073709551615"), ("I64x", -1, "f" * 16),
    ("hx", 0x12345, "2345"), ("hd", 0xFFFF, "-1"), ("hhd", 0xFF, "-1"), ("hhu", 0x1FF, "255"),
    ("lx", -1, "ffffffff"), ("Ix", -1, "ffffffff"), ("I32d", 0x80000000, "-2147483648"),
    ("x", 1 << 40, "0"),
])
def test_a_length_says_how_many_bits_are_read(spec, value, text):
    assert render("{v:" + spec + "}", value) == text


@pytest.mark.parametrize("spec, value, text", [
    ("08X", 0x12AB, "000012AB"), ("X", 255, "FF"), ("x", 255, "ff"), ("02X", 5, "05"),
    ("d", 12, "12"),
])
def test_python_specs_already_in_scenarios_print_the_same(spec, value, text):
    assert render("{v:" + spec + "}", value) == text == format(value, spec)


# --- flags, width, precision ---------------------------------------------------------

@pytest.mark.parametrize("spec, value, text", [
    ("5d", 42, "   42"), ("-5d", 42, "42   "), ("05d", -42, "-0042"), ("-05d", 42, "42   "),
    ("+d", 42, "+42"), ("+d", -42, "-42"), (" d", 42, " 42"), ("+ d", 42, "+42"),
    ("+u", 42, "42"), (" x", 42, "2a"),                      # C: no sign when unsigned
    ("#x", 255, "0xff"), ("#X", 255, "0XFF"), ("#010x", 255, "0x000000ff"),
    ("#x", 0, "0"), ("#o", 15, "017"), ("#o", 0, "0"), ("#.4o", 8, "0010"),
    ("#o", -1, "037777777777"),
])
def test_flags(spec, value, text):
    assert render("{v:" + spec + "}", value) == text


@pytest.mark.parametrize("spec, value, text", [
    (".5d", 42, "00042"), ("8.5d", -42, "  -00042"), ("08.3d", 7, "     007"),
    (".0d", 0, ""), (".d", 0, ""), ("+.0d", 0, "+"), ("#.0o", 0, "0"), ("#.0x", 0, ""),
    (".3s", "abcdef", "abc"), ("5.2s", "abc", "   ab"), ("-5.2s", "abc", "ab   "),
    (".0s", "abc", ""),
])
def test_precision_is_minimum_digits_or_maximum_characters(spec, value, text):
    assert render("{v:" + spec + "}", value) == text


@pytest.mark.parametrize("spec, text", [("12p", "    0000BEEF"), ("-12p", "0000BEEF    "),
                                        ("012p", "00000000BEEF"), ("#p", "0X0000BEEF")])
def test_p_is_eight_uppercase_hex_digits_and_takes_width_and_flags(spec, text):
    assert render("{v:" + spec + "}", 0xBEEF) == text


def test_width_and_precision_are_at_most_64():
    assert render("{v:64d}", 1) == " " * 63 + "1"
    assert render("{v:.64d}", 1) == "0" * 63 + "1"
    with pytest.raises(TemplateError, match=r"^width 65 is too large \(at most 64\)$"):
        parse_template("{v:65d}")


# --- the output bound ----------------------------------------------------------------

def test_output_is_cut_to_64_KiB_ending_in_an_ellipsis():
    out = render("<{a}{b:s}>", "x" * 50_000)
    assert len(out) == MAX_OUTPUT and out.endswith("x...")
    assert render("{a}", "y" * MAX_OUTPUT) == "y" * MAX_OUTPUT  # exactly at the bound
    assert len(render("{a}", "z" * 10**8)) == MAX_OUTPUT


# --- values of the wrong kind --------------------------------------------------------

@pytest.mark.parametrize("text, value, words", [
    ("{r1.bytes:d}", "abc", ["{r1.bytes:d}", "an int", "str"]),
    ("{name:s}", 5, ["{name:s}", "a str", "int"]),
    ("{v:c}", "A", ["{v:c}", "an int", "str"]),
    ("{v}", None, ["{v}", "NoneType"]),
    ("{v:x}", 1.5, ["{v:x}", "float"]),
    ("{v}", 1 << 64, ["{v}", "64 bits"]),
])
def test_a_value_of_the_wrong_kind_is_a_template_value_error(text, value, words):
    with pytest.raises(TemplateValueError) as info:
        render(text, value)
    assert all(w in str(info.value) for w in words)


# --- parse errors: message and offset ------------------------------------------------

@pytest.mark.parametrize("text, offset, message", [
    ("ab}c", 2, "single '}' in text: write '}}' for a literal brace"),
    ("ab{c", 2, "'{' is not closed: write '{{' for a literal brace"),
    ("x {} y", 2, "empty field: name the value, e.g. {length}"),
    ("{0}", 1, "positional field {0}: name the value, e.g. {length}"),
    ("{a!r}", 2, "conversion '!r' in {a!r} is not supported"),
    ("{a[x]}", 2, "an index in {a[x]} must be a number of up to 5 digits"),
    ("{a[123456]}", 2, "an index in {a[123456]} must be a number"),
    ("{a:{w}}", 3, "nested field"),
    ("{1a}", 1, "bad field name {1a}"),
    ("{a..b}", 3, "bad field name {a..b}"),
    ("{a.}", 3, "bad field name {a.}"),
    ("{ a}", 1, "bad field name { a}"),
    ("{\xe9}", 1, "bad field name"),
    ("{x:q}", 3, "unknown format 'q' in {x:q}: expected one of d i u x X o c s S ws wZ Z p"),
    ("{x:08f}", 5, "unknown format 'f' in {x:08f}"),
    ("{x:08}", 5, "no conversion in {x:08}"),
    ("{x:100d}", 3, "width 100 is too large (at most 64)"),
    ("{x:.65s}", 4, "precision 65 is too large (at most 64)"),
    ("{x:%08X}", 3, "drop the '%': write {x:08X}"),
    ("{x:lls}", 3, "length 'll' does not apply to 's' in {x:lls}: write {x:s}"),
    ("{x:hp}", 3, "length 'h' does not apply to 'p'"),
])
def test_parse_errors_are_located_and_say_what_to_write(text, offset, message):
    with pytest.raises(TemplateError) as info:
        parse_template(text)
    assert str(info.value).startswith(message) and info.value.message == str(info.value)
    assert info.value.offset == offset


def test_fields_may_index_with_numbers():
    template = parse_template("{keys[1].MakeCode:02x} {r.data[0][2]}")
    assert [f.name for f in template.fields] == ["keys[1].MakeCode", "r.data[0][2]"]
    assert template.render(lambda name: 0x3A) == "3a 58"


def test_at_most_64_fields():
    assert len(parse_template("{a}" * 64).fields) == 64
    with pytest.raises(TemplateError, match="too many fields") as info:
        parse_template("{a}" * 65)
    assert info.value.offset == 64 * 3


def test_text_is_at_most_4096_characters():
    assert parse_template("x" * 4096).literal
    with pytest.raises(TemplateError, match="at most 4096") as info:
        parse_template("x" * 4097)
    assert info.value.offset == 4096


# --- reference: C printf, through Python's % corrected where Python differs ---------

BITS = {"": 32, "hh": 8, "h": 16, "l": 32, "ll": 64, "I64": 64, "I": 32, "I32": 32}


def c_printf(flags: str, width: int | None, prec: int | None, conv: str, v: int) -> str:
    """C's ``%`` + spec of ``v`` (already read as its type), built on Python's ``%``."""
    if conv != "d":
        flags = flags.replace("+", "").replace(" ", "")  # C: sign flags are for d/i
    if prec is not None:
        flags = flags.replace("0", "")  # C: a precision overrides the 0 flag
    alt, flags = "#" in flags, flags.replace("#", "")
    pad = "-" if "-" in flags else ""
    if prec == 0 and v == 0:  # C: no digits at all (Python prints "0")
        sign = "+" if "+" in flags else " " if " " in flags else ""
        return f"%{pad}{width or ''}s" % (sign + ("0" if alt and conv == "o" else ""))
    if alt and conv in "xX" and v:
        flags += "#"  # Python's 0x/0X is C's; but C's #x of 0 is "0", not "0x0"
    if alt and conv == "o" and v:  # C: the precision grows to give one leading 0
        prec = max(prec or 0, len(format(v, "o")) + 1)  # (Python prints 0o17)
    spec = flags + (str(width) if width else "") + ("" if prec is None else f".{prec}")
    return f"%{spec}{'d' if conv == 'u' else conv}" % v


@given(v=st.integers(-(1 << 70), 1 << 70), flags=st.text("-0+ #", max_size=4),
       width=st.none() | st.integers(1, 64), prec=st.none() | st.integers(0, 64),
       length=st.sampled_from(sorted(BITS)), conv=st.sampled_from("dxXou"))
def test_integers_print_as_c_printf_does(v, flags, width, prec, length, conv):
    spec = flags + (str(width) if width else "") + ("" if prec is None else f".{prec}")
    bits = BITS[length]
    read = v % (1 << bits)
    if conv == "d" and read >> (bits - 1):
        read -= 1 << bits
    assert render("{v:" + spec + length + conv + "}", v) == \
        c_printf(flags, width, prec, conv, read)


def test_the_reference_knows_where_python_and_c_differ():
    assert "%#o" % 15 == "0o17" and c_printf("#", None, None, "o", 15) == "017"
    assert "%#x" % 0 == "0x0" and c_printf("#", None, None, "x", 0) == "0"
    assert c_printf("#0", 8, None, "o", 8) == "00000010" == render("{v:#08o}", 8)


# --- any text: parses or raises a located TemplateError; renders within bounds ------

# Single characters alone almost never make a field, so the text is also built from
# tokens that do: braces, names, ':' and pieces of specs.
CHAR = st.sampled_from(list("{}:.%0123456789azAZ_!#[] -+dixXoucsSwZpIlh")) | st.characters()
SPEC = st.tuples(st.text("-0+ #", max_size=3), st.sampled_from(["", "5", "64", "65"]),
                 st.sampled_from(["", ".", ".3", ".64"]),
                 st.sampled_from(["", "hh", "h", "l", "ll", "I64", "I", "I32"]),
                 st.sampled_from(["", "q", *"diuxXocsSZp", "ws", "wZ"])).map("".join)
FIELD = st.builds("{{{}{}}}".format, st.sampled_from(["v", "r1.bytes", "0", "", "a!r"]),
                  st.none().map(lambda _: "") | SPEC.map(":".__add__))
TOKEN = CHAR | FIELD | st.sampled_from(["{", "}", "{{", "}}", ":"])
TEXT = st.lists(TOKEN, max_size=25).map("".join)


@given(text=TEXT)
def test_any_text_parses_or_raises_a_located_template_error(text):
    try:
        parse_template(text)
    except TemplateError as e:
        assert 0 <= e.offset <= len(text)


@given(text=TEXT, data=st.data())
def test_a_parsed_template_renders_within_the_bound(text, data):
    try:
        t = parse_template(text)
    except TemplateError:
        return
    word = st.text(max_size=20)
    c_value = st.integers(-(1 << 63), (1 << 64) - 1)  # no-spec ints are C values
    values = iter([data.draw({"int": st.integers(), "str": word,
                              "any": word | c_value | st.booleans()}[f.kind])
                   for f in t.fields])
    out = t.render(lambda name: next(values))
    assert isinstance(out, str) and len(out) <= MAX_OUTPUT + 3
