"""The app's cancel verbs beyond ``cancel_io`` (win32-io §4): cancel_io_ex and
cancel_synchronous_io. Mixed into :class:`app.Application`."""

from __future__ import annotations

from typing import Any

from .app_error import AppError
from .app_helpers import AppBase, Verb


class CancelVerbs(AppBase):
    """CancelIoEx and CancelSynchronousIo as app steps."""

    def _do_cancel_io_ex(self, args: Any, name: str | None, step: Any, thread: str
                         ) -> Verb:
        """CancelIoEx(h, NULL) for ``cancel_io_ex: h``; CancelIoEx(h, &r.overlapped) for
        ``{handle: h, request: r}`` (4.2)."""
        args = {"handle": args} if isinstance(args, str) else args
        overlapped = None
        if "request" in args:
            overlapped = self._find(args["request"]).overlapped
            if overlapped is None:     # a request on a synchronous handle has none
                raise AppError(f"{step.where}: {args['request']!r} has no OVERLAPPED (it "
                               "was not issued on an overlapped handle)")
        request = self._request(name, "CancelIoEx", thread, args["handle"])
        ok = yield from self.win32.cancel_io_ex(self._handle(args["handle"]), overlapped)
        return self._returned(request, ok, 0)

    def _do_cancel_synchronous_io(self, target: str, name: str | None, step: Any,
                                  thread: str) -> Verb:
        """CancelSynchronousIo(hThread) on a thread by name (4.3)."""
        request = self._request(name, "CancelSynchronousIo", thread, None)
        handle = self.thread_handle_of(target, thread, step.where)
        ok = yield from self.win32.cancel_synchronous_io(handle)
        return self._returned(request, ok, 0)
