"""A compiled yes/no check for the common case: a valid value.

jsonschema interprets a schema anew for every value: for an app of 10^4 steps that is
~0.15 ms a step, most of the load. Here a schema is compiled once into nested Python
closures that answer only "valid?". The loader asks this first and goes to jsonschema
(whose errors :mod:`validate` explains) only when the answer is no, so messages are
jsonschema's as before.

The one rule: a compiled check never accepts what jsonschema rejects. Each keyword
below mirrors jsonschema 4's Draft 2020-12 implementation (types as its type checker
has them: a bool is no integer, 1.0 is one); a keyword this module does not know, or
a keyword value outside the simple cases (an ``enum`` mixing types, ``uniqueItems`` on
unhashable items), makes the compiler hand that subschema to jsonschema itself. A
value that makes a check raise (a non-string key meeting a ``pattern``) counts as
invalid, and jsonschema then says what it says today. tests/test_fastcheck.py proves
the equivalence over every verb schema with generated values.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from jsonschema import Draft202012Validator

Check = Callable[[Any], bool]

#: keywords jsonschema ignores (annotations) need no code; those it implements and this
#: module does not (contains, unevaluated*, multipleOf, ...) are delegated.
_KEYWORDS = frozenset(Draft202012Validator.VALIDATORS)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class _Unsupported(Exception):
    """A keyword value this compiler leaves to jsonschema."""


class FastChecker:
    """Compiles subschemas of one root schema (its ``$defs`` resolve ``$ref``)."""

    def __init__(self, root: Mapping[str, Any]):
        self._root = root
        self._refs: dict[str, Check] = {}
        # subschemas shared by several compiled schemas (every verb's schema holds the
        # same property schemas) are compiled once; the schema is kept so its id stays
        self._memo: dict[int, tuple[Any, Check]] = {}

    def compile(self, schema: Any) -> Check:
        """A check equivalent to ``Draft202012Validator(root + schema).is_valid``."""
        check = self._compile(schema)

        def guarded(value: Any) -> bool:
            try:
                return check(value)
            except Exception:       # jsonschema decides (and explains, or raises) then
                return False
        return guarded

    # -- one subschema ------------------------------------------------------------------
    def _compile(self, schema: Any) -> Check:
        found = self._memo.get(id(schema))
        if found is None:
            found = self._memo[id(schema)] = (schema, self._build(schema))
        return found[1]

    def _build(self, schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        try:
            found = [self._keyword(schema, key, value) for key, value in schema.items()
                     if key in _KEYWORDS]
        except _Unsupported:
            return self._delegate(schema)
        checks = [c for c in found if c is not None]
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda v: first(v) and second(v)

        def every(value: Any) -> bool:
            for check in checks:
                if not check(value):
                    return False
            return True
        return every

    def _delegate(self, schema: Mapping[str, Any]) -> Check:
        root = {key: self._root[key] for key in ("$schema", "$defs") if key in self._root}
        return Draft202012Validator(dict(root, **schema)).is_valid

    def _ref(self, ref: str) -> Check:
        """A ``$ref``'s target, compiled on first use: a load pays only for the parts
        of the schema its document reaches (and a recursive ``$ref`` meets itself)."""
        if ref not in self._refs:
            if not ref.startswith("#/"):
                raise _Unsupported(ref)
            target: Any = self._root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            cell: list[Check] = []

            def lazy(value: Any) -> bool:
                if not cell:
                    cell.append(self._compile(target))
                return cell[0](value)
            self._refs[ref] = lazy
        return self._refs[ref]

    def _keyword(self, schema: Mapping[str, Any], key: str, value: Any) -> Check | None:
        # Each branch mirrors jsonschema/_keywords.py for that keyword.
        if key == "type":
            names = value if isinstance(value, list) else [value]
            if any(name not in _TYPES for name in names):
                raise _Unsupported(key)
            tests = [_TYPES[name] for name in names]
            if len(tests) == 1:
                return tests[0]
            return lambda v: any(t(v) for t in tests)
        if key == "$ref":
            return self._ref(value)
        if key == "properties":
            # the value's keys looked up among the schema's (not the other way round:
            # a verb's schema names every verb); the same pairs either way, since a
            # property name is a string and a string key equals only a string
            props = {name: self._compile(sub) for name, sub in value.items()}

            def properties(v: Any) -> bool:
                if not isinstance(v, dict):
                    return True
                for name, item in v.items():
                    check = props.get(name)
                    if check is not None and not check(item):
                        return False
                return True
            return properties
        if key == "required":
            names = list(value)
            return lambda v: not isinstance(v, dict) or all(n in v for n in names)
        if key == "additionalProperties":
            return self._additional(schema, value)
        if key == "patternProperties":
            pats = [(re.compile(p), self._compile(sub)) for p, sub in value.items()]
            return lambda v: not isinstance(v, dict) or all(
                check(item) for pattern, check in pats for k, item in v.items()
                if pattern.search(k))
        if key == "propertyNames":
            check = self._compile(value)
            return lambda v: not isinstance(v, dict) or all(check(k) for k in v)
        if key in ("minProperties", "maxProperties"):
            low = key == "minProperties"
            return lambda v: not isinstance(v, dict) or (
                len(v) >= value if low else len(v) <= value)
        if key == "dependentRequired":
            deps = list(value.items())
            return lambda v: not isinstance(v, dict) or all(
                each in v for name, needed in deps if name in v for each in needed)
        if key in ("minLength", "maxLength"):
            low = key == "minLength"
            return lambda v: not isinstance(v, str) or (
                len(v) >= value if low else len(v) <= value)
        if key == "pattern":
            search = re.compile(value).search
            return lambda v: not isinstance(v, str) or search(v) is not None
        if key in ("minimum", "maximum"):
            if not _is_number(value):
                raise _Unsupported(key)
            low = key == "minimum"
            return lambda v: not _is_number(v) or (v >= value if low else v <= value)
        if key in ("enum", "const"):
            return self._enum(list(value) if key == "enum" else [value])
        if key == "items":
            check = self._compile(value)
            prefix = len(schema.get("prefixItems", []))
            return lambda v: not isinstance(v, list) or all(check(i) for i in v[prefix:])
        if key == "prefixItems":
            checks = [self._compile(sub) for sub in value]
            return lambda v: not isinstance(v, list) or all(
                c(i) for c, i in zip(checks, v))
        if key in ("minItems", "maxItems"):
            low = key == "minItems"
            return lambda v: not isinstance(v, list) or (
                len(v) >= value if low else len(v) <= value)
        if key == "uniqueItems":
            if not value:
                return None
            # lists of strings are decided here; others (bool/int/float/list subtleties)
            # by jsonschema
            slow = self._delegate({"uniqueItems": True})
            return lambda v: not isinstance(v, list) or (
                len(set(v)) == len(v) if all(isinstance(i, str) for i in v) else slow(v))
        if key == "anyOf":
            checks = [self._compile(sub) for sub in value]
            return lambda v: any(c(v) for c in checks)
        if key == "oneOf":
            checks = [self._compile(sub) for sub in value]
            return lambda v: sum(1 for c in checks if c(v)) == 1
        if key == "allOf":
            checks = [self._compile(sub) for sub in value]
            return lambda v: all(c(v) for c in checks)
        if key == "not":
            check = self._compile(value)
            return lambda v: not check(v)
        if key == "if":
            test = self._compile(value)
            then = self._compile(schema.get("then", True))
            other = self._compile(schema.get("else", True))
            return lambda v: then(v) if test(v) else other(v)
        if key == "format":
            return None                 # an annotation without a format checker
        raise _Unsupported(key)

    def _additional(self, schema: Mapping[str, Any], value: Any) -> Check | None:
        known = frozenset(schema.get("properties", {}))
        joined = "|".join(schema.get("patternProperties", {}))
        search = re.compile(joined).search if joined else None

        def extras(v: dict) -> list[Any]:
            return [k for k in v if k not in known and not (search and search(k))]
        if isinstance(value, dict):
            check = self._compile(value)
            return lambda v: not isinstance(v, dict) or all(check(v[k]) for k in extras(v))
        if value:                       # True: anything goes
            return None
        return lambda v: not isinstance(v, dict) or not extras(v)

    @staticmethod
    def _enum(values: list[Any]) -> Check:
        """jsonschema's ``equal``: a string equals only a string, a bool only a bool;
        numbers compare by value (1 == 1.0). Other mixes are delegated."""
        if all(isinstance(x, str) for x in values):
            strings = frozenset(values)
            return lambda v: isinstance(v, str) and v in strings
        if all(_is_number(x) for x in values):
            numbers = frozenset(values)
            return lambda v: _is_number(v) and v in numbers
        if all(isinstance(x, bool) for x in values):
            flags = frozenset(values)
            return lambda v: isinstance(v, bool) and v in flags
        raise _Unsupported("enum")
