"""A Win32 handle of the app to a file object: what kernel32 keeps per CreateFile."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..kernel import FileObject


class Handle:
    __slots__ = ("value", "file", "overlapped", "access")

    def __init__(self, value: int, file: FileObject, overlapped: bool, access: int) -> None:
        self.value = value
        self.file = file
        self.overlapped = overlapped
        self.access = access
