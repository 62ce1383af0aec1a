"""Buffer probing and faults (win32-io §6) and the other file calls on a device handle
(win32-io §5), each test named after the rule it pins."""

from __future__ import annotations

from pathlib import Path

from harness.kernel import Kernel, UserAddressSpace, UserBuffer, never_mapped
from harness.kernel.mm.usermem import copy_to_user
from scenario_text import run_app

# Buf (buffered), Dir (direct), Raw (neither): each logs what its READ / WRITE / IOCTL
# sees and completes with success; Buf's reads of 4 return Information 8, of 5 0x2000,
# of 6 pend and return 0x2000 from a timer. No QUERY/SET_INFORMATION or FLUSH handler.
DRIVERS = r"""
constants:
  IOCTL_BUF: {ctl_code: [FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS]}
  IOCTL_OUT: {ctl_code: [FILE_DEVICE_UNKNOWN, 0x801, METHOD_OUT_DIRECT, FILE_ANY_ACCESS]}
drivers:
  - name: Buf
    devices: [{name: '\Device\Buf', link: '\??\Buf', io: buffered},
              {name: '\Device\Raw', link: '\??\Raw', io: neither},
              {name: '\Device\Dir', link: '\??\Dir', io: direct}]
    dispatch:
      IRP_MJ_CREATE: complete
      IRP_MJ_CLEANUP: [{log: CLEANUP}, complete]
      IRP_MJ_CLOSE: [{log: CLOSE}, complete]
      IRP_MJ_WRITE: [{log: "WRITE {length}"}, {complete: {information: length}}]
      IRP_MJ_READ:
        - log: "READ {length}"
        - if: {cond: "stack->Parameters.Read.ByteOffset.QuadPart == 100", then: [{log: "AT 100"}]}
        - if:
            cond: stack->Parameters.Read.Length == 4
            then: [{complete: {status: STATUS_SUCCESS, information: 8}}, {return: STATUS_SUCCESS}]
        - if:
            cond: stack->Parameters.Read.Length == 5
            then: [{complete: {status: STATUS_SUCCESS, information: 0x2000}},
                   {return: STATUS_SUCCESS}]
        - if:
            cond: stack->Parameters.Read.Length == 6
            then: [pend, {set_timer: {after: 1s, dpc: Late}}, {return: STATUS_PENDING}]
        - complete: {status: STATUS_SUCCESS, information: 0}
      IRP_MJ_DEVICE_CONTROL: [{log: "IOCTL {input_length} {output_length}"}, complete]
    routines:
      Late: [{complete: {status: STATUS_SUCCESS, information: 0x2000}}]
"""


def run(app: str, tmp_path: Path) -> object:
    return run_app(DRIVERS, app, tmp_path)


def outcome(result: object, name: str) -> tuple:
    r = result.requests[name]
    return r.ok, r.bytes, r.last_error


def logged(result: object) -> list[str]:
    return [e.details.get("text") for e in result.events if e.kind == "DbgPrint"]


# -- §6 probing and faults ------------------------------------------------------------------

def test_6_1_null_read_buffer_with_a_length_fails_before_dispatch(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {read: {handle: h, length: 8, buffer: null}, as: r}
""", tmp_path)
    assert outcome(result, "r") == (False, 0, 998)           # ERROR_NOACCESS
    assert "READ 8" not in logged(result)                    # no IRP reached the driver


def test_6_1_probe_for_read_passes_null_so_a_neither_write_reaches_the_driver(tmp_path):
    result = run("""\
- {open: '\\\\.\\Raw', as: h}
- {write: {handle: h, data: "AA*4", buffer: null}, as: w}
""", tmp_path)
    assert "WRITE 4" in logged(result) and outcome(result, "w")[0] is True


def test_6_2_buffered_write_copy_in_of_null_faults_without_dispatch(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {write: {handle: h, data: "AA*4", buffer: null}, as: w}
""", tmp_path)
    assert outcome(result, "w") == (False, 0, 998) and "WRITE 4" not in logged(result)


def test_6_2_direct_read_of_an_invalid_pointer_fails_in_probe_and_lock(tmp_path):
    result = run("""\
- {open: '\\\\.\\Dir', as: h}
- {read: {handle: h, length: 8, buffer: {address: 0x7FFF0000}}, as: r}
""", tmp_path)
    assert outcome(result, "r") == (False, 0, 998) and "READ 8" not in logged(result)


def test_6_2_null_buffered_output_forces_output_length_zero(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {ioctl: {handle: h, code: IOCTL_BUF, input: "AA*4", output_length: 16,
           output_buffer: null}, as: i}
""", tmp_path)
    assert "IOCTL 4 0" in logged(result) and outcome(result, "i")[0] is True


def test_6_2_out_direct_null_output_with_a_length_is_access_violation(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {ioctl: {handle: h, code: IOCTL_OUT, output_length: 16, output_buffer: null}, as: i}
""", tmp_path)
    assert outcome(result, "i")[2] == 998 and not any(t.startswith("IOCTL") for t in logged(result))


