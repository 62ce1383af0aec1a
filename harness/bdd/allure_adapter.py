"""Allure reporting for irp-harness scenarios (through allure-pytest-bdd).

Labels: epic = the book chapter, feature = the experiment, story = the harness
scenario, and a link to the experiment's catalog entry (``report_labels``); after each
Gherkin scenario the DbgView log, the trace (text and JSON), a sequence diagram of the
IRPs and the scenario YAML are attached. At the end of the session the results
directory gets its categories and environment (``report_results``). Without
``--alluredir`` this does nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..trace import render_dbgview, render_json, render_text
from ..trace.diagram import render_sequence_svg
from ..trace.pictures import report_pictures
from .explore_report import attach_exploration
from .report_labels import labels as report_labels
from .report_results import write_results_metadata

#: Events attached to a report at most (the head and the tail of a longer trace).
MAX_ATTACHED_EVENTS = 4000

try:
    import allure
except ImportError:  # pragma: no cover - allure-pytest-bdd is a dependency
    allure = None   # type: ignore[assignment]  # the module or None: reports off

#: The seeds of the scenarios run in this session (for environment.properties).
SEEDS = pytest.StashKey[set]()


def pytest_irp_scenario_loaded(scenario: Any) -> None:
    if allure is None:
        return
    allure.dynamic.parameter("seed", scenario.seed)
    allure.dynamic.label("scenario", scenario.program.id)


def _label_result(request: Any, feature: Any, irp: Any) -> None:
    """The chapter/experiment/scenario labels and the catalog link of one result."""
    path = Path(feature.filename)
    if path.is_relative_to(request.config.rootpath):
        path = path.relative_to(request.config.rootpath)
    if irp is None:
        found = report_labels({}, None, None, feature.name, path)
    else:
        found = report_labels(irp.book, irp.program.id, irp.scenario.data.get("title"),
                              feature.name, path)
    allure.dynamic.epic(found["epic"])
    allure.dynamic.feature(found["feature"])
    if found["story"]:
        allure.dynamic.story(found["story"])
    if found["link"]:
        url, name = found["link"]
        allure.dynamic.link(url, name=name)


def pytest_sessionfinish(session: Any) -> None:
    directory = getattr(session.config.option, "allure_report_dir", None)
    if directory:
        write_results_metadata(Path(directory), session.config.stash.get(SEEDS, set()))


def pytest_bdd_after_scenario(request: Any, feature: Any, scenario: Any) -> None:
    if allure is None:
        return
    irp = None
    if "irp" in request.fixturenames:
        try:
            irp = request.getfixturevalue("irp")
        except Exception:   # the Given step itself failed: nothing to attach
            irp = None
    _label_result(request, feature, irp)
    if irp is None:
        return
    if "exploration" in request.fixturenames:       # harness/bdd/explore_steps.py
        try:
            found = request.getfixturevalue("exploration")
        except Exception:   # the When step itself failed: no campaign to attach
            found = None
        if found is not None:
            attach_exploration(found, irp.path)
    request.config.stash.setdefault(SEEDS, set()).add(irp.seed)
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
    # the device stacks and one diagram per request (harness/trace/pictures.py)
    for name, svg in report_pictures(irp.session.kernel, events, result.requests):
        attach(svg, name=name, attachment_type=kind.SVG)
    attach(render_text(events), name="trace.txt", attachment_type=kind.TEXT)
    attach(render_json(events), name="trace.json", attachment_type=kind.JSON)
    attach(irp.scenario.source_text, name=irp.path.name, attachment_type=kind.YAML
           if hasattr(kind, "YAML") else kind.TEXT)
    if result.app_output:
        attach("\n".join(result.app_output), name="application output",
               attachment_type=kind.TEXT)
