"""PnP notifications from scenario drivers (pnp-hardware §3.3, §1.6, §1.8): the
callback role, what it reads through NotificationStructure, the pool block the PnP
manager hands it, IsEqualGUID, opening by the notified name, unregistering, the
image a forgotten registration keeps, and the located errors of misuse."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.kernel import (GUID_DEVICE_INTERFACE_ARRIVAL, IRP_MJ, BugCheckCode,
                            DeviceInterfaceChangeNotification, guid_bytes)
from harness.kernel.io.interface import NOTIFICATION_SIZE, PNP_NOTIFY_TAG
from harness.kernel.io.loader import mm_unload_system_image
from harness.lang.layouts import BUILTIN
from harness.runner import Session
from harness.runner.session import RunError
from harness.scenario import ScenarioError, load_scenario_text
from harness.scenario.resolve import resolve

GUID = "{0E57C50F-0CCC-4AD2-A895-93C5ED119860}"
NAME = "\\??\\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860}"
HELLO_WDM = Path(__file__).resolve().parent.parent / "scenarios/drivers/hello_wdm_ch13.yaml"


def scenario(driver_entry: str, callback: str = "- log: called\n", unload: str = "",
             pnp: bool = True, app: str = "", extra: str = "") -> str:
    """A watcher driver W (registers in DriverEntry) beside chapter 13's HelloWDM on a
    root devnode (its interface enabled in AddDevice, announced after START)."""
    def block(text: str, indent: int = 6) -> str:
        return textwrap.indent(textwrap.dedent(text), " " * indent)
    text = "scenario: t\ntitle: t\ninclude: [hello_wdm_ch13.yaml]\n"
    if pnp:
        text += ("pnp:\n  - {instance: 'ROOT\\UNKNOWN\\0000', hardware_ids: ['X'], "
                 "service: HelloWDM, events: [{at: 1s, action: uninstall}]}\n")
    text += ("drivers:\n  - name: W\n"
             "    state: {entry: PVOID, keep: PVOID}\n"
             "    locals: {status: NTSTATUS, same: BOOLEAN, p: "
             "'DEVICE_INTERFACE_CHANGE_NOTIFICATION*'}\n"
             "    driver_entry:\n" + block(driver_entry)
             + "    routines:\n      OnChange:\n" + block(callback, 8))
    if unload:
        text += "    unload:\n" + block(unload)
    text += extra
    if app:
        text += "app:\n" + block(app, 2)
    return text


def register(flags: str = "0", callback: str = "OnChange", category: str =
             "EventCategoryDeviceInterfaceChange") -> str:
    return (f"- io_register_plug_play_notification: {{category: {category}, flags: {flags},"
            f" guid: '{GUID}', callback: {callback}, entry: entry, status: status}}\n"
            "- log: \"registered 0x{status:08X}\"\n")


def _place(tmp_path: Path) -> None:
    """HelloWDM beside the scenario (includes stay inside the scenario's directory)."""
    (tmp_path / "hello_wdm_ch13.yaml").write_text(HELLO_WDM.read_text())


def session(text: str, tmp_path: Path) -> Session:
    _place(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path)))


