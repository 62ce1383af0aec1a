"""kernel32's return conventions for the I/O calls (win32-io §1): the BOOL, the last
error (set, or left untouched), the byte-count out-parameter (written, or left as it
was), the OVERLAPPED and its event - one test per rule and table row, named after it.
Expected values are written out from the spec, not read back from the model."""

from __future__ import annotations

from pathlib import Path

from scenario_text import run_app

# \Device\Conv completes every request by its length (a read's or write's Length, an
# IOCTL's OutputBufferLength): inline 1 success, 2 informational, 3 warning, 4 end of
# file, 5 error; pended (a 1 s timer) 11 success, 12 informational, 13 warning,
# 15 error. Information is the length, except for EOF and the errors (0).
_CASES = [
    (1, "STATUS_SUCCESS", 1), (2, "STATUS_OBJECT_NAME_EXISTS", 2),
    (3, "STATUS_BUFFER_OVERFLOW", 3), (4, "STATUS_END_OF_FILE", 0),
    (5, "STATUS_INVALID_PARAMETER", 0),
]
_LATER = {11: "LaterOk", 12: "LaterInfo", 13: "LaterWarn", 15: "LaterError"}


def _dispatch(length: str) -> str:
    lines = []
    for n, status, info in _CASES:
        lines.append(f"""\
        - if:
            cond: {length} == {n}
            then: [{{complete: {{status: {status}, information: {info}}}}}, {{return: {status}}}]
""")
    for n, routine in _LATER.items():
        lines.append(f"""\
        - if:
            cond: {length} == {n}
            then: [pend, {{set_timer: {{timer: {routine}, after: 1s, dpc: {routine}}}}},
                   {{return: STATUS_PENDING}}]
""")
    lines.append("        - {complete: {status: STATUS_INVALID_DEVICE_REQUEST}}\n"
                 "        - {return: STATUS_INVALID_DEVICE_REQUEST}\n")
    return "".join(lines)


DRIVER = (r"""
constants: {IOCTL_T: 0x222000}
drivers:
  - name: Conv
    devices: [{name: '\Device\Conv', link: '\??\Conv', io: buffered}]
    dispatch:
      IRP_MJ_CREATE: complete
      IRP_MJ_CLOSE: complete
      IRP_MJ_CLEANUP: complete
      IRP_MJ_READ:
""" + _dispatch("stack->Parameters.Read.Length") + """\
      IRP_MJ_WRITE:
""" + _dispatch("stack->Parameters.Write.Length") + """\
      IRP_MJ_DEVICE_CONTROL:
""" + _dispatch("stack->Parameters.DeviceIoControl.OutputBufferLength") + """\
    routines:
      LaterOk: [{complete: {status: STATUS_SUCCESS, information: 11}}]
      LaterInfo: [{complete: {status: STATUS_OBJECT_NAME_EXISTS, information: 12}}]
      LaterWarn: [{complete: {status: STATUS_BUFFER_OVERFLOW, information: 13}}]
      LaterError: [{complete: {status: STATUS_CANCELLED, information: 0}}]
""")

SYNC = "- {open: '\\\\.\\Conv', as: h}\n- {set_last_error: 4660}\n"       # 0x1234
OVERLAPPED = "- {open: '\\\\.\\Conv', overlapped: true, as: h}\n- {set_last_error: 4660}\n"
STALE = 4660


def run(app: str, tmp_path: Path) -> object:
    return run_app(DRIVER, app, tmp_path)


def req(app: str, tmp_path: Path, name: str = "r"):
    return run(app, tmp_path).requests[name]


def read(length: int, extra: str = "") -> str:
    return f"- {{read: {{handle: h, length: {length}{extra}}}, as: r}}\n"


def write(length: int, extra: str = "") -> str:
    return f"- {{write: {{handle: h, data: '{'x' * length}'{extra}}}, as: r}}\n"


