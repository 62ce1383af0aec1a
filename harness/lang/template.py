"""Message templates: the text of a scenario's ``log:`` and ``print:`` lines.

A template is literal text with ``{field}`` and ``{field:spec}`` holes; ``{{`` and
``}}`` are literal braces. A field is a dotted name (``length``, ``r1.bytes``) and
nothing else: no positions, indexing, conversions or nested fields, so a scenario
cannot reach Python objects through the text. A spec is a printf/DbgPrint conversion
written without the ``%`` (``08X``, ``lld``, ``-10s``, ``p``), as the book's drivers
write them, on the modelled x86 32-bit machine.

Text is parsed once, at load, and every error carries the offset of the offending
character; :meth:`Template.render` then only looks values up and formats them. Every
quantity is bounded: text length, field count, width and precision (64), and the
output of one render, which is cut to :data:`MAX_OUTPUT` characters ending in ``...``
however long the strings the lookup returns.

C behaviour kept where Python's ``%`` differs: ``+`` and space do nothing for unsigned
conversions, ``0`` is ignored when a precision is given, precision 0 prints no digits
for 0, ``#o`` forces one leading ``0`` (not ``0o``) and ``#x`` of 0 prints ``0``.
Where C leaves it undefined, this module decides: ``p`` prints as ``.8X`` of the
pointer-width value (so ``#p`` is ``0X...``); on strings and ``c`` only ``-`` and the
width count; MS's ``h``/``l`` (narrow/wide) are allowed on ``c``, ``s`` and ``S`` and
change nothing, other lengths there are errors. A value without a spec must be a C
value: an int wider than 64 bits is a TemplateValueError rather than a huge number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from harness.lang.ctype import TYPES

MAX_TEXT = 4096  #: longest template text, in characters
MAX_FIELDS = 64  #: most fields in one template
MAX_WIDTH = 64  #: largest width, and largest precision
MAX_OUTPUT = 64 * 1024  #: longest render result, in characters (``...`` included)
ELLIPSIS = "..."

#: Conversions as DbgPrint knows them, in the order error messages list them.
CONVERSIONS = ("d", "i", "u", "x", "X", "o", "c", "s", "S", "ws", "wZ", "Z", "p")
_INT_CONVS = frozenset("diuxXo")
_STR_CONVS = frozenset(("s", "S", "ws", "wZ", "Z"))  # every string is a str here
# Longest first, so that "hh" is not read as "h" then a conversion "h".
_LENGTHS = ("I64", "I32", "hh", "ll", "h", "l", "I")
# The C types printf reads an integer argument as, (signed, unsigned), per length.
_READ_AS = {length: (TYPES[signed], TYPES[unsigned]) for length, signed, unsigned in (
    ("", "LONG", "ULONG"), ("l", "LONG", "ULONG"), ("I32", "LONG", "ULONG"),
    ("hh", "CHAR", "UCHAR"), ("h", "SHORT", "USHORT"), ("ll", "LONGLONG", "ULONGLONG"),
    ("I64", "LONGLONG", "ULONGLONG"), ("I", "LONG_PTR", "ULONG_PTR"))}
_DIGITS = "0123456789"
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_CHAR = _NAME_START | frozenset(_DIGITS)
_LITERAL = re.compile(r"[^{}]+")
_BRACE = re.compile(r"[{}]")

Formatter = Callable[[object], str]


class TemplateError(Exception):
    """A template text that does not parse.

    Attributes:
        message: what is wrong and what to write instead.
        offset: 0-based index into the text of the offending character
            (``0 <= offset <= len(text)``).
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message


class TemplateValueError(Exception):
    """At render time, a value of the wrong kind for its field's conversion."""


@dataclass(frozen=True)
class Field:
    """One ``{name:spec}`` hole of a template.

    Attributes:
        name: the dotted name as written, e.g. ``r1.bytes``.
        spec: the spec as written after ``:`` ('' if none).
        conv: the conversion ('d', 'x', 'ws', ...) or None without a spec.
        kind: what the conversion needs: "int", "str" or "any".
        offset: index of the field's ``{`` in the text.
    """

    name: str
    spec: str
    conv: str | None
    kind: str
    offset: int


