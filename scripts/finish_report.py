#!/usr/bin/env python3
"""Finish the Allure report for offline reading (see harness/bdd/report_html.py).

    python scripts/finish_report.py [REPORT_DIR]     # default reports/allure-report

Strips Allure's analytics tag, embeds the CJK font subset, writes book-experiments.html
beside index.html, then checks the file would fetch nothing at load; exit 1 if it would.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.bdd.report_html import FONT_FILE, finish_report  # noqa: E402


def main(argv: list[str]) -> int:
    report = Path(argv[0]) if argv else ROOT / "reports" / "allure-report"
    problems = finish_report(report, ROOT / "docs" / "book-experiments.md", ROOT / FONT_FILE)
    for problem in problems:
        print(f"{report / 'index.html'}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
