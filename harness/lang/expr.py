"""Integer expressions in C syntax, with C's types and MSVC/x86 semantics.

Scenario authors write C-looking values and conditions (``Irp->IoStatus.Information
+ 1``, ``(UCHAR)(scan ^ 0x1D)``, ``count < 10 && !Irp->Cancel``). :func:`parse` turns
such text into a small AST; :func:`compile_expr` turns the AST, with a caller-supplied
:class:`Resolver` for the names, into one Python closure per node, constant subtrees
folded. Nothing here calls Python's ``eval``: hostile text can at worst produce a
located :class:`ExprError`, and the size limits keep parsing, compiling and evaluating
clear of ``RecursionError``.

The arithmetic is what the driver's compiled code does on the modelled machine (x86,
ILP32, MSVC): integer promotions and the usual arithmetic conversions, two's-complement
wrapping, division truncating toward zero, masked shift counts, and the x86 divide
error (:class:`IntegerFault`) for a zero divisor or the signed minimum divided by -1.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Protocol, Union

from harness.lang.ctype import LONG, LONGLONG, TYPES, ULONG, ULONGLONG, CType

#: Longest expression text accepted; longer text is refused before lexing.
MAX_TEXT = 1000
#: Longest integer literal (text) accepted.
MAX_LITERAL = 40
#: Deepest nesting of parentheses, brackets, unary operators, casts and ternaries.
MAX_NESTING = 64
#: Tallest AST accepted. Compiling recurses once per level and the closures call one
#: another once per level, so this (not MAX_NESTING) is what bounds the Python stack
#: for long operator chains such as ``a + a + ... + a``.
MAX_TREE_DEPTH = 128

STATUS_INTEGER_DIVIDE_BY_ZERO = 0xC0000094
STATUS_INTEGER_OVERFLOW = 0xC0000095

_CHAR = TYPES["CHAR"]


class ExprError(Exception):
    """A located problem in expression text.

    Attributes:
        message: what is wrong, for a person.
        offset: 0-based index into the text of the offending token
            (``0 <= offset <= len(text)``; ``len(text)`` means "at the end").
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message, offset)  # both in args, so it survives pickling
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message


class IntegerFault(ArithmeticError):
    """A run-time fault the CPU would raise: the x86 divide error (#DE).

    Attributes:
        status: STATUS_INTEGER_DIVIDE_BY_ZERO (0xC0000094) for a zero divisor,
            STATUS_INTEGER_OVERFLOW (0xC0000095) for the signed minimum divided by
            -1 (``idiv`` overflow is also #DE; Windows' handler tells the two apart).
    """

    def __init__(self, status: int, message: str = "") -> None:
        self.message = message or f"integer fault 0x{status:08X}"
        super().__init__(status, self.message)
        self.status = status

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- AST
# Every node records where it came from: ``offset`` is where it starts (a Binary starts
# with its left operand) and ``end`` is just past its last character, so a compiled
# subtree can carry its own source text. Parentheses make no node.


@dataclass(frozen=True)
class Literal:
    """An integer or character literal, already typed as C types it."""

    value: int
    ctype: CType
    offset: int
    end: int


@dataclass(frozen=True)
class Part:
    """One postfix accessor of a :class:`Ref`.

    Attributes:
        kind: ``"field"`` (``.name`` or ``->name``) or ``"index"`` (``[expr]``).
        name: the field name, or None for an index.
        index: the index expression, or None for a field.
        arrow: True for ``->``, False for ``.`` (and for an index).
        offset: where the field name, or the ``[``, is.
    """

    kind: str
    name: str | None
    index: Node | None
    arrow: bool
    offset: int


@dataclass(frozen=True)
class Ref:
    """A name with its accessors (``a.b``, ``a->b``, ``a[i]``); ``text`` is its source."""

    name: str
    offset: int
    parts: tuple[Part, ...]
    text: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+", "~", "!" or "&" (address-of)
    operand: Node
    offset: int
    end: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    offset: int
    end: int
    op_offset: int


