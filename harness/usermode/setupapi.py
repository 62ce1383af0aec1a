"""setupapi: finding a device through its device interface (win32-io §8).

SetupDiGetClassDevs(&InterfaceGuid, NULL, NULL, DIGCF_DEVICEINTERFACE | DIGCF_PRESENT)
takes a snapshot of the interfaces of a class the PnP manager knows (NtPlugPlayControl
underneath, ntdll.py); SetupDiEnumDeviceInterfaces walks it by index,
SetupDiGetDeviceInterfaceDetail gives an interface's DevicePath in the two-call
pattern, SetupDiDestroyDeviceInfoList frees it. The DevicePath is the kernel's link with
``\\??\\`` written ``\\\\?\\``, which CreateFile maps back.

The application is an ANSI (MBCS) x86 build, as the book's is: the A structures, so
sizeof(SP_DEVICE_INTERFACE_DETAIL_DATA_A) is 5 (DWORD cbSize, CHAR DevicePath[1]) and
the required size is 4 + the path's length + 1; sizeof(SP_DEVICE_INTERFACE_DATA) is 28.

Choices where Windows is not documented: the DevicePath is all lower case (what
Windows shows, win32-io §8.4: setupapi builds it from the registry's key names, whose
case differs from the kernel's name; compare case-insensitively); with DIGCF_PRESENT
the set holds the enabled interfaces, without it also the disabled ones of devnodes
still present (SPINT_ACTIVE clear) (§8.1, uncertain). Device information sets of setup
classes (no DIGCF_DEVICEINTERFACE), enumerators and SP_DEVINFO_DATA are not modelled.
A failing call sets the last error; a succeeding one leaves it (§10.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .ntdll import (DEVICE_INTERFACE_INCLUDE_NONACTIVE, Buffer, NotModelledError,
                    NtPlugPlayGetInterfaceDeviceList, guid_text)

if TYPE_CHECKING:
    from .kernel32 import Win32

DIGCF_DEFAULT, DIGCF_PRESENT, DIGCF_ALLCLASSES, DIGCF_PROFILE = 0x1, 0x2, 0x4, 0x8
DIGCF_DEVICEINTERFACE = 0x10
DIGCF_INTERFACEDEVICE = DIGCF_DEVICEINTERFACE        # the old name the book uses
DIGCF = {"DIGCF_DEFAULT": DIGCF_DEFAULT, "DIGCF_PRESENT": DIGCF_PRESENT,
         "DIGCF_ALLCLASSES": DIGCF_ALLCLASSES, "DIGCF_PROFILE": DIGCF_PROFILE,
         "DIGCF_DEVICEINTERFACE": DIGCF_DEVICEINTERFACE,
         "DIGCF_INTERFACEDEVICE": DIGCF_INTERFACEDEVICE}
SPINT_ACTIVE, SPINT_DEFAULT, SPINT_REMOVED = 0x1, 0x2, 0x4

#: x86 sizes: SP_DEVICE_INTERFACE_DATA {cbSize, GUID, Flags, Reserved}
SP_DEVICE_INTERFACE_DATA_SIZE = 4 + 16 + 4 + 4
#: SP_DEVICE_INTERFACE_DETAIL_DATA_A {DWORD cbSize; CHAR DevicePath[1]}
SP_DEVICE_INTERFACE_DETAIL_DATA_SIZE = 5
DEVICE_PATH_OFFSET = 4

INVALID_HANDLE_VALUE = 0xFFFFFFFF
ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER = 6, 87
ERROR_INSUFFICIENT_BUFFER, ERROR_NO_MORE_ITEMS, ERROR_INVALID_USER_BUFFER = 122, 259, 1784
#: Where HDEVINFOs point: the app's heap (deterministic stand-in addresses).
HDEVINFO_BASE = 0x00160000


class DeviceInterfaceData:
    """SP_DEVICE_INTERFACE_DATA as SetupDiEnumDeviceInterfaces fills it."""

    __slots__ = ("cb_size", "interface_class_guid", "flags", "reserved")

    def __init__(self, cb_size: int = SP_DEVICE_INTERFACE_DATA_SIZE) -> None:
        self.cb_size = cb_size
        self.interface_class_guid = ""
        self.flags = 0
        self.reserved: Any = None          # setupapi's own: (the set, the entry)

    def __repr__(self) -> str:
        return f"<SP_DEVICE_INTERFACE_DATA {self.interface_class_guid} Flags={self.flags:#x}>"


class DeviceInfoSet:
    """An HDEVINFO: the snapshot of one class's interfaces, (link, flags) in order."""

    def __init__(self, handle: int, class_guid: str, entries: list[tuple[str, int]]) -> None:
        self.handle = handle
        self.class_guid = class_guid
        self.entries = entries


def device_path(symbolic_link: str) -> str:
    """The DevicePath user mode sees for a kernel link: ``\\\\?\\`` for ``\\??\\``, in
    lower case (win32-io §8.4)."""
    return ("\\\\?\\" + symbolic_link[4:]).lower()


