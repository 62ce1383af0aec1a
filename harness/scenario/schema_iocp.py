"""Schema and planning of the app's completion-port verbs (win32-io §3).

``create_io_completion_port``, ``get_queued_completion_status``,
``post_queued_completion_status`` and ``set_file_completion_notification_modes``; the
runner's side is harness/runner/app_iocp.py.
"""

from __future__ import annotations

from typing import Any

from .schema_parts import DWORD as _DWORD, EXPR as _EXPR, NAME as _NAME, obj as _obj

#: The verbs, in the order the editor lists them (all make a request).
IOCP_VERBS = ("create_io_completion_port", "get_queued_completion_status",
              "post_queued_completion_status", "set_file_completion_notification_modes")
#: The one whose ``as`` names a handle too (the port).
IOCP_HANDLE_VERBS = ("create_io_completion_port",)
MODES = ("FILE_SKIP_COMPLETION_PORT_ON_SUCCESS", "FILE_SKIP_SET_EVENT_ON_HANDLE")


def iocp_verbs() -> dict[str, dict[str, Any]]:
    """The verbs' JSON schemas, merged into the app step's properties."""
    return {
        "create_io_completion_port": _obj(
            "CreateIoCompletionPort(handle or INVALID_HANDLE_VALUE, port or NULL, key, "
            "concurrency): without 'handle' a new port; with it the handle (an overlapped "
            "one) is associated with 'port' (or a new port) under 'key'. 'as' names the "
            "port's handle (NULL on failure).", [],
            handle=dict(_NAME, description="the file handle to associate"),
            port=dict(_NAME, description="ExistingCompletionPort (default NULL)"),
            key=dict(_EXPR, description="CompletionKey (default 0)"),
            concurrency=dict(_DWORD, description="NumberOfConcurrentThreads (default 0: "
                             "the number of processors; ignored with 'port')")),
        "get_queued_completion_status": _obj(
            "GetQueuedCompletionStatus(port, &bytes, &key, &overlapped, timeout): {g.ok}, "
            "{g.bytes}, {g.key}, {g.overlapped} (0 = NULL), {g.request} (whose OVERLAPPED, "
            "or NULL), {g.error}, {g.status_name} (the packet's status).", ["port"],
            port=_NAME,
            timeout={"anyOf": [_DWORD, {"$ref": "#/$defs/duration_string"}],
                     "description": "milliseconds (default INFINITE) or a duration"}),
        "post_queued_completion_status": _obj(
            "PostQueuedCompletionStatus(port, bytes, key, overlapped): a packet with "
            "status 0.", ["port"], port=_NAME,
            bytes=dict(_EXPR, description="dwNumberOfBytesTransferred (default 0)"),
            key=dict(_EXPR, description="dwCompletionKey (default 0)"),
            overlapped=dict(_EXPR, description="lpOverlapped: a request's name (its "
                            "OVERLAPPED) or a value (default NULL)")),
        "set_file_completion_notification_modes": _obj(
            "SetFileCompletionNotificationModes(handle, flags): the modes stick to the "
            "file object.", ["handle", "flags"], handle=_NAME,
            flags={"type": "array", "uniqueItems": True,
                   "items": {"anyOf": [{"enum": list(MODES)}, _DWORD]},
                   "description": "FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, "
                                  "FILE_SKIP_SET_EVENT_ON_HANDLE (or numbers)"}),
    }


def plan_iocp_step(planner: Any, verb: str, args: Any, here: list, compiled: dict) -> None:
    """Check the names and compile the expressions of one completion-port step."""
    names = planner.names
    if "port" in args:                  # ('handle' is checked for every verb)
        planner._known(args["port"], names.handles, "handle", here + ["port"],
                       "no step makes a handle named")
    if verb == "get_queued_completion_status":
        timeout = args.get("timeout")
        compiled["ms"] = (0xFFFFFFFF if timeout is None
                          else planner._sleep(timeout, here + ["timeout"]))
    for key in ("key", "bytes"):
        if key in args:
            compiled[key] = planner.expr(args[key], here + [key])
    if "overlapped" in args:
        value = args["overlapped"]
        if isinstance(value, str) and value in names.requests:
            compiled["overlapped_of"] = value
        else:
            compiled["overlapped"] = planner.expr(value, here + ["overlapped"])
