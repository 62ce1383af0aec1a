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

    def names(self) -> list[str]:
        return sorted(self._objects)
