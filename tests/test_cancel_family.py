"""The cancel family as the application sees it (win32-io §4): CancelIoEx,
CancelSynchronousIo, NtCancelIoFileEx / NtCancelSynchronousIoFile, CancelIo's wait, and
CloseHandle with I/O still pending."""

from __future__ import annotations

from pathlib import Path

from scenario_text import run_app

DRIVERS = Path(__file__).resolve().parent.parent / "scenarios" / "drivers"
CANCELABLE = DRIVERS / "cancelable_reads.yaml"     # pends reads/IOCTLs, OnCancel completes
DRIVER_A = DRIVERS / "hello_ddk_a.yaml"            # pends reads, no cancel routine, 3 s timer
SECOND = 10_000_000


def run(app: str, tmp_path: Path, driver: Path = CANCELABLE) -> object:
    return run_app(f"include: ['{driver}']\n", app, tmp_path)


CANCELED, SUCCESS = 0xC0000120, 0
ERROR_NOT_FOUND, ERROR_OPERATION_ABORTED, ERROR_INVALID_HANDLE = 1168, 995, 6


def test_4_2_cancel_io_ex_with_an_overlapped_cancels_only_that_request(tmp_path):
    result = run("""\
        - {open: '\\\\.\\CancelableReads', overlapped: true, as: h}
        - {read: {handle: h, length: 10}, as: r1}
        - {read: {handle: h, length: 10}, as: r2}
        - sleep: 100
        - {cancel_io_ex: {handle: h, request: r2}, as: c}
        - sleep: 100
        - {cancel_io_ex: h, as: rest}
        """, tmp_path)
    r1, r2 = result.requests["r1"], result.requests["r2"]
    assert result.requests["c"].ok
    assert r2.status == CANCELED and r2.completed_at == result.requests["c"].returned_at
    # r1 had another OVERLAPPED: untouched until CancelIoEx(h, NULL) 100 ms later
    assert r1.completed_at == result.requests["rest"].returned_at > r2.completed_at


def test_4_2_cancel_io_ex_finding_nothing_is_error_not_found(tmp_path):
    result = run("""\
        - {open: '\\\\.\\CancelableReads', overlapped: true, as: h}
        - {read: {handle: h, length: 10}, as: r1}
        - {cancel_io_ex: {handle: h, request: r1}, as: first}
        - sleep: 10
        - {cancel_io_ex: {handle: h, request: r1}, as: again}
        - {cancel_io_ex: h, as: none_left}
        """, tmp_path)
    assert result.requests["first"].ok
    for name in ("again", "none_left"):
        assert not result.requests[name].ok
        assert result.requests[name].last_error == ERROR_NOT_FOUND


def test_4_2_cancel_io_ex_reaches_the_requests_of_every_thread(tmp_path):
    """CancelIo would cancel only its caller's IRPs; CancelIoEx(h, NULL) the process's."""
    result = run("""\
        threads:
          main:
            - {open: '\\\\.\\CancelableReads', overlapped: true, as: h}
            - spawn: Reader
            - sleep: 100
            - {cancel_io: h, as: own}
            - {cancel_io_ex: h, as: all}
          Reader:
            - {read: {handle: h, length: 10}, as: theirs}
            - sleep: 1000          # alive: an exiting thread cancels its own IRPs (2.10)
        """, tmp_path)
    theirs = result.requests["theirs"]
    assert result.requests["own"].ok              # 4.1: nothing of main's: still TRUE
    assert theirs.status == CANCELED
    assert theirs.completed_at >= result.requests["all"].issued_at


def test_4_4_cancel_io_ex_does_not_wait_for_a_driver_that_ignores_the_cancel(tmp_path):
    """DriverA sets no cancel routine: CancelIoEx returns TRUE at once and the read still
    completes normally, with success, when the driver's timer fires (4.2's first
    outcome)."""
    result = run("""\
        - {open: '\\\\.\\HelloDDKA', overlapped: true, as: h}
        - {read: {handle: h, length: 4}, as: r}
        - {cancel_io_ex: {handle: h, request: r}, as: c}
        - sleep: 5000
        """, tmp_path, DRIVER_A)
    c, r = result.requests["c"], result.requests["r"]
    assert c.ok and c.returned_at == 0
    assert r.status == SUCCESS and r.completed_at == 3 * SECOND


def test_4_4_cancel_io_blocks_until_a_driver_without_cancel_routine_completes(tmp_path):
    result = run("""\
        - {open: '\\\\.\\HelloDDKA', overlapped: true, as: h}
        - {read: {handle: h, length: 4}, as: r}
        - {cancel_io: h, as: c}
        """, tmp_path, DRIVER_A)
    c = result.requests["c"]
    assert c.ok and c.returned_at >= 3 * SECOND        # 4.1: waits for stage 2
    assert result.requests["r"].status == SUCCESS


