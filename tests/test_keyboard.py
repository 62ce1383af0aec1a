"""The keyboard stack (stacks-services §2): the built-in i8042prt and kbdclass driver files,
the keyboard blocks, IoAttachDevice, the 8042's read-clears status bit and win32k's raw
input thread. Each test boots the built-in PS/2 stack on a small scenario, types scan
codes into the i8042 hardware and checks what the stack, a filter or the reader saw.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.blocks.keyboard import class_data
from harness.kernel import (DISPATCH_LEVEL, IOCTL_INTERNAL_KEYBOARD_CONNECT, BugCheckCode,
                            HardwareDevice, Register, io_cancel_irp)
from harness.runner import Session
from harness.runner.session import RunError
from harness.scenario import load_scenario_text
from harness.scenario.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
ERROR_PRIVILEGE_NOT_HELD = 1314
SECOND = 10_000_000


def keys(*typed: tuple[int, int]) -> str:
    """The i8042's events: (time in ms, the byte the keyboard sends)."""
    return ", ".join(f"{{at: {ms}ms, set: {{DATA: 0x{byte:02X}, STATUS: 1}}, interrupt: true}}"
                     for ms, byte in typed)


def scenario(typed: str = "", raw_input: bool = True, drivers: str = "", app: str = "",
             machine: str = "", filters: str = "kbdclass") -> Session:
    """A session: the PS/2 keyboard devnode (i8042prt + kbdclass), optionally win32k's
    raw input thread, extra drivers and an app."""
    text = ("scenario: kbd\ntitle: kbd\n"
            + (f"machine: {machine}\n" if machine else "")
            + "include: [drivers/builtin/i8042prt.yaml, drivers/builtin/kbdclass.yaml]\n"
            "hardware:\n  - name: i8042\n    registers:\n"
            "      DATA: {size: 1, read_clears: {STATUS: 0x01}}\n      STATUS: 1\n"
            "    interrupt: {vector: 0x31, irql: 26, mode: Latched}\n"
            f"    events: [{typed}]\n"
            "pnp:\n  - {instance: 'ACPI\\PNP0303\\0', hardware_ids: ['*PNP0303'],\n"
            f"     service: i8042prt, upper_filters: [{filters}]}}\n"
            + ("raw_input: true\n" if raw_input else "")
            + (f"drivers:\n{drivers}" if drivers else "")
            + (f"app:\n{app}" if app else ""))
    return Session(resolve(load_scenario_text(text, ROOT / "scenarios" / "kbd.yaml")))


def filter_driver(io: str = "buffered", unload: bool = False) -> str:
    """Ctrl2cap's NT build (#51): attach over KeyboardClass0, remap 0x3A to 0x1D."""
    return f"""\
  - name: Filter
    start: demand
    devices: [{{name: null, type: FILE_DEVICE_KEYBOARD, io: {io}}}]
    locals: {{i: ULONG, n: ULONG, code: USHORT, flags: USHORT}}
    views: {{keys: {{buffer: system, struct: KEYBOARD_INPUT_DATA}}}}
    driver_entry: [create_devices, {{io_attach_device: {{name: '\\Device\\KeyboardClass0'}}}}]
""" + ("    unload: [io_detach_device, io_delete_device]\n" if unload else "") + """\
    default_dispatch: forward
    dispatch:
      IRP_MJ_READ: [{forward: {completion: Done}}]
    routines:
      Done:
        - if:
            cond: "Irp->IoStatus.Status >= 0"
            then:
              - set: {n: "Irp->IoStatus.Information / sizeof(KEYBOARD_INPUT_DATA)"}
              - while:
                  cond: i < n
                  do:
                    - set: {code: "keys[i].MakeCode", flags: "keys[i].Flags"}
                    - log: "key {code:x} {flags} at {irql}"
                    - if: {cond: "keys[i].MakeCode == 0x3A",
                           then: [{set: {"keys[i].MakeCode": 0x1D}}]}
                    - add: {i: 1}
        - propagate_pending
        - return: irp
"""


