#!/usr/bin/env python3
"""Regenerate docs/report-font/: the subset of Noto Sans CJK SC the Allure report embeds.

Run after adding Chinese text to a feature, a scenario or a chapter title (the test
``test_report_font_covers_every_cjk_character`` says when). Needs, on the developer's
machine only: Debian's ``fonts-noto-cjk`` (the source font) and fontTools with Brotli
(``pip install fonttools brotli``, for WOFF2). The report itself needs neither.

    python scripts/make_report_font.py \
        [--source /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.bdd.report_html import FONT_FILE, report_characters, report_sources  # noqa: E402

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_INDEX = 2        # the collection holds JP, KR, SC, TC, HK: Simplified Chinese is third


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()
    try:
        from fontTools import subset
    except ImportError:
        sys.exit("needs fontTools and Brotli: pip install fonttools brotli")
    if not args.source.exists():
        sys.exit(f"{args.source}: not found (apt-get install fonts-noto-cjk)")
    chars = report_characters(report_sources(ROOT))
    out = ROOT / FONT_FILE
    options = subset.Options()
    options.flavor = "woff2"
    options.font_number = SC_INDEX
    options.layout_features = ["*"]
    options.name_IDs = ["*"]                 # keep the copyright and license records
    font = subset.load_font(str(args.source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    subset.save_font(font, str(out), options)
    (out.parent / "characters.txt").write_text(chars + "\n", encoding="utf-8")
    print(f"{out.relative_to(ROOT)}: {len(chars)} characters, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
