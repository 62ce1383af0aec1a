"""Rules of SetupDi device-interface enumeration (win32-io §8) and CreateFile on a
DevicePath, one test each: the app's SetupDi verbs run one at a time on book #47's
machine (HelloWDM on ROOT\\UNKNOWN\\0000 with an enabled interface of MY_WDM_DEVICE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.kernel import io_set_device_interface_state
from harness.lang.diagnostics import ScenarioError
from harness.runner import RunError, Session
from harness.scenario import load_scenario, load_scenario_text
from harness.scenario.resolve import resolve
from harness.usermode.setupapi import (SPINT_ACTIVE, DeviceInterfaceData, SetupApi,
                                       device_path)

BOOK = Path(__file__).resolve().parent.parent / "scenarios" / "book" / "ch13_pnp_interface.yaml"
GUID = "{0E57C50F-0CCC-4AD2-A895-93C5ED119860}"
LINK = "\\??\\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860}"
PATH = "\\\\?\\root#unknown#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860}"
ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE = 2, 6
ERROR_INSUFFICIENT_BUFFER, ERROR_NO_MORE_ITEMS, ERROR_INVALID_USER_BUFFER = 122, 259, 1784


@pytest.fixture
def session() -> Session:
    return Session(load_scenario(BOOK))


def class_devs(session, name="info", flags=("DIGCF_PRESENT", "DIGCF_DEVICEINTERFACE")):
    return session.call({"setupdi_get_class_devs": {"guid": GUID, "flags": list(flags)},
                         "as": name})


def enum(session, index=0, name="ifdata", info="info", **extra):
    return session.call({"setupdi_enum_device_interfaces": dict(
        info=info, guid=GUID, index=index, **extra), "as": name})


def detail(session, name, size=None, **extra):
    args = dict(info="info", interface="ifdata", **extra)
    if size is not None:
        args["size"] = size
    return session.call({"setupdi_get_device_interface_detail": args, "as": name})


def test_8_1_present_interfaces_are_the_enabled_ones(session):
    """§8.1-§8.2: DIGCF_DEVICEINTERFACE | DIGCF_PRESENT: the enabled interface, index 0,
    SPINT_ACTIVE in its Flags, the class GUID in the data."""
    assert class_devs(session).ok
    r = enum(session)
    assert r.ok and r.result == SPINT_ACTIVE
    data = session.app.interface_data["ifdata"]
    assert data.interface_class_guid == GUID.lower()


def test_8_2_past_the_end_is_error_no_more_items(session):
    """§8.2: an index past the end: FALSE, ERROR_NO_MORE_ITEMS (259)."""
    class_devs(session)
    r = enum(session, 1)
    assert not r.ok and r.last_error == ERROR_NO_MORE_ITEMS


def test_8_2_a_wrong_cb_size_is_error_invalid_user_buffer(session):
    """§8.2: did.cbSize must be sizeof(SP_DEVICE_INTERFACE_DATA) (28 on x86)."""
    class_devs(session)
    r = enum(session, cb_size=32)
    assert not r.ok and r.last_error == ERROR_INVALID_USER_BUFFER


def test_8_2_the_set_is_a_snapshot(session):
    """§8.2: the HDEVINFO holds what was there when it was made: disabling afterwards
    does not take the interface out of it; a new set is empty."""
    class_devs(session)
    io_set_device_interface_state(session.kernel, LINK, False)
    assert enum(session).ok
    class_devs(session, "later")
    r = enum(session, info="later", name="none")
    assert not r.ok and r.last_error == ERROR_NO_MORE_ITEMS


def test_8_1_without_present_a_disabled_interface_is_listed_inactive(session):
    """§8.1 (the model's choice, uncertain): without DIGCF_PRESENT the disabled
    interface of a present devnode is listed, SPINT_ACTIVE clear."""
    io_set_device_interface_state(session.kernel, LINK, False)
    class_devs(session, flags=["DIGCF_DEVICEINTERFACE"])
    r = enum(session)
    assert r.ok and r.result == 0


def test_8_1_setup_classes_are_not_modelled(session):
    """§8.1: without DIGCF_DEVICEINTERFACE the GUID is a setup class: not modelled."""
    with pytest.raises(RunError, match="not modelled"):
        class_devs(session, flags=["DIGCF_PRESENT"])


def test_8_3_the_size_query_is_insufficient_buffer_with_the_required_size(session):
    """§8.3 call 1 (NULL, 0, &Required): FALSE, ERROR_INSUFFICIENT_BUFFER, Required =
    offsetof(DevicePath) + (length + 1) * sizeof(CHAR) = 4 + 60 + 1."""
    class_devs(session)
    enum(session)
    r = detail(session, "required")
    assert not r.ok and r.last_error == ERROR_INSUFFICIENT_BUFFER
    assert r.size == 4 + len(PATH) + 1 == 65 and r.path is None


def test_8_3_a_buffer_of_the_required_size_gets_the_device_path(session):
    """§8.3 call 2: a buffer of Required bytes with cbSize = sizeof (5): TRUE, the
    NUL-terminated DevicePath after the cbSize; the last error is left as it was."""
    class_devs(session)
    enum(session)
    detail(session, "required")
    r = detail(session, "detail", "required.size")
    assert r.ok and r.path == PATH
    assert r.buffer.read(0, 65) == (5).to_bytes(4, "little") + PATH.encode() + b"\0"
    assert r.last_error == ERROR_INSUFFICIENT_BUFFER           # §10.1: untouched


def test_8_3_a_buffer_one_byte_short_is_insufficient_buffer(session):
    """§8.3: a non-NULL buffer that is too small: ERROR_INSUFFICIENT_BUFFER, Required
    set."""
    class_devs(session)
    enum(session)
    r = detail(session, "short", 64)
    assert not r.ok and r.last_error == ERROR_INSUFFICIENT_BUFFER and r.size == 65


def test_8_3_cb_size_set_to_the_buffer_size_is_invalid_user_buffer(session):
    """§8.3: cbSize is the fixed structure's size, NOT the buffer's: 65 there fails."""
    class_devs(session)
    enum(session)
    r = detail(session, "wrong", 65, cb_size=65)
    assert not r.ok and r.last_error == ERROR_INVALID_USER_BUFFER


def test_8_3_a_null_buffer_with_a_size_is_invalid_user_buffer(session):
    """§8.3: a NULL buffer with a non-zero size: ERROR_INVALID_USER_BUFFER."""
    class_devs(session)
    enum(session)
    api: SetupApi = session.app.setupapi
    handle = session.app.handles["info"]
    ok, required, path = api.get_device_interface_detail(
        handle, session.app.interface_data["ifdata"], None, 65)
    assert (ok, required, path) == (False, None, None)
    assert session.app.win32._last_error[session.kernel.current_thread.tid] == \
        ERROR_INVALID_USER_BUFFER


def test_8_3_data_no_enumeration_filled_in_is_rejected(session):
    """§8.3: an SP_DEVICE_INTERFACE_DATA that no SetupDiEnumDeviceInterfaces filled (it
    failed) is not an interface of the set."""
    class_devs(session)
    api: SetupApi = session.app.setupapi
    ok, _, _ = api.get_device_interface_detail(session.app.handles["info"],
                                               DeviceInterfaceData(), None, 0)
    assert not ok


def test_8_4_the_device_path_is_the_link_with_backslash_question_in_lower_case():
    """§8.4: \\\\?\\ for \\??\\, the rest in lower case (the kernel's name keeps the
    instance path's case)."""
    assert device_path(LINK) == PATH


def test_8_5_create_file_on_the_device_path_reaches_the_fdo(session):
    """§8.5: \\\\?\\ maps to \\??\\, the link resolves to the PDO, IRP_MJ_CREATE goes to
    the top of its stack: HelloWDM's unnamed FDO runs its dispatch routine."""
    r = session.call({"open": PATH, "as": "h"})
    assert r.ok and r.status == 0
    assert session.result().debug_lines[-2:] == ["Enter HelloWDMDispatchRoutine",
                                                 "Leave HelloWDMDispatchRoutine"]


def test_8_5_a_disabled_interface_is_error_file_not_found(session):
    """§8.5: once disabled the link is gone: ERROR_FILE_NOT_FOUND."""
    io_set_device_interface_state(session.kernel, LINK, False)
    r = session.call({"open": PATH, "as": "h"})
    assert not r.ok and r.last_error == ERROR_FILE_NOT_FOUND


def test_8_1_destroying_twice_is_error_invalid_handle(session):
    """§8.1: SetupDiDestroyDeviceInfoList frees the set; a second call (or
    INVALID_HANDLE_VALUE) is ERROR_INVALID_HANDLE."""
    class_devs(session)
    assert session.call({"setupdi_destroy_device_info_list": "info", "as": "d1"}).ok
    r = session.call({"setupdi_destroy_device_info_list": "info", "as": "d2"})
    assert not r.ok and r.last_error == ERROR_INVALID_HANDLE


def test_an_unknown_hdevinfo_or_interface_request_is_a_located_error(tmp_path):
    """The plan checks the names a SetupDi step uses: file:line:col of the mistake."""
    text = (f"scenario: t\ntitle: t\ndrivers:\n  - name: D\n"
            f"    devices: [{{name: '\\Device\\D'}}]\n"
            f"app:\n  - setupdi_get_class_devs: {{guid: '{GUID}'}}\n    as: info\n"
            f"  - setupdi_get_device_interface_detail: {{info: nfo, interface: ifdata}}\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        resolve(load_scenario_text(text, path))
    message = str(error.value)
    assert "nfo" in message and "ifdata" in message and f"{path}:9:" in message