@dataclass(frozen=True)
class Ternary:
    cond: Node
    then: Node
    other: Node
    offset: int
    end: int


@dataclass(frozen=True)
class Cast:
    ctype: CType
    operand: Node
    offset: int  # of the "("
    end: int


@dataclass(frozen=True)
class SizeOf:
    name: str
    offset: int  # of "sizeof"
    end: int
    name_offset: int


Node = Union[Literal, Ref, Unary, Binary, Ternary, Cast, SizeOf]


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Ref):
        return tuple(p.index for p in node.parts if p.index is not None)
    if isinstance(node, (Unary, Cast)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Ternary):
        return (node.cond, node.then, node.other)
    return ()


def references(node: Node) -> list[Ref]:
    """Every :class:`Ref` in the tree, in source order (a name before its indexes)."""
    found: list[Ref] = []
    stack = [node]
    while stack:  # pre-order with an explicit stack: no recursion on user input
        current = stack.pop()
        if isinstance(current, Ref):
            found.append(current)
        stack.extend(reversed(_children(current)))
    return found


def _check_depth(node: Node) -> None:
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ExprError(f"expression nested too deeply (more than {MAX_TREE_DEPTH} "
                            "operators deep)", current.offset)
        stack.extend((child, depth + 1) for child in _children(current))


# ------------------------------------------------------------------------- lexer


class _Tok(NamedTuple):
    kind: str  # "num", "name", "op" or "end"
    text: str
    offset: int
    end: int
    value: int = 0
    ctype: CType | None = None


_SPACE = " \t\r\n\f\v"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_]*")
_HEX = re.compile(r"0[xX]([0-9A-Fa-f]*)(.*)")
_DECIMAL = re.compile(r"([0-9]+)(.*)")
_OPS2 = {"->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||"}
_OPS1 = set("()[].?:+-*/%<>=&|^~!,")
# Two-character sequences that are never valid here, with what the author likely meant.
_BAD2 = {
    "**": "C has no power operator '**' (use '<<' for powers of two)",
    "//": "'//' is not an operator: C's '/' already truncates integer division",
    "++": "'++' is not supported: expressions cannot change values",
    "--": "'--' is not supported: expressions cannot change values (write '- -x')",
}
_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11,
            "\\": 92, "'": 39, '"': 34, "?": 63}

# Literal types by C11 6.4.4.1 with MSVC's widths: the first listed type that holds
# the value. MSVC's C mode differs only for a decimal literal without suffix that does
# not fit LONG, where it picks ULONG; we follow C11 and pick LONGLONG. ``l`` changes
# nothing because LONG is already 32 bits. Keys: (decimal?, suffix class).
_SUFFIXES = {"": "", "l": "", "u": "u", "ul": "u", "lu": "u", "ll": "ll", "i64": "ll",
             "ull": "ull", "llu": "ull", "ui64": "ull"}
_LITERAL_TYPES = {
    (True, ""): (LONG, LONGLONG), (False, ""): (LONG, ULONG, LONGLONG, ULONGLONG),
    (True, "u"): (ULONG, ULONGLONG), (False, "u"): (ULONG, ULONGLONG),
    (True, "ll"): (LONGLONG,), (False, "ll"): (LONGLONG, ULONGLONG),
    (True, "ull"): (ULONGLONG,), (False, "ull"): (ULONGLONG,),
}


def _lex(text: str, pos: int) -> _Tok:
    """The token at or after ``pos``."""
    n = len(text)
    while pos < n and text[pos] in _SPACE:
        pos += 1
    if pos >= n:
        return _Tok("end", "", n, n)
    m = _NAME.match(text, pos)
    if m:
        return _Tok("name", m.group(), pos, m.end())
    m = _NUMBER.match(text, pos)
    if m:
        return _number(text, pos, m.end())
    ch, two = text[pos], text[pos:pos + 2]
    if ch == "'":
        return _char(text, pos)
    if ch == '"':
        raise ExprError("string literals are not supported: expressions are integers", pos)
    if two in _BAD2:
        raise ExprError(_BAD2[two], pos)
    if two in _OPS2:
        return _Tok("op", two, pos, pos + 2)
    if ch in _OPS1:
        return _Tok("op", ch, pos, pos + 1)
    raise ExprError(f"unexpected character {ch!r}", pos)


