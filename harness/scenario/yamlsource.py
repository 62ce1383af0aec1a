"""Safe YAML parsing that keeps the node tree for positions.

The text is composed once into nodes with ``yaml.SafeLoader``; the node tree is
checked for things PyYAML silently accepts (duplicate keys, YAML 1.1 booleans such
as ``yes``, exotic types) and then constructed into plain data. The nodes stay
around so later errors can be pointed at a line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.lang.diagnostics import Diagnostic, ScenarioError, format_path

_TAG = "tag:yaml.org,2002:"
# The JSON-compatible core; everything else SafeLoader knows (timestamp, binary,
# set, omap, pairs) would hand the runner values the schema cannot describe.
_PLAIN_TAGS = {_TAG + name
               for name in ("null", "bool", "int", "float", "str", "seq", "map", "merge")}

# libyaml's parser when PyYAML was built with it (about 3.5 times faster), the pure
# Python one otherwise; both keep each node's line and column.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type, misc]
    """The safe loader with its tag resolution memoised.

    The parser asks the (pure Python) resolver for the tag of every node: ~40 % of
    composing an app of 10^4 steps. Without path resolvers (SafeLoader has none) the
    tag depends only on the node kind, the scalar's text and its implicit flags, so one
    answer per distinct scalar serves the whole document.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[tuple[Any, Any, Any], str] = {}
        if not self.yaml_path_resolvers:
            self.descend_resolver = _no_path       # type: ignore[method-assign]
            self.ascend_resolver = _no_path        # type: ignore[method-assign]

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        key = (kind, value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = self._tags[key] = super().resolve(kind, value, implicit)
        return tag


def _no_path(*_args: Any) -> None:
    """Resolver.descend/ascend_resolver when there are no path resolvers (a no-op)."""

#: Limits on one document, so no input can exhaust time or memory while loading.
MAX_TEXT = 1 << 20            # characters of one file (1 MiB)
MAX_VALUES = 100_000          # values after expanding aliases (an alias bomb is ~10^7)
MAX_DEPTH = 64                # nesting of mappings and sequences
MAX_DIGITS = 40               # an integer scalar (the largest C type is 20 digits)


@dataclass(frozen=True)
class ParsedYaml:
    """One parsed file.

    Attributes:
        node: the root node, or None for an empty document.
        data: the constructed plain data (None for an empty document).
        problems: non-fatal findings (duplicate keys, ambiguous scalars).
    """

    node: Node | None
    data: Any
    problems: list[Diagnostic]


def position(node: Node | None) -> tuple[int, int]:
    """Return the 1-based (line, column) where ``node`` starts ((1, 1) for None)."""
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def _syntax_diagnostic(error: yaml.YAMLError, text: str, file: str) -> Diagnostic:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        message = (error.problem or error.context or "invalid YAML").removeprefix("but ")
        if error.context and error.problem:
            where = f", line {error.context_mark.line + 1}" if error.context_mark else ""
            message += f" ({error.context}{where})"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    elif isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        message = f"unacceptable character #x{error.character:04x}"
    else:
        line, col, message = 1, 1, str(error)
    return Diagnostic(file, line, col, format_path(()), f"YAML syntax error: {message}")


def _walk(node: Node, path: tuple, seen: set[int]) -> Iterator[tuple[Node, tuple]]:
    """Yield every node once with its path (aliases share nodes, and may recurse)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    yield node, path
    if isinstance(node, MappingNode):
        for key, value in node.value:
            key_path = path + (key.value if isinstance(key, ScalarNode) else "?",)
            yield from _walk(key, key_path, seen)
            yield from _walk(value, key_path, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, path + (index,), seen)


def _duplicate_keys(node: MappingNode, path: tuple, file: str) -> Iterator[Diagnostic]:
    first: dict[tuple[str, str], Node] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.tag == _TAG + "merge":
            continue
        earlier = first.setdefault((key.tag, key.value), key)
        if earlier is not key:
            line, col = position(key)
            yield Diagnostic(file, line, col, format_path(path + (key.value,)),
                             f"duplicate key {key.value!r}: first at line "
                             f"{position(earlier)[0]}, again at line {line}")


def _scalar_problem(node: Node) -> str | None:
    if node.tag not in _PLAIN_TAGS:
        kind = node.tag.removeprefix(_TAG)
        if isinstance(node, ScalarNode):
            return f"unsupported YAML type {kind!r} for {node.value!r}; quote it for a string"
        return f"unsupported YAML type {kind!r}"
    if isinstance(node, ScalarNode) and node.tag in (_TAG + "int", _TAG + "float") \
            and len(node.value) > MAX_DIGITS:
        return (f"a number of {len(node.value)} characters is out of range (at most "
                f"{MAX_DIGITS})")
    # a plain scalar: style None (Python parser) or "" (libyaml)
    if (isinstance(node, ScalarNode) and node.tag == _TAG + "bool" and not node.style
            and node.value.lower() not in ("true", "false")):
        return (f"ambiguous YAML 1.1 boolean {node.value!r}: only true/false are booleans; "
                f"write '{node.value}' in quotes for the string")
    return None


def _check_nodes(root: Node, file: str) -> list[Diagnostic]:
    """Report what SafeLoader would accept silently; neutralise exotic tags."""
    problems: list[Diagnostic] = []
    for node, path in _walk(root, (), set()):
        if isinstance(node, MappingNode):
            problems.extend(_duplicate_keys(node, path, file))
        message = _scalar_problem(node)
        if message is None:
            continue
        problems.append(Diagnostic(file, *position(node), format_path(path), message))
        if node.tag not in _PLAIN_TAGS or node.tag in (_TAG + "int", _TAG + "float"):
            # Reported already; construct it as plain data so the rest is still checked.
            node.tag = _TAG + {ScalarNode: "str", MappingNode: "map"}.get(type(node), "seq")
    return problems


def _recursive_alias(node: Node, ancestors: set[int], done: set[int]) -> Node | None:
    """Return a node that contains itself (``&a [*a]``), which JSON cannot hold."""
    if id(node) in ancestors:
        return node
    if id(node) in done or isinstance(node, ScalarNode):
        return None
    ancestors.add(id(node))
    children = (node.value if isinstance(node, SequenceNode)
                else [child for pair in node.value for child in pair])
    for child in children:
        found = _recursive_alias(child, ancestors, done)
        if found is not None:
            return found
    ancestors.discard(id(node))
    done.add(id(node))
    return None


def _size_problem(root: Node) -> tuple[Node, str] | None:
    """The first node that makes the document too deep, or its alias expansion too big.

    Iterative, so neither a deep document nor a bomb of nested aliases costs more than
    one visit per distinct node; a document without aliases (every node referenced
    once) only needs its depth.
    """
    distinct, references = 0, 1
    for node, path in _walk(root, (), set()):
        distinct += 1
        if len(path) > MAX_DEPTH:
            return node, f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(node, SequenceNode):
            references += len(node.value)
        elif isinstance(node, MappingNode):
            references += 2 * len(node.value)
    if references == distinct:
        return None                 # nothing is shared: its size is its node count
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in size:
            continue
        children = ([] if isinstance(node, ScalarNode) else node.value
                    if isinstance(node, SequenceNode) else
                    [child for pair in node.value for child in pair])
        if not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in size)
            continue
        size[id(node)] = 1 + sum(size.get(id(child), 0) for child in children)
        depth[id(node)] = 1 + max((depth.get(id(child), 0) for child in children), default=0)
        if depth[id(node)] > MAX_DEPTH:
            return node, f"nested more than {MAX_DEPTH} levels deep"
        if size[id(node)] > MAX_VALUES:
            return node, (f"aliases expand this document to more than {MAX_VALUES} values "
                          "(an alias bomb?)")
    return None


_INT, _FLOAT, _BOOL, _NULL, _STR = (_TAG + name for name in ("int", "float", "bool", "null",
                                                              "str"))
_MERGE, _SEQ, _MAP = _TAG + "merge", _TAG + "seq", _TAG + "map"


class _NotPlain(Exception):
    """The document needs the checks below (or the loader's own constructor)."""


def _plain_data(loader: Any, node: Node, depth: int, seen: set[int] | None) -> Any:
    """SafeConstructor's data for a document the checks below would find nothing in,
    built in one visit per node; raises _NotPlain at the first doubt.

    Plain means: no node reached twice (``seen``; None when the text has no ``&``, so
    no anchor and no alias), at most MAX_DEPTH deep, only the plain tags, no duplicate
    key, no merge key, no long number, no YAML 1.1 boolean. An int that is not plain
    decimal, a float and a bool are constructed by the loader itself.
    """
    if depth > MAX_DEPTH:
        raise _NotPlain
    if seen is not None:
        if id(node) in seen:
            raise _NotPlain
        seen.add(id(node))
    kind, tag = type(node), node.tag
    if kind is ScalarNode:
        value = node.value
        if tag == _STR:
            return value
        if tag == _INT or tag == _FLOAT:
            if len(value) > MAX_DIGITS:
                raise _NotPlain
            if tag == _INT and value.isdigit() and value.isascii() and (
                    value[0] != "0" or value == "0"):
                return int(value)
            return loader.construct_object(node)
        if tag == _NULL:
            return None
        if tag == _BOOL and (cast(ScalarNode, node).style or value.lower() in ("true", "false")):
            return loader.construct_object(node)
        raise _NotPlain
    if kind is SequenceNode and tag == _SEQ:
        return [_plain_data(loader, item, depth + 1, seen) for item in node.value]
    if kind is MappingNode and tag == _MAP:
        data = {}
        keys: set[tuple[str, str]] = set()
        for key, value in node.value:
            if type(key) is not ScalarNode or key.tag == _MERGE or (key.tag, key.value) in keys:
                raise _NotPlain
            keys.add((key.tag, key.value))
            data[_plain_data(loader, key, depth + 1, seen)] = _plain_data(
                loader, value, depth + 1, seen)
        return data
    raise _NotPlain


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document safely, keeping its node tree.

    Args:
        text: the file contents.
        file: the name to put in diagnostics.

    Returns:
        The node tree, the plain data and any non-fatal problems.

    Raises:
        ScenarioError: the text is not well-formed YAML (one located diagnostic).
    """
    if len(text) > MAX_TEXT:
        raise ScenarioError([Diagnostic(file, 1, 1, format_path(()), f"the file has "
                                        f"{len(text)} characters; at most {MAX_TEXT} are read")])
    loader = None
    try:
        loader = _Loader(text)          # checks for unprintable characters already
        try:
            node = loader.get_single_node()
        except RecursionError:           # PyYAML composes nested collections recursively
            raise ScenarioError([Diagnostic(file, 1, 1, format_path(()),
                                            f"nested more than {MAX_DEPTH} levels deep")]
                                ) from None
        if node is not None:
            try:    # the common case: nothing the checks below would report
                return ParsedYaml(node, _plain_data(loader, node, 0,
                                                    set() if "&" in text else None), [])
            except _NotPlain:
                pass
        looped = _recursive_alias(node, set(), set()) if node is not None else None
        if looped is not None:
            raise ScenarioError([Diagnostic(file, *position(looped), format_path(()),
                                            "an alias refers to a node containing it")])
        too_big = _size_problem(node) if node is not None else None
        if too_big is not None:
            raise ScenarioError([Diagnostic(file, *position(too_big[0]), format_path(()),
                                            too_big[1])])
        problems = _check_nodes(node, file) if node is not None else []
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        raise ScenarioError([_syntax_diagnostic(error, text, file)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return ParsedYaml(node, data, problems)


def _key_matches(key: Node, part: object) -> bool:
    if not isinstance(key, ScalarNode):
        return False
    if key.tag == _TAG + "bool":  # `on:` is the key True once constructed
        return part is (key.value.lower() in ("true", "yes", "on"))
    return key.value == str(part)


def _child(node: Node, part: object) -> tuple[Node, Node | None] | None:
    """Return (value node, key node) for one path step, or None if absent."""
    if isinstance(node, MappingNode):
        # The last duplicate wins in the constructed data, so match the last one.
        for key, value in reversed(node.value):
            if _key_matches(key, part):
                return value, key
    elif isinstance(node, SequenceNode) and str(part).isdigit():
        index = int(str(part))
        if index < len(node.value):
            return node.value[index], None
    return None


def node_at(root: Node | None, path: Sequence[object], *, key: bool = False) -> Node | None:
    """Find the deepest node along ``path``.

    Args:
        root: the node the path starts from.
        path: keys and indexes; the walk stops early where the YAML has no such child.
        key: for a path ending in a mapping key, return the key node instead of
            its value (to point at a misspelled key).

    Returns:
        The node reached (``root`` if nothing along the path exists).
    """
    node = root
    for depth, part in enumerate(path):
        if node is None:
            break
        found = _child(node, part)
        if found is None:
            break
        value, key_node = found
        if key and depth == len(path) - 1 and key_node is not None:
            return key_node
        node = value
    return node
