"""Allure reporting for irp-harness scenarios (through allure-pytest-bdd).

Labels come from the scenario's ``book:`` metadata (epic = the book chapter, feature =
the experiment, story = its section); after each Gherkin scenario the DbgView log, the
trace (text and JSON), a sequence diagram of the IRPs and the scenario YAML are
attached. Without Allure installed or enabled this does nothing.
"""

from __future__ import annotations

from typing import Any

from ..trace import render_dbgview, render_json, render_text
from ..trace.diagram import render_sequence_svg

#: Events attached to a report at most (the head and the tail of a longer trace).
MAX_ATTACHED_EVENTS = 4000

try:
    import allure
except ImportError:  # pragma: no cover - allure-pytest-bdd is a dependency
    allure = None

BOOK = "Windows驱动开发技术详解"


def pytest_irp_scenario_loaded(scenario: Any) -> None:
    if allure is None:
        return
    book = scenario.book
    if book.get("chapter") is not None:
        allure.dynamic.epic(f"{BOOK} — chapter {book['chapter']}")
    if book.get("id"):
        allure.dynamic.feature(f"#{book.get('experiment', '?')} {book['id']}")
    if book.get("section"):
        allure.dynamic.story(f"§{book['section']}")
    allure.dynamic.parameter("seed", scenario.seed)
    allure.dynamic.label("scenario", scenario.program.id)


def pytest_bdd_after_scenario(request: Any, feature: Any, scenario: Any) -> None:
    if allure is None or "irp" not in request.fixturenames:
        return
    try:
        irp = request.getfixturevalue("irp")
    except Exception:   # the Given step itself failed: nothing to attach
        return
    result = irp.result
    attach = allure.attach
    kind = allure.attachment_type
    events = result.events
    note = ""
    if len(events) > MAX_ATTACHED_EVENTS:
        # A runaway (a DPC storm) has hundreds of thousands of events: a report shows
        # how it began and how it ended; `irp-harness run` prints the whole trace.
        half = MAX_ATTACHED_EVENTS // 2
        note = (f"{len(events)} events: the first and last {half} are attached; "
                f"{result.rerun_command()} prints them all")
        events = events[:half] + events[-half:]
        attach(note, name="trace too long", attachment_type=kind.TEXT)
    attach(result.dbgview() if not note else render_dbgview(events), name="DbgView",
           attachment_type=kind.TEXT)
    attach(render_sequence_svg(events), name="IRP sequence", attachment_type=kind.SVG)
    attach(render_text(events), name="trace.txt", attachment_type=kind.TEXT)
    attach(render_json(events), name="trace.json", attachment_type=kind.JSON)
    attach(irp.scenario.source_text, name=irp.path.name, attachment_type=kind.YAML
           if hasattr(kind, "YAML") else kind.TEXT)
    if result.app_output:
        attach("\n".join(result.app_output), name="application output",
               attachment_type=kind.TEXT)