def reader_driver(length: int) -> str:
    """A kernel-mode reader (trusted: ZwCreateFile is KernelMode) that reads once from
    DriverEntry on a synchronous handle."""
    return f"""\
  - name: Reader
    start: demand
    devices: [{{name: '\\Device\\Reader'}}]
    state: {{h: HANDLE, st: NTSTATUS, iosb: IO_STATUS_BLOCK, buf: "UCHAR[1200]"}}
    driver_entry:
      - zw_create_file: {{name: '\\Device\\KeyboardClass0', access: FILE_READ_DATA | SYNCHRONIZE,
                         options: FILE_SYNCHRONOUS_IO_NONALERT, handle: h, iosb: iosb}}
      - zw_read_file: {{handle: h, iosb: iosb, buffer: buf, length: {length}, status: st}}
      - log: "status {{st:08X}} information {{iosb.Information}}"
"""


def rit_keys(result) -> list[tuple[str, str, str]]:
    """What the raw input thread made of each record: (MakeCode, Flags, virtual key)."""
    return [(e.details["MakeCode"], e.details["Flags"], e.details["vk"]) for e in result.events
            if e.kind == "ServiceCall" and e.details.get("api") == "ProcessKeyboardInput"]


def stack_of(session: Session):
    cls = session.kernel.namespace.lookup("\\Device\\KeyboardClass0")
    return cls, cls.attached_to, cls.attached_to.attached_to        # class, port FDO, PDO


# -- 2.1 / 2.2 the stack and the connection -------------------------------------------------

def test_2_1_class_device_is_in_the_pnp_stack_over_the_port_fdo():
    cls, fdo, pdo = stack_of(scenario(raw_input=False))
    assert cls.driver_object.name == "\\Driver\\kbdclass"
    assert fdo.driver_object.name == "\\Driver\\i8042prt" and fdo.name is None
    assert pdo.driver_object.name == "\\Driver\\PnpManager" and pdo.attached_to is None
    assert (pdo.stack_size, fdo.stack_size, cls.stack_size) == (1, 2, 3)


def test_2_2_connect_gives_the_port_the_class_device_and_its_service_callback():
    session = scenario(raw_input=False)
    cls, fdo, _ = stack_of(session)
    connect = fdo.device_extension["state"]["connectData"].read()
    kernel = session.kernel
    callback = next(r for r in kernel.routine_addresses
                    if getattr(r, "__name__", "") == "KeyboardClassServiceCallback")
    assert int.from_bytes(connect[0:4], "little") == kernel.objects.address_of(cls)
    assert int.from_bytes(connect[4:8], "little") == kernel.routine_address(callback)
    assert callback.image is kernel.images["kbdclass"]       # kbdclass's own code


def test_2_2_connect_is_an_internal_ioctl_sent_from_add_device_before_start():
    # ReactOS's ClassAddDevice and Windows' KeyboardAddDeviceEx connect in AddDevice:
    # before any PnP IRP (FILTER_RESOURCE_REQUIREMENTS, START_DEVICE) reaches kbdclass
    events = scenario(raw_input=False).result().events
    calls = [e for e in events if e.kind == "IoCallDriver"]
    connect = next(i for i, e in enumerate(calls)
                   if e.major_name == "IRP_MJ_INTERNAL_DEVICE_CONTROL")
    first_pnp = next(i for i, e in enumerate(calls)
                     if e.driver == "kbdclass" and e.major_name == "IRP_MJ_PNP")
    assert calls[connect].driver == "i8042prt" and connect < first_pnp
    assert IOCTL_INTERNAL_KEYBOARD_CONNECT == 0x000B0203      # CTL_CODE(KEYBOARD, 0x80, NEITHER)


def test_2_2_the_port_serves_one_class_a_second_connect_is_a_sharing_violation():
    # an upper filter below kbdclass that sends its own connect first takes the port; the
    # connect kbdclass sends through it is refused and kbdclass's AddDevice gives up
    driver = """\
  - name: Thief
    devices: [{name: null}]
    locals: {st: NTSTATUS}
    add_device:
      - create_devices
      - keyboard_class_connect: {service: Stolen, status: st}
      - log: "thief connect {st:08X}"
    default_dispatch: forward
    routines:
      Stolen: [keyboard_class_service]
"""
    session = scenario(raw_input=False, drivers=driver, filters="Thief, kbdclass")
    result = session.result()
    assert result.debug_lines == ["thief connect 00000000"]
    refused = [e for e in result.events if e.kind == "IoCompleteRequest"
               and e.major_name == "IRP_MJ_INTERNAL_DEVICE_CONTROL"]
    assert [e.status_name for e in refused] == ["STATUS_SUCCESS", "STATUS_SHARING_VIOLATION"]
    assert session.kernel.namespace.lookup("\\Device\\KeyboardClass0") is None