def _number(text: str, start: int, end: int) -> _Tok:
    lit = text[start:end]
    if len(lit) > MAX_LITERAL:
        raise ExprError(f"integer literal longer than {MAX_LITERAL} characters", start)
    if end < len(text) and text[end] == ".":
        raise ExprError("floating-point literals are not supported", start)
    m = _HEX.fullmatch(lit)
    if m:
        digits, suffix, base = m.group(1), m.group(2), 16
        if not digits:
            raise ExprError("hexadecimal literal needs digits after '0x'", start)
    else:
        digits, suffix = _DECIMAL.fullmatch(lit).groups()  # type: ignore[union-attr]
        base = 8 if len(digits) > 1 and digits[0] == "0" else 10
        bad = [d for d in digits if d in "89"] if base == 8 else []
        if bad:
            raise ExprError(f"invalid digit '{bad[0]}' in octal literal '{lit}'", start)
    kind = _SUFFIXES.get(suffix.lower())
    if kind is None:
        raise ExprError(f"invalid suffix '{suffix}' on integer literal", start)
    value = int(digits, base)
    for ctype in _LITERAL_TYPES[base == 10, kind]:
        if value <= ctype.max:
            return _Tok("num", lit, start, end, value, ctype)
    raise ExprError(f"integer literal too large: '{lit}'", start)


def _char(text: str, start: int) -> _Tok:
    n, i = len(text), start + 1
    if i < n and text[i] == "'":
        raise ExprError("empty character literal", start)
    if i >= n or text[i] == "\n" or (text[i] == "\\" and i + 1 >= n):
        raise ExprError("unterminated character literal", start)
    if text[i] == "\\":
        c, i = text[i + 1], i + 2
        if c in _ESCAPES:
            value = _ESCAPES[c]
        elif c == "x" or c in "01234567":
            m = re.compile(r"[0-9A-Fa-f]+" if c == "x" else r"[0-7]{1,3}").match(
                text, i if c == "x" else i - 1)
            if not m:
                raise ExprError("'\\x' needs hexadecimal digits", start)
            value, i = int(m.group(), 16 if c == "x" else 8), m.end()
            if value > 0xFF:
                raise ExprError("escape sequence out of range for a character", start)
        else:
            raise ExprError(f"unknown escape sequence '\\{c}'", start)
    else:
        value, i = ord(text[i]), i + 1
        if value > 0x7F:
            raise ExprError("non-ASCII character in character literal", start)
    if i >= n or text[i] != "'":
        multi = text.find("'", i) >= 0
        raise ExprError("multi-character literals are not supported" if multi
                        else "unterminated character literal", start)
    # A character literal has type int in C; MSVC's char is signed, so '\xFF' is -1.
    return _Tok("num", text[start:i + 1], start, i + 1, _CHAR.wrap(value), LONG)


# ------------------------------------------------------------------------ parser

# Binary operators by C precedence (higher binds tighter); all left-associative.
_PRECEDENCE = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
               "<": 7, "<=": 7, ">": 7, ">=": 7, "<<": 8, ">>": 8,
               "+": 9, "-": 9, "*": 10, "/": 10, "%": 10}
_PREFIX = {"-", "+", "~", "!", "&"}
# C's own type words cannot be scenario names; point at the WDK spelling instead.
_C_TYPE_WORDS = {"int": "LONG", "unsigned": "ULONG", "signed": "LONG", "long": "LONG",
                 "short": "SHORT", "char": "CHAR", "void": "PVOID", "float": "LONG",
                 "double": "LONGLONG"}


