"""The Allure adapter: labels, links, attachments and the results directory's metadata.

A tiny project (three scenarios of the book suite, four Gherkin scenarios) runs through
pytest-bdd with allure-pytest-bdd into a temporary results directory; the tests read
the JSON Allure would render.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.bdd.report_labels import CHAPTERS, chapter_epic, labels
from harness.bdd.report_results import CATEGORIES

ROOT = Path(__file__).resolve().parent.parent

BOOK_FEATURE = '''@book
Feature: CH07-BufferedRead - a buffered read (#10, §7.2)

  Scenario: The read returns ten 0xAA bytes
    Given the scenario "book/ch07_buffered_read.yaml"
    When the application runs
    Then "r1" returned TRUE with 10 bytes

  Scenario: A wrong expectation is a fidelity mismatch
    Given the scenario "book/ch07_buffered_read.yaml"
    When the application runs
    Then "r1" returned TRUE with 11 bytes

  Scenario: A misspelt status is a harness error
    Given the scenario "book/ch07_buffered_read.yaml"
    When the application runs
    Then "r1" completes with STATUS_SUCESS and 10 bytes
'''

PITFALL_FEATURE = '''@pitfall
Feature: Pitfall - completing an IRP twice

  Scenario: An unexpected bug check
    Given the scenario "pitfalls/double_completion.yaml"
    When the application runs
    Then no bug check occurred

  Scenario: An unexpected hang
    Given the scenario "pitfalls/pend_without_mark.yaml"
    When the application runs
    Then no thread is blocked
'''


@pytest.fixture(scope="module")
def allure_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Run the tiny project once; its results by Gherkin scenario name."""
    base = tmp_path_factory.mktemp("project")
    for name in ("book/ch07_buffered_read.yaml", "pitfalls/double_completion.yaml",
                 "pitfalls/pend_without_mark.yaml"):
        (base / "scenarios" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "scenarios" / name, base / "scenarios" / name)
    (base / "features" / "book").mkdir(parents=True)
    (base / "features" / "pitfalls").mkdir(parents=True)
    (base / "features" / "book" / "ch07.feature").write_text(BOOK_FEATURE, encoding="utf-8")
    (base / "features" / "pitfalls" / "twice.feature").write_text(PITFALL_FEATURE,
                                                                 encoding="utf-8")
    (base / "pytest.ini").write_text("[pytest]\nbdd_features_base_dir = features/\n"
                                     "irp_scenarios_dir = scenarios\n", encoding="utf-8")
    (base / "test_features.py").write_text('from pytest_bdd import scenarios\n'
                                           'scenarios("")\n', encoding="utf-8")
    out = base / "allure-results"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "no:allure_pytest", "--alluredir", str(out)],
                         cwd=base, capture_output=True, text=True, timeout=300)
    results = {}
    for path in out.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        results[data["name"]] = data
    assert len(results) == 5, run.stdout + run.stderr
    results["_dir"] = {"path": str(out)}         # type: ignore[assignment]
    return results


def _labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def test_epic_is_the_chapter_in_chinese_with_an_english_subtitle(allure_results):
    result = allure_results["The read returns ten 0xAA bytes"]
    assert _labels(result, "epic") == ["第7章 派遣函数 — Chapter 7: dispatch routines"]


def test_feature_is_the_experiment_and_story_the_harness_scenario(allure_results):
    result = allure_results["The read returns ten 0xAA bytes"]
    assert _labels(result, "feature") == ["#10 CH07-BufferedRead"]
    story = _labels(result, "story")
    assert len(story) == 1 and story[0].startswith("ch07-buffered-read: ")


def test_each_book_result_links_to_its_catalog_entry(allure_results):
    result = allure_results["The read returns ten 0xAA bytes"]
    assert {"name": "catalog #10 CH07-BufferedRead", "type": "link",
            "url": "book-experiments.html#experiment-10"} in result["links"]