# -- 2.3 the input path -----------------------------------------------------------------

def test_2_3_break_code_strips_bit_7_and_sets_key_break():
    result = scenario(keys((1000, 0x3A), (1100, 0xBA))).run_app()
    assert rit_keys(result) == [("0x3a", "KEY_MAKE", "VK_CAPITAL"),
                                ("0x3a", "KEY_BREAK", "VK_CAPITAL")]


def test_2_3_e0_prefix_sets_key_e0_on_the_next_byte_only():
    typed = keys((1000, 0xE0), (1001, 0x1D), (1100, 0xE0), (1101, 0x9D), (1200, 0x1D))
    result = scenario(typed).run_app()
    assert rit_keys(result) == [("0x1d", "KEY_MAKE|KEY_E0", "VK_RCONTROL"),
                                ("0x1d", "KEY_BREAK|KEY_E0", "VK_RCONTROL"),
                                ("0x1d", "KEY_MAKE", "VK_LCONTROL")]
    # the prefix byte is taken by the ISR but queues no DPC: three DPCs for five bytes
    assert sum(e.kind == "IsrReturn" for e in result.events) == 5
    assert sum(e.kind == "DpcRoutine" for e in result.events) == 3


def test_2_3_isr_at_dirql_dpc_calls_the_class_service_at_dispatch_level():
    result = scenario(keys((1000, 0x1E))).run_app()
    kinds = [(e.kind, e.irql_name, e.context) for e in result.events
             if e.kind in ("IsrReturn", "DpcRoutine")
             or e.details.get("api") == "ClassService" and e.kind == "ServiceCall"]
    assert kinds == [("IsrReturn", "DIRQL26", "isr"), ("DpcRoutine", "DISPATCH_LEVEL", "dpc"),
                     ("ServiceCall", "DISPATCH_LEVEL", "dpc")]


def test_5_7_reading_data_clears_the_output_buffer_full_bit():
    status = Register("STATUS", 1, 1)
    data = Register("DATA", 1, 0x1E, read_clears={"STATUS": 0x01})
    device = HardwareDevice("i8042", {"STATUS": status, "DATA": data}, None)
    assert device.read("STATUS") == 1
    assert device.read("DATA") == 0x1E
    assert device.read("STATUS") == 0        # the 8042's buffer is empty again
    assert device.read("DATA") == 0x1E       # the byte itself stays


def test_5_7_the_isr_leaves_the_8042_status_empty():
    session = scenario(keys((1000, 0x1E)))
    session.run_app()
    assert session.kernel.hardware["i8042"].registers["STATUS"].value == 0


# -- 2.4 the record -------------------------------------------------------------------------

def test_2_4_each_record_is_12_bytes_with_unit_0_and_no_extra_information():
    drivers = filter_driver().replace('log: "key {code:x} {flags} at {irql}"',
                                      'log: "record {keys[0].UnitId} {keys[0].Reserved} '
                                      '{keys[0].ExtraInformation} of {Irp.IoStatus.Information}"')
    result = scenario(keys((1000, 0x1E), (1100, 0x9E)), drivers=drivers,
                      app="  - {net_start: Filter}\n").run_app()
    assert result.debug_lines == ["record 0 0 0 of 12"]


# -- 2.5 kbdclass's reads ---------------------------------------------------------------------

@pytest.mark.parametrize("length, status, information",
                         [(10, "C0000023", 0), (0, "00000000", 0), (12, "00000000", 12),
                          (24, "00000000", 24)])
