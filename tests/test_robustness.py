"""Runaways stopped, hangs explained, exit codes: what a buggy driver or a bad input gets.

Each test runs a small scenario whose driver misbehaves and checks the outcome Windows
would give (or, where the model stops a run Windows would let spin, the located
reason), and the CLI's exit status.
"""

from __future__ import annotations

import io
import os
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from harness.cli import EXIT_FAILED, EXIT_INTERNAL, EXIT_USAGE, main
from harness.kernel import (DPC_WATCHDOG_DPCS, KERNEL_STACK_CALL_LEVELS, BugCheckCode, Kernel,
                            KSpinLock, ke_acquire_spin_lock_at_dpc_level)
from harness.runner import Session, session as session_module
from harness.scenario import ScenarioError, load_scenario, load_scenario_text
from harness.scenario.resolve import resolve

DRIVER = """\
scenario: t
title: t
{machine}
drivers:
  - name: D
    devices: [{{name: '\\Device\\D', link: '\\??\\D', io: buffered}}]
    dispatch:
      IRP_MJ_CREATE: complete
      IRP_MJ_CLOSE: complete
      IRP_MJ_READ:
{read}
{extra}
app:
  - {{open: '\\\\.\\D', as: h}}
  - {{read: {{handle: h, length: 1}}, as: r1}}
"""


def scenario(tmp_path: Path, read: str, extra: str = "", machine: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(DRIVER.format(machine=machine,
                                  read=textwrap.indent(textwrap.dedent(read), " " * 8),
                                  extra=textwrap.indent(textwrap.dedent(extra), "    ")))
    return path


def run(path: Path) -> object:
    return Session(resolve(load_scenario(path))).run_app()


STORM = """\
routines:
  Again: [{queue_dpc: Again}]
"""


def test_a_dpc_that_requeues_itself_forever_is_dpc_watchdog_violation(tmp_path):
    """Windows 8+: the CPU never leaves DISPATCH_LEVEL: 0x133 with P1 = 1 (cumulative)
    and P2 = the watchdog period in ticks (0x1E00 = 120 s at 15.625 ms)."""
    result = run(scenario(tmp_path, "- queue_dpc: Again\n- complete\n", STORM))
    check = result.bugcheck
    assert check.code == BugCheckCode.DPC_WATCHDOG_VIOLATION
    assert (check.p1, check.p2, check.p3, check.p4) == (1, 0x1E00, 0, 0)
    assert f"ran {DPC_WATCHDOG_DPCS} DPCs" in check.reason


def test_without_a_dpc_watchdog_the_machine_freezes(tmp_path):
    """XP (machine.strict: false) has no DPC watchdog: the machine just hangs."""
    result = run(scenario(tmp_path, "- queue_dpc: Again\n- complete\n", STORM,
                          machine="machine: {strict: false}"))
    assert result.bugcheck is None and result.outcome == "HANG"
    assert "CPU0 ran" in result.frozen and "Again" in result.frozen


def test_a_periodic_timer_running_into_the_time_limit_is_time_limit_not_ok(tmp_path):
    result = run(scenario(tmp_path, "- set_timer: {timer: tick, after: 1s, period_ms: 1000}\n"
                                    "- complete\n", machine="machine: {time_limit: 5s}"))
    assert result.outcome == "TIME_LIMIT"
    assert "time limit (5 s)" in result.stopped
    assert any(line.startswith("timer D.tick armed, due at") and "every 1000 ms" in line
               for line in result.active)


def test_deep_io_call_driver_nesting_overflows_the_kernel_stack(tmp_path):
    """KERNEL_STACK_CALL_LEVELS nested IoCallDriver levels fit a 12 KB kernel stack; one
    more is the double fault of a stack overflow: 0x7F with parameter 1 = 8."""
    depth = KERNEL_STACK_CALL_LEVELS + 4
    drivers = ["  - name: F0\n    devices: [{name: '\\Device\\F0', link: '\\??\\F0', "
               "io: buffered}]\n    dispatch: {IRP_MJ_CREATE: complete, IRP_MJ_CLOSE: complete, "
               "IRP_MJ_READ: complete}\n"]
    for i in range(1, depth):
        drivers.append(f"  - name: F{i}\n    devices: [{{name: '\\Device\\F{i}', attach_to: "
                       f"'\\Device\\F{i - 1}'}}]\n    default_dispatch: forward\n")
    text = ("scenario: t\ntitle: t\ndrivers:\n" + "".join(drivers)
            + "app:\n  - {open: '\\\\.\\F0', as: h}\n")
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    result = Session(resolve(load_scenario_text(text, path))).run_app()
    assert result.bugcheck.code == BugCheckCode.UNEXPECTED_KERNEL_MODE_TRAP
    assert result.bugcheck.p1 == 8


def test_a_livelock_at_one_instant_stops_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "MAX_EVENTS_PER_INSTANT", 500)
    text = DRIVER.format(machine="", read="        - complete", extra="").replace(
        "  - {read: {handle: h, length: 1}, as: r1}\n",
        "  - while: {cond: '1', do: [{sleep: 0}], max: 10000000}\n")
    path = tmp_path / "spin.yaml"
    path.write_text(text)
    result = run(path)
    assert result.outcome == "TIME_LIMIT"
    assert "simulated time stopped advancing at 0.0000000 s" in result.stopped