def test_a_pitfall_with_book_metadata_files_under_its_experiment(allure_results):
    result = allure_results["An unexpected bug check"]
    assert _labels(result, "epic") == [chapter_epic(10)]
    assert _labels(result, "feature") == ["#33 CH10-IRPTimeout"]


def test_attachments_carry_the_dbgview_log_trace_diagram_and_yaml(allure_results):
    result = allure_results["The read returns ten 0xAA bytes"]
    directory = Path(allure_results["_dir"]["path"])
    attached = {a["name"]: a for a in result["attachments"]}
    assert {"DbgView", "IRP sequence", "trace.txt", "trace.json",
            "ch07_buffered_read.yaml"} <= set(attached)
    assert attached["IRP sequence"]["type"] == "image/svg+xml"
    dbgview = (directory / attached["DbgView"]["source"]).read_text(encoding="utf-8")
    assert "Enter HelloDDKRead" in dbgview
    trace = json.loads((directory / attached["trace.json"]["source"]).read_text("utf-8"))
    assert trace and isinstance(trace, (list, dict))


def test_seed_is_a_parameter(allure_results):
    result = allure_results["The read returns ten 0xAA bytes"]
    assert {"name": "seed", "value": "0"} in result["parameters"]


def _category(result: dict) -> str | None:
    """The first rule of categories.json that matches, as Allure 2 matches it."""
    message = (result.get("statusDetails") or {}).get("message", "")
    for rule in CATEGORIES:
        if result["status"] not in rule["matchedStatuses"]:
            continue
        regex = rule.get("messageRegex")
        if regex is None or re.fullmatch(str(regex), message):
            return str(rule["name"])
    return None


@pytest.mark.parametrize(("scenario", "status", "category"), [
    ("A wrong expectation is a fidelity mismatch", "failed", "Fidelity mismatch"),
    ("A misspelt status is a harness error", "broken", "Harness error"),
    ("An unexpected bug check", "failed", "Bug check"),
    ("An unexpected hang", "failed", "Hang / time limit"),
    ("The read returns ten 0xAA bytes", "passed", None),
])
def test_categories_separate_mismatches_bug_checks_hangs_and_harness_errors(
        allure_results, scenario, status, category):
    result = allure_results[scenario]
    assert result["status"] == status
    assert _category(result) == category


def test_results_directory_has_categories_and_environment(allure_results):
    directory = Path(allure_results["_dir"]["path"])
    assert json.loads((directory / "categories.json").read_text("utf-8")) == CATEGORIES
    properties = dict(line.split("=", 1) for line in
                      (directory / "environment.properties").read_text("utf-8").split("\n")
                      if line)
    assert set(properties) >= {"Python", "SimPy", "irp-harness", "seed"}
    assert properties["seed"] == "0"


def test_every_chapter_of_the_book_suite_has_a_title():
    chapters = set()
    for path in (ROOT / "scenarios").rglob("*.yaml"):
        match = re.search(r"^book: \{chapter: (\d+)", path.read_text("utf-8"), re.M)
        if match:
            chapters.add(int(match.group(1)))
    assert chapters and chapters <= set(CHAPTERS)


def test_a_feature_outside_the_book_files_under_its_folder():
    found = labels({}, "x", None, "Pitfall - an ISR storm", "features/pitfalls/x.feature")
    assert found["epic"].startswith("Pitfalls") and found["feature"] == "Pitfall - an ISR storm"
    assert found["link"] is None


def test_a_book_feature_without_book_metadata_files_under_the_feature_s_experiment():
    found = labels({}, "ch09-app-async-apc-pending", "SleepEx(0, TRUE) ...",
                   "CH09-AppSyncAsync - a synchronous read ... (#23, §9.1)",
                   "features/book/ch09_app_sync_async.feature")
    assert found["epic"] == chapter_epic(9)
    assert found["feature"] == "#23 CH09-AppSyncAsync"
    assert found["link"] == ("book-experiments.html#experiment-23", "catalog #23 CH09-AppSyncAsync")