def problems(text: str, tmp_path: Path) -> list[str]:
    _place(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        resolve(load_scenario_text(text, path))
    return [f"{d.line}:{d.col} {d.message}" for d in caught.value.diagnostics]


def watcher_lines(result) -> list[str]:
    hello = ("Enter ", "Leave ", "PNP Request", "\\??\\")
    return [line for line in result.debug_lines if not line.startswith(hello)]


READ_FIELDS = """\
- set: {p: NotificationStructure}
- is_equal_guid: {a: "&p->Event", b: GUID_DEVICE_INTERFACE_ARRIVAL, into: same}
- log: "{p.Version} {p.Size} arrival={same} class=0x{p.InterfaceClassGuid.Data1:08X}\\
    \\ {p.SymbolicLinkName:wZ} {irql} {thread}"
"""


# -- §3.3 the callback and its NotificationStructure -----------------------------------------

def test_3_3_the_callback_reads_version_size_event_class_and_the_link_name(tmp_path):
    """§3.3: DEVICE_INTERFACE_CHANGE_NOTIFICATION {Version 1, Size 40, Event, the class
    GUID, SymbolicLinkName} read through a cast pointer at PASSIVE_LEVEL in the PnP
    event worker; the removal at uninstall is not an arrival."""
    s = session(scenario(register(), READ_FIELDS), tmp_path)
    lines = watcher_lines(s.run_app())
    assert lines == [
        "registered 0x00000000",
        f"1 40 arrival=1 class=0x0E57C50F {NAME} PASSIVE_LEVEL PnpEventWorker",
        f"1 40 arrival=0 class=0x0E57C50F {NAME} PASSIVE_LEVEL PnpEventWorker"]
    assert s.run_app().bugcheck is None


def test_3_3_include_existing_reports_in_the_registering_thread_before_it_returns(tmp_path):
    """§3.3: registered after the interface is enabled (the app starts W), with
    PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES the arrival is reported once,
    in the loading thread, before the registration returns; without it, nothing."""
    extra = "    start: demand\n"
    with_flag = session(scenario(register("PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_"
                                          "INTERFACES"), READ_FIELDS, extra=extra,
                                 pnp=True, app="- {net_start: W}\n"), tmp_path)
    lines = watcher_lines(with_flag.run_app())
    assert lines[:2] == [f"1 40 arrival=1 class=0x0E57C50F {NAME} PASSIVE_LEVEL Worker:W",
                         "registered 0x00000000"]
    without = session(scenario(register(), READ_FIELDS, extra=extra,
                               app="- {net_start: W}\n"), tmp_path)
    assert watcher_lines(without.run_app())[0] == "registered 0x00000000"
    assert not any("arrival=1" in line for line in watcher_lines(without.run_app()))


def test_3_3_the_structure_is_paged_pool_of_the_pnp_manager_freed_after_the_callback(
        tmp_path):
    """§3.3: the structure lies in a PagedPool block of the PnP manager's (tag 'PnPN' as
    !poolused shows ReactOS's 'NPnP', the link's UNICODE_STRING and characters after the
    40 bytes), live during the callback and freed once it returned: a pointer kept past
    it reads freed pool, the access violation of a System thread (0x7E)."""
    s = session(scenario(register(), "- set: {keep: NotificationStructure}\n"
                         "- set: {p: NotificationStructure}\n"
                         "- log: \"{p.Size}\"\n",
                         unload="- set: {p: keep}\n- log: \"{p.Size}\"\n",
                         extra="    start: system\n", app="- sleep: 2s\n- {net_stop: W}\n"),
                tmp_path)
    result = s.run_app()
    blocks = [b for b in s.kernel.pool_blocks.blocks.values() if b.tag == PNP_NOTIFY_TAG]
    assert len(blocks) == 2 and all(b.freed and b.owner is None for b in blocks)
    assert blocks[0].size == NOTIFICATION_SIZE + 8 + 2 * len(NAME) + 2
    assert result.bugcheck.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED


def test_3_3_notification_structure_is_null_outside_a_notification_callback(tmp_path):
    """NotificationStructure is the callback's parameter: other routines read NULL."""
    s = session(scenario("- log: \"{NotificationStructure:08X}\"\n", pnp=False), tmp_path)
    assert s.run_app().debug_lines == ["00000000"]


def test_3_3_the_layout_is_wdm_h_on_x86():
    """DEVICE_INTERFACE_CHANGE_NOTIFICATION: USHORT, USHORT, GUID at 4, GUID at 20, the
    PUNICODE_STRING at 36, 40 bytes; GUID is 16 bytes with Data4 at 8."""
    layout = BUILTIN["DEVICE_INTERFACE_CHANGE_NOTIFICATION"]
    assert [(m.name, m.offset) for m in layout.members] == [
        ("Version", 0), ("Size", 2), ("Event", 4), ("InterfaceClassGuid", 20),
        ("SymbolicLinkName", 36)]
    assert layout.size == NOTIFICATION_SIZE == 40
    assert BUILTIN["GUID"].size == 16 and BUILTIN["GUID"].member("Data4").offset == 8
    assert guid_bytes(GUID_DEVICE_INTERFACE_ARRIVAL)[:4] == (0xCB3A4004).to_bytes(4, "little")


def test_3_3_other_event_categories_are_not_modelled_with_the_place(tmp_path):
    """Only EventCategoryDeviceInterfaceChange is modelled: TargetDeviceChange says so,
    naming the YAML place of the routine that called it."""
    with pytest.raises(RunError) as caught:      # DriverEntry runs as the machine boots
        session(scenario(register(category="EventCategoryTargetDeviceChange"), pnp=False),
                tmp_path)
    assert "IoRegisterPlugPlayNotification" in str(caught.value)
    assert "event category 3" in str(caught.value)
    assert "s.yaml:" in str(caught.value)


def test_3_3_a_callback_may_open_the_device_by_the_notified_name(tmp_path):
    """§3.3-§3.4: ZwCreateFile with ObjectName = SymbolicLinkName (a PUNICODE_STRING)
    opens the top of the PDO's stack: HelloWDM's CREATE runs in the event worker."""
    callback = """\
    - set: {p: NotificationStructure}
    - is_equal_guid: {a: "&p->Event", b: GUID_DEVICE_INTERFACE_ARRIVAL, into: same}
    - if:
        cond: same
        then:
          - zw_create_file:
              name: {unicode_string: p->SymbolicLinkName}
              access: GENERIC_READ | SYNCHRONIZE
              attributes: OBJ_KERNEL_HANDLE
              disposition: FILE_OPEN
              options: FILE_SYNCHRONOUS_IO_NONALERT
              handle: keep
              status: status
          - log: "open 0x{status:08X}"
          - zw_close: keep
    """
    s = session(scenario(register(), callback), tmp_path)
    result = s.run_app()
    creates = [e for e in result.events if e.kind == "IoCallDriver"
               and e.major == IRP_MJ.IRP_MJ_CREATE]
    assert [(e.driver, e.thread) for e in creates] == [("HelloWDM", "PnpEventWorker")]
    assert "open 0x00000000" in result.debug_lines
    assert "Enter HelloWDMDispatchRoutine" in result.debug_lines
    assert result.bugcheck is None


def test_3_3_a_null_object_name_is_not_modelled(tmp_path):
    """An ObjectName of NULL (an open relative to RootDirectory) says so, located."""
    with pytest.raises(RunError) as caught:
        session(scenario("- zw_create_file: {name: {unicode_string: keep}, handle: entry}\n",
                         pnp=False), tmp_path)
    assert "ObjectName is NULL" in str(caught.value) and "s.yaml:" in str(caught.value)


def test_4_16_wz_of_a_null_punicode_string_prints_null(tmp_path):
    """stacks-services 4.16: a NULL pointer argument of %wZ prints (null)."""
    s = session(scenario("- log: \"[{keep:wZ}]\"\n", pnp=False), tmp_path)
    assert s.run_app().debug_lines == ["[(null)]"]


# -- IsEqualGUID ------------------------------------------------------------------------

def test_is_equal_guid_compares_the_16_bytes(tmp_path):
    """IsEqualGUID is memcmp of 16 bytes: a GUID equals itself in any case spelling and
    differs from the removal GUID; through a NULL pointer it faults (0x7E here)."""
    entry = (f"- is_equal_guid: {{a: '{GUID}', b: '{GUID.lower()}', into: same}}\n"
             "- log: \"{same}\"\n"
             "- is_equal_guid: {a: GUID_DEVICE_INTERFACE_ARRIVAL, "
             "b: GUID_DEVICE_INTERFACE_REMOVAL, into: same}\n"
             "- log: \"{same}\"\n"
             "- is_equal_guid: {a: keep, b: GUID_DEVICE_INTERFACE_REMOVAL, into: same}\n")
    s = session(scenario(entry, pnp=False), tmp_path)
    result = s.run_app()
    assert result.debug_lines == ["1", "0"]
    assert result.bugcheck.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED


# -- §1.6 / §1.8 unregistering and unload ---------------------------------------------------

def test_3_3_after_unregistering_no_callback_and_the_image_goes_at_unload(tmp_path):
    """§1.6, §3.3: DriverUnload's IoUnregisterPlugPlayNotificationEx: the removal at
    1 s reaches no one, and the image is unmapped after DriverUnload."""
    s = session(scenario(register(), unload="- io_unregister_plug_play_notification_ex: "
                         "entry\n", app="- {net_stop: W}\n- sleep: 2s\n"), tmp_path)
    result = s.run_app()
    assert watcher_lines(result).count("called") == 1          # the arrival only
    unmaps = [e for e in result.events if e.details.get("api") == "MmUnloadSystemImage"
              and e.details.get("image") == "W.sys"]
    assert len(unmaps) == 1
    assert s.kernel.pnp.interfaces.entries == []


def test_1_6_unload_without_unregistering_keeps_the_image_and_the_callback_runs(tmp_path):
    """§1.6, §3.3: the registration references the driver object, so an Unload that
    forgets it leaves the image mapped: the removal is delivered after DriverUnload and
    runs - no 0xCE - and W.sys is never unmapped."""
    s = session(scenario(register(), unload="- log: unload\n",
                         app="- {net_stop: W}\n- sleep: 2s\n"), tmp_path)
    result = s.run_app()
    assert watcher_lines(result) == ["registered 0x00000000", "called", "unload", "called"]
    assert result.bugcheck is None
    assert not [e for e in result.events if e.details.get("api") == "MmUnloadSystemImage"
                and e.details.get("image") == "W.sys"]


def test_1_8_a_notification_callback_in_an_unmapped_image_is_0xce(tmp_path):
    """§1.8: should the image be gone when the PnP manager calls the callback, the call
    into dead code is 0xCE (the routine, 0, the routine, 0)."""
    s = session(scenario(register(), pnp=False), tmp_path)
    kernel = s.kernel
    entry = kernel.pnp.interfaces.entries[0]
    mm_unload_system_image(kernel, entry.callback.image)
    notification = DeviceInterfaceChangeNotification(GUID_DEVICE_INTERFACE_ARRIVAL,
                                                     GUID.lower(), NAME)
    kernel.create_thread(entry.callback, notification, None, name="PnpEventWorker",
                         process="System")
    kernel.run()
    address = kernel.routine_address(entry.callback)
    assert kernel.bugcheck.code == \
        BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS
    assert (kernel.bugcheck.p1, kernel.bugcheck.p2, kernel.bugcheck.p3, kernel.bugcheck.p4) == \
        (address, 0, address, 0)


def test_3_3_unregistering_a_null_entry_faults(tmp_path):
    """IoUnregisterPlugPlayNotificationEx(NULL) reads the entry: an access violation."""
    s = session(scenario("- io_unregister_plug_play_notification_ex: entry\n", pnp=False),
                tmp_path)
    assert s.run_app().bugcheck.code == BugCheckCode.SYSTEM_THREAD_EXCEPTION_NOT_HANDLED


# -- validation -------------------------------------------------------------------------

def test_a_missing_callback_routine_is_located(tmp_path):
    """Bad YAML: a callback naming no routine, at its place in the flow mapping."""
    found = problems(scenario(register(callback="NoSuch"), pnp=False), tmp_path)
    assert found == ["9:160 no routine named 'NoSuch' in this driver"]


def test_an_unknown_category_is_a_schema_error_with_its_place(tmp_path):
    """Bad YAML: a category that is no IO_NOTIFICATION_EVENT_CATEGORY."""
    found = problems(scenario("- io_register_plug_play_notification: {category: Bogus, "
                              f"guid: '{GUID}', callback: OnChange, entry: entry}}\n",
                              pnp=False), tmp_path)
    assert len(found) == 1 and found[0].startswith("9:56 'Bogus' is not one of")


def test_notification_structure_fields_need_a_cast(tmp_path):
    """NotificationStructure is a PVOID: reading a field through it is reported with a
    hint to copy it into a typed pointer."""
    found = problems(scenario("- log: \"{NotificationStructure.Version}\"\n", pnp=False),
                     tmp_path)
    assert len(found) == 1 and "DEVICE_INTERFACE_CHANGE_NOTIFICATION*" in found[0]
