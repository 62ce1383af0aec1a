"""Finishing the offline report (harness/bdd/report_html.py): no analytics, no fetch at
load, the CJK subset embedded and covering the project's text, the catalog's anchors.
No browser and no npm: a page shaped like Allure 3.18's index.html stands in."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from harness.bdd.report_html import (FONT_FAMILY, FONT_FILE, finish_report, inject_font,
                                     offline_problems, render_catalog, report_characters,
                                     report_sources, strip_analytics)
from harness.bdd.report_labels import catalog_anchor

ROOT = Path(__file__).resolve().parent.parent

#: The tail of Allure 3.18's awesome template (generators.js), with its analytics block.
ALLURE_PAGE = """<!DOCTYPE html>
<html dir="ltr" lang="en">
<head>
    <meta charset="utf-8">
    <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E">
</head>
<body>
    <div id="app"></div>
    <script src="data:text/javascript;base64,""" + base64.b64encode(
    b'var ns="http://www.w3.org/2000/svg";').decode() + """"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {"report": "awesome"});
    </script>
    <script async>window.allureReportData = {};</script>
</body>
</html>
"""


def test_allure_page_as_generated_calls_home():
    """The check is honest: the unprocessed template fails it."""
    problems = offline_problems(ALLURE_PAGE)
    assert any("googletagmanager" in p for p in problems)
    assert any(p.startswith("fetched at load: https://www.googletagmanager.com/") for p in problems)


def test_strip_analytics_removes_the_loader_and_the_inline_gtag_block():
    page = strip_analytics(ALLURE_PAGE)
    assert offline_problems(page) == []
    assert "window.allureReportData" in page and 'id="app"' in page


def test_urls_inside_embedded_scripts_are_not_fetches():
    """Allure's JavaScript holds namespace strings; a data: URI is not fetched at load."""
    assert offline_problems(strip_analytics(ALLURE_PAGE)) == []
    assert offline_problems('<img src="http://example.invalid/x.png">') == [
        "fetched at load: http://example.invalid/x.png"]
    assert offline_problems("<style>@import 'https://example.invalid/a.css';</style>")


def test_inject_font_embeds_the_subset_and_extends_allure_font_stacks():
    font = (ROOT / FONT_FILE).read_bytes()
    page = inject_font(strip_analytics(ALLURE_PAGE), font)
    assert base64.b64encode(font).decode() in page
    assert page.index('id="irp-harness-cjk"') < page.index("</head>")
    assert f'--font-family:"PTRootUIWebVF", "{FONT_FAMILY}"' in page
    assert f'--font-family-mono:"JetBrainsMonoVF", "{FONT_FAMILY}"' in page
    assert inject_font(page, font) == page          # once only
    assert offline_problems(page) == []


def test_report_font_covers_every_cjk_character():
    """docs/report-font/characters.txt is what scripts/make_report_font.py put in the
    subset: every CJK character a feature, scenario or chapter title uses. Adding
    Chinese text means rerunning the script."""
    covered = set((ROOT / FONT_FILE).with_name("characters.txt").read_text("utf-8").strip())
    needed = set(report_characters(report_sources(ROOT)))
    assert needed, "the chapter titles alone have CJK characters"
    missing = "".join(sorted(needed - covered))
    assert not missing, f"run scripts/make_report_font.py: the subset lacks {missing}"


def test_font_file_is_woff2_with_its_licence():
    assert (ROOT / FONT_FILE).read_bytes()[:4] == b"wOF2"
    assert "SIL OPEN FONT LICENSE Version 1.1" in (ROOT / FONT_FILE).with_name(
        "OFL.txt").read_text("utf-8")


def test_catalog_has_an_anchor_per_experiment():
    page = render_catalog((ROOT / "docs" / "book-experiments.md").read_text("utf-8"))
    anchors = set(map(int, re.findall(r'id="experiment-(\d+)"', page)))
    assert anchors == set(range(1, 53))
    assert f'id="{catalog_anchor(25)}">25. CH09-CancelIRP' in page
    assert "<table>" in page and offline_problems(page) == []


def test_finish_report_rewrites_index_and_writes_the_catalog_beside_it(tmp_path):
    (tmp_path / "index.html").write_text(ALLURE_PAGE, encoding="utf-8")
    catalog = tmp_path / "catalog.md"
    catalog.write_text("# Catalog\n\n#### 7. CH05-RtlNewSEH (§5.4)\n\ntext\n", encoding="utf-8")
    assert finish_report(tmp_path, catalog, ROOT / FONT_FILE) == []
    index = (tmp_path / "index.html").read_text("utf-8")
    assert "gtag" not in index and FONT_FAMILY in index
    assert 'id="experiment-7"' in (tmp_path / "book-experiments.html").read_text("utf-8")
