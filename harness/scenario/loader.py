"""Load a scenario file: parse, validate, follow ``include:`` and merge drivers.

The result is a :class:`Scenario` holding plain data for the layers that build and
run the machine, plus :meth:`Scenario.locate` so those layers can report their own
errors at the YAML position that caused them.

Included files are driver files (``$defs/driver_file``): their drivers, depth
first, come before the including file's own. Each file is loaded at most once, so
two files may share a common include; a file including itself (directly or not) is
an error, as is an include resolving outside the scenarios root.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
import gc
import os
import stat
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from yaml.nodes import Node

from harness.blocks.registry import BlockSpec
from harness.lang.diagnostics import Diagnostic, ScenarioError, format_path
from harness.scenario.schema import build_schema, registry_blocks
from harness.scenario.validate import SchemaChecker
from harness.scenario.yamlsource import MAX_TEXT, node_at, parse_yaml, position


@dataclass(frozen=True)
class _Source:
    """A loaded file: its display name and YAML root node."""

    file: str
    node: Node | None


@dataclass(frozen=True)
class Scenario:
    """A loaded, valid scenario.

    Attributes:
        path: the scenario file.
        data: plain data; ``drivers`` holds the included drivers followed by the
            file's own, and the ``include`` key is removed.
        source_text: the scenario file's text.
        includes: the included files, in load order.
    """

    path: Path
    data: dict[str, Any]
    source_text: str = field(repr=False)
    includes: tuple[Path, ...] = ()
    _top: _Source | None = field(default=None, repr=False, compare=False)
    _drivers: tuple[tuple[_Source, Node | None], ...] = field(
        default=(), repr=False, compare=False)

    def locate(self, json_path: str | Sequence[object]) -> tuple[str, int, int]:
        """Find where a value of :attr:`data` is written.

        Args:
            json_path: ``"drivers/0/dispatch/IRP_MJ_READ/1"`` or the same as a
                sequence; ``""`` or ``"(root)"`` for the whole file. Paths under
                ``drivers`` lead into the included file that defined the driver.

        Returns:
            (file, line, column), 1-based, of the deepest YAML node on the path.
        """
        if isinstance(json_path, str):
            parts: list[object] = [p for p in json_path.split("/") if p and p != "(root)"]
        else:
            parts = list(json_path)
        source, node, rest = self._top, self._top.node if self._top else None, parts
        if len(parts) >= 2 and parts[0] == "drivers" and str(parts[1]).isdigit():
            index = int(str(parts[1]))
            if index < len(self._drivers):
                source, node = self._drivers[index]
                rest = parts[2:]
        file = source.file if source else str(self.path)
        return (file, *position(node_at(node, rest)))


def read_source(path: Path) -> str:
    """The text of a scenario or driver file: a regular file only (a FIFO or a device
    would block or never end), and at most MAX_TEXT characters of it.

    Raises:
        FileNotFoundError, OSError, UnicodeDecodeError, ValueError: with a message
            for the user.
    """
    info = os.stat(path)                      # follows links; a loop raises OSError
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file")
    with open(path, encoding="utf-8") as handle:
        text = handle.read(MAX_TEXT + 1)
    if len(text) > MAX_TEXT:
        raise ValueError(f"larger than {MAX_TEXT} characters")
    return text


def default_root(path: Path) -> Path:
    """Return the nearest ancestor directory named ``scenarios``, else the file's directory.

    Args:
        path: the scenario file.
    """
    resolved = path.resolve()
    return next((parent for parent in resolved.parents if parent.name == "scenarios"),
                resolved.parent)


class _Loader:
    """One load: collects diagnostics across the scenario and its includes."""

    def __init__(self, checker: SchemaChecker, root: Path, top: Path):
        self.checker = checker
        self.root = root.resolve()
        self.diagnostics: list[Diagnostic] = []
        self.loaded = {top.resolve()}
        self.stack: list[tuple[Path, str]] = []
        self.includes: list[Path] = []

    def parse(self, text: str, file: str, kind: str) -> tuple[_Source, Any] | None:
        """Parse and validate one file; None if it is not even YAML."""
        try:
            parsed = parse_yaml(text, file)
        except ScenarioError as error:
            self.diagnostics.extend(error.diagnostics)
            return None
        self.diagnostics.extend(parsed.problems)
        if parsed.node is None:
            self.diagnostics.append(Diagnostic(file, 1, 1, format_path(()),
                                               "empty file: expected a mapping"))
            return None
        # A value already reported by the YAML checks (e.g. `yes`) is not re-reported.
        spots = {(p.line, p.col) for p in parsed.problems}
        for problem in self.checker.check(parsed.data, kind):
            line, col = position(node_at(parsed.node, problem.path, key=problem.at_key))
            if (line, col) not in spots:
                self.diagnostics.append(
                    Diagnostic(file, line, col, format_path(problem.path), problem.message))
        return _Source(file, parsed.node), parsed.data

    def drivers(self, source: _Source, data: Any, real: Path) -> list[tuple[_Source, int, Any]]:
        """Included drivers (depth first), then the file's own, with their index there."""
        if not isinstance(data, dict):
            return []
        self.stack.append((real, source.file))
        found = []
        includes = data.get("include")
        for index, item in enumerate(includes if isinstance(includes, list) else []):
            if isinstance(item, str):
                found += self.include(source, real, index, item)
        self.stack.pop()
        own = data.get("drivers")
        for index, driver in enumerate(own if isinstance(own, list) else []):
            found.append((source, index, driver))
        return found

    def include(self, source: _Source, including: Path, index: int,
                item: str) -> list[tuple[_Source, int, Any]]:
        """Load one include item of ``source``; report and skip it on failure."""
        path = ("include", index)

        def refuse(message: str) -> list:
            line, col = position(node_at(source.node, path))
            self.diagnostics.append(Diagnostic(source.file, line, col, format_path(path), message))
            return []

        try:
            target = (including.parent / item).resolve()
        except (RuntimeError, OSError) as error:       # a symlink loop, an unreadable path
            return refuse(f"cannot follow include {item!r}: {error}")
        if not target.is_relative_to(self.root):
            return refuse(f"include {item!r} is outside the scenarios root {self.root}")
        open_files = [real for real, _ in self.stack]
        if target in open_files:
            chain = [file for _, file in self.stack[open_files.index(target):]]
            return refuse("include cycle: " + " -> ".join(chain + chain[:1]))
        if target in self.loaded:
            return []  # already included elsewhere; drivers are added once
        try:
            text = read_source(target)
        except FileNotFoundError:
            return refuse(f"included file {item!r} does not exist")
        except (OSError, UnicodeDecodeError, ValueError) as error:
            return refuse(f"cannot read included file {item!r}: {error}")
        self.loaded.add(target)
        self.includes.append(target)
        file = os.path.normpath(os.path.join(os.path.dirname(source.file), item))
        parsed = self.parse(text, file, "driver_file")
        return self.drivers(*parsed, target) if parsed else []

    def check_merged(self, top: _Source, drivers: list[tuple[_Source, int, Any]]) -> None:
        """Checks that need the merged driver list."""
        seen: dict[str, tuple[str, int]] = {}
        for source, index, driver in drivers:
            name = driver.get("name") if isinstance(driver, dict) else None
            if not isinstance(name, str):
                continue
            path = ("drivers", index, "name")
            line, col = position(node_at(source.node, path))
            if name in seen:
                first_file, first_line = seen[name]
                self.diagnostics.append(Diagnostic(
                    source.file, line, col, format_path(path),
                    f"driver {name!r} is already defined at {first_file}:{first_line}"))
            else:
                seen[name] = (source.file, line)
        has_include = node_at(top.node, ("include",)) is not top.node
        if not drivers and not self.diagnostics and has_include:
            line, col = position(node_at(top.node, ("include",)))
            self.diagnostics.append(Diagnostic(top.file, line, col, "drivers",
                                               "no drivers: neither this file nor its includes "
                                               "define any"))