@dataclass(frozen=True)
class Template:
    """A parsed template; build it with :func:`parse_template`.

    Attributes:
        text: the template text as written.
        fields: the fields in order of appearance.
    """

    text: str
    fields: tuple[Field, ...]
    # Pre-split at parse time: the literal before the first field, then for each
    # field (name, formatter, literal after it). Not part of equality.
    _head: str = field(default="", repr=False, compare=False)
    _steps: tuple[tuple[str, Formatter, str], ...] = field(default=(), repr=False,
                                                           compare=False)

    @property
    def literal(self) -> bool:
        """True if there are no fields: render() is the text with braces unescaped."""
        return not self.fields

    def render(self, lookup: Callable[[str], int | str | bool]) -> str:
        """Format the template.

        Args:
            lookup: called once per field occurrence, in order, with the field's
                dotted name; returns its value. Whatever it raises passes through.

        Returns:
            The text, at most MAX_OUTPUT characters (a longer one is cut and ends
            in ``...``).

        Raises:
            TemplateValueError: a value of the wrong kind for its conversion.
        """
        out = [self._head]
        for name, fmt, tail in self._steps:
            out.append(fmt(lookup(name)))
            out.append(tail)
        text = "".join(out)
        if len(text) > MAX_OUTPUT:
            text = text[:MAX_OUTPUT - len(ELLIPSIS)] + ELLIPSIS
        return text


