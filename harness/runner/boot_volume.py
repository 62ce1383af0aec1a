"""The C: volume a scenario's machine boots with (stacks-services §4.D; the ``files:`` and
``volume:`` sections).

Every machine has it: the storage volume ``\\Device\\HarddiskVolume1`` with the file
system mounted and ``\\??\\C:`` linked to it, empty unless ``files:`` puts something
there, before any driver loads (so DriverEntry can open files, as the book's FileTest
does).
"""

from __future__ import annotations

from typing import Any

from ..kernel import Vcb, fs_add_file, fs_mount_volume


def install_volume(kernel: Any, program: Any) -> Vcb:
    """Mount C: on ``kernel`` and put ``program.volume.files`` on it."""
    plan = program.volume
    vcb = fs_mount_volume(kernel, "C:", plan.write_protected)
    for item in plan.files:
        fs_add_file(vcb, item.path, item.data, item.read_only)
    return vcb
