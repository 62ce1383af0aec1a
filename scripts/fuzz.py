"""A seeded mutation fuzzer over the shipped scenarios: no input may crash the harness.

Each mutant of a scenario under ``scenarios/`` goes through ``irp-harness validate``
and ``irp-harness run`` in a forked child with a time and a memory bound, and is
counted by outcome:

  ok            exit 0 (a clean run) or 1 (the simulated machine bug-checked, hung or
                hit its time limit): both are answers about the driver
  user-error    exit 2 and every message located as file:line:col (or a usage error)
  unlocated     exit 2 with a message that names no place in the file
  internal      exit 3 (the harness reported its own error) or a Python traceback
  slow          still running after the time bound (default 10 s)
  memory        ran out of the memory bound (default 1 GiB)

Usage: ``python scripts/fuzz.py [-n 10000] [--seed 1] [--timeout 10] [--show 5]``.
The exit status is 1 when anything but ok / user-error happened. The same seed gives
the same mutants.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.cli import main as cli_main  # noqa: E402
from harness.scenario.schema import registry_blocks  # noqa: E402
# What the CLI imports when a command runs, imported now: the forked children then run
# the code this process loaded, even if the files change during a long run.
import harness.runner  # noqa: E402,F401
import harness.scenario.resolve  # noqa: E402,F401
import harness.trace  # noqa: E402,F401

LOCATED = re.compile(r"^\S[^\n]*?:\d+:\d+: ", re.M)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?![\w.])")
DURATION = re.compile(r"\b\d+(\.\d+)?(s|ms|us|ns)\b")
WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{2,}\b")

BOMB = ("x-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
        "x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nx-f: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
        "x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n")
NUMBERS = ["0", "-1", "1", "255", "256", "65536", "2147483647", "4294967296", "-2147483649",
           "99999999999999999999", "1" + "0" * 5000, "1e9", "3.5", "0x10", "true", "null", "''"]
DURATIONS = ["0s", "10ms", "1ns", "150ns", "99999999999s", "3", "-1s", "0.0000001s", "1e3s"]


def mutate(text: str, rng: random.Random, blocks: list[str]) -> str:
    """One to three random edits of a scenario's text."""
    for _ in range(rng.randint(1, 3)):
        lines = text.splitlines()
        kind = rng.randrange(12)
        if kind == 0 and NUMBER.search(text):
            spots = list(NUMBER.finditer(text))
            m = rng.choice(spots)
            text = text[:m.start()] + rng.choice(NUMBERS) + text[m.end():]
        elif kind == 1 and DURATION.search(text):
            m = rng.choice(list(DURATION.finditer(text)))
            text = text[:m.start()] + rng.choice(DURATIONS) + text[m.end():]
        elif kind == 2 and lines:
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        elif kind == 3 and lines:
            i = rng.randrange(len(lines))
            lines[i:i] = [lines[i]] * rng.choice([1, 2, 50])
            text = "\n".join(lines)
        elif kind == 4 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif kind == 5:
            text = BOMB + text
        elif kind == 6 and WORD.search(text):
            m = rng.choice(list(WORD.finditer(text)))
            replacement = rng.choice(blocks + ["x" * rng.randint(1, 9), m.group()[::-1],
                                               m.group().upper(), "{", "}", "%s", "{a!r}"])
            text = text[:m.start()] + replacement + text[m.end():]
        elif kind == 7 and text:
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice(["{", "}", "[", "]", ":", "'", '"', "&", "*", "!",
                                          "\t", "\x00", "é", "{{x}}", "- ", "\n  "]) + text[i:]
        elif kind == 8 and lines:
            i = rng.randrange(len(lines))
            lines[i] = " " * rng.choice([0, 1, 2, 4, 8]) + lines[i].lstrip()
            text = "\n".join(lines)
        elif kind == 9:
            text = text.replace("include:", rng.choice(["include:", "include: [fifo.yaml]\n#",
                                                        "include: [loop.yaml]\n#"]), 1)
        elif kind == 10 and lines:
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i].split(":")[0] + ": " + rng.choice(
                ["{call: Again}", "[]", "{}", "~", "*undefined", "!!python/object:os.system ls"]))
            text = "\n".join(lines)
        else:
            text = text + rng.choice(["\n", "\n---\nmore: 1\n", "\n  - complete\n",
                                      "\nextra_key: 1\n"])
    return text


