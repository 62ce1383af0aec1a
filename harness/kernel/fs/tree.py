"""The directory tree of a volume: files, directories and how names find them.

A name inside the volume is what IopParseDevice leaves after the device's name
(``\\1.log``, ``\\logs\\2008\\a.txt``), checked component by component, case-insensitive
and case-preserving as NTFS is. An FsNode is what a file system calls the FCB: one per
file, shared by every open of it, holding the data, the times, the attributes, the
SHARE_ACCESS of its opens and the delete-pending bit (stacks-services 4.25-4.29).

Simplified: one data stream per file (``name:stream`` is not modelled), no links, no
security descriptors, no 8.3 names; a file's data lives in memory, so files are capped
at :data:`MAX_FILE_SIZE`.
"""

from __future__ import annotations

from typing import Iterator

from ..constants import FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_DIRECTORY, NTSTATUS
from ..errors import NotModelledError
from ..io.share import ShareAccess

#: NTFS's default cluster: AllocationSize is EndOfFile rounded up to it (small files
#: NTFS keeps resident in the MFT report less; that layout is not modelled).
CLUSTER_SIZE = 4096
#: The largest file the model keeps (its bytes are held in memory).
MAX_FILE_SIZE = 64 * 1024 * 1024
#: Characters no NTFS name may contain (besides those below 0x20).
_INVALID = frozenset('"*/<>?|')
_MAX_COMPONENT = 255


class FsNode:
    """One file or directory (its FCB)."""

    __slots__ = ("name", "parent", "directory", "data", "children", "attributes",
                 "creation_time", "last_access_time", "last_write_time", "change_time",
                 "share", "open_count", "delete_pending")

    def __init__(self, name: str, parent: "FsNode | None", directory: bool, now: int,
                 attributes: int = 0) -> None:
        self.name = name
        self.parent = parent
        self.directory = directory
        self.data = bytearray()
        self.children: dict[str, FsNode] = {}        # by upper-cased name
        self.attributes = attributes | (FILE_ATTRIBUTE_DIRECTORY if directory
                                        else FILE_ATTRIBUTE_ARCHIVE)
        self.creation_time = self.last_access_time = now
        self.last_write_time = self.change_time = now
        self.share = ShareAccess()
        self.open_count = 0            # opens not yet cleaned up (handles, FCB OpenCount)
        self.delete_pending = False

    @property
    def path(self) -> str:
        """The name inside the volume, from its root: ``\\logs\\a.txt`` (root: ``\\``)."""
        parts = []
        node: FsNode | None = self
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "\\" + "\\".join(reversed(parts))

    @property
    def allocation_size(self) -> int:
        size = len(self.data)
        return (size + CLUSTER_SIZE - 1) // CLUSTER_SIZE * CLUSTER_SIZE

    def child(self, name: str) -> "FsNode | None":
        return self.children.get(name.upper())

    def link(self, node: "FsNode") -> None:
        node.parent = self
        self.children[node.name.upper()] = node

    def unlink(self) -> None:
        if self.parent is not None:
            del self.parent.children[self.name.upper()]
            self.parent = None

    def contains(self, other: "FsNode") -> bool:
        """Whether ``other`` is this node or lies under it."""
        node: FsNode | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def walk(self) -> Iterator["FsNode"]:
        """This node and everything under it, children in name order."""
        yield self
        for key in sorted(self.children):
            yield from self.children[key].walk()

    def __repr__(self) -> str:
        kind = "dir" if self.directory else f"{len(self.data)} bytes"
        return f"<FCB {self.path} {kind}{' delete-pending' if self.delete_pending else ''}>"


def split_name(name: str) -> tuple[int, list[str]]:
    """A name inside the volume as its components: (status, components). ``\\`` alone
    is the root (no components). A bad character, ``.``/``..`` or an over-long
    component is STATUS_OBJECT_NAME_INVALID (what NTFS answers; the object manager
    already refused empty components)."""
    if name in ("", "\\"):
        return NTSTATUS.STATUS_SUCCESS, []
    parts = name.lstrip("\\").rstrip("\\").split("\\")
    for part in parts:
        if ":" in part:
            raise NotModelledError("alternate data streams", f"{name!r}: only a file's "
                                   "unnamed data stream is modelled")
        if (part in ("", ".", "..") or len(part) > _MAX_COMPONENT
                or any(c in _INVALID or ord(c) < 0x20 for c in part)):
            return NTSTATUS.STATUS_OBJECT_NAME_INVALID, []
    return NTSTATUS.STATUS_SUCCESS, parts


def find_parent(root: FsNode, components: list[str]) -> tuple[int, FsNode | None]:
    """The directory that holds the last component: STATUS_OBJECT_PATH_NOT_FOUND when a
    directory on the way is missing or is a file (the status chosen for the latter; some
    file systems answer STATUS_NOT_A_DIRECTORY)."""
    node = root
    for part in components[:-1]:
        child = node.child(part)
        if child is None or not child.directory:
            return NTSTATUS.STATUS_OBJECT_PATH_NOT_FOUND, None
        node = child
    return NTSTATUS.STATUS_SUCCESS, node