def ioctl(length: int, extra: str = "") -> str:
    return f"- {{ioctl: {{handle: h, code: IOCTL_T, output_length: {length}{extra}}}, as: r}}\n"


def gor(extra: str = "", name: str = "g", target: str = "r") -> str:
    return f"- {{get_overlapped_result: {{request: {target}{extra}}}, as: {name}}}\n"


# -- 1.1 last-error discipline ------------------------------------------------------------

def test_1_1_true_leaves_the_last_error_untouched(tmp_path):
    r = req(SYNC + read(1), tmp_path)
    assert (r.ok, r.error_set, r.last_error) == (True, False, STALE)


def test_1_1_false_sets_the_mapped_status(tmp_path):
    r = req(SYNC + read(5), tmp_path)
    assert (r.ok, r.error_set, r.last_error) == (False, True, 87)


def test_1_1_close_handle_true_leaves_the_last_error_untouched(tmp_path):
    r = req(SYNC + "- {close: h, as: r}\n", tmp_path)
    assert (r.ok, r.error_set, r.last_error) == (True, False, STALE)


def test_1_1_create_event_sets_the_last_error_on_success_too(tmp_path):
    r = req(SYNC + "- {create_event: {}, as: r}\n", tmp_path)
    assert (r.ok, r.error_set, r.last_error) == (True, True, 0)          # §9.1


# -- 1.2 what the wrappers write before the call -------------------------------------------

