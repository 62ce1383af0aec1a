"""IOCTL codes as a driver writer reads them: hex, and the CTL_CODE they were built from.

CTL_CODE(DeviceType, Function, Method, Access) is
``(DeviceType << 16) | (Access << 14) | (Function << 2) | Method`` (devioctl.h; the
kernel's ``ctl_code`` builds one). The debugger's ``!ioctldecode`` shows the four parts;
so does this module. Bit 31 of DeviceType ("Common") marks vendor device types
0x8000-0xFFFF, and function codes 0x800-0xFFF are the vendor range: both are shown as
numbers, since no header names them.
"""

from __future__ import annotations

from typing import NamedTuple

from ..kernel import constants as C

_DEVICE_TYPES = {value: name for name, value in vars(C).items()
                 if name.startswith("FILE_DEVICE_") and isinstance(value, int)}
_METHODS = {C.METHOD_BUFFERED: "METHOD_BUFFERED", C.METHOD_IN_DIRECT: "METHOD_IN_DIRECT",
            C.METHOD_OUT_DIRECT: "METHOD_OUT_DIRECT", C.METHOD_NEITHER: "METHOD_NEITHER"}
# FILE_READ_ACCESS | FILE_WRITE_ACCESS (3) is spelt as the header's callers spell it
_ACCESS = {C.FILE_ANY_ACCESS: "FILE_ANY_ACCESS", C.FILE_READ_ACCESS: "FILE_READ_ACCESS",
           C.FILE_WRITE_ACCESS: "FILE_WRITE_ACCESS",
           C.FILE_READ_ACCESS | C.FILE_WRITE_ACCESS: "FILE_READ_ACCESS | FILE_WRITE_ACCESS"}


class CtlCode(NamedTuple):
    """The four fields of an I/O control code."""

    device_type: int
    function: int
    method: int
    access: int

    @property
    def device_type_name(self) -> str:
        return _DEVICE_TYPES.get(self.device_type, f"0x{self.device_type:X}")

    @property
    def method_name(self) -> str:
        return _METHODS[self.method]

    @property
    def access_name(self) -> str:
        return _ACCESS[self.access]


def decode_ctl_code(code: int) -> CtlCode:
    """Split ``code`` into DeviceType, Function, Method and Access (the inverse of
    CTL_CODE; Function is what IoGetFunctionCodeFromCtlCode returns)."""
    code &= 0xFFFFFFFF
    return CtlCode(code >> 16, (code >> 2) & 0xFFF, code & 0x3, (code >> 14) & 0x3)


def format_ctl_code(code: int) -> str:
    """``0x222003 CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)``."""
    parts = decode_ctl_code(code)
    return (f"0x{code & 0xFFFFFFFF:X} CTL_CODE({parts.device_type_name}, 0x{parts.function:X}, "
            f"{parts.method_name}, {parts.access_name})")