def escape(text: str) -> str:
    """Template text that renders as ``text`` (braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


def parse_template(text: str) -> Template:
    """Parse template text.

    Raises:
        TemplateError: with the offset of the first offending character.
    """
    if len(text) > MAX_TEXT:
        raise TemplateError(f"template is {len(text)} characters long (at most "
                            f"{MAX_TEXT}): split it", MAX_TEXT)
    fields: list[Field] = []
    formatters: list[Formatter] = []
    literals: list[str] = []  # the literal before each field, then the one after all
    pieces: list[str] = []  # literal text since the last field
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch not in "{}":
            literal = _LITERAL.match(text, i)
            assert literal is not None      # text[i] is no brace
            end = literal.end()
            pieces.append(text[i:end])
            i = end
        elif text.startswith(ch, i + 1):  # {{ or }}
            pieces.append(ch)
            i += 2
        elif ch == "}":
            raise TemplateError("single '}' in text: write '}}' for a literal brace", i)
        else:
            if len(fields) == MAX_FIELDS:
                raise TemplateError(f"too many fields (at most {MAX_FIELDS} in one "
                                    f"template): split the line", i)
            brace = _BRACE.search(text, i + 1)
            if brace is None:
                raise TemplateError("'{' is not closed: write '{{' for a literal brace", i)
            if brace.group() == "{":
                raise TemplateError("nested field: a spec is written out, e.g. {x:08X}, "
                                    "not taken from another field", brace.start())
            f, fmt = _parse_field(text, i, brace.start())
            fields.append(f)
            formatters.append(fmt)
            literals.append("".join(pieces))
            pieces = []
            i = brace.end()
    literals.append("".join(pieces))
    steps = tuple(zip((f.name for f in fields), formatters, literals[1:]))
    return Template(text, tuple(fields), _head=literals[0], _steps=steps)


def _parse_field(text: str, start: int, close: int) -> tuple[Field, Formatter]:
    """The field text[start:close+1] (braces included) and its formatter."""
    shown = text[start:close + 1]
    body = text[start + 1:close]
    name, _, spec = body.partition(":")
    _check_name(name, start + 1, shown)
    spec_at = start + 2 + len(name)
    if not spec:  # "{x}" or "{x:}": no conversion, the value shows as itself
        return Field(name, spec, None, "any", start), _formatter_plain(shown)
    flags, width, prec, length, conv = _parse_spec(name, spec, spec_at, shown)
    kind = "str" if conv in _STR_CONVS else "int"
    return (Field(name, spec, conv, kind, start),
            _formatter(shown, flags, width, prec, length, conv))


_FIELD_NAME = re.compile(r"[A-Za-z_]\w*(\[[0-9]{1,5}\])*(\.[A-Za-z_]\w*(\[[0-9]{1,5}\])*)*")


def _check_name(name: str, at: int, shown: str) -> None:
    """Accept ``name(.name)*``, each name optionally indexed by numbers (``keys[1].MakeCode``);
    else raise saying what was written instead."""
    if _FIELD_NAME.fullmatch(name) and name.isascii():
        return
    for k, ch in enumerate(name):
        if ch == "!":  # Python's format syntax; say so rather than "bad name"
            base = name[:k] or "length"
            raise TemplateError(f"conversion '{name[k:]}' in {shown} is not supported:"
                                f" write {{{base}}} or a format, e.g. {{{base}:s}}", at + k)
        if ch == "[":
            close = name.find("]", k)
            inside = name[k + 1:close] if close > 0 else name[k + 1:]
            if not (inside.isdigit() and inside.isascii() and len(inside) <= 5):
                raise TemplateError(f"an index in {shown} must be a number of up to 5 digits, "
                                    f"e.g. {{keys[0].MakeCode}}", at + k)
    if not name:
        raise TemplateError("empty field: name the value, e.g. {length}", at - 1)
    if all(ch in _DIGITS for ch in name):
        raise TemplateError(f"positional field {shown}: name the value, e.g. {{length}}",
                            at)
    expect_start = True
    k = 0
    while k <= len(name):            # the sentinel '.' checks the last name ends
        ch = (name + ".")[k]
        if ch == "[" and not expect_start:
            k = name.index("]", k) + 1       # a checked numeric index
            continue
        ok = ch in _NAME_START if expect_start else (ch in _NAME_CHAR or ch == ".")
        if not ok or (k == len(name) and expect_start):
            break
        expect_start = ch == "."
        k += 1
    raise TemplateError(f"bad field name {shown}: write names of letters, digits"
                        f" and '_' (not starting with a digit) joined by '.', "
                        f"e.g. {{r1.bytes}}; for literal braces write {{{{ and }}}}",
                        at + min(k, len(name)))


def _parse_spec(name: str, spec: str, at: int, shown: str):
    """Split ``[flags][width][.precision][length]conv``; ``at`` is where spec starts."""
    if spec.startswith("%"):
        raise TemplateError(f"drop the '%': write {{{name}:{spec[1:]}}}", at)
    i = _skip(spec, 0, "-0+ #")  # '0' is a flag, so the width never starts with 0
    flags = spec[:i]
    j = _skip(spec, i, _DIGITS)
    width = _bounded("width", spec[i:j], at + i)
    prec = None
    if spec.startswith(".", j):
        k = _skip(spec, j + 1, _DIGITS)
        prec = _bounded("precision", spec[j + 1:k], at + j + 1) or 0
        j = k
    length = next((m for m in _LENGTHS if spec.startswith(m, j)), "")
    j += len(length)
    conv = spec[j:]
    expected = " ".join(CONVERSIONS)
    if not conv:
        raise TemplateError(f"no conversion in {shown}: end the spec with one of "
                            f"{expected}, e.g. {{{name}:{spec}d}}", at + j)
    if conv not in CONVERSIONS:
        raise TemplateError(f"unknown format '{conv}' in {shown}: expected one of "
                            f"{expected}", at + j)
    # A length says how many bits of an integer are read; MS's h/l (narrow/wide)
    # are accepted on c, s and S, where they change nothing here.
    if length and conv not in _INT_CONVS and not (length in ("h", "l") and conv in "csS"):
        raise TemplateError(f"length '{length}' does not apply to '{conv}' in {shown}: "
                            f"write {{{name}:{spec[:j - len(length)]}{conv}}}",
                            at + j - len(length))
    return flags, width, prec, length, conv


def _skip(s: str, i: int, chars: str) -> int:
    while i < len(s) and s[i] in chars:
        i += 1
    return i


def _bounded(what: str, digits: str, at: int) -> int:
    if not digits:
        return 0
    if len(digits) > 2 or int(digits) > MAX_WIDTH:  # len check first: no huge int()
        shown = digits if len(digits) <= 8 else digits[:8] + "..."
        raise TemplateError(f"{what} {shown} is too large (at most {MAX_WIDTH})", at)
    return int(digits)


def _wrong_kind(shown: str, value: object, needs: str) -> TemplateValueError:
    return TemplateValueError(f"{shown} needs {needs}, but the value is a "
                              f"{type(value).__name__}")


def _pad(text: str, width: int, left: bool) -> str:
    return text.ljust(width) if left else text.rjust(width)


def _formatter_plain(shown: str) -> Formatter:
    def fmt(value: object) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            # No C value is wider than 64 bits; refusing also keeps str() from
            # Python's limit on huge ints (ValueError past 4300 digits).
            if not -(1 << 63) <= value < (1 << 64):
                raise TemplateValueError(f"{shown}: the int value is wider than 64 bits")
            return str(int(value))  # int(): an IntEnum prints its number
        if isinstance(value, str):
            return str(value)[:MAX_OUTPUT + 1]  # longer cannot survive the cut anyway
        raise _wrong_kind(shown, value, "an int, a str or a bool")
    return fmt


def _formatter(shown: str, flags: str, width: int, prec: int | None,
               length: str, conv: str) -> Formatter:
    """One small closure per field, with everything the spec decides bound in."""
    left = "-" in flags
    if conv in _STR_CONVS:
        limit = MAX_OUTPUT + 1 if prec is None else prec

        def fmt_str(value: object) -> str:
            if not isinstance(value, str):
                raise _wrong_kind(shown, value, "a str")
            return _pad(str(value)[:limit], width, left)
        return fmt_str

    def as_int(value: object) -> int:
        if not isinstance(value, int):  # bool is an int: TRUE is 1, as in C
            raise _wrong_kind(shown, value, "an int")
        return int(value)

    if conv == "c":
        return lambda value: _pad(chr(as_int(value) & 0xFF), width, left)
    digits: int | None
    if conv == "p":  # XP's DbgPrint: %p is the pointer as 8 uppercase hex digits
        ctype, conv, digits = TYPES["PVOID"], "X", max(prec or 0, 8)
    else:
        ctype, digits = _READ_AS[length][conv not in "di"], prec
    zero = "0" in flags and prec is None and not left  # C: precision or '-' wins
    signs = ("+" if "+" in flags else " " if " " in flags else "") if conv in "di" else ""
    alt = "#" in flags
    base = "d" if conv in "diu" else conv

    def fmt_int(value: object) -> str:
        return _c_int(ctype.wrap(as_int(value)), base, signs, alt, width, digits,
                      zero, left)
    return fmt_int


def _c_int(v: int, base: str, signs: str, alt: bool, width: int, prec: int | None,
           zero: bool, left: bool) -> str:
    """C's printf of an integer already read as its type (signed only for d/i)."""
    digits = format(abs(v), base)
    if prec is not None:
        digits = "" if prec == 0 and v == 0 else digits.zfill(prec)
    prefix = ""
    if v < 0:
        prefix = "-"
    elif signs:  # only ever set for d and i: C ignores '+' and ' ' when unsigned
        prefix = signs
    elif alt and base == "o" and not digits.startswith("0"):
        digits = "0" + digits  # '#o' raises the precision to give one leading 0
    elif alt and base in "xX" and v != 0:
        prefix = "0" + base
    if zero:
        return prefix + digits.rjust(width - len(prefix), "0")
    return _pad(prefix + digits, width, left)
