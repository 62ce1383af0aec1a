"""Schema definitions for the ``app:`` section: the user-mode program's steps.

An app step is one mapping with exactly one verb (``open``, ``read``, ...) and an
optional ``as`` naming the handle or request it produces. It is modelled as one
object schema (all verbs as optional properties, ``additionalProperties: false``)
plus a ``oneOf`` of ``required`` lists; the loader words the ``oneOf`` failure
itself, so the jsonschema text never reaches the user.
"""

from __future__ import annotations

from typing import Any

from .schema_fileapi import FILE_VERBS, USER_POINTER, file_verbs
from .schema_iocp import IOCP_VERBS, iocp_verbs
from .schema_parts import EXPR as _EXPR, NAME as _NAME, obj as _obj

#: The verbs an app step may use, in the order the editor lists them.
APP_VERBS = ("open", "read", "write", "ioctl", "cancel_io", "sleep", "close",
             "get_overlapped_result", "wait", "print", "get_file_size", "spawn", "join",
             "create_event", "set_event", "reset_event", "pulse_event", "create_semaphore",
             "release_semaphore", "create_mutex", "release_mutex", "wait_for", "open_event",
             "get_exit_code_thread", "open_sc_manager", "create_service", "open_service",
             "start_service", "control_service", "delete_service", "close_service_handle",
             "net_start", "net_stop", "read_file_ex", "sleep_ex", "queue_user_apc",
             "write_file_ex", "cancel_io_ex", "cancel_synchronous_io", "setupdi_get_class_devs",
             "setupdi_enum_device_interfaces",
             "setupdi_get_device_interface_detail", "setupdi_destroy_device_info_list",
             "set", "if", "while", "repeat", "set_last_error") + IOCP_VERBS + FILE_VERBS

#: Keys that only make sense next to ``open`` (CreateFile's other arguments).
OPEN_OPTIONS = ("overlapped", "access", "share")


_GUID = {"type": "string",
         "pattern": r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                    r"[0-9A-Fa-f]{12}\}$",
         "description": "an interface class GUID, e.g. '{0E57C50F-0CCC-4AD2-A895-93C5ED119860}'"}
_DIGCF = ("DIGCF_DEFAULT", "DIGCF_PRESENT", "DIGCF_ALLCLASSES", "DIGCF_PROFILE",
          "DIGCF_DEVICEINTERFACE", "DIGCF_INTERFACEDEVICE")
_OBJECT_NAME = {"type": "string", "minLength": 1, "maxLength": 260,
                "description": "a name in \\BaseNamedObjects (Global\\X and Local\\X too)"}
_STEPS = {"$ref": "#/$defs/app_steps"}
_STRUCT = {"$ref": "#/$defs/identifier", "description": "A struct type: the output can be read "
           "as r.data.Field (r.data[i].Field for an array of them)."}
_INPUT = {"anyOf": [{"$ref": "#/$defs/buffer_pattern"},
                    {"type": "object", "required": ["struct"], "additionalProperties": False,
                     "description": "A struct built from expressions (handles, variables...).",
                     "properties": {"struct": {"$ref": "#/$defs/identifier"},
                                    "fields": {"type": "object",
                                               "additionalProperties": _EXPR},
                                    "count": {"type": "integer", "minimum": 1,
                                              "maximum": 4096}}}]}


#: The largest buffer an app step may ask for: the model holds buffers in memory.
MAX_BUFFER = 1 << 24


#: win32-io 1.2 / 1.3: the options the OVERLAPPED calls share
_BYTES_INIT = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF,
               "description": "the byte-count DWORD's value before the call (default 0): "
                              "what {r.bytes} keeps when the call leaves it untouched"}
_EVENT_LOW_BIT = {"type": "boolean", "description": "overlapped handles: an auto-reset "
                  "hEvent with its low bit set (hEvent | 1): the event is still set, but no "
                  "completion-port packet is queued (win32-io 1.3)"}


