"""The project's own steps, beside the public step library the plugin provides."""

from __future__ import annotations

from pytest_bdd import parsers, then

from harness.bdd.context import IrpScenario


@then(parsers.re(r'the buffer of "(?P<name>\w+)" counts up from (?P<start>\d+)'))
def then_buffer_counts_up(irp: IrpScenario, name: str, start: str) -> None:
    request = irp.request(name)
    expected = bytes((int(start) + i) & 0xFF for i in range(request.bytes))
    if request.data != expected:
        irp.fail(f"{name}: expected {expected.hex(' ')}, got {request.data.hex(' ')}",
                 request.irp)
