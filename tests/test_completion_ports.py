"""I/O completion ports as the application sees them (win32-io §3), each test named
after the rule it pins."""

from __future__ import annotations

from pathlib import Path

from scenario_text import run_app

DRIVER_A = Path(__file__).resolve().parent.parent / "scenarios" / "drivers" / "hello_ddk_a.yaml"

# \Device\Port: reads complete by their length: 8 bytes at once (success), 4 at once
# with STATUS_BUFFER_OVERFLOW (a warning), 2 at once with STATUS_INVALID_PARAMETER (an
# error); any other length pends and a 1 s timer completes it with STATUS_CANCELLED.
PORT_DRIVER = r"""
drivers:
  - name: PortDrv
    devices: [{name: '\Device\Port', link: '\??\Port', io: buffered}]
    dispatch:
      IRP_MJ_CREATE: complete
      IRP_MJ_CLOSE: complete
      IRP_MJ_CLEANUP: complete
      IRP_MJ_READ:
        - if:
            cond: stack->Parameters.Read.Length == 8
            then: [{complete: {status: STATUS_SUCCESS, information: 8}}, {return: STATUS_SUCCESS}]
        - if:
            cond: stack->Parameters.Read.Length == 4
            then: [{complete: {status: STATUS_BUFFER_OVERFLOW, information: 4}},
                   {return: STATUS_BUFFER_OVERFLOW}]
        - if:
            cond: stack->Parameters.Read.Length == 2
            then: [{complete: {status: STATUS_INVALID_PARAMETER}},
                   {return: STATUS_INVALID_PARAMETER}]
        - pend
        - set_timer: {after: 1s, dpc: Later}
        - return: STATUS_PENDING
    routines:
      Later:
        - complete: {status: STATUS_CANCELLED, information: 0}
"""

PROLOGUE = """\
- {open: '\\\\.\\Port', overlapped: true, as: h}
- {create_io_completion_port: {handle: h, key: 5}, as: port}
"""


def run(app: str, tmp_path: Path, driver: str = PORT_DRIVER) -> object:
    return run_app(driver, app, tmp_path)


def dequeue(name: str, timeout: int = 0) -> str:
    return f"- {{get_queued_completion_status: {{port: port, timeout: {timeout}}}, as: {name}}}\n"


def test_3_1_a_new_port_and_a_handle_associated_with_it_in_one_call(tmp_path):
    result = run(PROLOGUE, tmp_path)
    assert result.requests["port"].ok and result.requests["port"].result != 0


def test_3_1_an_existing_port_without_a_file_is_invalid_parameter(tmp_path):
    result = run(PROLOGUE + "- {create_io_completion_port: {port: port}, as: bad}\n", tmp_path)
    bad = result.requests["bad"]
    assert (bad.ok, bad.result, bad.last_error) == (False, 0, 87)


def test_3_1_associating_returns_the_existing_port_handle(tmp_path):
    result = run("""\
        - {open: '\\\\.\\Port', overlapped: true, as: h}
        - {create_io_completion_port: {}, as: port}
        - {create_io_completion_port: {handle: h, port: port, key: 1}, as: same}
        """, tmp_path)
    assert result.requests["same"].result == result.requests["port"].result


def test_3_1_a_file_object_is_associated_only_once(tmp_path):
    result = run(PROLOGUE + """\
- {create_io_completion_port: {handle: h, port: port, key: 6}, as: again}
""", tmp_path)
    again = result.requests["again"]
    assert (again.ok, again.result, again.last_error) == (False, 0, 87)


def test_3_1_a_synchronous_handle_cannot_be_associated(tmp_path):
    result = run("""\
        - {open: '\\\\.\\Port', as: h}
        - {create_io_completion_port: {handle: h, key: 1}, as: port}
        """, tmp_path)
    port = result.requests["port"]
    assert (port.ok, port.result, port.last_error) == (False, 0, 87)


def test_3_2_an_inline_success_still_queues_a_packet(tmp_path):
    result = run(PROLOGUE + "- {read: {handle: h, length: 8}, as: r}\n" + dequeue("g"),
                 tmp_path)
    r, g = result.requests["r"], result.requests["g"]
    assert (r.ok, r.bytes) == (True, 8)
    assert (g.ok, g.bytes, g.key, g.dequeued) == (True, 8, 5, "r")
    assert g.pointer != 0