def test_2_5_read_length_rules_and_queued_records_complete_inline(length, status, information):
    # no raw input thread: two keys wait in the class queue; a read of 10 bytes is
    # STATUS_BUFFER_TOO_SMALL, of 0 a success with nothing, of 12 or 24 takes one or two
    # records at once
    session = scenario(keys((500, 0x1E), (600, 0x9E)), raw_input=False,
                       drivers=reader_driver(length), app="  - {sleep: 1000}\n"
                       "  - {net_start: Reader}\n")
    result = session.run_app()
    assert result.debug_lines == [f"status {status} information {information}"]
    cls, _, _ = stack_of(session)
    assert len(class_data(cls).queue) == 2 - information // 12


def test_2_5_a_read_from_the_app_is_privilege_not_held():
    # SeSinglePrivilegeCheck(SeTcbPrivilege, UserMode) fails for the app: its open
    # succeeds, its reads do not
    result = scenario(raw_input=False, app="  - {open: '\\Device\\KeyboardClass0', as: h}\n"
                      "  - {read: {handle: h, length: 12}, as: r}\n").run_app()
    assert result.requests["h"].ok
    assert not result.requests["r"].ok
    assert result.requests["r"].last_error == ERROR_PRIVILEGE_NOT_HELD


def test_2_5_only_the_first_kernel_mode_opener_is_trusted():
    # the raw input thread opened first; a later kernel-mode reader is not trusted
    session = scenario(raw_input=True, drivers=reader_driver(12), app="  - {net_start: Reader}\n")
    result = session.run_app()
    assert result.debug_lines == ["status C0000061 information 0"]   # PRIVILEGE_NOT_HELD


def test_2_5_a_pending_read_is_completed_at_dispatch_level_from_the_callback():
    result = scenario(keys((1000, 0x1E), (1100, 0x9E)), drivers=filter_driver(),
                      app="  - {net_start: Filter}\n").run_app()
    assert result.debug_lines == ["key 1e 1 at DISPATCH_LEVEL"]


def test_2_5_cancel_completes_the_pending_read_cancelled_and_the_reader_reads_again():
    session = scenario()
    cls, _, _ = stack_of(session)
    session.advance(1000)
    (pending,) = class_data(cls).reads

    def canceller():
        yield from io_cancel_irp(pending)
    session.kernel.create_thread(canceller, name="Canceller")
    session.advance(1000)
    assert pending.io_status.status == 0xC0000120            # STATUS_CANCELLED
    (again,) = class_data(cls).reads
    assert again is not pending


def test_2_5_the_trusted_readers_cleanup_cancels_its_pending_read():
    # a kernel-mode reader (no RIT) pends an asynchronous read, then closes its handle
    driver = """\
  - name: Reader
    start: demand
    devices: [{name: '\\Device\\Reader'}]
    state: {h: HANDLE, st: NTSTATUS, iosb: IO_STATUS_BLOCK, buf: "UCHAR[12]", e: KEVENT}
    driver_entry:
      - zw_create_file: {name: '\\Device\\KeyboardClass0', access: FILE_READ_DATA, handle: h,
                         iosb: iosb}
      - zw_read_file: {handle: h, event: e, iosb: iosb, buffer: buf, length: 12, offset: 0,
                       status: st}
      - log: "read {st:08X}"
      - zw_close: h
      - wait: {object: e}
      - log: "completed {iosb.Status:08X}"
"""
    result = scenario(raw_input=False, drivers=driver, app="  - {net_start: Reader}\n").run_app()
    assert result.debug_lines == ["read 00000103", "completed C0000120"]


def test_2_5_the_class_queue_keeps_100_records_the_rest_stays_in_the_port():
    typed = keys(*[(1000 + 2 * i, 0x1E if i % 2 == 0 else 0x9E) for i in range(105)])
    session = scenario(typed, raw_input=False)
    session.advance(2 * SECOND)
    cls, fdo, _ = stack_of(session)
    assert len(class_data(cls).queue) == 100
    assert fdo.device_extension["state"]["inputCount"] == 5    # not consumed


# -- 2.6 / 2.7 the raw input thread and a late filter ---------------------------------------

