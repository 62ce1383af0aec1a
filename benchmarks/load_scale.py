"""Loading and validating a scenario as its app grows.

Run ``python benchmarks/load_scale.py`` (``--quick`` for 10^3 and 10^4 only). This is a
benchmark, not a test: it prints figures and never fails on a slow machine.

For N in 10^3, 10^4, 10^5 it writes a scenario whose app opens a device and then reads
N times (``{read: {handle: h, length: 10}, as: rN}``, the shape of the issue's
measurement) and times ``load_scenario`` on it: the YAML parse (libyaml's composer when
PyYAML has it), the node checks, construction and the JSON Schema validation of the
document and of every app step. Interpreter start and imports are not counted; the
schema is built as every load builds it. 10^5 steps is ~4.8 MB of YAML, above the
loader's 1 MiB limit per file, so that size is loaded with ``load_scenario_text`` and
the limit lifted for the measurement.

Figures: best of 3 wall-clock seconds (time.perf_counter) and the CPU seconds of that
run (time.process_time: steadier on a shared machine), and microseconds per step.
The last line is ``load_10e3_s=X load_10e4_s=Y [load_10e5_s=Z]`` (wall, best of 3).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.scenario import load_scenario_text  # noqa: E402
from harness.scenario import yamlsource  # noqa: E402

HEAD = """\
scenario: load-scale
title: N buffered reads of one device
drivers:
  - name: HelloDDK
    devices:
      - {name: '\\Device\\MyDDKDevice', link: '\\??\\HelloDDK', io: buffered}
    default_dispatch: [complete]
    dispatch:
      IRP_MJ_READ:
        - log: "Enter HelloDDKRead"
        - buffered_io: {fill: 0xAA}
app:
  - {open: '\\\\.\\HelloDDK', as: h}
"""


def scenario_text(steps: int) -> str:
    return HEAD + "".join(f"  - {{read: {{handle: h, length: 10}}, as: r{i}}}\n"
                          for i in range(steps))


def measure(steps: int, directory: Path, repeat: int = 3) -> tuple[float, float]:
    """(best wall seconds, CPU seconds of that run) for one load of an N-step app."""
    text = scenario_text(steps)
    path = directory / f"load_scale_{steps}.yaml"
    best = (float("inf"), 0.0)
    limit = yamlsource.MAX_TEXT
    yamlsource.MAX_TEXT = max(limit, len(text))      # 10^5 steps exceed 1 MiB
    try:
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            scenario = load_scenario_text(text, path)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert len(scenario.data["app"]) == steps + 1
            best = min(best, (wall, cpu))
    finally:
        yamlsource.MAX_TEXT = limit
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^3 and 10^4 steps only")
    args = parser.parse_args()
    sizes = [3, 4] if args.quick else [3, 4, 5]
    load_scenario_text(scenario_text(10), Path("warm.yaml"))   # imports, block registry
    figures = []
    with tempfile.TemporaryDirectory() as directory:
        for exponent in sizes:
            steps = 10 ** exponent
            wall, cpu = measure(steps, Path(directory), repeat=1 if exponent == 5 else 3)
            print(f"{steps:>7} steps: {wall:.3f} s wall, {cpu:.3f} s CPU, "
                  f"{wall / steps * 1e6:.1f} us/step")
            figures.append(f"load_10e{exponent}_s={wall:.3f}")
    print(" ".join(figures))


if __name__ == "__main__":
    main()
