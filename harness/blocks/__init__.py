"""Behaviour blocks: the registry, the built-ins, and the API for custom blocks.

A custom block is a compile function registered with :func:`block`::

    from harness.blocks import Compiler, Frame, block

    @block("fill_sequence", summary="Fill the read buffer with 0, 1, 2, ...",
           params={"type": "object", "properties": {"start": {"type": "integer"}},
                   "additionalProperties": False}, bare=True, models=("RtlCopyMemory",))
    def fill_sequence(params: dict | None, cc: Compiler, path: list) -> Step:
        start = (params or {}).get("start", 0)     # load time: check and prepare
        def step(f: Frame):                         # run time: one call of the routine
            ...
            return None
            yield                                   # steps are generators
        return step

The compile function runs once, when a scenario is resolved: it checks its
parameters (``cc.report(path, message)`` for a located error) and returns the step.
The step runs each time the routine does, with the :class:`Frame` of that call
(``f.irp``, ``f.device``, ``f.kernel``, ``f.model``, ``f.result``). Kernel routines
that can block or run other driver code are called with ``yield from``.

Blocks are found in the package's built-ins, in modules named by the entry-point
group ``irp_harness.blocks``, and in ``steps/blocks.py`` / ``steps/*_blocks.py`` of
the project (see :mod:`harness.blocks.discovery`). YAML can only name blocks that
are registered; it never imports or runs code itself.
"""

from .compiler import Compiler, Routine, Step
from .registry import REGISTRY, BlockDefinitionError, BlockSpec, block
from .runtime import STOP, DriverModel, Frame, run_steps

__all__ = ["REGISTRY", "STOP", "BlockDefinitionError", "BlockSpec", "Compiler", "DriverModel",
           "Frame", "Routine", "Step", "block", "run_steps"]
