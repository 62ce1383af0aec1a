"""Turn jsonschema errors into messages a scenario author can act on.

jsonschema's own texts are precise but written for schema authors: an unknown block
inside a routine comes out as "... is not valid under any of the given schemas".
Here each error is reduced to the branch the author evidently meant (the one whose
``type`` matches what was written) and reworded, with "did you mean" hints. The
result is a list of :class:`Problem` (a JSON path and a message); the loader turns
paths into YAML positions.
"""

from __future__ import annotations

from collections import defaultdict
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from harness.lang.diagnostics import did_you_mean
from harness.scenario.fastcheck import FastChecker
from harness.scenario.schema_app import APP_VERBS

_JSON_TYPES = {type(None): "null", bool: "boolean", int: "integer", float: "number",
               str: "string", list: "array", dict: "object"}


def json_type(value: object) -> str:
    """Name ``value``'s JSON type the way the schema does (``dict`` -> ``object``)."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _quote_list(words: Iterable[object]) -> str:
    return ", ".join(repr(word) for word in words)


def _schema(error: ValidationError) -> Mapping[str, Any]:
    """The (sub)schema an error is about. jsonschema types it ``Mapping | bool | Unset``:
    every error a validator yields for this module's schemas has its object schema."""
    return cast("Mapping[str, Any]", error.schema)


@dataclass(frozen=True)
class Problem:
    """One schema violation.

    Attributes:
        path: keys and indexes from the document root to the offending value.
        message: the reworded message.
        at_key: True when ``path`` ends in a mapping key that should be pointed at
            itself (a misspelled key) rather than at its value.
    """

    path: tuple[Any, ...]
    message: str
    at_key: bool = False


