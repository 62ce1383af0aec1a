"""The object namespace: \\Device\\X, \\Driver\\X and the \\?? symbolic links (io-core §8).

Names are case-insensitive and ``\\DosDevices`` is an alias of ``\\??``. A lookup follows
symbolic links (at most 32 hops, as a loop guard).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..constants import NTSTATUS

if TYPE_CHECKING:
    from ..ke.machine import Machine


class SymbolicLink:
    __slots__ = ("name", "target")

    def __init__(self, name: str, target: str) -> None:
        self.name = name
        self.target = target


#: Object directories every Windows namespace has, whether or not anything is in them.
#: \BaseNamedObjects is the Win32 subsystem's (sync-objects 7.6); boot-start drivers are
#: not modelled, so it exists from the start. \KernelObjects holds the standard events.
_DIRECTORIES = frozenset(("\\device", "\\driver", "\\??", "\\dosdevices", "\\global??",
                          "\\filesystem", "\\objecttypes", "\\basenamedobjects",
                          "\\kernelobjects"))


def _key(name: str) -> str:
    key = name.lower()
    if key.startswith("\\dosdevices\\"):
        key = "\\??\\" + key[len("\\dosdevices\\"):]
    return key


class ObjectNamespace:
    """Named objects (\\Device\\X, \\??\\X links, \\Driver\\X)."""

    def __init__(self, kernel: "Machine") -> None:
        self.kernel = kernel
        self._objects: dict[str, Any] = {}

    def insert(self, name: str, obj: Any) -> int:
        key = _key(name)
        if key in self._objects:
            return NTSTATUS.STATUS_OBJECT_NAME_COLLISION
        self._objects[key] = obj
        return NTSTATUS.STATUS_SUCCESS

    def remove(self, name: str) -> bool:
        return self._objects.pop(_key(name), None) is not None

    def lookup(self, name: str, reparse: bool = True) -> Any:
        """Resolve ``name``, following symbolic links (at most 32 hops); ``reparse``
        False returns a link itself (ZwOpenSymbolicLinkObject)."""
        obj = self._objects.get(_key(name))
        if not reparse:
            return obj
        for _ in range(32):
            if not isinstance(obj, SymbolicLink):
                return obj
            obj = self._objects.get(_key(obj.target))
        return None

    def parse(self, name: str) -> tuple[int, Any, str]:
        """ObpLookupObjectName for an open (stacks-services 1.2, 1.5): (status, object,
        the remaining path). A device's name may be followed by a path its driver gets as
        FileName (``\\Device\\X\\abc``); an empty component is
        STATUS_OBJECT_NAME_INVALID; a missing leaf STATUS_OBJECT_NAME_NOT_FOUND; a missing
        directory on the way STATUS_OBJECT_PATH_NOT_FOUND."""
        parts = name.split("\\")
        if len(parts) > 2 and parts[-1] == "" and all(parts[1:-1]):
            # `\??\C:\`: one backslash after a device's name is its root, handed to the
            # device's parse routine as the remaining name (a volume's root directory)
            status, obj, rest = self.parse(name[:-1])
            if rest == "" and type(obj).__name__ == "DeviceObject":
                return status, obj, "\\"
            return NTSTATUS.STATUS_OBJECT_NAME_INVALID, None, ""
        if not name.startswith("\\") or any(p == "" for p in parts[1:]):
            return NTSTATUS.STATUS_OBJECT_NAME_INVALID, None, ""
        for end in range(len(parts), 1, -1):
            obj = self.lookup("\\".join(parts[:end]))
            if obj is not None:
                rest = "\\".join(parts[end:])
                if rest and type(obj).__name__ != "DeviceObject":
                    return NTSTATUS.STATUS_OBJECT_PATH_NOT_FOUND, None, ""
                return NTSTATUS.STATUS_SUCCESS, obj, "\\" + rest if rest else ""
        directories = {key.rsplit("\\", 1)[0] for key in self._objects} | _DIRECTORIES
        parent = _key("\\".join(parts[:-1]))
        if len(parts) > 2 and parent not in directories:
            return NTSTATUS.STATUS_OBJECT_PATH_NOT_FOUND, None, ""
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, None, ""

    def directory_exists(self, name: str) -> bool:
        """Does the directory part of ``name`` exist (directories are never created
        implicitly, sync-objects 7.6)?"""
        parent = _key(name.rsplit("\\", 1)[0])
        return parent == "" or parent in _DIRECTORIES

    def names(self) -> list[str]:
        return sorted(self._objects)
