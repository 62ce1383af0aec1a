#!/usr/bin/env python3
"""Open the offline Allure report in headless Chromium and check what a reader sees.

    python scripts/check_report.py [REPORT_DIR] [--screenshot docs/report-screenshot.png]

Needs Debian's ``chromium`` (``apt-get install chromium``); scripts/book_report.sh runs
it when Chromium is there, the normal test run never does. Chromium runs with a
fontconfig that hides every system CJK font (only DejaVu and Liberation), so the check
sees what a fresh machine sees. It checks that:

1. the tree shows the book's chapters (``第N章 ... — Chapter N``) as its top level, and
   a chapter opens into experiments (``#25 CH09-...``) and those into scenarios;
2. the embedded CJK font was loaded for the chapter names (its ``document.fonts`` face);
3. the page made no network request (Chromium's net log has no http(s) URL);

and saves a screenshot (the environment block and the chapters; docs/report-screenshot.png
in the README is one). Exit 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.bdd.report_html import FONT_FAMILY  # noqa: E402

#: Runs in the page: waits for the tree, opens the first chapter and its first
#: experiment, then writes what it found into <pre id="irp-probe"> for --dump-dom.
PROBE = """<script>
(function () {
  var TITLE = "[data-testid='tree-section-title']";
  function titles(re) {
    return Array.from(document.querySelectorAll(TITLE))
      .filter(function (el) { return re.test(el.textContent.trim()); });
  }
  function open(el) {
    var arrow = el.parentElement.querySelector("[data-testid='tree-arrow']");
    if (arrow) { arrow.click(); }
  }
  function report(tries) {
    var faces = [];
    document.fonts.forEach(function (f) {
      faces.push(f.family.replace(/"/g, "") + ":" + f.status);
    });
    var text = function (el) { return el.textContent.trim(); };
    var out = {
      chapters: titles(/^第\\d+章 /).map(text),
      experiments: titles(/^#\\d+ CH/).map(text),
      stories: titles(/^[a-z0-9-]+: /).map(text),
      faces: faces,
      tries: tries
    };
    var pre = document.createElement("pre");
    pre.id = "irp-probe";
    pre.style.display = "none";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  var tries = 0;
  function poll() {
    tries += 1;
    var chapter = titles(/^第9章 /)[0];
    if (!chapter && tries < 100) { setTimeout(poll, 100); return; }
    if (chapter) { open(chapter); }
    setTimeout(function () {
      titles(/^#2[45] CH/).forEach(open);             // two experiments of chapter 9
      setTimeout(function () {
        if (chapter) { chapter.scrollIntoView(); }
        document.fonts.load('16px "%(family)s"', "第").then(function () { report(tries); },
                                                           function () { report(-1); });
      }, 300);
    }, 300);
  }
  window.addEventListener("load", function () { setTimeout(poll, 200); });
})();
</script>""" % {"family": FONT_FAMILY}

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>/usr/share/fonts/truetype/dejavu</dir>
  <dir>/usr/share/fonts/truetype/liberation</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def run_chromium(binary: str, page: Path, work: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {"FONTCONFIG_FILE": str(work / "fonts.conf"), "HOME": str(work),
           "PATH": "/usr/bin:/bin"}
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-extensions",
                           "--disable-background-networking", "--disable-sync",
                           "--disable-component-update", "--disable-default-apps",
                           "--metrics-recording-only", "--no-default-browser-check",
                           f"--user-data-dir={work / 'profile'}", "--window-size=1400,1100",
                           "--virtual-time-budget=30000", *extra, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=300, env=env)


def network_requests(net_log: Path) -> list[str]:
    """The http(s) URLs the page asked for, from Chromium's net log.

    The browser's own traffic (component updates, time sync, accounts) has the
    initiator "not an origin"; everything the page loads or fetches has the page's
    origin ("null" for a file:// page)."""
    if not net_log.exists():
        return []
    log = json.loads(net_log.read_text(encoding="utf-8", errors="replace"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = set()
    for event in log.get("events", []):
        params = event.get("params") or {}
        if event.get("type") == start_job and params.get("initiator") != "not an origin" \
                and str(params.get("url", "")).startswith(("http://", "https://")):
            urls.add(params["url"])
    return sorted(urls)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, default=ROOT / "reports/allure-report")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="where to save the screenshot (default: REPORT/screenshot.png)")
    args = parser.parse_args(argv)
    binary = chromium()
    if binary is None:
        print("check_report: no headless Chromium (apt-get install chromium); "
              "only the static check of scripts/finish_report.py ran", file=sys.stderr)
        return 0
    index = args.report / "index.html"
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="irp-report-check-") as tmp:
        work = Path(tmp)
        (work / "fonts.conf").write_text(FONTS_CONF.format(cache=work / "fc-cache"),
                                         encoding="utf-8")
        probe = args.report / ".probe.html"      # beside index.html: same relative links
        page = index.read_text(encoding="utf-8")
        probe.write_text(page.replace("</body>", PROBE + "</body>", 1), encoding="utf-8")
        try:
            dom = run_chromium(binary, probe, work, "--dump-dom",
                               f"--log-net-log={work / 'net.json'}")
            shot = args.screenshot or args.report / "screenshot.png"
            run_chromium(binary, probe, work, f"--screenshot={shot.resolve()}")
        finally:
            probe.unlink()
        match = re.search(r'<pre id="irp-probe"[^>]*>(.*?)</pre>', dom.stdout, re.S)
        if not match:
            print(dom.stderr[-2000:], file=sys.stderr)
            failures.append("the page did not finish rendering (no probe output)")
            found: dict = {}
        else:
            import html
            found = json.loads(html.unescape(match.group(1)))
        chapters = found.get("chapters", [])
        if not any(re.match(r"第\d+章 .+ — Chapter \d+", name) for name in chapters):
            failures.append(f"the tree shows no book chapter: {chapters[:5]}")
        if not found.get("experiments") or not found.get("stories"):
            failures.append("chapter 9 does not open into experiments and scenarios: "
                            f"{found.get('experiments')}, {found.get('stories')}")
        # document.fonts.check() is true for a family no rule names: the face's status is
        # what tells that the embedded subset was decoded and used
        loaded = any(face.startswith(FONT_FAMILY + ":loaded") for face in found.get("faces", []))
        if not loaded:
            failures.append(f"the CJK font did not load: {found.get('faces')}")
        requests = network_requests(work / "net.json")
        if requests:
            failures.append(f"network requests at load: {requests}")
        print(f"check_report: {len(chapters)} chapters in the tree "
              f"({chapters[0] if chapters else 'none'} ...), CJK font "
              f"{'loaded' if loaded else 'missing'}, "
              f"{len(requests)} network requests; screenshot {shot}")
    for failure in failures:
        print(f"check_report: FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
