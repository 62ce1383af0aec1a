"""Schema and planning of the app's other file calls (win32-io §5) and of invalid user
pointers as a scenario value (win32-io §6).

Verbs: ``set_file_pointer``, ``set_file_pointer_ex``, ``flush_file_buffers``,
``duplicate_handle`` (its ``as`` names the new handle), ``nt_query_information_file``
and ``nt_query_volume_information_file``; the runner's side is
harness/runner/app_file.py. ``USER_POINTER`` is the value of a read's or write's
``buffer`` and of an ioctl's ``input_buffer`` / ``output_buffer``.
"""

from __future__ import annotations

from typing import Any

from .schema_parts import EXPR as _EXPR, NAME as _NAME, obj as _obj

#: The verbs, in the order the editor lists them (all make a request).
FILE_VERBS = ("set_file_pointer", "set_file_pointer_ex", "flush_file_buffers",
              "duplicate_handle", "nt_query_information_file",
              "nt_query_volume_information_file")
#: The one whose ``as`` names a handle too (the duplicate).
FILE_HANDLE_VERBS = ("duplicate_handle",)
METHODS = {"FILE_BEGIN": 0, "FILE_CURRENT": 1, "FILE_END": 2}
FILE_CLASSES = {"FileBasicInformation": 4, "FileStandardInformation": 5,
                "FilePositionInformation": 14}
FS_CLASSES = {"FileFsVolumeInformation": 1, "FileFsSizeInformation": 3,
              "FileFsDeviceInformation": 4, "FileFsAttributeInformation": 5,
              "FileFsFullSizeInformation": 7}

_COUNT = {"type": "integer", "minimum": 0, "maximum": 1 << 16}

#: A user pointer the process never allocated: NULL, or an address where no process
#: has memory (the first 64 KB, or MmUserProbeAddress 0x7FFF0000 and above).
USER_POINTER = {"anyOf": [
    {"enum": ["valid", "null", None]},
    {"type": "object", "required": ["address"], "additionalProperties": False,
     "properties": {"address": {"anyOf": [
         {"type": "integer", "minimum": 0, "maximum": 0xFFFF},
         {"type": "integer", "minimum": 0x7FFF0000, "maximum": 0xFFFFFFFF}],
         "description": "in the never-mapped first 64 KB (e.g. 0x10) or at/above "
                        "MmUserProbeAddress (0x7FFF0000: kernel space)"}}}],
    "description": "valid (a buffer of the process, the default), null (NULL), or "
                   "{address: A}: an invalid pointer; the I/O manager's probes and any "
                   "touch of it fault with STATUS_ACCESS_VIOLATION (ERROR_NOACCESS)"}


def _class(names: dict[str, int], what: str) -> dict[str, Any]:
    return {"anyOf": [{"enum": list(names)}, {"type": "integer", "minimum": 0,
                                              "maximum": 0xFFFFFFFF}],
            "description": f"{what}: a name or its number"}


def file_verbs() -> dict[str, dict[str, Any]]:
    """The verbs' JSON schemas, merged into the app step's properties."""
    method = {"anyOf": [{"enum": list(METHODS)}, {"type": "integer", "minimum": 0,
                                                  "maximum": 0xFFFFFFFF}],
              "description": "dwMoveMethod (default FILE_BEGIN)"}
    struct = {"$ref": "#/$defs/identifier",
              "description": "read the returned bytes as r.data.Field"}
    return {
        "set_file_pointer": _obj(
            "SetFilePointer(handle, distance, &high or NULL, method): {r.result} the new "
            "position's low DWORD (INVALID_SET_FILE_POINTER on failure), {r.information} "
            "the whole position. A synchronous handle's position never reaches the driver.",
            ["handle", "distance"], handle=_NAME,
            distance=dict(_EXPR, description="lDistanceToMove (a LONG)"),
            high=dict(_EXPR, description="*lpDistanceToMoveHigh (default: NULL)"),
            method=method),
        "set_file_pointer_ex": _obj(
            "SetFilePointerEx(handle, distance, &new, method): {r.ok}, {r.information} the "
            "new position.", ["handle", "distance"], handle=_NAME,
            distance=dict(_EXPR, description="liDistanceToMove (a LONGLONG)"),
            method=method),
        "flush_file_buffers": dict(_NAME, description="FlushFileBuffers: an "
                                   "IRP_MJ_FLUSH_BUFFERS (the handle needs write access)."),
        "duplicate_handle": _obj(
            "DuplicateHandle in this process: 'as' names the new handle (same file object: "
            "IRP_MJ_CLEANUP only when its last handle closes).", ["handle"], handle=_NAME,
            close_source={"type": "boolean", "description": "DUPLICATE_CLOSE_SOURCE"},
            access={"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF,
                    "description": "dwDesiredAccess (default: DUPLICATE_SAME_ACCESS)"}),
        "nt_query_information_file": _obj(
            "NtQueryInformationFile(handle, &iosb, buffer, length, class) from ntdll: "
            "{r.status}, {r.information}, {r.buffer[i]}.", ["handle", "class"], handle=_NAME,
            **{"class": _class(FILE_CLASSES, "FileInformationClass")},
            length=dict(_COUNT, description="the buffer's length (default 24)"),
            struct=struct),
        "nt_query_volume_information_file": _obj(
            "NtQueryVolumeInformationFile(handle, &iosb, buffer, length, class) from ntdll; "
            "FileFsDeviceInformation is the I/O manager's answer.", ["handle", "class"],
            handle=_NAME, **{"class": _class(FS_CLASSES, "FsInformationClass")},
            length=dict(_COUNT, description="the buffer's length (default 24)"),
            struct=struct),
    }


def plan_file_step(planner: Any, verb: str, args: Any, here: list, compiled: dict) -> None:
    """Check the names and compile the expressions of one file-call step."""
    if verb == "flush_file_buffers":
        planner._known(args, planner.names.handles, "handle", here,
                       "no step opens a handle named")
        return
    for key in ("distance", "high"):
        if key in args:
            compiled[key] = planner.expr(args[key], here + [key])
    if "method" in args:
        method = args["method"]
        compiled["method"] = METHODS[method] if isinstance(method, str) else method
    if "class" in args:
        names = FILE_CLASSES if verb == "nt_query_information_file" else FS_CLASSES
        value = args["class"]
        compiled["class"] = names[value] if isinstance(value, str) else value
