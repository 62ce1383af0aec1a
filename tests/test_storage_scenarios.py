"""The USB disk stack as scenarios build it (stacks-services §3): a devnode's ``bus:``
and ``medium:``, the built-in USBSTOR and Disk drivers, and the book's #50 MyFilter.
The kernel's rules are pinned in tests/kernel/test_storage.py; these check what the
scenario language adds on top.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.kernel import (DO_DIRECT_IO, FILE_DEVICE_DISK, FILE_REMOVABLE_MEDIA,
                            SCSIOP_MODE_SENSE, SCSIOP_READ, SCSIOP_READ_CAPACITY)
from harness.lang.diagnostics import ScenarioError
from harness.runner import RunError, Session
from harness.scenario import load_scenario, load_scenario_text
from harness.scenario.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "scenarios" / "book" / "ch22_my_filter_usb_read_only.yaml"
STICK = "USBSTOR\\Disk&Ven_Kingston&Prod_DataTraveler_2.0&Rev_1.00\\5B6A08000000&0"


def session(path: Path = BOOK) -> Session:
    return Session(resolve(load_scenario(path)))


def test_3_1_bus_devnode_stack_is_usbstor_pdo_my_filter_then_disk():
    kernel = session().kernel
    pdo = kernel.pnp.devnode(STICK).pdo
    assert pdo.driver_object.name == "\\Driver\\USBSTOR"
    fido = pdo.attached_device
    fdo = fido.attached_device
    # 3.2: a LowerFilters entry attaches directly above the PDO, disk.sys above it; the
    # FiDO has the type, characteristics and I/O flags of the PDO (io: copy_lower)
    assert fido.driver_object.name == "\\Driver\\MyFilter" and fido.name is None
    assert fido.device_type == FILE_DEVICE_DISK
    assert fido.characteristics & FILE_REMOVABLE_MEDIA and fido.flags & DO_DIRECT_IO
    assert fdo.driver_object.name == "\\Driver\\Disk" and fdo.attached_device is None
    assert kernel.namespace.lookup("\\??\\PhysicalDrive1") is fdo
    # disk.sys's start: READ CAPACITY, then MODE SENSE, through the filter to the LUN
    assert pdo.device_extension["usbstor"].lun.commands == [SCSIOP_READ_CAPACITY,
                                                            SCSIOP_MODE_SENSE]


def test_3_1_usbstor_is_a_pnp_driver_loaded_for_its_devnode():
    s = session()
    assert s.kernel.images["USBSTOR"].wdm          # net stop refuses it, as a PnP driver's
    assert s.kernel.namespace.lookup("\\Driver\\USBSTOR") is not None


def test_3_3_medium_data_and_geometry_reach_the_class_driver():
    s = session()
    fdo = s.kernel.namespace.lookup("\\Device\\Harddisk1\\DR1")
    state = fdo.device_extension["classpnp"]
    assert (state.blocks, state.block_size, state.write_protected) == (2048, 512, True)
    s.call({"open": "\\\\.\\PhysicalDrive1", "access": "read_write", "as": "h"})
    s.call({"read": {"handle": "h", "length": 1024}, "as": "r"})
    lun = s.kernel.pnp.devnode(STICK).pdo.device_extension["usbstor"].lun
    assert lun.commands[-1] == SCSIOP_READ
    assert s.app.requests["r"].buffer.read(0, 21) == b"Hello from the stick!"


def test_3_4_a_disk_ioctl_the_model_lacks_is_not_modelled():
    s = session()
    s.call({"open": "\\\\.\\PhysicalDrive1", "access": "read_write", "as": "h"})
    with pytest.raises(RunError, match="IOCTL 0x002D1400"):
        s.call({"ioctl": {"handle": "h", "code": 0x002D1400}})   # IOCTL_STORAGE_QUERY_PROPERTY


def _text(devnode: str) -> str:
    return ("scenario: t\ntitle: t\n"
            "drivers:\n  - name: Bus\n    dispatch: {IRP_MJ_PNP: usbstor_pnp}\n"
            "  - name: Fn\n    devices: [{name: '\\Device\\Fn'}]\n"
            "    add_device: [create_devices]\n"
            "pnp:\n" + devnode)


def test_medium_without_bus_is_a_located_error(tmp_path):
    text = _text("  - {instance: 'ROOT\\X\\0', service: Fn, medium: {blocks: 8}}\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml:\d+:\d+: pnp/0/medium: a medium sits "
                                            r"behind a bus driver's PDO"):
        resolve(load_scenario_text(text, tmp_path / "s.yaml"))


def test_bus_names_a_scenario_driver(tmp_path):
    text = _text("  - {instance: 'USBSTOR\\X\\0', bus: USBSTOR, service: Fn}\n")
    with pytest.raises(ScenarioError, match="pnp/0/bus: no driver named 'USBSTOR'"):
        resolve(load_scenario_text(text, tmp_path / "s.yaml"))


def test_medium_data_must_fit_its_blocks(tmp_path):
    text = _text("  - {instance: 'USBSTOR\\X\\0', bus: Bus, service: Fn,\n"
                 "     medium: {blocks: 1, data: 'AA*513'}}\n")
    with pytest.raises(ScenarioError, match="513 bytes do not fit in 1 blocks of 512"):
        resolve(load_scenario_text(text, tmp_path / "s.yaml"))


def test_3_7_without_the_lower_filters_value_the_filter_never_loads():
    """3.7 / book #50: a lower filter is loaded only when the device's stack is built
    with it in LowerFilters; the installed service alone loads nothing."""
    s = session(ROOT / "scenarios" / "book" / "ch22_my_filter_not_registered.yaml")
    pdo = s.kernel.pnp.devnode(STICK).pdo
    assert s.kernel.namespace.lookup("\\Driver\\MyFilter") is None
    assert pdo.attached_device.driver_object.name == "\\Driver\\Disk"
    assert s.kernel.namespace.lookup("\\Device\\Harddisk1\\DR1").device_extension[
        "classpnp"].write_protected is False
