"""What :class:`kernel32.Win32` supplies to the mixins it is assembled from (apc.py,
cancel.py, fileapi.py, iocompl.py): its state and its last-error and trace helpers.

Only the type checker sees this protocol; at run time the mixins derive from ``object``
(see :data:`Win32Base`) and every helper is Win32's own, so nothing here runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .handle import Handle


class Win32Helpers(Protocol):
    """The part of Win32 a mixin calls."""

    kernel: Any
    handles: dict[int, Handle]

    def set_last_error(self, error: int) -> None: ...
    def get_last_error(self) -> int: ...
    def _fail_nt(self, status: int) -> bool: ...
    def _handle(self, h: int) -> Handle | None: ...
    def _call(self, api: str, **args: Any) -> None: ...
    def _return(self, api: str, **result: Any) -> None: ...
    def _done(self, api: str, ok: bool, count: int | None) -> tuple[bool, int | None]: ...
    def _bool_call(self, api: str, status: int, **result: Any) -> bool: ...


if TYPE_CHECKING:
    Win32Base = Win32Helpers
else:
    Win32Base = object