WATCHDOG = """\
    threads:
      main:
        - {open: '\\\\.\\CancelableReads', as: h}
        - spawn: Watchdog
        - {read: {handle: h, length: 10}, as: r}
        - join: Watchdog
      Watchdog:
        - sleep: 1000
        - {cancel_synchronous_io: main, as: cancel}
        - sleep: 10
        - {cancel_synchronous_io: main, as: late}
    """


def test_4_3_cancel_synchronous_io_releases_the_blocked_thread_with_operation_aborted(
        tmp_path):
    result = run(WATCHDOG, tmp_path)
    r, cancel = result.requests["r"], result.requests["cancel"]
    assert cancel.ok and cancel.returned_at == SECOND
    assert not r.ok and r.last_error == ERROR_OPERATION_ABORTED
    assert r.returned_at == SECOND


def test_4_3_cancel_synchronous_io_with_nothing_pending_is_error_not_found(tmp_path):
    result = run(WATCHDOG, tmp_path)
    late = result.requests["late"]                # main's read is over
    assert not late.ok and late.last_error == ERROR_NOT_FOUND
    idle = run("""\
        threads:
          main:
            - spawn: Watchdog
            - sleep: 1000                          # blocked, but in no I/O request
          Watchdog:
            - {cancel_synchronous_io: main, as: c}
        """, tmp_path)
    c = idle.requests["c"]
    assert not c.ok and c.last_error == ERROR_NOT_FOUND


def test_4_3_cancel_synchronous_io_leaves_overlapped_requests_alone(tmp_path):
    result = run("""\
        threads:
          main:
            - {open: '\\\\.\\CancelableReads', overlapped: true, as: h}
            - {read: {handle: h, length: 10}, as: r}
            - spawn: Watchdog
            - join: Watchdog
            - sleep: 100
            - {cancel_io: h, as: later}
          Watchdog:
            - {cancel_synchronous_io: main, as: c}
        """, tmp_path)
    c = result.requests["c"]
    assert not c.ok and c.last_error == ERROR_NOT_FOUND
    # the overlapped read stayed pending until main's own CancelIo
    assert result.requests["r"].completed_at == result.requests["later"].issued_at > 0


def test_4_6_a_thread_queued_for_the_file_lock_has_no_irp_to_cancel(tmp_path):
    result = run("""\
        threads:
          main:
            - {open: '\\\\.\\CancelableReads', as: h}
            - spawn: Second
            - spawn: Watchdog
            - {read: {handle: h, length: 10}, as: r1}
          Second:
            - {read: {handle: h, length: 10}, as: r2}
          Watchdog:
            - sleep: 1000
            - {cancel_synchronous_io: Second, as: second}
            - {cancel_synchronous_io: main, as: first}
            - sleep: 1000
            - {cancel_synchronous_io: Second, as: then}
        """, tmp_path)
    second = result.requests["second"]
    assert not second.ok and second.last_error == ERROR_NOT_FOUND
    assert result.requests["first"].ok
    # once main's read is gone, Second holds the lock and its IRP reaches the driver
    assert result.requests["then"].ok
    assert result.requests["r2"].last_error == ERROR_OPERATION_ABORTED


def test_4_7_close_handle_with_io_pending_still_completes_into_the_overlapped(tmp_path):
    result = run("""\
        - {open: '\\\\.\\HelloDDKA', overlapped: true, as: h}
        - {read: {handle: h, length: 4, event: true}, as: r}
        - {close: h, as: closed}
        - {cancel_io_ex: h, as: after}
        - {cancel_io: h, as: after_io}
        - {get_overlapped_result: {request: r, wait: true}, as: g}
        """, tmp_path, DRIVER_A)
    closed, g = result.requests["closed"], result.requests["g"]
    assert closed.ok and closed.returned_at == 0        # closing never waits or fails
    for name in ("after", "after_io"):
        assert result.requests[name].last_error == ERROR_INVALID_HANDLE
    # the real hEvent is still signaled by the completion: the wait works (4.7)
    assert g.ok and g.returned_at == 3 * SECOND
    closes = [e for e in result.events if e.kind == "IoCallDriver"
              and str(e.major) == "IRP_MJ_CLOSE"]
    assert closes and closes[0].time >= 3 * SECOND       # CLOSE after the last IRP


def test_4_7_get_overlapped_result_on_a_closed_handle_without_event_fails(tmp_path):
    result = run("""\
        - {open: '\\\\.\\HelloDDKA', overlapped: true, as: h}
        - {read: {handle: h, length: 4}, as: r}
        - {close: h}
        - {get_overlapped_result: {request: r, wait: true}, as: g}
        """, tmp_path, DRIVER_A)
    g = result.requests["g"]
    assert not g.ok and g.last_error == ERROR_INVALID_HANDLE and g.returned_at == 0