def test_2_6_raw_input_thread_always_keeps_one_read_pending_and_is_no_hang():
    session = scenario(keys((1000, 0x1E), (1100, 0x9E)))
    cls, _, _ = stack_of(session)
    session.advance(500 * 10_000)
    assert len(class_data(cls).reads) == 1
    result = session.run_app()
    assert len(class_data(cls).reads) == 1
    assert rit_keys(result) == [("0x1e", "KEY_MAKE", "A"), ("0x1e", "KEY_BREAK", "A")]
    assert result.hung_threads == [] and result.outcome == "OK"
    opener = next(e for e in result.events if e.kind == "IoCallDriver"
                  and e.major_name == "IRP_MJ_CREATE" and e.driver == "kbdclass")
    assert opener.thread == "RawInputThread" and opener.process == "csrss.exe"


def test_2_7_the_read_pending_at_attach_bypasses_the_filter():
    result = scenario(keys((1000, 0x3A), (1100, 0xBA)), drivers=filter_driver(),
                      app="  - {net_start: Filter}\n").run_app()
    # the Caps Lock make completes the read issued before the attach: not remapped; the
    # break goes through the filter
    assert rit_keys(result) == [("0x3a", "KEY_MAKE", "VK_CAPITAL"),
                                ("0x1d", "KEY_BREAK", "VK_LCONTROL")]
    assert result.debug_lines == ["key 3a 1 at DISPATCH_LEVEL"]


def test_10_1_io_attach_device_closes_through_the_new_top_and_sets_stack_size():
    session = scenario(drivers=filter_driver(), app="  - {net_start: Filter}\n")
    result = session.run_app()
    cls, _, _ = stack_of(session)
    top = cls.attached_device
    assert top.driver_object.name == "\\Driver\\Filter" and top.stack_size == 4
    # IoAttachDevice's open: CREATE and CLEANUP reach kbdclass directly, the CLOSE (after
    # the attach) passes through the filter
    seen = [(e.driver, e.major_name) for e in result.events if e.kind == "IoCallDriver"
            and e.thread == "Worker:Filter"]
    assert seen == [("kbdclass", "IRP_MJ_CREATE"), ("kbdclass", "IRP_MJ_CLEANUP"),
                    ("Filter", "IRP_MJ_CLOSE"), ("kbdclass", "IRP_MJ_CLOSE")]


def test_10_1_io_attach_device_to_a_missing_name_is_object_name_not_found():
    driver = filter_driver().replace(
        "{io_attach_device: {name: '\\Device\\KeyboardClass0'}}",
        "{io_attach_device: {name: '\\Device\\KeyboardClass9', status: st}}, "
        "{log: \"attach {st:08X}\"}").replace("locals: {", "locals: {st: NTSTATUS, ")
    result = scenario(drivers=driver, app="  - {net_start: Filter}\n").run_app()
    assert result.debug_lines == ["attach C0000034"]


# -- 2.8 - 2.11 the filter ---------------------------------------------------------------------

def test_2_8_a_filter_without_do_buffered_io_makes_kbdclass_fault():
    # the reader's next read is built for the filter's (neither) I/O: no SystemBuffer, and
    # kbdclass copies into it from the DPC: 0xD1 (address 0, DISPATCH_LEVEL, write)
    session = scenario(keys((1000, 0x1E), (1100, 0x9E)), drivers=filter_driver(io="neither"),
                       app="  - {net_start: Filter}\n")
    result = session.run_app()
    check = result.bugcheck
    assert check.code == BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL
    assert (check.p1, check.p2, check.p3) == (0, DISPATCH_LEVEL, 1)
    assert check.time == 1100 * 10_000


def test_2_9_ctrl2cap_prints_up_for_any_nonzero_flags_and_keeps_right_ctrl():
    # Ctrl2capReadComplete prints Flags ? "Up" : "Down": a Right Ctrl make (KEY_E0) reads
    # "Up"; only MakeCode 0x3A is rewritten, so Right Ctrl stays VK_RCONTROL (2.10)
    result = scenario(keys((1000, 0x1E), (1100, 0xE0), (1101, 0x1D), (1200, 0x1D)),
                      drivers=filter_driver(), app="  - {net_start: Filter}\n").run_app()
    assert rit_keys(result)[1:] == [("0x1d", "KEY_MAKE|KEY_E0", "VK_RCONTROL"),
                                    ("0x1d", "KEY_MAKE", "VK_LCONTROL")]
    assert result.debug_lines == ["key 1d 2 at DISPATCH_LEVEL", "key 1d 0 at DISPATCH_LEVEL"]