class SchemaChecker:
    """Validates scenario and driver-file data against one composed schema."""

    def __init__(self, schema: Mapping[str, Any]):
        """Prepare validators for ``schema`` (as built by ``build_schema``).

        Args:
            schema: the composed scenario schema.
        """
        defs = schema["$defs"]
        # The app's steps are checked one by one (below), each against its own verb's
        # schema: jsonschema's oneOf over every verb costs ~0.5 ms a step otherwise.
        # The document's own pass sees a top-level step as anything; the same $defs
        # objects are kept elsewhere, so the identity checks of _explain still hold.
        shallow = dict(defs, app_steps={"type": "array"})
        self._validators = {
            "scenario": Draft202012Validator(dict(schema, **{"$defs": shallow})),
            # Same $defs objects, so the identity checks below hold for both.
            "driver_file": Draft202012Validator(
                {"$schema": schema["$schema"], "$defs": defs, "$ref": "#/$defs/driver_file"}),
        }
        self._step = defs["step"]
        self._verb_set = frozenset(APP_VERBS)
        self._app_step = defs["app_step"]
        root = {"$schema": schema["$schema"], "$defs": defs}
        self._app_step_validator = Draft202012Validator(dict(root, **{"$ref":
                                                                       "#/$defs/app_step"}))
        one_verb = {key: value for key, value in self._app_step.items() if key != "oneOf"}
        self._verb_validators = {
            verb: Draft202012Validator(dict(root, **one_verb, required=[verb]))
            for verb in APP_VERBS}
        # The same schemas compiled to yes/no checks (fastcheck.py): a valid document or
        # step costs no jsonschema call; anything else goes to jsonschema as before.
        self._fast = {kind: FastChecker(cast("Mapping[str, Any]", v.schema)).compile(v.schema)
                      for kind, v in self._validators.items()}
        verbs = FastChecker(root)
        self._fast_verbs = {verb: verbs.compile(dict(one_verb, required=[verb]))
                            for verb in APP_VERBS}     # cheap: $refs compile when reached
        branches = self._step["anyOf"]
        self._step_object_branch = next(
            i for i, branch in enumerate(branches) if branch.get("type") == "object")
        self._blocks = list(branches[self._step_object_branch]["properties"])
        self._bare: list[str] = next(
            (b["enum"] for b in branches if b.get("type") == "string"), [])

    def check(self, data: Any, kind: str = "scenario") -> list[Problem]:
        """Validate ``data`` and return every problem found.

        Args:
            data: the constructed YAML document.
            kind: ``"scenario"`` or ``"driver_file"`` (an included file).

        Returns:
            Problems in no particular order (the loader sorts by position).
        """
        problems: list[Problem] = []
        if not self._fast[kind](data):
            for error in self._validators[kind].iter_errors(data):
                problems.extend(self._explain(error))
        for path, step in _app_steps(data) if kind == "scenario" else ():
            verbs = [verb for verb in step if verb in self._verb_set] \
                if isinstance(step, dict) else []
            if len(verbs) == 1 and (self._fast_verbs[verbs[0]](step)
                                    or self._verb_validators[verbs[0]].is_valid(step)):
                continue              # the common case: one verb, valid
            for error in self._app_step_validator.iter_errors(step):
                problems.extend(Problem(path + p.path, p.message, p.at_key)
                                for p in self._explain(error))
        return problems

    # -- dispatch on the failing keyword ------------------------------------------

    def _explain(self, error: ValidationError) -> list[Problem]:
        path = tuple(error.absolute_path)
        if error.schema is self._step and error.validator == "anyOf":
            return self._explain_step(error, path)
        if error.schema is self._app_step and error.validator == "oneOf":
            return self._explain_app_verbs(error.instance, path)
        if error.validator in ("anyOf", "oneOf"):
            return self._explain_alternatives(error, path)
        if "propertyNames" in error.relative_schema_path:
            return [self._explain_key_name(error, path)]
        if error.validator == "additionalProperties":
            return self._explain_extra_keys(error, path)
        return [Problem(path, self._reword(error))]

    def _reword(self, error: ValidationError) -> str:
        """Message for a single keyword failure."""
        value: Any
        instance: Any
        keyword, value, instance = error.validator, error.validator_value, error.instance
        title = _schema(error).get("title")
        if keyword == "type":
            wanted = " or ".join(value) if isinstance(value, list) else value
            what = f"{title} ({wanted})" if title else wanted
            return f"expected {what}, got {json_type(instance)}"
        if keyword == "required":
            missing = error.message.split(" is a required property")[0]
            return f"missing required key {missing}"
        if keyword == "enum":
            shown = f"one of {_quote_list(value)}" if len(value) <= 10 else "an allowed value"
            return f"{instance!r} is not {shown}{did_you_mean(instance, map(str, value))}"
        if keyword == "pattern":
            what = title or "value"
            hint = _schema(error).get("description", f"a match for {value}").rstrip(".")
            return f"{instance!r} is not a valid {what}; expected {hint[:1].lower()}{hint[1:]}"
        if keyword == "dependentRequired":
            needed = [(key, dep) for key, deps in value.items() if key in instance
                      for dep in deps if dep not in instance]
            return "; ".join(f"{key!r} is only allowed together with {dep!r}"
                             for key, dep in needed)
        return error.message

    # -- alternatives (anyOf / oneOf) -----------------------------------------------

    @staticmethod
    def _branches(error: ValidationError) -> dict[int | str, list[ValidationError]]:
        groups: dict[int | str, list[ValidationError]] = defaultdict(list)
        for sub in error.context or ():
            groups[sub.relative_schema_path[0]].append(sub)
        return groups

    def _rejects_type(self, errors: list[ValidationError]) -> bool:
        """True if a branch failed because the value has the wrong JSON type."""
        for sub in errors:
            if sub.relative_path:
                continue
            if sub.validator == "type":
                return True
            if sub.validator in ("anyOf", "oneOf") and sub.context:
                if all(self._rejects_type(group) for group in self._branches(sub).values()):
                    return True
        return False

    def _expected_types(self, error: ValidationError) -> list[str]:
        types: list[str] = []
        for sub in error.context or ():
            if sub.validator == "type" and not sub.relative_path:
                value: Any = sub.validator_value
                types.extend(value if isinstance(value, list) else [value])
            elif sub.validator in ("anyOf", "oneOf") and not sub.relative_path:
                types.extend(self._expected_types(sub))
        return list(dict.fromkeys(types))

    def _explain_alternatives(self, error: ValidationError, path: tuple) -> list[Problem]:
        if not error.context:  # oneOf matched more than one branch
            return [Problem(path, error.message)]
        groups = self._branches(error)
        meant = {index: errs for index, errs in groups.items() if not self._rejects_type(errs)}
        if not meant:
            title = _schema(error).get("title")
            wanted = " or ".join(self._expected_types(error)) or "another type"
            what = f"{title} ({wanted})" if title else wanted
            return [Problem(path, f"expected {what}, got {json_type(error.instance)}")]
        # Several branches accept this type: follow the one that got furthest in.
        best = max(meant.values(), key=lambda errs: max(len(e.relative_path) for e in errs))
        return [problem for sub in best for problem in self._explain(sub)]

    # -- keys -----------------------------------------------------------------------

    def _explain_key_name(self, error: ValidationError, path: tuple) -> Problem:
        key = error.instance
        if error.validator == "enum":
            hint = did_you_mean(key, cast(Iterable[str], error.validator_value))
            return Problem(path + (key,), f"unknown key {key!r}{hint}", at_key=True)
        return Problem(path + (key,), f"invalid key {key!r}: {self._reword(error)}", at_key=True)

    @staticmethod
    def _explain_extra_keys(error: ValidationError, path: tuple) -> list[Problem]:
        allowed = list(_schema(error).get("properties", {}))
        patterns = list(_schema(error).get("patternProperties", {}))
        problems = []
        instance: Any = error.instance
        for key in instance:
            if key in allowed or any(re.search(p, str(key)) for p in patterns):
                continue
            hint = did_you_mean(key, allowed)
            if not hint and len(allowed) <= 12:
                hint = f"; expected one of {_quote_list(allowed)}"
            problems.append(Problem(path + (key,), f"unknown key {key!r}{hint}", at_key=True))
        return problems

    # -- routine steps and app steps ------------------------------------------------

    def _unknown_block(self, name: object, path: tuple, at_key: bool) -> Problem:
        if name in self._blocks:  # a string naming a block that needs parameters
            return Problem(path, f"block {name!r} needs parameters: write {{{name}: ...}}")
        where = path + (name,) if at_key else path
        return Problem(where, f"unknown block {name!r}{did_you_mean(name, self._blocks)}", at_key)

    def _explain_step(self, error: ValidationError, path: tuple) -> list[Problem]:
        step = error.instance
        if isinstance(step, str):
            return [self._unknown_block(step, path, at_key=False)]
        if not isinstance(step, dict):
            return [Problem(path, "a step is a block name or a one-key mapping "
                                  f"{{block: parameters}}, got {json_type(step)}")]
        if not step:
            return [Problem(path, "empty step: expected {block: parameters}")]
        if len(step) > 1:
            if all(key in self._blocks for key in step):
                hint = "write each block as its own list item ('- ')"
            else:
                hint = "indent a block's parameters under its name"
            return [Problem(path, f"a step has exactly one block, found {len(step)} keys "
                                  f"({_quote_list(step)}); {hint}")]
        (name, params), = step.items()
        if name not in self._blocks:
            return [self._unknown_block(name, path, at_key=True)]
        branch = self._branches(error).get(self._step_object_branch, [])
        problems = [problem for sub in branch for problem in self._explain(sub)]
        if params is None and name in self._bare:
            problems = [Problem(path + (name,), f"block {name!r} has no value here: write the "
                                                f"bare name '- {name}' or give its parameters",
                                at_key=True)]
        return problems

    def _explain_app_verbs(self, step: Any, path: tuple) -> list[Problem]:
        if not isinstance(step, dict):
            return []  # "expected object" is reported for it on its own
        verbs = [verb for verb in APP_VERBS if verb in step]
        if len(verbs) > 1:
            return [Problem(path, f"an app step has exactly one verb, found {_quote_list(verbs)}")]
        if any(key not in self._app_step["properties"] for key in step):
            return []  # the unknown key is reported (with a suggestion) on its own
        return [Problem(path, f"an app step needs one verb: {', '.join(APP_VERBS)}")]


def _app_steps(data: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """The top-level app steps of a scenario with their paths (nested bodies are checked
    with their step)."""
    app = data.get("app") if isinstance(data, dict) else None
    if isinstance(app, list):
        return [(("app", i), step) for i, step in enumerate(app)]
    threads = app.get("threads") if isinstance(app, dict) else None
    if not isinstance(threads, dict):
        return []
    return [(("app", "threads", name, i), step) for name, steps in threads.items()
            if isinstance(steps, list) for i, step in enumerate(steps)]