def test_3_2_an_inline_warning_fails_the_call_and_queues_a_failed_packet(tmp_path):
    result = run(PROLOGUE + "- {read: {handle: h, length: 4}, as: r}\n" + dequeue("g"),
                 tmp_path)
    r, g = result.requests["r"], result.requests["g"]
    assert (r.ok, r.last_error) == (False, 234)                  # ERROR_MORE_DATA
    # 3.3: a packet with a negative status: FALSE, *lpOverlapped set, Bytes and Key valid
    assert (g.ok, g.last_error, g.bytes, g.key, g.dequeued) == (False, 234, 4, 5, "r")


def test_3_2_an_inline_error_queues_no_packet(tmp_path):
    result = run(PROLOGUE + "- {read: {handle: h, length: 2}, as: r}\n" + dequeue("g"),
                 tmp_path)
    assert (result.requests["r"].ok, result.requests["r"].last_error) == (False, 87)
    g = result.requests["g"]
    assert (g.ok, g.last_error, g.pointer) == (False, 258, 0)    # nothing: a timeout


def test_3_2_a_pended_request_queues_its_final_status_when_it_completes(tmp_path):
    result = run(PROLOGUE + "- {read: {handle: h, length: 10}, as: r}\n"
                 + dequeue("g", 0xFFFFFFFF), tmp_path)
    g = result.requests["g"]
    assert (g.ok, g.last_error, g.dequeued, g.key) == (False, 995, "r", 5)  # cancelled
    assert g.returned_at == 10_000_000                            # the driver's 1 s


def test_2_7_a_read_file_ex_on_a_port_file_is_invalid_parameter(tmp_path):
    result = run(PROLOGUE + """\
- read_file_ex: {handle: h, length: 8, completion: [{print: never}]}
  as: r
- {sleep_ex: {ms: 0, alertable: true}}
""" + dequeue("g"), tmp_path)
    assert (result.requests["r"].ok, result.requests["r"].last_error) == (False, 87)
    assert result.app_output == [] and result.requests["g"].pointer == 0


def test_3_3_a_timeout_writes_neither_bytes_nor_key(tmp_path):
    result = run(PROLOGUE + dequeue("g", 100), tmp_path)
    g = result.requests["g"]
    assert (g.ok, g.last_error, g.pointer, g.dequeued) == (False, 258, 0, "NULL")
    assert g.status is None and g.bytes == 0 and g.key == 0
    assert g.returned_at == 1_093_750                             # the tick after 100 ms


def test_3_3_a_port_closed_under_a_waiter_is_abandoned_wait_0(tmp_path):
    result = run("""\
        threads:
          main:
            - {create_io_completion_port: {}, as: port}
            - spawn: waiter
            - sleep: 10
            - close: port
          waiter:
            - {get_queued_completion_status: {port: port}, as: g}
        """, tmp_path)
    g = result.requests["g"]
    assert (g.ok, g.last_error, g.pointer) == (False, 735, 0)     # ERROR_ABANDONED_WAIT_0
    assert not result.hung_threads


def test_3_3_a_closed_port_handle_is_invalid_handle(tmp_path):
    result = run("- {create_io_completion_port: {}, as: port}\n- close: port\n"
                 + dequeue("g"), tmp_path)
    assert (result.requests["g"].ok, result.requests["g"].last_error) == (False, 6)


def test_3_5_a_posted_packet_is_success_with_any_overlapped(tmp_path):
    result = run(PROLOGUE + """\
- {read: {handle: h, length: 10}, as: r}
- {post_queued_completion_status: {port: port, bytes: 3, key: 9, overlapped: r}}
- {post_queued_completion_status: {port: port, key: 10, overlapped: 0x1234}}
- {post_queued_completion_status: {port: port, key: 11}}
""" + dequeue("a") + dequeue("b") + dequeue("c"), tmp_path)
    a, b, c = (result.requests[n] for n in "abc")
    assert (a.ok, a.bytes, a.key, a.dequeued) == (True, 3, 9, "r")
    assert (b.ok, b.key, b.pointer, b.dequeued) == (True, 10, 0x1234, "0x00001234")
    assert (c.ok, c.key, c.pointer, c.dequeued) == (True, 11, 0, "NULL")


def test_3_6_packets_are_fifo(tmp_path):
    result = run(PROLOGUE + "".join(
        f"- {{post_queued_completion_status: {{port: port, key: {k}}}}}\n" for k in (1, 2, 3))
        + dequeue("a") + dequeue("b") + dequeue("c"), tmp_path)
    assert [result.requests[n].key for n in "abc"] == [1, 2, 3]


