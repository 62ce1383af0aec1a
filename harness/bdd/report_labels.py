"""What a result is called in the Allure report: chapter → experiment → scenario.

The report's tree is grouped by three labels (``--group-by epic,feature,story`` in
``scripts/book_report.sh``): the **epic** is the book chapter, in Chinese with an
English subtitle (``第9章 IRP的同步 — Chapter 9: IRP synchronization``), the **feature**
is the experiment of the catalog (``#25 CH09-CancelIRP``), the **story** is the harness
scenario (the YAML file's id and title); the Gherkin scenarios that test it are the
leaves. Each book result links to its experiment in ``docs/book-experiments.md``,
rendered beside the report as ``book-experiments.html`` (one anchor per experiment,
see ``harness.bdd.report_html``), so the link works offline.

The Chinese titles follow the book's table of contents (2008 edition) as recalled, not
copied from a scan: treat them as short chapter names; the English subtitles are the
headings of the catalog, which is the reference.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

BOOK = "Windows驱动开发技术详解"

#: chapter → (the book's title, the catalog's English subtitle). Chapters 2 and 14-20
#: have no experiment in the catalog (book-experiments.md "Scope").
CHAPTERS: dict[int, tuple[str, str]] = {
    1: ("从两个最简单的驱动谈起", "the two simplest drivers"),
    3: ("Windows驱动编译环境配置、安装及调试", "building, installing and loading"),
    4: ("驱动程序的基本结构", "driver structure"),
    5: ("Windows内存管理", "memory management"),
    6: ("Windows内核函数", "kernel functions"),
    7: ("派遣函数", "dispatch routines"),
    8: ("驱动程序的同步处理", "driver synchronization"),
    9: ("IRP的同步", "IRP synchronization"),
    10: ("定时器", "timers"),
    11: ("驱动程序调用驱动程序", "a driver calling another driver"),
    12: ("分层驱动程序", "layered drivers"),
    13: ("即插即用", "Plug and Play"),
    21: ("再论IRP", "IRPs revisited"),
    22: ("过滤驱动程序", "filter drivers"),
    23: ("高级调试技巧", "advanced debugging"),
}

#: The epic of a result whose scenario has no ``book:`` chapter, by features/ folder.
FOLDER_EPICS = {
    "pitfalls": "Pitfalls — buggy drivers and the bug checks Windows gives",
    "examples": "Examples — beyond the book",
}

#: Where the report's catalog links point: a page beside index.html.
CATALOG_PAGE = "book-experiments.html"


def chapter_epic(chapter: int) -> str:
    """``第9章 IRP的同步 — Chapter 9: IRP synchronization``."""
    zh, en = CHAPTERS.get(chapter, ("", ""))
    head = f"第{chapter}章 {zh}".rstrip()
    return f"{head} — Chapter {chapter}" + (f": {en}" if en else "")


def experiment_feature(book: Mapping[str, Any]) -> str | None:
    """``#25 CH09-CancelIRP`` (the catalog's number and id), or None without an id."""
    if not book.get("id"):
        return None
    number = book.get("experiment")
    return f"#{number} {book['id']}" if number is not None else str(book["id"])


def scenario_story(scenario_id: str, title: str | None) -> str:
    """The harness scenario: ``ch09-cancel-irp: Pended reads ... cancelled by CancelIo``."""
    return f"{scenario_id}: {title}" if title else scenario_id


def catalog_anchor(experiment: int) -> str:
    """The anchor of an experiment in the rendered catalog (``experiment-25``)."""
    return f"experiment-{experiment}"


def catalog_link(book: Mapping[str, Any]) -> tuple[str, str] | None:
    """(url, name) of the experiment's catalog entry, or None outside the catalog."""
    number = book.get("experiment")
    if not isinstance(number, int):
        return None
    name = f"catalog #{number}" + (f" {book['id']}" if book.get("id") else "")
    return f"{CATALOG_PAGE}#{catalog_anchor(number)}", name


def folder_epic(feature_file: str | Path) -> str | None:
    """The epic of a feature outside the book, from its folder under features/."""
    for part in Path(feature_file).parts:
        if part in FOLDER_EPICS:
            return FOLDER_EPICS[part]
    return None


#: A book feature's title: ``CH09-AppSyncAsync - ... (#23, §9.1)``.
_BOOK_FEATURE = re.compile(r"^(?P<id>CH\d+-[\w-]+) - .*\(#(?P<experiment>\d+)\b")
_BOOK_FILE = re.compile(r"^ch(?P<chapter>\d+)_")


def book_of_feature(feature_name: str, feature_file: str | Path) -> dict[str, Any]:
    """The ``book:`` data a feature of features/book/ states in its file name and title,
    for a scenario whose YAML has none (a pitfall variant of an experiment)."""
    path = Path(feature_file)
    name, title = _BOOK_FILE.match(path.name), _BOOK_FEATURE.match(feature_name)
    if "book" not in path.parts or not name:
        return {}
    book: dict[str, Any] = {"chapter": int(name.group("chapter"))}
    if title:
        book.update(id=title.group("id"), experiment=int(title.group("experiment")))
    return book


def labels(book: Mapping[str, Any], scenario_id: str | None, title: str | None,
           feature_name: str, feature_file: str | Path) -> dict[str, Any]:
    """The epic, feature, story and catalog link of one result.

    A scenario with ``book: {chapter: ...}`` is filed under its chapter and experiment;
    one without, in a feature of features/book/, under the chapter and experiment the
    feature names; any other (a pitfall or example of its own) under its features/
    folder, with the Gherkin feature's name as its feature.
    """
    if book.get("chapter") is None:
        book = book_of_feature(feature_name, feature_file) or book
    chapter = book.get("chapter")
    epic = chapter_epic(int(chapter)) if chapter is not None else (
        folder_epic(feature_file) or "Other features")
    feature = experiment_feature(book) if chapter is not None else None
    return {
        "epic": epic,
        "feature": feature or feature_name,
        "story": scenario_story(scenario_id, title) if scenario_id else None,
        "link": catalog_link(book),
    }