def load_scenario_text(text: str, filename: str | os.PathLike[str], *,
                       root: str | os.PathLike[str] | None = None,
                       blocks: Mapping[str, BlockSpec] | None = None) -> Scenario:
    """Load a scenario from text; includes are resolved relative to ``filename``.

    Args:
        text: the YAML text.
        filename: the file name to report (and to resolve includes against).
        root: includes must stay inside this directory; default: the nearest
            ancestor named ``scenarios``, else the file's own directory.
        blocks: the blocks steps may use; default: the global registry.

    Returns:
        The loaded scenario.

    Raises:
        ScenarioError: with every problem found, sorted by file, line and column.
    """
    with collector_paused():
        return _load_text(text, Path(filename), root, blocks)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector off while loading or resolving (as it was before, after).

    Composing allocates ~10 objects a step and frees none until the end; each time the
    allocations pass a threshold the collector rescans everything alive, the growing
    node tree included: for 10^4 steps that is three quarters of the load (and, with the
    scenario's nodes alive, four fifths of resolving its program). Neither makes
    reference cycles that must go at once; any there is goes at the next collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_text(text: str, path: Path, root: str | os.PathLike[str] | None,
               blocks: Mapping[str, BlockSpec] | None) -> Scenario:
    schema = build_schema(registry_blocks() if blocks is None else blocks)
    loader = _Loader(SchemaChecker(schema), Path(root) if root else default_root(path), path)
    parsed = loader.parse(text, str(path), "scenario")
    if parsed is None or not isinstance(parsed[1], dict):
        raise ScenarioError(loader.diagnostics)
    top, data = parsed
    drivers = loader.drivers(top, data, path.resolve())
    loader.check_merged(top, drivers)
    if loader.diagnostics:
        raise ScenarioError(loader.diagnostics)
    merged = {key: value for key, value in data.items() if key != "include"}
    merged["drivers"] = [driver for _, _, driver in drivers]
    return Scenario(path, merged, text, tuple(loader.includes), top,
                    tuple((source, node_at(source.node, ("drivers", index)))
                          for source, index, _ in drivers))


def load_scenario(path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None,
                  blocks: Mapping[str, BlockSpec] | None = None) -> Scenario:
    """Load and validate a scenario file and its includes.

    Args:
        path: the scenario file.
        root: includes must stay inside this directory (see
            :func:`load_scenario_text`).
        blocks: the blocks steps may use; default: the global registry.

    Returns:
        The loaded scenario.

    Raises:
        ScenarioError: with every problem found, sorted by file, line and column
            (an unreadable file is one diagnostic too).
    """
    try:
        text = read_source(Path(path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ScenarioError([Diagnostic(str(path), 1, 1, format_path(()),
                                        f"cannot read scenario: {error}")]) from None
    return load_scenario_text(text, path, root=root, blocks=blocks)