def test_1_2_read_file_zeroes_its_count_at_entry(tmp_path):
    r = req(SYNC + read(5, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.bytes_set, r.bytes) == (False, True, 0)


def test_1_2_read_file_zeroes_its_count_even_for_an_invalid_handle(tmp_path):
    r = req(SYNC + "- {close: h}\n" + read(1, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 6, True, 0)


def test_1_2_write_file_zeroes_its_count_at_entry(tmp_path):
    r = req(SYNC + write(5, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.bytes_set, r.bytes) == (False, True, 0)


def test_1_2_device_io_control_never_pre_zeroes_its_count(tmp_path):
    r = req(SYNC + ioctl(5, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 87, False, 77)


def test_1_2_the_overlapped_internal_is_pending_at_call_time(tmp_path):
    result = run(OVERLAPPED + read(11) + "- print: 'at return {r.internal:X} {r.internal_high}'\n"
                 "- {wait: r}\n- print: 'later {r.internal:X} {r.internal_high}'\n", tmp_path)
    assert result.app_output == ["at return 103 0", "later 0 11"]


# -- 1.3 hEvent with its low bit set -------------------------------------------------------

PORT = "- {create_io_completion_port: {handle: h, key: 5}, as: port}\n"
DEQUEUE = "- {get_queued_completion_status: {port: port, timeout: 0}, as: q}\n"


def test_1_3_an_event_with_the_low_bit_queues_no_port_packet(tmp_path):
    result = run(OVERLAPPED + PORT + read(1, ", event_low_bit: true") + DEQUEUE, tmp_path)
    r, q = result.requests["r"], result.requests["q"]
    assert (r.ok, r.bytes, r.event_signaled) == (True, 1, True)        # the event is used
    assert (q.ok, q.last_error, q.pointer) == (False, 258, 0)          # nothing dequeued


def test_1_3_without_the_low_bit_the_same_read_queues_a_packet(tmp_path):
    result = run(OVERLAPPED + PORT + read(1, ", event: true") + DEQUEUE, tmp_path)
    q = result.requests["q"]
    assert (q.ok, q.bytes, q.key, q.dequeued) == (True, 1, 5, "r")


def test_1_3_a_pended_request_with_the_low_bit_signals_the_event_and_queues_nothing(tmp_path):
    result = run(OVERLAPPED + PORT + read(11, ", event_low_bit: true") + gor()
                 + DEQUEUE, tmp_path)
    g, q = result.requests["g"], result.requests["q"]
    assert (g.ok, g.bytes, g.returned_at) == (True, 11, 10_000_000)    # waited on hEvent
    assert (q.ok, q.pointer) == (False, 0)


# -- 1.4 ReadFile / WriteFile outcome table ------------------------------------------------

def test_1_4_sync_inline_success(tmp_path):
    r = req(SYNC + read(1), tmp_path)
    assert (r.ok, r.error_set, r.bytes) == (True, False, 1)


def test_1_4_sync_pended_success(tmp_path):
    r = req(SYNC + read(11), tmp_path)
    assert (r.ok, r.error_set, r.bytes, r.returned_at) == (True, False, 11, 10_000_000)


def test_1_4_sync_informational_is_true_reactos_choice(tmp_path):
    # [uncertain] ReactOS TRUE / Wine FALSE: the model chose ReactOS's TRUE
    r = req(SYNC + read(2), tmp_path)
    assert (r.ok, r.error_set, r.bytes) == (True, False, 2)


def test_1_4_sync_warning_is_false_more_data_with_the_information(tmp_path):
    # Wine's count (the documented pipe behaviour), chosen over ReactOS's 0
    r = req(SYNC + read(3), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 234, 3)


def test_1_4_sync_pended_warning(tmp_path):
    r = req(SYNC + read(13), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 234, 13)


def test_1_4_sync_end_of_file_read_is_true_with_0_bytes(tmp_path):
    r = req(SYNC + read(4), tmp_path)
    assert (r.ok, r.error_set, r.last_error, r.bytes) == (True, False, STALE, 0)


def test_1_4_sync_end_of_file_write_is_false_handle_eof(tmp_path):
    r = req(SYNC + write(4), tmp_path)              # the EOF rule is ReadFile's only
    assert (r.ok, r.last_error, r.bytes) == (False, 38, 0)


def test_1_4_sync_error(tmp_path):
    r = req(SYNC + read(5), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 87, 0)


def test_1_4_sync_pended_error(tmp_path):
    r = req(SYNC + read(15), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 995, 0)


def test_1_4_sync_write_warning_reports_the_information(tmp_path):
    r = req(SYNC + write(3), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 234, 3)


def test_1_4_overlapped_pending(tmp_path):
    r = req(OVERLAPPED + read(11, ", event: true"), tmp_path)
    assert (r.ok, r.last_error, r.bytes, r.returned_at) == (False, 997, 0, 0)


def test_1_4_overlapped_inline_success(tmp_path):
    r = req(OVERLAPPED + read(1, ", event: true"), tmp_path)
    assert (r.ok, r.error_set, r.bytes) == (True, False, 1)
    assert (r.internal, r.internal_high, r.event_signaled) == (0, 1, True)   # report branch


def test_1_4_overlapped_inline_informational_is_true(tmp_path):
    r = req(OVERLAPPED + read(2, ", event: true"), tmp_path)
    assert (r.ok, r.error_set, r.bytes, r.internal) == (True, False, 2, 0x40000000)


def test_1_4_overlapped_inline_warning(tmp_path):
    r = req(OVERLAPPED + read(3, ", event: true"), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 234, 0)
    assert (r.internal, r.internal_high, r.event_signaled) == (0x80000005, 3, True)


def test_1_4_overlapped_inline_warning_queues_a_port_packet(tmp_path):
    result = run(OVERLAPPED + PORT + read(3) + DEQUEUE, tmp_path)
    q = result.requests["q"]
    assert (q.ok, q.last_error, q.bytes, q.dequeued) == (False, 234, 3, "r")


def test_1_4_overlapped_inline_error_is_silent(tmp_path):
    r = req(OVERLAPPED + read(5, ", event: true"), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 87, 0)
    assert (r.internal, r.internal_high, r.event_signaled) == (0x103, 0, False)


def test_1_4_overlapped_inline_end_of_file_is_an_error(tmp_path):
    r = req(OVERLAPPED + read(4, ", event: true"), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 38, 0)             # ERROR_HANDLE_EOF
    assert (r.internal, r.event_signaled) == (0x103, False)


def test_1_4_overlapped_write_inline_success(tmp_path):
    r = req(OVERLAPPED + write(1), tmp_path)
    assert (r.ok, r.error_set, r.bytes) == (True, False, 1)


# -- 1.5 DeviceIoControl -------------------------------------------------------------------

def test_1_5_sync_success_writes_the_count(tmp_path):
    r = req(SYNC + ioctl(1, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.error_set, r.bytes_set, r.bytes) == (True, False, True, 1)


def test_1_5_sync_informational_is_true(tmp_path):
    r = req(SYNC + ioctl(2, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.error_set, r.bytes) == (True, False, 2)


def test_1_5_sync_warning_is_false_with_the_count(tmp_path):
    r = req(SYNC + ioctl(3, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 234, True, 3)


def test_1_5_sync_error_leaves_the_count_untouched(tmp_path):
    r = req(SYNC + ioctl(5, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 87, False, 77)


def test_1_5_sync_end_of_file_is_an_error_for_an_ioctl(tmp_path):
    r = req(SYNC + ioctl(4, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 38, False, 77)


def test_1_5_sync_pended_warning_writes_the_count(tmp_path):
    r = req(SYNC + ioctl(13, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes) == (False, 234, 13)


def test_1_5_overlapped_pending_writes_internal_high(tmp_path):
    # Information is InternalHigh as it is then: 0 in a zeroed OVERLAPPED
    r = req(OVERLAPPED + ioctl(11, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 997, True, 0)


def test_1_5_overlapped_inline_warning_writes_the_count(tmp_path):
    r = req(OVERLAPPED + ioctl(3, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 234, True, 3)


def test_1_5_overlapped_inline_error_leaves_the_count_untouched(tmp_path):
    r = req(OVERLAPPED + ioctl(5, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 87, False, 77)


def test_1_5_invalid_handle_leaves_the_count_untouched(tmp_path):
    r = req(SYNC + "- {close: h}\n" + ioctl(1, ", bytes_init: 77"), tmp_path)
    assert (r.ok, r.last_error, r.bytes_set, r.bytes) == (False, 6, False, 77)


# -- 1.6 GetOverlappedResult(Ex) -----------------------------------------------------------

def test_1_6_no_wait_when_internal_is_not_pending(tmp_path):
    # the inline warning: Internal is final, bWait TRUE returns at once, n written
    result = run(OVERLAPPED + read(3, ", event: true") + gor(", bytes_init: 77"), tmp_path)
    r, g = result.requests["r"], result.requests["g"]
    assert (g.ok, g.last_error, g.bytes_set, g.bytes, g.returned_at) == (False, 234, True, 3, 0)
    assert r.event_signaled                       # not waited on: the signal is still there


def test_1_6_bwait_false_on_a_pending_request_is_io_incomplete_without_n(tmp_path):
    result = run(OVERLAPPED + read(11) + gor(", wait: false, bytes_init: 77"), tmp_path)
    g = result.requests["g"]
    assert (g.ok, g.last_error, g.bytes_set, g.bytes) == (False, 996, False, 77)


def test_1_6_bwait_true_waits_on_hevent_and_consumes_the_auto_reset_signal(tmp_path):
    result = run(OVERLAPPED + read(11, ", event: true") + gor(), tmp_path)
    r, g = result.requests["r"], result.requests["g"]
    assert (g.ok, g.error_set, g.bytes, g.returned_at) == (True, False, 11, 10_000_000)
    assert r.event_signaled is False


def test_1_6_bwait_true_without_an_event_waits_on_the_file(tmp_path):
    g = req(OVERLAPPED + read(11) + gor(), tmp_path, "g")
    assert (g.ok, g.bytes, g.returned_at) == (True, 11, 10_000_000)


def test_1_6_a_pended_error_maps_the_status_and_writes_n(tmp_path):
    g = req(OVERLAPPED + read(15) + gor(", bytes_init: 77"), tmp_path, "g")
    assert (g.ok, g.last_error, g.bytes_set, g.bytes) == (False, 995, True, 0)


def test_1_6_a_pended_warning_is_false_with_n(tmp_path):
    g = req(OVERLAPPED + read(13) + gor(), tmp_path, "g")
    assert (g.ok, g.last_error, g.bytes) == (False, 234, 13)


def test_1_6_an_informational_final_status_is_true_reactos_choice(tmp_path):
    # [uncertain] Wine FALSE / ReactOS TRUE: the model chose TRUE (as ReadFile's sync row)
    g = req(OVERLAPPED + read(12) + gor(), tmp_path, "g")
    assert (g.ok, g.error_set, g.bytes) == (True, False, 12)


def test_1_6_an_inline_error_stays_pending_forever_io_incomplete(tmp_path):
    # kernel-env §12.15: the silent branch never writes Internal
    g = req(OVERLAPPED + read(5) + gor(", wait: false"), tmp_path, "g")
    assert (g.ok, g.last_error, g.bytes_set) == (False, 996, False)


def test_1_6_ex_zero_timeout_is_io_incomplete(tmp_path):
    g = req(OVERLAPPED + read(11) + gor(", timeout: 0, bytes_init: 77"), tmp_path, "g")
    assert (g.api, g.ok, g.last_error, g.bytes_set, g.bytes) == (
        "GetOverlappedResultEx", False, 996, False, 77)


def test_1_6_ex_timeout_elapsed_is_wait_timeout(tmp_path):
    g = req(OVERLAPPED + read(11) + gor(", timeout: 100, bytes_init: 77"), tmp_path, "g")
    assert (g.ok, g.last_error, g.bytes_set, g.bytes) == (False, 258, False, 77)
    assert 1_000_000 <= g.returned_at < 10_000_000   # 100 ms, on a clock tick


def test_1_6_ex_completion_within_the_timeout_is_true(tmp_path):
    g = req(OVERLAPPED + read(11) + gor(", timeout: 2000"), tmp_path, "g")
    assert (g.ok, g.bytes, g.returned_at) == (True, 11, 10_000_000)


def test_1_6_ex_alertable_wait_ended_by_an_apc_is_wait_io_completion(tmp_path):
    app = """\
- {open: '\\\\.\\Conv', overlapped: true, as: h}
- {read: {handle: h, length: 11}, as: r}
- queue_user_apc: {thread: main, apc: [{print: apc ran}]}
- {get_overlapped_result: {request: r, timeout: 5000, alertable: true, bytes_init: 77}, as: g}
"""
    result = run(app, tmp_path)
    g = result.requests["g"]
    assert (g.ok, g.last_error, g.bytes_set, g.returned_at) == (False, 0xC0, False, 0)
    assert result.app_output == ["apc ran"]


def test_1_6_closed_handle_without_an_event_is_invalid_handle(tmp_path):
    g = req(OVERLAPPED + read(11) + "- {close: h}\n" + gor(), tmp_path, "g")
    assert (g.ok, g.last_error, g.bytes_set) == (False, 6, False)


# -- 1.7 the file's event and two requests -------------------------------------------------

def test_1_7_waiting_on_the_file_is_satisfied_by_the_other_request(tmp_path):
    # r waits 1 s in the driver; s (length 12, also 1 s) is issued 0.5 s later on the
    # same handle, clearing the file's event; r's completion at 1 s sets it again - but
    # waiting for s is then satisfied by r's completion: s still pending, TRUE with n 0.
    app = OVERLAPPED + read(11) + "- sleep: 500\n" + \
        "- {read: {handle: h, length: 12}, as: s}\n" + gor(target="s")
    result = run(app, tmp_path)
    g, s = result.requests["g"], result.requests["s"]
    assert (g.ok, g.bytes, g.returned_at) == (True, 0, 10_000_000)
    assert s.completed_at == 15_000_000            # it completed later