def test_a_hang_explains_who_waits_for_what(tmp_path):
    """The wait-for picture: the blocked thread, the event, the IRP that would set it,
    the driver holding it, and the certain diagnosis."""
    result = run(scenario(tmp_path, "- pend: {mark: false}\n"))
    assert result.outcome == "HANG"
    waits, irp, diagnosis = result.active
    assert waits.startswith("thread main (test.exe) blocked since 0.0000000 s waiting on "
                            "KEVENT 'FileObject#1.Event' (set when IRP#2 completes, pending "
                            "in D (\\Device\\D), location 1/1, pending bit clear)")
    assert irp == "IRP#2 IRP_MJ_READ pending in D (\\Device\\D), location 1/1, pending bit clear"
    assert diagnosis.startswith("diagnosis: D's dispatch routine returned STATUS_PENDING for "
                                "IRP#2 without IoMarkIrpPending")


def test_spin_lock_bug_check_parameters_are_deterministic():
    """Parameters that stand for addresses come from the kernel's counters, never id()."""
    def parameter() -> tuple[int, int]:
        kernel = Kernel()
        lock = KSpinLock(kernel, "L")
        ke_acquire_spin_lock_at_dpc_level(lock)
        try:
            ke_acquire_spin_lock_at_dpc_level(lock)
        except BaseException:
            pass
        return kernel.bugcheck.p1, lock.id
    first, second = parameter(), parameter()
    assert first == second and first[0] == first[1]


# -- exit codes ------------------------------------------------------------------------

def _invoke(*args: str) -> tuple[int, str]:
    """Run the CLI's entry point; its exit status and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue() + err.getvalue()


def test_exit_1_for_a_time_limit(tmp_path):
    path = scenario(tmp_path, "- set_timer: {timer: tick, after: 1s, period_ms: 1000}\n"
                              "- complete\n", machine="machine: {time_limit: 3s}")
    code, output = _invoke("run", str(path), "-f", "dbgview")
    assert code == EXIT_FAILED
    assert "Outcome: TIME_LIMIT: the time limit (3 s) was reached" in output
    assert "timer D.tick armed" in output


def test_exit_2_with_a_located_message_for_a_fifo_include(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    path = tmp_path / "s.yaml"
    path.write_text("scenario: t\ntitle: t\ninclude: [pipe.yaml]\n")
    code, output = _invoke("validate", str(path))
    assert code == EXIT_USAGE
    assert f"{path}:3:11: include/0: cannot read included file 'pipe.yaml': not a regular " \
           "file" in output


def test_exit_2_for_an_alias_bomb_without_loading_it(tmp_path):
    bomb = "".join(f"x-{c}: &{c} [{', '.join(['*' + p] * 9 if p else ['1'] * 9)}]\n"
                   for c, p in zip("abcdefgh", ["", "a", "b", "c", "d", "e", "f", "g"]))
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb + "scenario: t\ntitle: t\n")
    code, output = _invoke("validate", str(path))
    assert code == EXIT_USAGE and "aliases expand this document to more than" in output


def test_exit_2_for_a_5000_digit_integer(tmp_path):
    path = scenario(tmp_path, "- complete: {information: " + "9" * 5000 + "}\n")
    code, output = _invoke("validate", str(path))
    assert code == EXIT_USAGE
    assert "a number of 5000 characters is out of range" in output


def test_exit_3_for_an_internal_error_with_a_reproducer(tmp_path, monkeypatch):
    import harness.scenario.resolve as resolve_module

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug of the harness")
    monkeypatch.setattr(resolve_module, "resolve", broken)
    path = scenario(tmp_path, "- complete\n")
    code, output = _invoke("run", str(path))
    assert code == EXIT_INTERNAL
    assert "internal error: ZeroDivisionError: a bug of the harness" in output
    assert f"reproduce: irp-harness run {path}" in output


def test_include_symlink_loop_is_a_located_error(tmp_path):
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    path = tmp_path / "s.yaml"
    path.write_text("scenario: t\ntitle: t\ninclude: [loop.yaml]\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml:3:11: include/0: cannot follow include"):
        load_scenario(path)
