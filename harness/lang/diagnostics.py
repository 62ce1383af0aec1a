"""Located error messages about scenario files.

Every problem the front end finds becomes a :class:`Diagnostic` pointing at a YAML
position, formatted like a compiler message so editors and terminals can jump to
it. All problems of one load are raised together as a :class:`ScenarioError`.
"""

from __future__ import annotations

from dataclasses import dataclass
import difflib
import linecache
from typing import Iterable, Sequence

ROOT_PATH = "(root)"


def format_path(parts: Iterable[object]) -> str:
    """Join a JSON path (``["drivers", 0, "name"]``) as ``drivers/0/name``.

    Args:
        parts: keys and indexes from the document root.

    Returns:
        The slash-joined path, or ``(root)`` for the empty path.
    """
    text = "/".join(str(part) for part in parts)
    return text or ROOT_PATH


def known_names(word: object, choices: Iterable[str], limit: int = 8) -> str:
    """``"; did you mean 'X'?"``, else ``" (known: a, b)"`` when there are few choices."""
    hint = did_you_mean(word, choices)
    if hint:
        return hint
    names = sorted(set(choices))
    return f" (known: {', '.join(names)})" if 0 < len(names) <= limit else ""


def column_of(file: str, line: int, col: int, offset: int) -> int:
    """The column of character ``offset`` of the YAML scalar that starts at ``col``:
    one more when the scalar is quoted (the quote is the node's start)."""
    text = linecache.getline(file, line)
    quoted = col - 1 < len(text) and text[col - 1] in "'\""
    return col + offset + (1 if quoted and offset else 0)


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'X'?"`` for the closest choice, or ``""``.

    Args:
        word: what the author wrote.
        choices: the accepted spellings.
    """
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        # Case slips (irp_mj_read) score low in difflib; catch them directly.
        close = [choice for choice in choices if choice.lower() == word.lower()][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place in a scenario file.

    Attributes:
        file: the file as the user named it (includes: relative to the includer).
        line: 1-based line.
        col: 1-based column.
        path: JSON path in that file, e.g. ``drivers/0/dispatch/IRP_MJ_READ/1``.
        message: what is wrong, and how to fix it when we can tell.
    """

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.path}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; carries every problem found.

    Attributes:
        diagnostics: the problems, sorted by file, line and column.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics: list[Diagnostic] = sorted(set(diagnostics))
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)