class SetupApi:
    """The SetupDi calls of one process (over its kernel32 for the last error)."""

    def __init__(self, win32: "Win32") -> None:
        self.win32 = win32
        self.kernel = win32.kernel
        self.sets: dict[int, DeviceInfoSet] = {}
        self._next = HDEVINFO_BASE

    def _fail(self, api: str, error: int) -> bool:
        self.win32.set_last_error(error)
        self.win32._return(api, result=0, error=error)
        return False

    def get_class_devs(self, class_guid: str, flags: int) -> int:
        """SetupDiGetClassDevs(&Guid, NULL, NULL, Flags) (§8.1): an HDEVINFO holding the
        class's interfaces now (a later arrival is not in it); an empty set is still a
        valid HDEVINFO."""
        self.win32._call("SetupDiGetClassDevs", guid=class_guid, flags=flags)
        if not flags & DIGCF_DEVICEINTERFACE or flags & DIGCF_ALLCLASSES:
            raise NotModelledError("SetupDiGetClassDevs", "only the interfaces of one "
                                   "class (DIGCF_DEVICEINTERFACE, a GUID) are modelled, "
                                   "not setup classes or DIGCF_ALLCLASSES")
        guid = guid_text(class_guid)
        _, active = NtPlugPlayGetInterfaceDeviceList(self.kernel, guid)
        links = active
        if not flags & DIGCF_PRESENT:
            _, links = NtPlugPlayGetInterfaceDeviceList(self.kernel, guid,
                                                        DEVICE_INTERFACE_INCLUDE_NONACTIVE)
        enabled = set(active)
        self._next += 0x100
        info = DeviceInfoSet(self._next, guid, [(link, SPINT_ACTIVE if link in enabled else 0)
                                                for link in links])
        self.sets[info.handle] = info
        self.win32._return("SetupDiGetClassDevs", result=info.handle,
                           interfaces=len(info.entries))
        return info.handle

    def enum_device_interfaces(self, handle: int, class_guid: str, index: int,
                               data: DeviceInterfaceData) -> bool:
        """SetupDiEnumDeviceInterfaces(h, NULL, &Guid, index, &data) (§8.2): the
        index-th interface of that class in the set; past the end FALSE with
        ERROR_NO_MORE_ITEMS; a wrong cbSize ERROR_INVALID_USER_BUFFER."""
        api = "SetupDiEnumDeviceInterfaces"
        self.win32._call(api, info=handle, guid=class_guid, index=index)
        info = self.sets.get(handle)
        if info is None:
            return self._fail(api, ERROR_INVALID_HANDLE)
        if data.cb_size != SP_DEVICE_INTERFACE_DATA_SIZE:
            return self._fail(api, ERROR_INVALID_USER_BUFFER)
        guid = guid_text(class_guid)
        matching = info.entries if guid == info.class_guid else []
        if not 0 <= index < len(matching):
            return self._fail(api, ERROR_NO_MORE_ITEMS)
        link, flags = matching[index]
        data.interface_class_guid, data.flags, data.reserved = guid, flags, (info, link)
        self.win32._return(api, result=1, flags=flags)
        return True

    def get_device_interface_detail(self, handle: int, data: DeviceInterfaceData,
                                    buffer: Buffer | None, size: int,
                                    cb_size: int = SP_DEVICE_INTERFACE_DETAIL_DATA_SIZE
                                    ) -> tuple[bool, int | None, str | None]:
        """SetupDiGetDeviceInterfaceDetail(h, &data, detail, size, &required, NULL)
        (§8.3): (ok, RequiredSize or None when not set, DevicePath when ok). Call 1 with
        (NULL, 0): FALSE, ERROR_INSUFFICIENT_BUFFER and the size; call 2 with a buffer of
        that size whose cbSize is sizeof (5), not the buffer's size: TRUE. A NULL buffer
        with a size, or a wrong cbSize, is ERROR_INVALID_USER_BUFFER."""
        api = "SetupDiGetDeviceInterfaceDetail"
        self.win32._call(api, info=handle, size=size, cb_size=cb_size if buffer else None)
        info = self.sets.get(handle)
        if info is None:
            return self._fail(api, ERROR_INVALID_HANDLE), None, None
        if data.reserved is None or data.reserved[0] is not info:
            return self._fail(api, ERROR_INVALID_PARAMETER), None, None
        if (buffer is None and size) or (buffer is not None
                                          and cb_size != SP_DEVICE_INTERFACE_DETAIL_DATA_SIZE):
            return self._fail(api, ERROR_INVALID_USER_BUFFER), None, None
        path = device_path(data.reserved[1])
        required = DEVICE_PATH_OFFSET + len(path) + 1
        if buffer is None or size < required:
            return self._fail(api, ERROR_INSUFFICIENT_BUFFER), required, None
        buffer.write(cb_size.to_bytes(4, "little") + path.encode("latin-1") + b"\0")
        self.win32._return(api, result=1, required=required, path=path)
        return True, required, path

    def destroy_device_info_list(self, handle: int) -> bool:
        """SetupDiDestroyDeviceInfoList(h): the set is freed; a handle that is none
        (INVALID_HANDLE_VALUE, freed already) is ERROR_INVALID_HANDLE."""
        api = "SetupDiDestroyDeviceInfoList"
        self.win32._call(api, info=handle)
        if self.sets.pop(handle, None) is None:
            return self._fail(api, ERROR_INVALID_HANDLE)
        self.win32._return(api, result=1)
        return True
