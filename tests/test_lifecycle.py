"""A driver's life through the SCM: load, DriverEntry's status, the deferred unload, the
unloaded image (pnp-hardware §1, win32-io §7). Each test runs a small scenario whose app
drives the SCM and checks what the app, DbgView or the bug check show.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.kernel import BugCheckCode
from harness.runner import Session
from harness.scenario import load_scenario_text
from harness.scenario.resolve import resolve

ERROR_GEN_FAILURE, ERROR_INVALID_SERVICE_CONTROL = 31, 1052
ERROR_SERVICE_ALREADY_RUNNING, ERROR_SERVICE_NOT_ACTIVE = 1056, 1062
ERROR_SERVICE_MARKED_FOR_DELETE, ERROR_SERVICE_EXISTS = 1072, 1073
ERROR_SERVICE_DOES_NOT_EXIST, ERROR_FILE_NOT_FOUND = 1060, 2


def scenario(driver: str, app: str, tmp_path: Path, verifier: bool = False) -> Session:
    """A session for driver D (\\Device\\D, link \\??\\D, demand start) and an app."""
    text = ("scenario: t\ntitle: t\n"
            + ("machine: {verifier: true}\n" if verifier else "")
            + "drivers:\n  - name: D\n    start: demand\n"
            "    devices: [{name: '\\Device\\D', link: '\\??\\D'}]\n"
            + textwrap.indent(textwrap.dedent(driver), "    ")
            + "app:\n" + textwrap.indent(textwrap.dedent(app), "  "))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path)))


DISPATCH = """\
dispatch:
  IRP_MJ_CREATE: complete
  IRP_MJ_CLOSE: complete
"""
UNLOAD = """\
unload:
  - log: "Unload"
  - delete_devices