WORKERS = """\
threads:
  main:
    - {create_io_completion_port: {concurrency: %d}, as: port}
    - spawn: first
    - sleep: 10
    - spawn: second
    - sleep: 10
    - {post_queued_completion_status: {port: port, key: 1}}
    - {post_queued_completion_status: {port: port, key: 2}}
    - sleep: 100
    - close: port
  first:
    - {get_queued_completion_status: {port: port, timeout: 50}, as: f}
    - print: "first {f.key}"
  second:
    - {get_queued_completion_status: {port: port, timeout: 50}, as: s}
    - print: "second {s.key}"
    - {get_queued_completion_status: {port: port, timeout: 50}, as: s2}
    - print: "second {s2.key}"
"""


def test_3_6_waiters_are_released_lifo(tmp_path):
    result = run(WORKERS % 2, tmp_path)
    # the most recent waiter (second) gets the first packet, first the next one; second's
    # next dequeue times out (key not written: 0)
    assert result.app_output == ["second 1", "first 2", "second 0"]


def test_3_6_the_concurrency_value_holds_a_packet_back_from_a_waiter(tmp_path):
    result = run(WORKERS % 1, tmp_path)
    # second runs (counted) with packet 1, so packet 2 is not given to the waiting first
    # thread; second's own next dequeue takes it, and first times out
    assert result.app_output == ["second 1", "second 2", "first 0"]
    assert result.requests["f"].last_error == 258


def test_3_6_a_running_thread_that_blocks_elsewhere_lets_another_waiter_go(tmp_path):
    result = run("""\
        threads:
          main:
            - {create_io_completion_port: {concurrency: 1}, as: port}
            - spawn: first
            - sleep: 10
            - spawn: second
            - sleep: 10
            - {post_queued_completion_status: {port: port, key: 1}}
            - {post_queued_completion_status: {port: port, key: 2}}
            - sleep: 3000
            - close: port
          first:
            - {get_queued_completion_status: {port: port}, as: f}
            - print: "first {f.key}"
          second:
            - {get_queued_completion_status: {port: port}, as: s}
            - print: "second {s.key}"
            - sleep: 1000
            - print: "second done"
        """, tmp_path)
    assert result.app_output == ["second 1", "first 2", "second done"]


def test_3_7_skip_completion_port_on_success_drops_inline_successes_only(tmp_path):
    result = run(PROLOGUE + """\
- {set_file_completion_notification_modes: {handle: h,
     flags: [FILE_SKIP_COMPLETION_PORT_ON_SUCCESS]}, as: m}
- {read: {handle: h, length: 8}, as: ok8}
- {read: {handle: h, length: 4}, as: warn4}
- {read: {handle: h, length: 10}, as: pended}
""" + dequeue("g", 0xFFFFFFFF) + dequeue("none"), tmp_path)
    assert result.requests["m"].ok
    assert result.requests["ok8"].ok and not result.requests["warn4"].ok
    # the inline success and the inline warning queued nothing: the pended one is first
    assert result.requests["g"].dequeued == "pended"
    assert result.requests["none"].pointer == 0


def test_3_7_unknown_notification_flags_are_invalid_parameter(tmp_path):
    result = run(PROLOGUE + """\
- {set_file_completion_notification_modes: {handle: h, flags: [4]}, as: m}
""", tmp_path)
    assert (result.requests["m"].ok, result.requests["m"].last_error) == (False, 87)


def test_3_7_skip_set_event_on_handle_leaves_the_file_event_alone(tmp_path):
    result = run("""\
        - {open: '\\\\.\\Port', overlapped: true, as: h}
        - {set_file_completion_notification_modes: {handle: h,
             flags: [FILE_SKIP_SET_EVENT_ON_HANDLE]}}
        - {read: {handle: h, length: 10}, as: r}
        - {wait_for: {objects: [h], timeout: 2000}, as: w}
        - {read: {handle: h, length: 10, event: true}, as: r2}
        - {get_overlapped_result: {request: r2, wait: true}, as: o}
        """, tmp_path)
    # the read completed at 1 s, but the file handle was never signaled
    assert result.requests["r"].completed_at == 10_000_000
    assert result.requests["w"].result == 258                        # WAIT_TIMEOUT
    # an explicit hEvent is still signaled (GetOverlappedResult waits on it)
    assert result.requests["o"].returned_at is not None
    assert result.requests["o"].last_error == 995
