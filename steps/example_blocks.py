"""An example custom block: what a team adds when the built-ins do not cover its driver.

The harness imports this file because its name ends in ``_blocks.py`` and it lies in
the project's ``steps/``; a package of blocks would name its module in the
``irp_harness.blocks`` entry-point group instead. See ``harness.blocks`` for the API.
"""

from __future__ import annotations

from typing import Any, Generator

from harness.blocks import Compiler, Frame, block
from harness.blocks.actions import data_buffer
from harness.kernel import io_get_current_irp_stack_location


@block("fill_sequence", bare=True,
       summary="Fill the read's data buffer with a counting byte pattern: start, start+1, "
       "... (wrapping at 0xFF), as a test device's firmware would.",
       params={"type": "object", "additionalProperties": False,
               "properties": {"start": {"type": "integer", "minimum": 0, "maximum": 255}}},
       models=("RtlCopyMemory",))
def fill_sequence(params: dict | None, cc: Compiler, path: list) -> Any:
    start = (params or {}).get("start", 0)          # load time: parameters are checked

    def step(f: Frame) -> Generator[Any, Any, None]:
        length = io_get_current_irp_stack_location(f.irp).parameters.length
        data_buffer(f).write(bytes((start + i) & 0xFF for i in range(length)))
        return None
        yield                                       # a step is a generator
    return step