def test_6_3_zero_length_read_with_null_reaches_the_driver(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {read: {handle: h, length: 0, buffer: null}, as: r}
""", tmp_path)
    assert "READ 0" in logged(result) and outcome(result, "r")[:2] == (True, 0)


def test_6_4_overrun_on_committed_pages_overwrites_the_next_allocation():
    kernel = Kernel()
    space = UserAddressSpace(0x0012F000)
    first, second = UserBuffer.allocate(space, 4, 0), UserBuffer.allocate(space, 16, 0x11)
    copy_to_user(kernel, first, bytes(range(1, 13)))         # 12 bytes into 4
    assert first.read() == bytes([1, 2, 3, 4])
    assert second.read(0, 4) == bytes([9, 10, 11, 12])       # 8-aligned: 5..8 are padding


def test_6_4_inline_copy_back_fault_is_true_with_a_stale_count(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {read: {handle: h, length: 5}, as: r}
""", tmp_path)
    assert outcome(result, "r")[:2] == (True, 0)
    assert result.requests["r"].status == 0xC0000005          # the IRP's final status


def test_6_4_pended_copy_back_fault_is_error_noaccess(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {read: {handle: h, length: 6}, as: r}
""", tmp_path)
    assert outcome(result, "r") == (False, 0, 998)


def test_6_1_invalid_pointers_are_only_the_never_mapped_regions():
    assert never_mapped(0) and never_mapped(0xFFFF) and never_mapped(0x7FFF0000)
    assert not never_mapped(0x10000) and not never_mapped(0x0012F000)


# -- §5 file-object state ----------------------------------------------------------------

def test_5_5_sync_set_file_pointer_is_answered_without_an_irp_and_read_uses_it(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {set_file_pointer: {handle: h, distance: 100}, as: s}
- {read: {handle: h, length: 8}, as: r}
- {read: {handle: h, length: 8}, as: r2}
""", tmp_path)
    assert result.requests["s"].result == 100
    assert not any(e.details.get("major") == "IRP_MJ_SET_INFORMATION" for e in result.events
                   if e.kind == "IoAllocateIrp")
    assert logged(result).count("AT 100") == 2                # not advanced by the I/O manager


def test_5_5_overlapped_set_file_pointer_is_a_set_information_irp(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', overlapped: true, as: h}
- {set_file_pointer_ex: {handle: h, distance: 8}, as: s}
""", tmp_path)
    assert outcome(result, "s") == (False, 0, 1)              # ERROR_INVALID_FUNCTION


def test_5_5a_negative_position_is_error_negative_seek(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {set_file_pointer_ex: {handle: h, distance: -1, method: FILE_CURRENT}, as: s}
""", tmp_path)
    assert outcome(result, "s") == (False, 0, 131)


def test_5_5a_file_end_asks_the_driver_for_standard_information(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {set_file_pointer: {handle: h, distance: 0, method: FILE_END}, as: s}
""", tmp_path)
    assert (result.requests["s"].result, result.requests["s"].last_error) == (0xFFFFFFFF, 1)


def test_5_5a_low_part_all_ones_sets_last_error_zero(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {set_file_pointer: {handle: h, distance: -1, high: 0}, as: s}
""", tmp_path)
    assert (result.requests["s"].result, result.requests["s"].last_error) == (0xFFFFFFFF, 0)


def test_5_7_duplicate_handle_defers_cleanup_to_the_last_handle(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {duplicate_handle: {handle: h}, as: h2}
- {close: h}
- print: between
- {close: h2}
""", tmp_path)
    kinds = [e.details.get("text") for e in result.events if e.kind in ("DbgPrint", "AppPrint")]
    assert kinds[-3:] == ["between", "CLEANUP", "CLOSE"]


def test_5_7_duplicate_close_source_sends_nothing(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {duplicate_handle: {handle: h, close_source: true}, as: h2}
- print: duplicated
- {close: h2}
""", tmp_path)
    kinds = [e.details.get("text") for e in result.events if e.kind in ("DbgPrint", "AppPrint")]
    assert kinds[-3:] == ["duplicated", "CLEANUP", "CLOSE"]


def test_flush_without_a_flush_handler_is_invalid_function(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {flush_file_buffers: h, as: f}
""", tmp_path)
    assert outcome(result, "f") == (False, 0, 1)


def test_query_volume_device_information_is_the_io_managers(tmp_path):
    result = run("""\
- {open: '\\\\.\\Buf', as: h}
- {nt_query_volume_information_file: {handle: h, class: FileFsDeviceInformation, length: 8}, as: q}
- {nt_query_volume_information_file: {handle: h, class: 99, length: 8}, as: bad}
""", tmp_path)
    q = result.requests["q"]
    assert (q.status, q.information, q.buffer.read(0, 4)) == (0, 8, bytes([0x22, 0, 0, 0]))
    assert result.requests["bad"].status == 0xC0000003        # STATUS_INVALID_INFO_CLASS
