"""The app's user-APC verbs (win32-io §2): queue_user_apc, write_file_ex, and the
thread handles they need. Mixed into :class:`app.Application`; the alertable waits are
``sleep_ex`` and ``wait_for: {alertable: true}``, ``read_file_ex`` lives in app.py.
"""

from __future__ import annotations

from typing import Any, Generator

from ..usermode import Overlapped
from .app_error import AppError
from .app_helpers import AppBase, Verb

NT_CURRENT_THREAD = 0xFFFFFFFE       # GetCurrentThread()'s pseudo-handle


class ApcVerbs(AppBase):
    """QueueUserAPC and WriteFileEx as app steps."""

    def thread_handle_of(self, name: str, caller: str, where: str) -> int:
        """The HANDLE a step names a thread by: GetCurrentThread() for the caller itself,
        _beginthreadex's handle for a spawned thread, else an OpenThread handle (made
        once). A thread that has not been started has no handle to take."""
        if name == caller:
            return NT_CURRENT_THREAD
        if name not in self.threads:
            raise AppError(f"{where}: thread {name!r} has not been started yet (spawn it "
                           "before naming it)")
        if name not in self.thread_handles:
            self.thread_handles[name] = self.win32.open_thread(self.threads[name])
        return self.thread_handles[name]

    def _do_queue_user_apc(self, args: dict, name: str | None, step: Any, thread: str
                           ) -> Verb:
        """QueueUserAPC(routine, hThread, data): the ``apc`` steps run in the target
        thread at its next alertable wait (2.6); {r.ok}, {r.error}; {r.result} is set
        to the data when the APC has run."""
        target = args["thread"]
        request = self._request(name, "QueueUserAPC", thread, None)
        steps = step.compiled["apc"]

        def routine(data: int) -> Generator[Any, Any, None]:
            # PAPCFUNC(ULONG_PTR dwParam), on the target thread's stack
            request.result = data
            request.completed_at = self.kernel.now
            yield from self.thread_body(steps, target)
        routine.__name__ = f"APC of {request.name}"
        handle = self.thread_handle_of(target, thread, step.where)
        ok = self.win32.queue_user_apc(routine, handle, args.get("data", 0))
        return self._returned(request, ok, 0)
        yield

    def _do_write_file_ex(self, args: dict, name: str | None, step: Any, thread: str
                          ) -> Verb:
        """WriteFileEx(handle, data, &overlapped, completion) (2.8, 2.9)."""
        h = self._handle(args["handle"])
        request = self._request(name, "WriteFileEx", thread, args["handle"])
        payload = step.compiled["payload"](self)
        buffer = request.buffer = self.win32.alloc(len(payload))
        buffer.write(payload)
        overlapped = request.overlapped = Overlapped(None, args.get("offset", 0))
        completion = step.compiled["completion"]

        def routine(error: int, count: int, _overlapped: Any) -> Generator[Any, Any, None]:
            # FileIOCompletionRoutine(dwErrorCode, dwNumberOfBytesTransfered, lpOverlapped)
            request.result, request.bytes = error, count
            yield from self.thread_body(completion, thread)
        ok = yield from self.win32.write_file_ex(h, buffer, len(payload), overlapped,
                                                 routine, tag=request)
        request.ok = ok
        request.last_error = self.win32.get_last_error()
        request.returned_at = self.kernel.now
        return request
