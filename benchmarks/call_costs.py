"""What one call costs, for each way the kernel calls: the floor under issue 8's ratio.

Run ``python benchmarks/call_costs.py``. This is a benchmark, not a test: it prints
figures and never fails on a slow machine.

The kernel of ``irp_throughput.py``'s case (a) makes, per IRP, 20 hook calls (every
trace event goes through the instrument interface) and calls 10 routines through
``yield from`` (each driver routine, IoCallDriver and IoCompleteRequest is a generator,
so that every place a thread can suspend is visible). The hand models (c) and (c+) make
plain calls and append inline. This file measures each kind of call in a loop, against
the same loop doing nothing, in the same run:

  empty      the loop alone
  plain      ``routine(a, b)``: a plain function (what the hand models call)
  generator  ``yield from routine(a, b)``: a generator function that returns at once
  hook       ``kernel.hooks.irp_call(a, b)``: a closure bound on the kernel's hook table
             (instrument.Hooks), as the trace recorder's IRP hooks are
  noop       the same table with no instrument: ``_noop(*args)``, the kernel's hook when
             no instrument wants it

Figures: ns per call above the empty loop (best of 5 loops of 10^6), and each as a
ratio to a plain call. For instruction counts (which the machine's load does not
change), run one case under callgrind at two sizes and take the difference:
``valgrind --tool=callgrind python benchmarks/call_costs.py --case hook --count 30000``
minus the same at 10000, divided by 20000 (benchmarks/README.md, "third round").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.kernel.instrument import Hooks  # noqa: E402


def plain(a: Any, b: Any) -> int:
    return 0


def routine(a: Any, b: Any) -> Any:
    return 0
    yield  # a generator function, as every driver routine


class _Kernel:
    __slots__ = ("hooks",)


def _kernel(hook: Callable[..., None] | None) -> _Kernel:
    """A holder of the kernel's own hook table (instrument.Hooks), with no instrument:
    every hook is the no-op, or ``irp_call`` is ``hook``."""
    hooks = Hooks([])
    if hook is not None:
        hooks.irp_call = hook
    kernel = _Kernel()
    kernel.hooks = hooks
    return kernel


def _closure() -> Callable[..., None]:
    def irp_call(irp: Any, device: Any) -> None:
        return None
    return irp_call


# Each loop is a generator driven to its end, so that the generator case yields from
# inside a generator as the kernel does and every case pays the same driving.

def loop_empty(n: int) -> Iterator[Any]:
    for _ in range(n):
        pass
    return
    yield


def loop_plain(n: int) -> Iterator[Any]:
    for _ in range(n):
        plain(1, 2)
    return
    yield


def loop_generator(n: int) -> Iterator[Any]:
    for _ in range(n):
        yield from routine(1, 2)


def _hook_loop(n: int, kernel: _Kernel) -> Iterator[Any]:
    for _ in range(n):
        kernel.hooks.irp_call(1, 2)
    return
    yield


def loop_hook(n: int) -> Iterator[Any]:
    return _hook_loop(n, _kernel(_closure()))


def loop_noop(n: int) -> Iterator[Any]:
    return _hook_loop(n, _kernel(None))


CASES: dict[str, Callable[[int], Iterator[Any]]] = {
    "empty": loop_empty, "plain": loop_plain, "generator": loop_generator,
    "hook": loop_hook, "noop": loop_noop}


def drive(case: str, count: int) -> float:
    """Seconds for ``count`` turns of ``case``'s loop."""
    start = time.perf_counter()
    for _ in CASES[case](count):
        pass
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), help="run one loop, untimed "
                        "(for callgrind)")
    parser.add_argument("--count", type=int, default=10**6)
    args = parser.parse_args(argv)
    if args.case:
        for _ in CASES[args.case](args.count):
            pass
        return 0
    n = args.count
    best = {case: min(drive(case, n) for _ in range(5)) for case in CASES}
    cost = {case: (best[case] - best["empty"]) / n * 1e9 for case in CASES if case != "empty"}
    print(f"Python {sys.version.split()[0]}; ns per call above an empty loop "
          f"({best['empty'] / n * 1e9:.1f} ns a turn), best of 5 x {n}")
    for case, ns in cost.items():
        print(f"  {case:<10} {ns:7.1f} ns   {ns / cost['plain']:5.2f} x a plain call")
    print(" ".join(f"{case}_ns={ns:.1f}" for case, ns in cost.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
