"""Finishing the offline Allure report: no call home, Chinese text, the catalog beside it.

Allure 3's awesome report (3.18) always writes a Google Analytics tag into index.html:
its template guards it with ``analyticsEnable``, which the generator hard-codes to
true, with no option or environment variable to turn it off (allure3 issue #476; the
``ALLURE_NO_ANALYTICS`` variable exists only for the Allure 2 plugin). So
``scripts/book_report.sh`` post-processes the single file here:

- ``strip_analytics`` removes the gtag loader and its inline ``dataLayer`` block;
- ``inject_font`` embeds a subset of Noto Sans CJK SC (SIL OFL 1.1, in
  ``docs/report-font/``) with exactly the CJK characters the project's features,
  scenarios and chapter titles use, so the chapter names render on a machine without
  CJK fonts; ``report_characters`` lists them (a test checks the subset covers them);
- ``render_catalog`` renders ``docs/book-experiments.md`` as ``book-experiments.html``
  next to index.html, one ``id="experiment-N"`` anchor per experiment: the target of
  every result's catalog link;
- ``offline_problems`` is the static check: any analytics trace, and any http(s)
  URL in an attribute or CSS rule that a browser would fetch at load.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from pathlib import Path
from typing import Iterable

#: The CSS family of the embedded subset, added to Allure's sans and mono stacks.
FONT_FAMILY = "IRP Harness CJK"
FONT_FILE = Path("docs/report-font/NotoSansCJKsc-Regular-subset.woff2")

#: Allure's own stacks (3.18's main.css), each with the subset after its first font.
_SANS = ('"PTRootUIWebVF", "{f}", ui-sans-serif, system-ui, sans-serif, "Apple Color Emoji", '
         '"Segoe UI Emoji", "Segoe UI Symbol", "Noto Color Emoji"')
_MONO = '"JetBrainsMonoVF", "{f}", ui-monospace, monospace'

_ANALYTICS_LOADER = re.compile(
    r'[ \t]*<script[^>]*src="https?://www\.googletagmanager\.com/[^"]*"[^>]*>\s*</script>\s*\n?')
_ANALYTICS_INLINE = re.compile(r'[ \t]*<script>(?:(?!</script>).)*?\bgtag\((?:(?!</script>).)*'
                               r'</script>\s*\n?', re.S)
_ANALYTICS_WORDS = re.compile(r"googletagmanager|google-analytics|\bgtag\b|\bdataLayer\b")
#: What a browser fetches at load: src/href attributes, CSS url() and @import.
_FETCHED = re.compile(r'''(?:\b(?:src|href|poster|data)\s*=\s*["']?|url\(\s*["']?|'''
                      r'''@import\s+["'])(https?://[^"')\s>]+)''', re.I)
_DATA_URI = re.compile(r'data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+')


def strip_analytics(page: str) -> str:
    """index.html without Allure's Google Analytics loader and inline gtag block."""
    page = _ANALYTICS_LOADER.sub("", page)
    return _ANALYTICS_INLINE.sub("", page)


def font_css(font: bytes) -> str:
    """A <style> element that embeds ``font`` (WOFF2) and adds it to Allure's stacks."""
    data = base64.b64encode(font).decode("ascii")
    return (f'<style id="irp-harness-cjk">@font-face{{font-family:"{FONT_FAMILY}";'
            f'font-display:block;src:url(data:font/woff2;base64,{data}) format("woff2")}}'
            f':root,:root body{{--font-family:{_SANS.format(f=FONT_FAMILY)} !important;'
            f'--font-family-mono:{_MONO.format(f=FONT_FAMILY)} !important}}</style>')


def inject_font(page: str, font: bytes) -> str:
    """index.html with the CJK subset embedded just before ``</head>``."""
    if 'id="irp-harness-cjk"' in page:
        return page
    head = page.find("</head>")
    if head < 0:
        raise ValueError("the report has no </head>: not an Allure index.html")
    return page[:head] + font_css(font) + "\n" + page[head:]


def offline_problems(page: str) -> list[str]:
    """What would make the file call home: analytics, or a URL fetched at load.

    Embedded data: URIs (Allure's scripts and styles, the font) are skipped: the
    strings inside its JavaScript (XML namespaces, documentation links) are not
    fetched at load.
    """
    outer = _DATA_URI.sub("data:,", page)
    problems = [f"analytics: {m.group(0)!r}" for m in _ANALYTICS_WORDS.finditer(outer)]
    problems += [f"fetched at load: {m.group(1)}" for m in _FETCHED.finditer(outer)]
    return problems


# -- the characters the report shows ---------------------------------------------------------

def is_cjk(char: str) -> bool:
    """A CJK character or symbol (U+2E80 onwards, which also holds fullwidth forms)."""
    return ord(char) >= 0x2E80 and not 0xD800 <= ord(char) <= 0xDFFF


def report_sources(root: Path) -> list[Path]:
    """The files whose text reaches the report: features, scenarios, chapter titles."""
    return sorted([*root.glob("features/**/*.feature"), *root.glob("scenarios/**/*.yaml"),
                   root / "harness" / "bdd" / "report_labels.py"])


def report_characters(paths: Iterable[Path]) -> str:
    """The sorted CJK characters of ``paths``: what the font subset must cover."""
    found: set[str] = set()
    for path in paths:
        found.update(c for c in path.read_text(encoding="utf-8") if is_cjk(c))
    return "".join(sorted(found))


# -- the catalog ---------------------------------------------------------------------------

_EXPERIMENT_HEADING = re.compile(r"<h4>(\d+)\. ")


def render_catalog(markdown: str) -> str:
    """The catalog as a standalone HTML page with an anchor per experiment."""
    from markdown_it import MarkdownIt      # rich's dependency: always installed with us

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    body = _EXPERIMENT_HEADING.sub(lambda m: f'<h4 id="experiment-{m.group(1)}">'
                                   f'{m.group(1)}. ', body)
    title = html_lib.escape(markdown.splitlines()[0].lstrip("# ") if markdown else "")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>body{{font-family:sans-serif,\"{FONT_FAMILY}\";"
            "max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
            "vertical-align:top}code{background:#f4f4f4}:target{background:#ffe}"
            "</style></head><body>\n" + body + "</body></html>\n")


def finish_report(report: Path, catalog: Path, font: Path) -> list[str]:
    """Post-process ``report/index.html`` in place and write the catalog page beside it;
    return ``offline_problems`` of the result (empty when the file stays offline)."""
    index = report / "index.html"
    page = strip_analytics(index.read_text(encoding="utf-8"))
    page = inject_font(page, font.read_bytes())
    index.write_text(page, encoding="utf-8")
    catalog_page = render_catalog(catalog.read_text(encoding="utf-8"))
    catalog_page = inject_font(catalog_page, font.read_bytes())
    (report / "book-experiments.html").write_text(catalog_page, encoding="utf-8")
    return offline_problems(page) + offline_problems(catalog_page)