"""


def test_7_3_start_service_runs_driver_entry_in_a_system_thread(tmp_path):
    session = scenario(UNLOAD + DISPATCH + 'driver_entry: [{log: "Entry {process}"}]\n',
                       "- {net_start: D, as: s}\n", tmp_path)
    result = session.run_app()
    assert result.requests["s"].ok
    assert result.debug_lines == ["Entry System"]
    assert session.kernel.namespace.lookup("\\Driver\\D") is not None


def test_1_3_failed_driver_entry_unloads_without_calling_driver_unload(tmp_path):
    session = scenario(UNLOAD + DISPATCH + "driver_entry: [{return: STATUS_UNSUCCESSFUL}]\n",
                       "- {net_start: D, as: s}\n", tmp_path)
    result = session.run_app()
    # 7.3: DriverEntry's status mapped: STATUS_UNSUCCESSFUL -> ERROR_GEN_FAILURE
    assert not result.requests["s"].ok
    assert result.requests["s"].last_error == ERROR_GEN_FAILURE
    assert "Unload" not in result.debug_lines
    assert session.kernel.namespace.lookup("\\Driver\\D") is None
    assert session.kernel.images["D"].unloaded


def test_1_3_what_a_failed_driver_entry_left_behind_points_into_freed_code(tmp_path):
    # DriverEntry armed a timer and created its device, then failed: the device stays
    # (still DO_DEVICE_INITIALIZING: opens fail) and the timer's DPC runs into the
    # unmapped image (0xCE)
    driver = DISPATCH + textwrap.dedent("""\
        driver_entry:
          - set_timer: {timer: T, after: 1s, dpc: [{log: "tick"}]}
          - return: STATUS_UNSUCCESSFUL
        """)
    session = scenario(driver, "- {net_start: D}\n- {open: '\\\\.\\D', as: h}\n"
                       "- {sleep: 2000}\n", tmp_path)
    result = session.run_app()
    assert session.kernel.namespace.lookup("\\Device\\D") is not None
    assert result.requests["h"].last_error == ERROR_FILE_NOT_FOUND
    assert result.bugcheck is not None
    assert (result.bugcheck.code
            == BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS)
    assert result.bugcheck.p2 == 0 and result.bugcheck.p1 == result.bugcheck.p3
    assert "tick" not in result.debug_lines


def test_7_3_start_service_twice_is_already_running(tmp_path):
    result = scenario(UNLOAD + DISPATCH, "- {net_start: D}\n- {net_start: D, as: s2}\n",
                      tmp_path).run_app()
    assert result.requests["s2"].last_error == ERROR_SERVICE_ALREADY_RUNNING


def test_7_4_stop_of_a_driver_without_unload_is_invalid_service_control(tmp_path):
    session = scenario(DISPATCH, "- {net_start: D}\n- {net_stop: D, as: s}\n", tmp_path)
    result = session.run_app()
    assert result.requests["s"].last_error == ERROR_INVALID_SERVICE_CONTROL
    assert session.kernel.namespace.lookup("\\Driver\\D") is not None     # still loaded


def test_7_4_stop_of_a_stopped_service_is_not_active(tmp_path):
    result = scenario(UNLOAD + DISPATCH, "- {net_stop: D, as: s}\n", tmp_path).run_app()
    assert result.requests["s"].last_error == ERROR_SERVICE_NOT_ACTIVE


def test_1_5_unload_waits_for_the_last_close_and_runs_in_the_closing_thread(tmp_path):
    driver = ('unload:\n  - log: "Unload in {thread}"\n  - delete_devices\n' + DISPATCH)
    session = scenario(driver, """\
        - {net_start: D}
        - {open: '\\\\.\\D', as: h}
        - {net_stop: D, as: stop}
        - {open: '\\\\.\\D', as: h2}
        - {close: h}
        """, tmp_path)
    result = session.run_app()
    stop = result.requests["stop"]
    assert stop.ok and stop.returned_at is not None
    # DOE_UNLOAD_PENDING: a new open fails (STATUS_NO_SUCH_DEVICE -> ERROR_FILE_NOT_FOUND)
    assert not result.requests["h2"].ok
    assert result.requests["h2"].last_error == ERROR_FILE_NOT_FOUND
    # DriverUnload ran at the last close, in the app's thread (pnp-hardware §1.5 step 3)
    assert result.debug_lines == ["Unload in main"]
    assert session.kernel.namespace.lookup("\\Driver\\D") is None


def test_7_4_the_service_is_stop_pending_until_the_deferred_unload(tmp_path):
    session = scenario(UNLOAD + DISPATCH, """\
        - {net_start: D}
        - {open: '\\\\.\\D', as: h}
        - {open_sc_manager: {}, as: m}
        - {open_service: {manager: m, name: D}, as: svc}
        - {control_service: {service: svc, control: stop}, as: stop}
        - {control_service: {service: svc, control: interrogate}, as: ask}
        - {close: h}
        - {control_service: {service: svc, control: interrogate}, as: ask2}
        """, tmp_path)
    result = session.run_app()
    assert result.requests["stop"].result == 3          # SERVICE_STOP_PENDING
    assert result.requests["ask"].result == 3
    assert result.requests["ask2"].last_error == ERROR_SERVICE_NOT_ACTIVE
    assert result.requests["ask2"].result == 1          # SERVICE_STOPPED


def test_1_5_an_unload_that_forgets_io_delete_device_keeps_the_image(tmp_path):
    session = scenario('unload: [{log: "Unload"}]\n' + DISPATCH,
                       "- {net_start: D}\n- {net_stop: D, as: stop}\n- {net_start: D, as: again}\n",
                       tmp_path)
    result = session.run_app()
    assert result.requests["stop"].ok
    assert session.kernel.images["D"].mapped            # the leaked device holds it
    # win32-io §7.5: the image is still loaded: ERROR_SERVICE_ALREADY_RUNNING
    assert result.requests["again"].last_error == ERROR_SERVICE_ALREADY_RUNNING
    assert session.kernel.namespace.lookup("\\Device\\D") is not None


def test_1_8_a_timer_left_armed_at_unload_is_0xce_when_its_dpc_runs(tmp_path):
    driver = UNLOAD + DISPATCH + textwrap.dedent("""\
        driver_entry:
          - set_timer: {timer: T, after: 1s, period_ms: 1000, dpc: [{log: "tick"}]}
        """)
    session = scenario(driver, "- {net_start: D}\n- {net_stop: D}\n- {sleep: 2000}\n",
                       tmp_path)
    result = session.run_app()
    assert result.bugcheck is not None
    assert (result.bugcheck.code
            == BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS)
    assert "tick" not in result.debug_lines
    image = session.kernel.images["D"]
    assert image.contains(result.bugcheck.p1) and result.bugcheck.p3 == result.bugcheck.p1


def test_r89_verifier_finds_the_armed_timer_at_unload_0xc7(tmp_path):
    driver = UNLOAD + DISPATCH + textwrap.dedent("""\
        driver_entry:
          - set_timer: {timer: T, after: 1s, dpc: [{log: "tick"}]}
        """)
    session = scenario(driver, "- {net_start: D}\n- {net_stop: D}\n",
                       tmp_path, verifier=True)
    result = session.run_app()
    assert result.bugcheck is not None
    assert result.bugcheck.code == BugCheckCode.TIMER_OR_DPC_INVALID
    image = session.kernel.images["D"]
    assert (result.bugcheck.p3, result.bugcheck.p4) == (image.base, image.base + image.size)
    assert result.bugcheck.p1 in (0, 1, 2)


def test_1_8_a_cancelled_timer_is_a_clean_unload(tmp_path):
    driver = textwrap.dedent("""\
        unload:
          - cancel_timer: T
          - delete_devices
        driver_entry:
          - set_timer: {timer: T, after: 1s, dpc: [{log: "tick"}]}
        """) + DISPATCH
    result = scenario(driver, "- {net_start: D}\n- {net_stop: D}\n- {sleep: 2000}\n",
                      tmp_path, verifier=True).run_app()
    assert result.bugcheck is None
    assert "tick" not in result.debug_lines


def test_7_2_create_service_for_an_existing_name_is_service_exists(tmp_path):
    result = scenario(DISPATCH, """\
        - {open_sc_manager: {}, as: m}
        - {create_service: {manager: m, name: D, binary: 'C:\\D.sys'}, as: c}
        """, tmp_path).run_app()
    assert not result.requests["c"].ok
    assert result.requests["c"].last_error == ERROR_SERVICE_EXISTS


def test_7_1_open_service_of_an_unknown_name_does_not_exist(tmp_path):
    result = scenario(DISPATCH, """\
        - {open_sc_manager: {}, as: m}
        - {open_service: {manager: m, name: Nope}, as: o}
        """, tmp_path).run_app()
    assert result.requests["o"].last_error == ERROR_SERVICE_DOES_NOT_EXIST


def test_7_3_an_image_path_naming_no_file_is_file_not_found(tmp_path):
    result = scenario(DISPATCH, """\
        - {open_sc_manager: {}, as: m}
        - {create_service: {manager: m, name: Other, binary: 'C:\\missing.sys'}, as: c}
        - {start_service: c, as: s}
        """, tmp_path).run_app()
    assert result.requests["c"].ok
    assert result.requests["s"].last_error == ERROR_FILE_NOT_FOUND


def test_7_6_delete_service_twice_is_marked_for_delete(tmp_path):
    session = scenario(UNLOAD + DISPATCH, """\
        - {net_start: D}
        - {open_sc_manager: {}, as: m}
        - {open_service: {manager: m, name: D}, as: svc}
        - {delete_service: svc, as: d1}
        - {delete_service: svc, as: d2}
        - {net_start: D, as: restart}
        """, tmp_path)
    result = session.run_app()
    assert result.requests["d1"].ok
    assert result.requests["d2"].last_error == ERROR_SERVICE_MARKED_FOR_DELETE
    # DeleteService does not stop the driver (§7.6)
    assert session.kernel.namespace.lookup("\\Driver\\D") is not None


def test_1_2_driver_object_fields_after_load(tmp_path):
    driver = UNLOAD + DISPATCH + textwrap.dedent("""\
        driver_entry:
          - log: "{DriverObject.DriverName:wZ} {DriverObject.HardwareDatabase:wZ}"
          - log: "first={DriverObject.DeviceObject:x} next={DeviceObject.NextDevice:x}"
        """)
    result = scenario(driver, "- {net_start: D}\n", tmp_path).run_app()
    assert result.debug_lines[0] == ("\\Driver\\D "
                                     "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\SYSTEM")
    assert result.debug_lines[1].startswith("first=") and result.debug_lines[1].endswith(
        "next=0")


def test_7_2_create_service_writes_the_key_nt_load_driver_reads(tmp_path):
    session = scenario(DISPATCH, """\
        - {open_sc_manager: {}, as: m}
        - {create_service: {manager: m, name: Other, start: demand,
                            binary: 'C:\\x\\D.sys'}, as: c}
        - {start_service: c, as: s}
        """, tmp_path)
    result = session.run_app()
    key = session.kernel.registry.lookup(
        "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Other")
    assert key is not None
    assert key.value("ImagePath").data.decode("utf-16-le") == "C:\\x\\D.sys\0"
    assert int.from_bytes(key.value("Start").data, "little") == 3
    # the image path's file name is D.sys: the scenario's driver D, loaded as Other
    assert result.requests["s"].ok
    assert session.kernel.namespace.lookup("\\Driver\\Other") is not None


def test_1_2_driver_entry_gets_the_service_key_as_registry_path(tmp_path):
    driver = UNLOAD + DISPATCH + 'driver_entry: [{log: "{RegistryPath:wZ}"}]\n'
    result = scenario(driver, "- {net_start: D}\n", tmp_path).run_app()
    assert result.debug_lines == [
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\D"]


def test_r95_verifier_pool_tracking_finds_a_leak_at_unload_0xc4_0x62(tmp_path):
    driver = UNLOAD + DISPATCH + textwrap.dedent("""\
        state: {p: PVOID, q: PVOID}
        driver_entry:
          - allocate_pool: {type: NonPagedPool, size: 16, tag: 'Leak', into: p}
          - allocate_pool: {type: PagedPool, size: 32, into: q}
        """)
    session = scenario(driver, "- {net_start: D}\n- {net_stop: D}\n", tmp_path, verifier=True)
    result = session.run_app()
    assert result.bugcheck is not None
    assert (result.bugcheck.code, result.bugcheck.p1, result.bugcheck.p4) == (0xC4, 0x62, 2)


def test_r95_freed_pool_is_a_clean_unload_and_no_check_without_the_verifier(tmp_path):
    driver = textwrap.dedent("""\
        unload:
          - free_pool: p
          - delete_devices
        state: {p: PVOID, q: PVOID}
        driver_entry:
          - allocate_pool: {size: 16, into: p}
        """) + DISPATCH
    assert scenario(driver, "- {net_start: D}\n- {net_stop: D}\n", tmp_path,
                    verifier=True).run_app().bugcheck is None
    leaky = UNLOAD + DISPATCH + textwrap.dedent("""\
        state: {p: PVOID}
        driver_entry: [{allocate_pool: {size: 16, into: p}}]
        """)
    assert scenario(leaky, "- {net_start: D}\n- {net_stop: D}\n", tmp_path).run_app() \
        .bugcheck is None
