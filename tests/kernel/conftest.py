"""Tiny fixtures for the kernel unit tests.

* ``kernel``       a fresh 1-CPU Kernel with a ``recorder`` instrument attached.
* ``recorder``     an Instrument that records every hook call as (name, args).
* ``make_device``  builds a driver + (named) device, ready for I/O unless told otherwise.
* ``call``         runs a generator function (or plain function) as a simulated thread,
                   runs the machine and returns the thread's result.
* ``spawn``        starts a simulated thread without running the machine.
* ``gen``          decorator turning a plain function into a driver routine (generator
                   function), for routines that never need ``yield from``.
* ``drive``        runs a kernel generator that must not block to its end (no thread).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

import pytest

from harness.kernel import (DO_DEVICE_INITIALIZING, HOOK_NAMES, FILE_DEVICE_UNKNOWN,
                            Instrument, Kernel, io_create_device, io_create_driver,
                            run_nonblocking)


class Recorder(Instrument):
    """Records every hook as (hook name, args, simulated time)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple, int]] = []
        self.kernel: Any = None

    def attach(self, kernel: Any) -> None:
        self.kernel = kernel

    def names(self) -> list[str]:
        return [name for name, _args, _t in self.events]

    def of(self, hook: str) -> list[tuple]:
        return [args for name, args, _t in self.events if name == hook]


def _make_hook(hook: str) -> Callable[..., None]:
    def record(self: Recorder, *args: Any) -> None:
        self.events.append((hook, args, self.kernel.now if self.kernel else 0))
    record.__name__ = hook
    return record


for _hook in HOOK_NAMES:
    setattr(Recorder, _hook, _make_hook(_hook))


def gen(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``fn`` a driver routine: a generator function returning fn's result."""
    @functools.wraps(fn)
    def routine(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)
        yield  # pragma: no cover - makes this a generator function
    return routine


def drive(generator: Any) -> Any:
    """Run kernel code that must not block (IoCallDriver, IoCompleteRequest...) to its end."""
    return run_nonblocking(generator, "test code")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def kernel(recorder: Recorder) -> Kernel:
    return Kernel(instruments=[recorder])


@pytest.fixture(name="gen")
def gen_fixture() -> Callable[..., Any]:
    return gen


@pytest.fixture(name="drive")
def drive_fixture() -> Callable[..., Any]:
    return drive


@pytest.fixture
def make_device(kernel: Kernel) -> Callable[..., Any]:
    counter = iter(range(1, 1000))

    def make(name: str | None = "\\Device\\Test", *, driver: Any = None,
             dispatch: dict[int, Callable[..., Any]] | None = None, flags: int = 0,
             exclusive: bool = False, ready: bool = True,
             device_type: int = FILE_DEVICE_UNKNOWN) -> Any:
        if driver is None:
            driver = io_create_driver(kernel, f"TestDrv{next(counter)}")
        for major, routine in (dispatch or {}).items():
            driver.major_function[major] = routine
        status, device = io_create_device(driver, 0, name, device_type, 0, exclusive)
        assert status == 0, status
        device.flags |= flags
        if ready:
            device.flags &= ~DO_DEVICE_INITIALIZING
        return device

    return make


def _as_thread_body(body: Callable[..., Any]) -> Callable[..., Any]:
    def thread_body(*args: Any) -> Any:
        result = body(*args)
        if inspect.isgenerator(result):
            result = yield from result
        return result
        yield  # pragma: no cover
    return thread_body


@pytest.fixture
def spawn(kernel: Kernel) -> Callable[..., Any]:
    def start(body: Callable[..., Any], *args: Any, name: str = "TestThread",
              cpu: int | None = None) -> Any:
        return kernel.create_thread(_as_thread_body(body), *args, name=name, cpu=cpu)
    return start


@pytest.fixture
def call(kernel: Kernel, spawn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``body(*args)`` as a thread to the end of the simulation; return its result."""
    def run(body: Callable[..., Any], *args: Any, until: int | None = None) -> Any:
        thread = spawn(body, *args)
        bugcheck = kernel.run(until)
        assert bugcheck is None, str(bugcheck)
        assert not thread.alive, "the thread is still blocked"
        return thread.exit_status
    return run
