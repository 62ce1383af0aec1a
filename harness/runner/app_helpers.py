"""What :class:`app.Application` supplies to the verb mixins it is assembled from
(app_apc.py, app_cancel.py, app_file.py, app_iocp.py): its state and its request helpers,
and the type of a ``_do_<verb>`` step generator.

Only the type checker sees the protocol; at run time the mixins derive from ``object``
(see :data:`AppBase`) and every helper is Application's own, so nothing here runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator, Protocol

if TYPE_CHECKING:
    from ..usermode import Win32
    from .result import Request

#: a ``_do_<verb>`` handler: yields to the scheduler, returns the step's request (None for
#: a step that makes no call, such as ``sleep`` or ``set``)
Verb = Generator[Any, Any, "Request | None"]


class AppHelpers(Protocol):
    """The part of Application a verb mixin uses."""

    kernel: Any
    win32: Win32
    handles: dict[str, int]
    requests: dict[str, Request]
    threads: dict[str, Any]
    thread_handles: dict[str, int]

    def _request(self, name: str | None, api: str, thread: str,
                 handle: str | None) -> Request: ...
    def _returned(self, request: Request, ok: bool, count: int | None) -> Request: ...
    def _handle(self, name: str | None) -> int: ...
    def _find(self, name: str) -> Request: ...
    def thread_body(self, steps: Any, thread_name: str) -> Generator[Any, Any, None]: ...
    def thread_handle_of(self, name: str, caller: str, where: str) -> int: ...


if TYPE_CHECKING:
    AppBase = AppHelpers
else:
    AppBase = object
