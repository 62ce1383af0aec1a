"""Explorer numbers (issue 16), for each shipped race (scenarios/races/):

* schedules/s on the 2-thread cancel race (in-process, outcome-only runs: what
  ``irp-harness explore`` does), best of several bursts, with the machine's load;
* the buggy version: schedules until the first failure for every seed in 1..20 (within
  5,000?);
* the fixed version: failing schedules in 5,000 (none?);
* replay: the minimized failing schedule gives the identical trace 100 times out of 100.

    .venv/bin/python benchmarks/explore_rate.py [--quick]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from harness.explore import explore, replay
from harness.scenario import load_scenario
from harness.scenario.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
#: (buggy, fixed) pairs
RACES = (("cancel_race.yaml", "cancel_race_csq.yaml"),
         ("dpc_counter_race.yaml", "dpc_counter_locked.yaml"))


def _program(name: str):
    return resolve(load_scenario(str(ROOT / "scenarios/races" / name)))


def rate(program, bursts: int, size: int) -> tuple[float, float, float]:
    """(best wall schedules/s, its CPU-time schedules/s, the median wall rate)."""
    rates = []
    for burst in range(bursts):
        cpu = time.process_time()
        found = explore(program, size, seed=100 + burst, stop_at_first=False)
        cpu = time.process_time() - cpu
        rates.append((found.rate, found.explored / cpu if cpu else 0.0))
    rates.sort()
    return rates[-1][0], rates[-1][1], rates[len(rates) // 2][0]


def main() -> None:
    quick = "--quick" in sys.argv
    n = 500 if quick else 5000
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load} on {os.cpu_count()} CPUs")
    fixed_cancel = _program("cancel_race_csq.yaml")
    best, cpu, median = rate(fixed_cancel, 3 if quick else 8, 300 if quick else 1000)
    print(f"2-thread cancel race (cancel_race_csq.yaml): best {best:.0f} schedules/s "
          f"(CPU time {cpu:.0f}/s), median {median:.0f}/s")
    for buggy_name, fixed_name in RACES:
        buggy, fixed = _program(buggy_name), _program(fixed_name)
        start = time.perf_counter()
        clean = explore(fixed, n, seed=1, stop_at_first=False)
        print(f"{fixed_name}: explored={clean.explored} failing={clean.failing} "
              f"schedules_per_s={clean.rate:.0f} ({time.perf_counter() - start:.1f} s)")
        found = {}
        for seed in range(1, 21):
            campaign = explore(buggy, 5000, seed=seed)
            found[seed] = campaign.explored if campaign.first is not None else None
        misses = [s for s, at in found.items() if at is None]
        print(f"{buggy_name}: schedules until the first failure, seeds 1..20:",
              " ".join(f"{s}:{at}" for s, at in found.items()))
        print(f"{buggy_name}: found for {20 - len(misses)}/20 seeds within 5000"
              + (f" (missed: {misses})" if misses else ""))
        first = explore(buggy, 5000, seed=1, minimize=True).first
        assert first is not None
        traces = {replay(buggy, first.schedule).text() for _ in range(100)}
        same = len(traces) == 1 and traces == {first.result.text()}
        print(f"{buggy_name}: replay 100/100 identical traces: {same} "
              f"({first.schedule.preemptions} non-default choices: {first.signature})")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average after: {load}")


if __name__ == "__main__":
    main()