def run_child(path: Path, memory: int) -> None:
    """In the forked child: validate, then run; exit with the CLI's status."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            for argv in (["validate", str(path)], ["run", str(path), "-f", "dbgview"]):
                try:
                    cli_main(argv)
                    code = 0
                except SystemExit as stop:
                    code = stop.code if isinstance(stop.code, int) else 2
                if code not in (0,):
                    break
    except MemoryError:
        os.write(2, b"MemoryError\n")
        os._exit(97)
    except BaseException:       # noqa: BLE001 - a traceback is exactly what is counted
        import traceback
        os.write(2, err.getvalue().encode(errors="replace")[-4000:])
        os.write(2, ("Traceback\n" + traceback.format_exc()).encode(errors="replace")[-4000:])
        os._exit(98)
    os.write(2, err.getvalue().encode(errors="replace")[-20000:])
    os._exit(code)


def classify(code: int, stderr: str) -> str:
    if code == 97 or "MemoryError" in stderr:
        return "memory"
    if code == 98 or "Traceback" in stderr or code == 3:
        return "internal"
    if code in (0, 1):
        return "ok"
    if code == 2:
        lines = [line for line in stderr.splitlines() if line.strip()]
        if all(LOCATED.match(line) or line.startswith(("error:", "Usage:", "Try ", "  ",
                                                       "irp-harness: error:"))
               or " checked: " in line for line in lines):
            return "user-error"
        return "unlocated"
    return "internal"


def fuzz_one(path: Path, timeout: float, memory: int) -> tuple[str, str]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.dup2(write_end, 2)
        run_child(path, memory)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    while True:                      # read until the child's end of the pipe closes
        left = deadline - time.monotonic()
        ready = select.select([read_end], [], [], max(left, 0))[0] if left > 0 else []
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_end)
            return "slow", b"".join(chunks).decode(errors="replace")
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    os.close(read_end)
    stderr = b"".join(chunks).decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return ("memory" if code == -signal.SIGKILL else "internal"), stderr
    return classify(code, stderr), stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="mutants (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per mutant")
    parser.add_argument("--memory", type=int, default=1 << 30, help="bytes per mutant")
    parser.add_argument("--show", type=int, default=3, help="examples shown per bad outcome")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    blocks = sorted(registry_blocks(ROOT))
    sources = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml")
                     if "\nscenario:" in "\n" + p.read_text(encoding="utf-8"))
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "scenarios"
        shutil.copytree(ROOT / "scenarios", work)
        os.mkfifo(work / "book" / "fifo.yaml")
        (work / "book" / "loop.yaml").symlink_to(work / "book" / "loop.yaml")
        for i in range(args.n):
            source = rng.choice(sources)
            mutant = mutate(source.read_text(encoding="utf-8"), rng, blocks)
            target = work / source.relative_to(ROOT / "scenarios").parent / f"mutant_{i}.yaml"
            target.write_text(mutant, encoding="utf-8", errors="replace")
            outcome, stderr = fuzz_one(target, args.timeout, args.memory)
            counts[outcome] += 1
            if outcome not in ("ok", "user-error"):
                kept = examples.setdefault(outcome, [])
                if len(kept) < args.show:
                    saved = Path(tmp).parent / f"irp-fuzz-{args.seed}-{i}.yaml"
                    saved.write_text(mutant, encoding="utf-8", errors="replace")
                    last = stderr.strip().splitlines()[-3:] if stderr.strip() else []
                    kept.append(f"{saved} (from {source.name}): " + " | ".join(last)[-300:])
            target.unlink()
    elapsed = time.monotonic() - started
    print(f"{args.n} mutants, seed {args.seed}, {elapsed:.0f} s: " + ", ".join(
        f"{name} {counts[name]}" for name in ("ok", "user-error", "unlocated", "internal",
                                                "slow", "memory")))
    for outcome, kept in sorted(examples.items()):
        for line in kept:
            print(f"  {outcome}: {line}")
    bad = sum(counts[k] for k in ("unlocated", "internal", "slow", "memory"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