class _Parser:
    """Recursive descent for nesting, a loop (operator precedence) for binary chains.

    Binary operators are parsed with an explicit operator stack rather than one
    function per precedence level, so each level of nesting costs a handful of
    Python frames and MAX_NESTING keeps the parser far from the recursion limit.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[_Tok] = []  # lexed lazily, so the first error found is reported
        self.pos = 0
        self.depth = 0
        self.last_end = 0
        self.prev = ""  # the last consumed token, as messages name it

    def peek(self, k: int = 0) -> _Tok:
        while len(self.toks) <= self.pos + k:
            if self.toks and self.toks[-1].kind == "end":
                return self.toks[-1]
            self.toks.append(_lex(self.text, self.toks[-1].end if self.toks else 0))
        return self.toks[self.pos + k]

    def advance(self) -> _Tok:
        tok = self.peek()
        self.pos += 1
        self.last_end, self.prev = tok.end, tok.text
        return tok

    def at(self, text: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == "op" and tok.text == text

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError("expression nested too deeply", tok.offset)

    def close(self, closer: str, opener: _Tok) -> None:
        if not self.at(closer):
            raise ExprError(f"missing '{closer}' for '{opener.text}' at column "
                            f"{opener.offset + 1}", self.peek().offset)
        self.advance()

    def parse(self) -> Node:
        node = self.ternary()
        tok = self.peek()
        if tok.kind != "end":
            if tok.text == ")":
                raise ExprError("unmatched ')'", tok.offset)
            raise ExprError(f"unexpected '{tok.text}' after a complete expression",
                            tok.offset)
        return node

    def ternary(self) -> Node:
        start = self.peek().offset
        cond = self.binary()
        if not self.at("?"):
            return cond
        question = self.advance()
        self.enter(question)
        then = self.ternary()
        if not self.at(":"):
            raise ExprError(f"expected ':' for '?' at column {question.offset + 1}",
                            self.peek().offset)
        self.advance()
        other = self.ternary()
        self.depth -= 1
        return Ternary(cond, then, other, start, self.last_end)

    def binary(self) -> Node:
        # Operands are (node, start, end): a Binary spans from its left operand's first
        # token to its right operand's last, parentheses included.
        start = self.peek().offset
        operands = [(self.unary(), start, self.last_end)]
        ops: list[tuple[str, int, int]] = []  # (operator, precedence, offset)

        def reduce() -> None:
            op, _, op_offset = ops.pop()
            right, _, end = operands.pop()
            left, begin, _ = operands.pop()
            operands.append((Binary(op, left, right, begin, end, op_offset), begin, end))

        while True:
            tok = self.peek()
            prec = _PRECEDENCE.get(tok.text) if tok.kind == "op" else None
            if prec is None:
                self.refuse_operator(tok)
                break
            self.advance()
            while ops and ops[-1][1] >= prec:  # left-associative
                reduce()
            ops.append((tok.text, prec, tok.offset))
            start = self.peek().offset
            operands.append((self.unary(), start, self.last_end))
        while ops:
            reduce()
        return operands[0][0]

    def refuse_operator(self, tok: _Tok) -> None:
        """Explain the usual wrong operators where a binary operator was expected."""
        if tok.kind == "name" and tok.text in ("and", "or"):
            real = "&&" if tok.text == "and" else "||"
            raise ExprError(f"use '{real}' instead of '{tok.text}'", tok.offset)
        if tok.kind == "op" and tok.text == "=":
            raise ExprError("'=' is assignment, not comparison: did you mean '=='?",
                            tok.offset)

    def starts_operand(self, tok: _Tok) -> bool:
        return tok.kind in ("name", "num") or (tok.kind == "op"
                                                and tok.text in ("(", "~", "!"))

    def cast_type(self) -> CType | None:
        """The type when the current ``(`` opens a cast, None when it groups."""
        name, close = self.peek(1), self.peek(2)
        if name.kind != "name":
            return None
        if name.text in _C_TYPE_WORDS:
            raise ExprError(f"C type '{name.text}' is not supported: use a WDK name such "
                            f"as {_C_TYPE_WORDS[name.text]}", name.offset)
        ctype = TYPES.get(name.text)
        if ctype is not None and close.kind == "op" and close.text == "*":
            raise ExprError("cast to a pointer type by its WDK name (PUCHAR, PVOID), "
                            "not with '*'", close.offset)
        if not (close.kind == "op" and close.text == ")"):
            return None
        if ctype is not None:
            return ctype
        after = self.peek(3)
        # ``(x) and y`` is a misspelt ``&&``, which refuse_operator explains better.
        if self.starts_operand(after) and after.text not in ("and", "or"):
            raise ExprError(f"unknown type '{name.text}' in cast", name.offset)
        return None

    def unary(self) -> Node:
        # Prefix operators and casts are collected in a loop, not by recursion.
        prefixes: list[tuple[str, CType | None, int]] = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text in _PREFIX:
                self.advance()
                prefixes.append((tok.text, None, tok.offset))
            elif tok.kind == "op" and tok.text == "(" and (ctype := self.cast_type()):
                for _ in range(3):  # "(", the type name, ")"
                    self.advance()
                prefixes.append(("cast", ctype, tok.offset))
                self.prev = self.text[tok.offset:self.last_end]
            else:
                break
            self.enter(tok)
        node = self.primary()
        for op, ctype, offset in reversed(prefixes):
            node = (Cast(ctype, node, offset, self.last_end) if ctype is not None
                    else Unary(op, node, offset, self.last_end))
        self.depth -= len(prefixes)
        return node

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind == "num":
            self.advance()
            assert tok.ctype is not None
            return Literal(tok.value, tok.ctype, tok.offset, tok.end)
        if tok.kind == "name":
            if tok.text == "sizeof":
                return self.sizeof()
            if tok.text == "not" and self.starts_operand(self.peek(1)):
                raise ExprError("use '!' instead of 'not'", tok.offset)
            return self.reference()
        if tok.kind == "op" and tok.text == "(":
            self.advance()
            self.enter(tok)
            node = self.ternary()
            self.close(")", tok)
            self.depth -= 1
            return node
        if not self.prev:
            raise ExprError("empty expression" if tok.kind == "end"
                            else f"expected an operand, found '{tok.text}'", tok.offset)
        raise ExprError(f"expected an operand after '{self.prev}'", tok.offset)

    def reference(self) -> Ref:
        name = self.advance()
        parts: list[Part] = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text in (".", "->"):
                self.advance()
                field = self.peek()
                if field.kind != "name":
                    raise ExprError(f"expected a field name after '{tok.text}'",
                                    field.offset)
                self.advance()
                parts.append(Part("field", field.text, None, tok.text == "->",
                                  field.offset))
            elif tok.kind == "op" and tok.text == "[":
                self.advance()
                self.enter(tok)
                index = self.ternary()
                self.close("]", tok)
                self.depth -= 1
                parts.append(Part("index", None, index, False, tok.offset))
            else:
                return Ref(name.text, name.offset, tuple(parts),
                           self.text[name.offset:self.last_end])

    def sizeof(self) -> SizeOf:
        keyword = self.advance()
        usage = "sizeof needs a type or struct name in parentheses: sizeof(NAME)"
        if not self.at("("):
            raise ExprError(usage, self.peek().offset)
        paren = self.advance()
        name = self.peek()
        if name.kind != "name":
            raise ExprError(usage, name.offset)
        self.advance()
        if not self.at(")") and self.peek().kind != "end":
            raise ExprError("sizeof takes a single type or struct name",
                            self.peek().offset)
        self.close(")", paren)
        return SizeOf(name.text, keyword.offset, self.last_end, name.offset)


def parse(text: str) -> Node:
    """Parse expression text into an AST.

    Raises:
        ExprError: the first problem in the text, located.
    """
    if len(text) > MAX_TEXT:
        raise ExprError(f"expression longer than {MAX_TEXT} characters", 0)
    node = _Parser(text).parse()
    _check_depth(node)
    return node


# ---------------------------------------------------------------------- compiler


@dataclass(frozen=True)
class Binding:
    """What a resolver makes of a reference: its type and how to read it."""

    ctype: CType
    get: Callable[[Any], int]  # env -> the value, already in the type's range


@dataclass(frozen=True)
class Compiled:
    """A compiled expression.

    Attributes:
        ctype: the C type of the value.
        fn: env -> value (in the type's range); raises IntegerFault as the CPU would.
        constant: the value when the expression has no references and does not fault
            (folded at compile time), else None.
        text: the source text.
    """

    ctype: CType
    fn: Callable[[Any], int]
    constant: int | None
    text: str


class Resolver(Protocol):
    """Gives meaning to the names in an expression (the scenario layer supplies one)."""

    def resolve(self, ref: Ref, indexes: tuple[Compiled, ...]) -> Binding:
        """The binding of ``ref``; ``indexes`` are its compiled index parts, in order.

        Raises:
            ExprError: unknown name or field, at ``ref.offset`` or the part's offset.
        """
        ...

    def sizeof(self, name: str, offset: int) -> int:
        """Size in bytes of a struct ``name`` (not a ctype.TYPES name).

        Raises:
            ExprError: unknown name, at ``offset``.
        """
        ...

    # Optional: ``address(ref, indexes) -> Binding`` gives ``&ref`` (a pointer); a
    # resolver without it refuses '&'.


class _NoNames:
    def resolve(self, ref: Ref, indexes: tuple[Compiled, ...]) -> Binding:
        raise ExprError(f"unknown name '{ref.name}'", ref.offset)

    def sizeof(self, name: str, offset: int) -> int:
        raise ExprError(f"unknown type '{name}' in sizeof", offset)


#: A resolver that knows no names: for constant expressions.
NO_NAMES: Resolver = _NoNames()


def _promote(t: CType) -> CType:
    """Integer promotion, to the canonical type of that width and signedness.

    Narrow types become LONG; pointers count as ULONG_PTR, i.e. ULONG on x86; and
    typedefs of one type (LONG, NTSTATUS, INT32) become one type, as they are in C.
    """
    if t.bits < 32:
        return LONG
    signed = t.signed and not t.pointer
    if t.bits == 32:
        return LONG if signed else ULONG
    return LONGLONG if signed else ULONGLONG


def _usual(a: CType, b: CType) -> CType:
    """The usual arithmetic conversions (C11 6.3.1.8) on this machine's widths."""
    a, b = _promote(a), _promote(b)
    if a == b:
        return a
    if a.signed == b.signed:
        return a if a.bits >= b.bits else b
    unsigned, signed = (b, a) if a.signed else (a, b)
    # Equal rank goes unsigned (LONG vs ULONG: -1 < 1u is false); a wider signed type
    # holds every value of the narrower unsigned one (LONGLONG vs ULONG).
    return unsigned if unsigned.bits >= signed.bits else signed


def _constant(value: int) -> Callable[[Any], int]:
    def fn(env: Any) -> int:
        return value
    return fn


def _convert(c: Compiled, t: CType) -> Callable[[Any], int]:
    """c's getter, converted to ``t`` the way C converts (only where values change)."""
    if t.min <= c.ctype.min and c.ctype.max <= t.max:
        return c.fn
    if c.constant is not None:
        return _constant(t.wrap(c.constant))
    f, wrap = c.fn, t.wrap
    return lambda env: wrap(f(env))


def _masks(t: CType) -> tuple[int, int]:
    # ((v + half) & mask) - half is t.wrap(v) for a signed t, inlined in the closures.
    return (1 << t.bits) - 1, 1 << (t.bits - 1)


_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul,
          "&": operator.and_, "|": operator.or_, "^": operator.xor}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def _arith(f: Callable[[int, int], int], t: CType, lf: Callable, rf: Callable) -> Callable:
    # The operands are not converted first: converting to t is either value-preserving
    # or reduction mod 2**bits, and + - * & | ^ commute with that reduction (Python's
    # bitwise operators act on negative ints as infinite two's complement).
    mask, half = _masks(t)
    if t.signed:
        return lambda env: ((f(lf(env), rf(env)) + half) & mask) - half
    return lambda env: f(lf(env), rf(env)) & mask


def _divide(op: str, t: CType, lf: Callable, rf: Callable, text: str) -> Callable:
    where = f" in '{text}'" if text else ""
    smin = t.min  # 0 for unsigned types, whose divisor is never -1

    def check(a: int, b: int) -> None:
        if not b:
            raise IntegerFault(STATUS_INTEGER_DIVIDE_BY_ZERO, "integer divide by zero" + where)
        if b == -1 and a == smin:  # idiv's quotient would not fit: #DE as well
            raise IntegerFault(STATUS_INTEGER_OVERFLOW, f"integer overflow: {a} / -1{where}")

    if op == "/":
        def fn(env: Any) -> int:  # C99: truncate toward zero
            a, b = lf(env), rf(env)
            check(a, b)
            q = abs(a) // abs(b)
            return -q if (a < 0) != (b < 0) else q
    else:
        def fn(env: Any) -> int:  # C99: the remainder takes the dividend's sign
            a, b = lf(env), rf(env)
            check(a, b)
            r = abs(a) % abs(b)
            return -r if a < 0 else r
    return fn


def _shift(op: str, t: CType, lf: Callable, rf: Callable) -> Callable:
    # C leaves a count >= the width (or negative) undefined; we do what MSVC's x86 code
    # does. 32-bit: shl/sar/shr use the count's low 5 bits. 64-bit: the CRT helpers
    # _allshl/_allshr/_aullshr take the count in CL (its low 8 bits) and give 0 (or
    # the sign repeated, for a signed >>) when it is 64 or more. Promotion preserves
    # values, so the left operand needs no conversion; >> of a signed value is
    # arithmetic (sar), of an unsigned one logical.
    mask, half = _masks(t)
    if t.bits == 32:
        def count(env: Any) -> int:
            return rf(env) & 31
    else:
        def count(env: Any) -> int:
            c = rf(env) & 0xFF
            return 64 if c >= 64 else c
    if op == ">>":
        return lambda env: lf(env) >> count(env)
    if t.signed:
        return lambda env: (((lf(env) << count(env)) + half) & mask) - half
    return lambda env: (lf(env) << count(env)) & mask


class _Compiler:
    """One closure per node, built bottom-up; nothing walks the AST at run time."""

    def __init__(self, resolver: Resolver, text: str) -> None:
        self.resolver = resolver
        self.text = text

    def compile(self, node: Node) -> Compiled:
        return getattr(self, "c_" + type(node).__name__.lower())(node)

    def span(self, node: Node) -> str:
        if isinstance(node, Ref):
            return node.text
        return self.text[node.offset:node.end]

    def fold(self, node: Node, ctype: CType, fn: Callable, children: tuple) -> Compiled:
        text = self.span(node)
        if all(c.constant is not None for c in children):
            try:
                value = fn(None)
            except IntegerFault:
                pass  # a buggy driver faults when the code runs, not when it loads
            else:
                return Compiled(ctype, _constant(value), value, text)
        return Compiled(ctype, fn, None, text)

    def c_literal(self, node: Literal) -> Compiled:
        return Compiled(node.ctype, _constant(node.value), node.value, self.span(node))

    def c_sizeof(self, node: SizeOf) -> Compiled:
        ctype = TYPES.get(node.name)
        size = ctype.size if ctype else self.resolver.sizeof(node.name, node.name_offset)
        return Compiled(ULONG, _constant(size), size, self.span(node))  # size_t

    def c_ref(self, node: Ref) -> Compiled:
        indexes = tuple(self.compile(p.index) for p in node.parts if p.index is not None)
        binding = self.resolver.resolve(node, indexes)
        return Compiled(binding.ctype, binding.get, None, node.text)

    def c_cast(self, node: Cast) -> Compiled:
        operand = self.compile(node.operand)
        return self.fold(node, node.ctype, _convert(operand, node.ctype), (operand,))

    def c_unary(self, node: Unary) -> Compiled:
        if node.op == "&":
            return self.address_of(node)
        operand = self.compile(node.operand)
        f, t = operand.fn, _promote(operand.ctype)
        mask, half = _masks(t)
        if node.op == "!":
            t, fn = LONG, lambda env: 0 if f(env) else 1
        elif node.op == "+":
            fn = f
        elif node.op == "-":
            fn = ((lambda env: ((half - f(env)) & mask) - half) if t.signed
                  else (lambda env: -f(env) & mask))
        else:  # "~": a signed complement stays in range
            fn = (lambda env: ~f(env)) if t.signed else (lambda env: ~f(env) & mask)
        return self.fold(node, t, fn, (operand,))

    def address_of(self, node: Unary) -> Compiled:
        """``&p->Field``: the address the resolver computes, nothing read."""
        operand, address = node.operand, getattr(self.resolver, "address", None)
        if not isinstance(operand, Ref) or not operand.parts:
            raise ExprError("'&' takes a field reached through a pointer, e.g. "
                            "&p->List[0].PartialResourceList", node.offset)
        if address is None:
            raise ExprError("'&' (address-of) is not available here", node.offset)
        indexes = tuple(self.compile(p.index) for p in operand.parts if p.index is not None)
        binding = address(operand, indexes)
        return Compiled(binding.ctype, binding.get, None, self.span(node))

    def c_binary(self, node: Binary) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        if op in ("&&", "||"):
            return self.logical(node, left, right)
        if op in ("<<", ">>"):  # typed by the left operand alone, not the conversions
            t = _promote(left.ctype)
            return self.fold(node, t, _shift(op, t, left.fn, right.fn), (left, right))
        t = _usual(left.ctype, right.ctype)
        if op in _ARITH:
            fn = _arith(_ARITH[op], t, left.fn, right.fn)
        elif op in ("/", "%"):
            fn = _divide(op, t, _convert(left, t), _convert(right, t), self.span(node))
        else:
            f, lf, rf = _COMPARE[op], _convert(left, t), _convert(right, t)
            t, fn = LONG, lambda env: 1 if f(lf(env), rf(env)) else 0
        return self.fold(node, t, fn, (left, right))

    def logical(self, node: Binary, left: Compiled, right: Compiled) -> Compiled:
        lf, rf = left.fn, right.fn
        if left.constant is not None:  # the right side is still resolved: names checked
            if bool(left.constant) == (node.op == "||"):
                value = int(node.op == "||")
                return Compiled(LONG, _constant(value), value, self.span(node))
            return self.fold(node, LONG, lambda env: 1 if rf(env) else 0, (right,))
        if node.op == "&&":
            fn = lambda env: 1 if lf(env) and rf(env) else 0  # noqa: E731
        else:
            fn = lambda env: 1 if lf(env) or rf(env) else 0  # noqa: E731
        return self.fold(node, LONG, fn, (left, right))

    def c_ternary(self, node: Ternary) -> Compiled:
        cond, then, other = (self.compile(n) for n in (node.cond, node.then, node.other))
        t = _usual(then.ctype, other.ctype)
        tf, of, cf = _convert(then, t), _convert(other, t), cond.fn
        if cond.constant is not None:
            chosen = (then, tf) if cond.constant else (other, of)
            return self.fold(node, t, chosen[1], (chosen[0],))
        return self.fold(node, t, lambda env: tf(env) if cf(env) else of(env),
                         (cond, then, other))


def compile_expr(node: Node, resolver: Resolver, text: str = "") -> Compiled:
    """Compile a parsed expression into a closure over a run-time ``env``.

    Args:
        node: from :func:`parse`.
        resolver: gives the names their types and getters (and struct sizes).
        text: the source the node was parsed from, for the Compiled texts.

    Raises:
        ExprError: from the resolver (unknown names), located.
    """
    _check_depth(node)
    compiled = _Compiler(resolver, text).compile(node)
    return dataclasses.replace(compiled, text=text) if text else compiled


def compile_text(text: str, resolver: Resolver) -> Compiled:
    """Parse and compile ``text``; raises ExprError for any problem in it."""
    return compile_expr(parse(text), resolver, text)
