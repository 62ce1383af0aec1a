"""Print a digest of every shipped scenario's trace: run it before and after a change
that must not alter behaviour (a restructuring) and compare the two outputs.

    .venv/bin/python scripts/trace_digest.py > before.txt
    ... change ...
    .venv/bin/python scripts/trace_digest.py | diff before.txt -
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from harness.runner import Session
from harness.scenario import ScenarioError, load_scenario
from harness.scenario.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "\nscenario:" not in "\n" + text:
            continue                      # an include-only driver file
        try:
            result = Session(resolve(load_scenario(path))).run_app()
        except ScenarioError as error:
            print(f"{path.relative_to(ROOT)}  error {error}")
            continue
        digest = hashlib.sha256((result.json() + result.text()).encode()).hexdigest()[:16]
        print(f"{path.relative_to(ROOT)}  {digest}  {len(result.events)} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
