"""What the Allure result of an explored scenario shows (harness/bdd/explore_steps.py):
the first failing schedule (the JSON `run --schedule` replays), its trace and sequence
diagram, the command that replays it, and the campaign's IRP-pair coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..trace import render_text
from ..trace.diagram import render_sequence_svg

#: The name the schedule is attached under (the replay command refers to it).
SCHEDULE_NAME = "failing schedule.json"


def replay_command(path: Path | str, schedule_file: str = "schedule.json") -> str:
    """The command that replays a saved schedule of the scenario at ``path``."""
    return f"irp-harness run {path} --schedule {schedule_file}"


def attach_exploration(found: Any, path: Path) -> None:
    """Attach a campaign's findings to the current Allure result (no-op without allure)."""
    try:
        import allure
    except ImportError:  # pragma: no cover - allure-pytest-bdd is a dependency
        return
    kind = allure.attachment_type
    allure.attach(found.summary() + "".join(
        f"\nfailing: {signature} in {count} schedule(s)"
        for signature, count in sorted(found.failures.items())),
        name="exploration", attachment_type=kind.TEXT)
    if found.coverage is not None:
        allure.attach(found.coverage.report(), name="IRP-pair coverage",
                      attachment_type=kind.TEXT)
    first = found.first
    if first is None:
        return
    allure.attach(first.schedule.to_json(), name=SCHEDULE_NAME, attachment_type=kind.JSON)
    allure.attach(f"{first.failure}\n\nSave the attachment \"{SCHEDULE_NAME}\" as "
                  f"schedule.json, then:\n  {replay_command(path)}\n",
                  name="replay command", attachment_type=kind.TEXT)
    events = first.result.events
    allure.attach(render_text(events), name="failing schedule trace.txt",
                  attachment_type=kind.TEXT)
    allure.attach(render_sequence_svg(events), name="failing schedule IRP sequence",
                  attachment_type=kind.SVG)