def _verbs() -> dict[str, dict[str, Any]]:
    count = {"type": "integer", "minimum": 0, "maximum": MAX_BUFFER,
             "description": f"bytes (the model holds buffers in memory: at most {MAX_BUFFER})"}
    offset = {"type": "integer", "minimum": 0, "maximum": (1 << 63) - 1,
              "description": "a byte offset (LARGE_INTEGER)"}
    return {
        "open": {"anyOf": [
            {"type": "string", "minLength": 1,
             "description": "CreateFile on a path such as '\\\\.\\HelloDDKA'."},
            _obj("CreateFile on a path made from a template, e.g. {path: '{detail.path}'} "
                 "(a SetupDi DevicePath).", ["path"],
                 path={"type": "string", "minLength": 1, "maxLength": 4096})]},
        "read": _obj("ReadFile.", ["handle", "length"], handle=_NAME,
                     length=count, offset=offset, struct=_STRUCT,
                     event={"type": "boolean", "description": "overlapped handles: give the "
                            "OVERLAPPED an auto-reset event (CreateEvent(NULL, FALSE, FALSE, "
                            "NULL))"},
                     fill={"type": "integer", "minimum": 0, "maximum": 255,
                           "description": "what the buffer holds before the call "
                                          "(default 0xCC, uninitialized stack)"},
                     buffer=dict(USER_POINTER, description="null passes a NULL buffer "
                                 "(book: ReadFile(h, NULL, 0, ...)); {address: A} an invalid "
                                 "pointer (win32-io §6)"),
                     event_low_bit=_EVENT_LOW_BIT, bytes_init=_BYTES_INIT),
        "write": _obj("WriteFile.", ["handle", "data"], handle=_NAME,
                      data=_INPUT, offset=offset,
                      buffer=dict(USER_POINTER, description="the data's pointer: null or "
                                  "{address: A} passes an invalid one of the data's length"),
                      event={"type": "boolean", "description": "overlapped handles: give the "
                             "OVERLAPPED an auto-reset event (CreateEvent(NULL, FALSE, FALSE, "
                             "NULL))"},
                      event_low_bit=_EVENT_LOW_BIT, bytes_init=_BYTES_INIT),
        "ioctl": _obj("DeviceIoControl.", ["handle", "code"], handle=_NAME,
                      code={"anyOf": [_NAME, {"type": "integer", "minimum": 0}],
                            "description": "A name from constants (or an IOCTL_* name) "
                                           "or a number."},
                      input=_INPUT, output_length=count, struct=_STRUCT,
                      input_buffer=dict(USER_POINTER, description="lpInBuffer: null or "
                                        "{address: A} (with input_length) instead of input"),
                      input_length=count, output_buffer=dict(
                          USER_POINTER, description="lpOutBuffer: null or {address: A} "
                          "with output_length (default: a buffer of the process)"),
                      event={"type": "boolean", "description": "overlapped handles: give the "
                             "OVERLAPPED an auto-reset event (CreateEvent(NULL, FALSE, FALSE, "
                             "NULL))"},
                      event_low_bit=_EVENT_LOW_BIT, bytes_init=_BYTES_INIT),
        "cancel_io": dict(_NAME, description="CancelIo on a handle."),
        "sleep": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF,
                             "description": "Milliseconds, as for the Win32 Sleep call."},
                            {"$ref": "#/$defs/duration_string"}],
                  "description": "Sleep: an integer is milliseconds (like Win32 Sleep); "
                                 "a string is a duration such as '2s'."},
        "close": dict(_NAME, description="CloseHandle."),
        "get_overlapped_result": _obj(
            "GetOverlappedResult(h, &ov, &n, wait) on an overlapped request; with 'timeout' "
            "or 'alertable' GetOverlappedResultEx (win32-io 1.6).", ["request"],
            request=_NAME, wait={"type": "boolean", "description": "bWait (default true)"},
            timeout={"anyOf": [{"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF},
                               {"$ref": "#/$defs/duration_string"}],
                     "description": "GetOverlappedResultEx's dwMilliseconds (or a duration)"},
            alertable={"type": "boolean", "description": "GetOverlappedResultEx's bAlertable"},
            bytes_init=_BYTES_INIT),
        "set_last_error": {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF,
                           "description": "SetLastError(dwErrCode): e.g. a marker a later "
                                          "call that succeeds leaves untouched (win32-io 1.1)"},
        "wait": dict(_NAME, description="Wait for an overlapped request's event."),
        "print": {"type": "string", "maxLength": 4096, "description": "A line the "
                  "application prints (printf): {r1.bytes}, {r1.hex}, {r1.error:u}, {r1.ok}, "
                  "{r1.size}, {r1.data.Field:08X}, {variable}; {{ and }} are braces."},
        "set": {"type": "object", "minProperties": 1,
                "propertyNames": {"$ref": "#/$defs/identifier"},
                "additionalProperties": _EXPR,
                "description": "Assign variables: {name: expression}. A variable takes the "
                               "type of the first value assigned to it."},
        "if": _obj("Run 'then' or 'else' by a condition.", ["cond"], cond=_EXPR,
                   then=_STEPS, **{"else": _STEPS}),
        "while": _obj("Run 'do' while a condition holds (at most 'max' times, default "
                      "10000: more is an error, not a hang).", ["cond", "do"], cond=_EXPR,
                      do=_STEPS, max={"type": "integer", "minimum": 1, "maximum": 10**7}),
        "repeat": _obj("Run 'do' a number of times.", ["times", "do"], times=_EXPR,
                       do=_STEPS),
        "get_file_size": dict(_NAME, description="GetFileSize on a handle."),
        "spawn": dict(_NAME, description="_beginthreadex: start the thread of that name "
                      "from threads: (a spawned thread does not start on its own)."),
        "join": dict(_NAME, description="WaitForSingleObject on a thread: wait until it ends."),
        "create_event": _obj("CreateEvent(NULL, manual_reset, initial_state, name): 'as' "
                             "names the handle (NULL on failure; the last error is "
                             "ERROR_ALREADY_EXISTS when the name existed).", [],
                             manual_reset={"type": "boolean"},
                             initial_state={"type": "boolean"}, name=_OBJECT_NAME),
        "open_event": _obj("OpenEvent(EVENT_ALL_ACCESS, FALSE, name): 'as' names the "
                           "handle (NULL and ERROR_FILE_NOT_FOUND when none exists).",
                           ["name"], name=_OBJECT_NAME),
        "get_exit_code_thread": dict(_NAME, description="GetExitCodeThread on a thread "
                                     "(by its name under threads:): {r.result} is "
                                     "STILL_ACTIVE (259) while it runs, else its exit code."),
        "open_sc_manager": _obj("OpenSCManager(NULL, NULL, SC_MANAGER_ALL_ACCESS): 'as' "
                                "names the SC_HANDLE (the app runs elevated).", []),
        "create_service": _obj("CreateService(manager, name, display_name, "
                               "SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER, start, "
                               "SERVICE_ERROR_IGNORE, binary, ...): records the service, "
                               "loads nothing; 'as' names the SC_HANDLE (NULL and "
                               "ERROR_SERVICE_EXISTS when the name is taken).",
                               ["manager", "name", "binary"], manager=_NAME,
                               name={"type": "string", "minLength": 1, "maxLength": 256},
                               display_name={"type": "string", "minLength": 1,
                                             "maxLength": 256},
                               start={"enum": ["boot", "system", "auto", "demand",
                                               "disabled"]},
                               binary={"type": "string", "minLength": 1, "maxLength": 260,
                                       "description": "the image path; its file name "
                                       "(HelloDDK.sys) finds the scenario driver"}),
        "open_service": _obj("OpenService(manager, name, SERVICE_ALL_ACCESS): 'as' names the "
                             "SC_HANDLE (NULL and ERROR_SERVICE_DOES_NOT_EXIST).",
                             ["manager", "name"], manager=_NAME,
                             name={"type": "string", "minLength": 1, "maxLength": 256}),
        "start_service": dict(_NAME, description="StartService(handle, 0, NULL): loads the "
                              "driver and returns once its DriverEntry has."),
        "control_service": _obj("ControlService(service, control, &status): stop unloads "
                                "the driver (DriverUnload now, or once its devices are "
                                "closed); {r.result} is dwCurrentState.", ["service",
                                                                          "control"],
                                service=_NAME,
                                control={"enum": ["stop", "pause", "continue",
                                                  "interrogate"]}),
        "delete_service": dict(_NAME, description="DeleteService: marks the service; the "
                               "key goes once it is stopped and its handles closed."),
        "close_service_handle": dict(_NAME, description="CloseServiceHandle."),
        "net_start": {"type": "string", "minLength": 1, "maxLength": 256,
                      "description": "net start NAME: OpenSCManager, OpenService, "
                                     "StartService, CloseServiceHandle."},
        "net_stop": {"type": "string", "minLength": 1, "maxLength": 256,
                     "description": "net stop NAME: OpenSCManager, OpenService, "
                                    "ControlService(STOP), CloseServiceHandle."},
        "setupdi_get_class_devs": _obj(
            "SetupDiGetClassDevs(&guid, NULL, NULL, flags): 'as' names the HDEVINFO, a "
            "snapshot of the class's interfaces (empty when none: still a valid handle).",
            ["guid"], guid=_GUID,
            flags={"type": "array", "uniqueItems": True, "items": {"enum": list(_DIGCF)},
                   "description": "default [DIGCF_PRESENT, DIGCF_DEVICEINTERFACE]"}),
        "setupdi_enum_device_interfaces": _obj(
            "SetupDiEnumDeviceInterfaces(info, NULL, &guid, index, &data): 'as' names the "
            "SP_DEVICE_INTERFACE_DATA ({r.ok}, {r.result} = its Flags); past the end FALSE "
            "with ERROR_NO_MORE_ITEMS.", ["info", "guid"], info=_NAME, guid=_GUID,
            index=dict(_EXPR, description="the 0-based member index (default 0)"),
            cb_size={"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF,
                     "description": "data.cbSize (default sizeof = 28)"}),
        "setupdi_get_device_interface_detail": _obj(
            "SetupDiGetDeviceInterfaceDetail(info, &data, detail, size, &required, NULL): "
            "{r.size} is RequiredSize, {r.path} the DevicePath; size 0 passes NULL (the "
            "first call of the two: FALSE with ERROR_INSUFFICIENT_BUFFER).",
            ["info", "interface"], info=_NAME,
            interface=dict(_NAME, description="a setupdi_enum_device_interfaces request"),
            size=dict(_EXPR, description="DeviceInterfaceDetailDataSize, e.g. d1.size "
                      "(default 0: a NULL buffer)"),
            cb_size={"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF,
                     "description": "detail->cbSize (default sizeof = 5, the A structure "
                                    "on x86; not the buffer's size)"}),
        "setupdi_destroy_device_info_list": dict(_NAME, description="SetupDiDestroyDevice"
                                                 "InfoList on an HDEVINFO."),
        "read_file_ex": _obj("ReadFileEx(handle, buffer, length, &overlapped, completion): "
                             "on an overlapped handle; 'completion' are the steps of the "
                             "FileIOCompletionRoutine, run as a user APC by this thread's next "
                             "alertable wait ({r.result} = dwErrorCode, {r.bytes} = the count).",
                             ["handle", "length"], handle=_NAME,
                             length={"type": "integer", "minimum": 0, "maximum": MAX_BUFFER},
                             offset={"type": "integer", "minimum": 0},
                             completion=_STEPS),
        "sleep_ex": _obj("SleepEx(ms, alertable): {r.result} is 0, or WAIT_IO_COMPLETION "
                         "(192) when alertable and user APCs (ReadFileEx completions) ran.",
                         ["ms"], ms={"anyOf": [{"type": "integer", "minimum": 0},
                                               {"$ref": "#/$defs/duration_string"}]},
                         alertable={"type": "boolean"}),
        "queue_user_apc": _obj("QueueUserAPC(routine, hThread, data): the 'apc' steps run "
                               "in that thread at its next alertable wait (sleep_ex, "
                               "wait_for with alertable), before the wait returns "
                               "WAIT_IO_COMPLETION; a thread that is ending or has ended "
                               "gives FALSE with ERROR_GEN_FAILURE. {r.result} is the data "
                               "once the APC ran.", ["thread", "apc"],
                               thread=dict(_NAME, description="a thread under threads: "
                                           "(its own name: GetCurrentThread())"),
                               apc=_STEPS,
                               data={"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF,
                                     "description": "dwData, the routine's argument"}),
        "write_file_ex": _obj("WriteFileEx(handle, data, &overlapped, completion): as "
                              "read_file_ex, for a write.", ["handle", "data"],
                              handle=_NAME, data=_INPUT,
                              offset={"type": "integer", "minimum": 0}, completion=_STEPS),
        "cancel_io_ex": {"anyOf": [
            dict(_NAME, description="CancelIoEx(h, NULL): every request on the handle, of "
                 "any thread of the process; does not wait."),
            _obj("CancelIoEx(h, &overlapped): the request(s) using that request's "
                 "OVERLAPPED; FALSE with ERROR_NOT_FOUND when none is outstanding.",
                 ["handle"], handle=_NAME,
                 request=dict(_NAME, description="an overlapped read/write/ioctl request"))]},
        "cancel_synchronous_io": dict(_NAME, description="CancelSynchronousIo(hThread) on a "
                                      "thread by name: the synchronous request it is blocked "
                                      "in; FALSE with ERROR_NOT_FOUND when none; does not "
                                      "wait."),
        "set_event": dict(_NAME, description="SetEvent on a handle."),
        "reset_event": dict(_NAME, description="ResetEvent on a handle."),
        "pulse_event": dict(_NAME, description="PulseEvent on a handle."),
        "create_semaphore": _obj("CreateSemaphore(NULL, initial, maximum, name): 'as' names "
                                 "the handle.", ["initial", "maximum"],
                                 initial={"type": "integer", "minimum": -(1 << 31),
                                          "maximum": (1 << 31) - 1},
                                 maximum={"type": "integer", "minimum": -(1 << 31),
                                          "maximum": (1 << 31) - 1}, name=_OBJECT_NAME),
        "release_semaphore": _obj("ReleaseSemaphore(handle, count, &previous): 'as' names "
                                  "the call ({r.ok}, {r.result} = the previous count).",
                                  ["handle"], handle=_NAME,
                                  count={"type": "integer", "minimum": -(1 << 31),
                                         "maximum": (1 << 31) - 1}),
        "create_mutex": _obj("CreateMutex(NULL, initial_owner, name): 'as' names the handle.",
                             [], initial_owner={"type": "boolean"}, name=_OBJECT_NAME),
        "release_mutex": dict(_NAME, description="ReleaseMutex on a handle (FALSE with "
                              "ERROR_NOT_OWNER when this thread does not own it)."),
        "wait_for": {"anyOf": [_NAME, _obj(
            "WaitForSingleObject (one object) or WaitForMultipleObjects: handles, or "
            "threads by name; 'as' names the call ({w.result}: WAIT_OBJECT_0 + i, "
            "WAIT_ABANDONED_0 + i, WAIT_TIMEOUT, WAIT_FAILED).", ["objects"],
            objects={"type": "array", "items": _NAME, "minItems": 1, "maxItems": 64},
            wait_all={"type": "boolean"},
            alertable={"type": "boolean", "description": "the Ex form: WaitForSingleObjectEx"
                       " / WaitForMultipleObjectsEx(..., bAlertable); true runs queued user"
                       " APCs and returns WAIT_IO_COMPLETION (192)"},
            timeout={"anyOf": [{"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF},
                               {"$ref": "#/$defs/duration_string"}],
                     "description": "milliseconds (default INFINITE) or a duration"})]},
    }


def app_defs() -> dict[str, Any]:
    """Return the ``$defs`` entries for the ``app:`` section.

    Returns:
        ``app`` (a step list or ``{threads: {name: [steps]}}``), ``app_steps`` and
        ``app_step``.
    """
    properties: dict[str, Any] = {**_verbs(), **iocp_verbs(), **file_verbs()}
    properties["as"] = dict(_NAME, description="Name the handle or request this step produces.")
    properties["overlapped"] = {"type": "boolean", "description": "open: FILE_FLAG_OVERLAPPED."}
    properties["access"] = {
        "anyOf": [{"enum": ["read", "write", "read_write", "none"]},
                  {"type": "integer", "minimum": 0}],
        "description": "open: desired access (GENERIC_READ/GENERIC_WRITE) or a mask.",
    }
    properties["share"] = {
        "anyOf": [{"enum": ["none", "read", "write", "read_write", "delete", "all"]},
                  {"type": "integer", "minimum": 0}],
        "description": "open: share mode (FILE_SHARE_*) or a mask.",
    }
    app_step = {
        "title": "app step",
        "description": "One call the application makes: exactly one of "
                       + ", ".join(APP_VERBS) + ", plus an optional 'as' name.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "dependentRequired": {option: ["open"] for option in OPEN_OPTIONS},
        "oneOf": [{"required": [verb]} for verb in APP_VERBS],
    }
    return {
        "app_step": app_step,
        "app_steps": {"type": "array", "items": {"$ref": "#/$defs/app_step"}},
        "app": {
            "title": "application",
            "description": "The user-mode program: a list of steps for its main thread, "
                           "or {threads: {name: [steps]}} for several threads.",
            "anyOf": [
                {"$ref": "#/$defs/app_steps"},
                {"type": "object", "required": ["threads"], "additionalProperties": False,
                 "properties": {"threads": {
                     "type": "object", "minProperties": 1,
                     "propertyNames": {"$ref": "#/$defs/identifier"},
                     "additionalProperties": {"$ref": "#/$defs/app_steps"}}}},
            ],
        },
    }