def test_2_10_caps_lock_never_reaches_the_reader_left_ctrl_passes_untouched():
    # after the first (unfiltered) key every Caps Lock make and break arrives as 0x1D, and
    # the real Left Ctrl is left as it is: the reader sees Left Ctrl four times, never
    # VK_CAPITAL (so its toggle state never changes)
    typed = keys((1000, 0x1E), (1100, 0x3A), (1200, 0xBA), (1300, 0x1D), (1400, 0x9D))
    result = scenario(typed, drivers=filter_driver(), app="  - {net_start: Filter}\n").run_app()
    assert rit_keys(result)[1:] == [("0x1d", "KEY_MAKE", "VK_LCONTROL"),
                                    ("0x1d", "KEY_BREAK", "VK_LCONTROL")] * 2
    assert result.debug_lines == ["key 3a 0 at DISPATCH_LEVEL", "key 3a 1 at DISPATCH_LEVEL",
                                  "key 1d 0 at DISPATCH_LEVEL", "key 1d 1 at DISPATCH_LEVEL"]


def test_2_6_raw_input_records_sets_the_length_of_each_read():
    text_plan = scenario(raw_input=False).program.raw_input
    assert text_plan is None
    session = Session(resolve(load_scenario_text(
        (ROOT / "scenarios" / "book" / "ch22_ctrl2cap.yaml").read_text().replace(
            "raw_input: true", "raw_input: {keyboard: '\\Device\\KeyboardClass0', records: 3}"),
        ROOT / "scenarios" / "book" / "ch22_ctrl2cap.yaml")))
    session.advance(1000)
    reads = [e for e in session.result().events if e.kind == "ServiceCall"
             and e.details.get("api") == "ZwReadFile"]
    assert reads and all(e.details["length"] == 36 for e in reads)


def test_2_11_unload_with_a_read_pending_bug_checks_at_the_next_key_not_at_unload():
    session = scenario(keys((1000, 0x1E), (3000, 0x9E)), drivers=filter_driver(unload=True),
                       app="  - {net_start: Filter}\n  - {sleep: 1500}\n"
                       "  - {net_stop: Filter, as: stop}\n  - {sleep: 2000}\n")
    result = session.run_app()
    assert result.requests["stop"].ok
    assert session.kernel.images["Filter"].unloaded
    check = result.bugcheck
    assert check.code == BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS
    assert check.time == 3 * SECOND                          # the key, not the unload
    assert check.p1 == check.p3 and check.p2 == 0


# -- the blocks' own rules ------------------------------------------------------------------------

def test_call_service_callback_through_a_wild_pointer_faults():
    # a port whose CONNECT_DATA holds garbage calls through it from its DPC: 0xD1
    driver = """\
  - name: BadPort
    devices: [{name: '\\Device\\BadPort'}]
    extension: {data: "KEYBOARD_INPUT_DATA[1]", k: KTIMER}
    driver_entry:
      - set_timer: {timer: k, after: 1s, dpc: [{call_service_callback: {
          routine: 0x1234, device: DeviceObject, data: data, end: 1}}]}
"""
    result = scenario(raw_input=False, drivers=driver).run_app()
    assert result.bugcheck.code == BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL
    assert result.bugcheck.p1 == 0x1234


def test_keyboard_class_service_outside_a_service_callback_is_a_located_error():
    driver = """\
  - name: Misuse
    devices: [{name: '\\Device\\Misuse'}]
    driver_entry: [keyboard_class_service]
"""
    with pytest.raises(RunError, match="keyboard_class_service belongs in the class service"):
        scenario(raw_input=False, drivers=driver)


def test_raw_input_thread_refuses_a_scan_code_the_layout_does_not_model():
    with pytest.raises(RunError, match="scan code 0x7f"):
        scenario(keys((1000, 0x7F))).run_app()


def test_read_clears_names_a_declared_register():
    text = ("scenario: t\ntitle: t\ndrivers: []\nhardware:\n  - name: h\n    registers:\n"
            "      DATA: {size: 1, read_clears: {STATUS: 1}}\n")
    with pytest.raises(Exception, match="no register 'STATUS'"):
        resolve(load_scenario_text(text, ROOT / "scenarios" / "t.yaml"))
