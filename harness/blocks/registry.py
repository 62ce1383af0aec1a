"""The behaviour-block registry: one source of truth for block names and parameters.

A behaviour block is a named piece of driver behaviour a scenario can use inside a
routine (``dispatch``, ``start_io``, a completion routine, ...). Small *actions*
(``complete``, ``log``, ``pend``) and named *recipes* from the book (``buffered_io``,
``split_irp``, ``timeout_dpc``) are both blocks; they differ only in ``kind``.

Blocks register themselves with :func:`block`. The scenario JSON Schema is generated
from this registry, and a test checks that the shipped schema file is up to date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

IRQL_NAMES = ("PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL")


class BlockDefinitionError(Exception):
    """A block was registered wrongly (a bug in the harness, caught at import time)."""


@dataclass(frozen=True)
class BlockSpec:
    """What a scenario author needs to know about one block.

    Attributes:
        name: the YAML key (``complete``, ``forward``, ``split_irp``).
        kind: ``"action"`` (one kernel call or two) or ``"block"`` (a book recipe).
        summary: one line for ``irp-harness blocks`` and editor hover text.
        params: JSON Schema (draft 2020-12) of the value written after the key.
        bare: the block may be written as a bare string (all parameters optional).
        max_irql: the highest IRQL the block may run at (a name from IRQL_NAMES).
        models: the WDK routines the block exercises, by their WDK names.
        compile: turns validated parameters into runnable driver code (see
            ``harness.blocks.compiler``).
    """

    name: str
    kind: str
    summary: str
    params: dict[str, Any]
    bare: bool
    max_irql: str
    models: tuple[str, ...]
    compile: Callable[..., Any] = field(compare=False, repr=False)
    builtin: bool = True


REGISTRY: dict[str, BlockSpec] = {}


def block(name: str, *, summary: str, params: dict[str, Any] | None = None,
          bare: bool = False, kind: str = "action", max_irql: str = "DISPATCH_LEVEL",
          models: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated compile function as the block ``name``.

    Misuse is reported when the module defining the block is imported.
    """
    if name in REGISTRY:
        raise BlockDefinitionError(f"block {name!r} is registered twice")
    if kind not in ("action", "block"):
        raise BlockDefinitionError(f"block {name!r}: kind must be 'action' or 'block'")
    if max_irql not in IRQL_NAMES:
        raise BlockDefinitionError(f"block {name!r}: max_irql must be one of {IRQL_NAMES}")
    if params is None and not bare:
        raise BlockDefinitionError(f"block {name!r} has no parameters, so it must be bare=True")

    if not summary or not isinstance(summary, str):
        raise BlockDefinitionError(f"block {name!r} needs a one-line summary")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise BlockDefinitionError(f"block {name!r}: names are lower_snake_case")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(fn):
            raise BlockDefinitionError(f"block {name!r} must decorate a compile function")
        module = getattr(fn, "__module__", "") or ""
        REGISTRY[name] = BlockSpec(name, kind, summary, params or {"type": "null"}, bare,
                                   max_irql, tuple(models), fn,
                                   builtin=module.startswith("harness.blocks."))
        return fn

    return register
