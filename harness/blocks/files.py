"""Blocks for a driver's files (book §6.2; stacks-services 4.27, 4.28): the information
calls, ZwQueryInformationFile and ZwSetInformationFile.

Opening, reading, writing and closing are the Zw blocks of driver_io.py: a name on the
C: volume (``\\??\\C:\\1.log``) opens a file there. The record a call reads or writes
is a variable of the driver, as the C code declares it (``FILE_STANDARD_INFORMATION
fsi;``): the built-in FILE_*_INFORMATION structs, or any memory variable or view, or a
pointer variable into pool. A rename's FILE_RENAME_INFORMATION carries its name after
the struct, so the block fills it from ``rename:`` as the C code would before the call.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (IoStatusBlock, FileBasicInformation, FileDispositionInformation,
                      FileEndOfFileInformation, FilePositionInformation, FileRenameInformation,
                      FileStandardInformation, file_rename_information, status_name,
                      zw_query_information_file, zw_set_information_file)
from .actions import EXPR
from .driver_io import LVALUE, NAME, TEXT, _buffer, _iosb, _out, _report, _returned, _value
from .registry import block
from .runtime import Frame
from .state import fault

#: FILE_INFORMATION_CLASS names a scenario may write (wdm.h values).
CLASSES = {"FileBasicInformation": FileBasicInformation,
           "FileStandardInformation": FileStandardInformation,
           "FileRenameInformation": FileRenameInformation,
           "FileDispositionInformation": FileDispositionInformation,
           "FilePositionInformation": FilePositionInformation,
           "FileEndOfFileInformation": FileEndOfFileInformation}
CLASS = {"anyOf": [{"enum": list(CLASSES)}, {"type": "integer", "minimum": 0,
                                             "maximum": 255}],
         "description": "FileInformationClass: a FILE_INFORMATION_CLASS name, or its number"}
INFO = dict(NAME, description="FileInformation: the record's variable (e.g. a "
            "FILE_STANDARD_INFORMATION local), a view, or a pointer variable into pool")
LENGTH = dict(EXPR, description="Length in bytes (default: the size of info)")


def _class(params: dict, default: int | str | None = None) -> int:
    value: Any = params.get("class", default)
    return CLASSES[value] if isinstance(value, str) else value


def _length(cc: Any, params: dict, path: list) -> Callable[[Frame, Any], int]:
    """Length: the expression given, else the size of the record's memory."""
    given = _value(cc, params, "length", path)       # called only when given
    return lambda f, memory: (given(f) if "length" in params
                              else (memory.length if memory is not None else 0)) & 0xFFFFFFFF


def _memory_or_fault(f: Frame, memory: Any, name: str) -> Any:
    if memory is None:
        fault(f, 0, True)               # FileInformation NULL: the service touches it
    return memory


@block("zw_query_information_file", summary="ZwQueryInformationFile(handle, &iosb, &info, "
       "length, class): the record into the variable 'info' (Information bytes of it). "
       "A length below the class's size is STATUS_INFO_LENGTH_MISMATCH; "
       "FilePositionInformation of a synchronous handle comes from the I/O manager.",
       params={"type": "object", "required": ["handle", "info", "class"],
               "additionalProperties": False,
               "properties": {"handle": EXPR, "iosb": NAME, "info": INFO, "length": LENGTH,
                              "class": CLASS, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwQueryInformationFile",))
def _zw_query_information_file(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    iosb = _iosb(cc, params, "iosb", path)
    info = _buffer(cc, params, "info", path)
    length = _length(cc, params, path)
    information_class = _class(params)
    status_out = _out(cc, params, "status", path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = handle(f) & 0xFFFFFFFF
        block_ = iosb(f) or IoStatusBlock()
        memory = info(f)
        count = length(f, memory)
        _report(f, "ZwQueryInformationFile", {"handle": value, "class": information_class,
                                              "length": count})
        status, data = yield from zw_query_information_file(f.kernel, value, block_, count,
                                                            information_class)
        if data:
            _memory_or_fault(f, memory, params["info"]).write(data)
        status_out(f, status)
        _returned(f, "ZwQueryInformationFile", status, handle=value,
                  iosb={"status": status_name(block_.status),
                        "information": block_.information})
    return step


_RENAME = {"type": "object", "required": ["name"], "additionalProperties": False,
           "description": "FILE_RENAME_INFORMATION filled as the C code does: the new "
                          "name (full, \\??\\C:\\new.log, or bare: same directory) and "
                          "ReplaceIfExists; class FileRenameInformation, length "
                          "sizeof(FILE_RENAME_INFORMATION) + the name's bytes.",
           "properties": {"name": TEXT, "replace_if_exists": EXPR}}


@block("zw_set_information_file", summary="ZwSetInformationFile(handle, &iosb, &info, length, "
       "class): FilePositionInformation moves the file pointer, FileEndOfFileInformation "
       "cuts or extends, FileDispositionInformation marks the file for deletion at its last "
       "close (needs DELETE), rename: renames (needs DELETE).",
       params={"type": "object", "required": ["handle"], "additionalProperties": False,
               "properties": {"handle": EXPR, "iosb": NAME, "info": INFO, "length": LENGTH,
                              "class": CLASS, "rename": _RENAME, "status": LVALUE}},
       max_irql="PASSIVE_LEVEL", models=("ZwSetInformationFile",))
def _zw_set_information_file(params: dict, cc: Any, path: list) -> Any:
    handle = _value(cc, params, "handle", path)
    iosb = _iosb(cc, params, "iosb", path)
    status_out = _out(cc, params, "status", path)
    rename = params.get("rename")
    if (rename is None) == ("info" not in params):
        cc.report(path, "give either info: (the record's variable) or rename:")
    if rename is None and "class" not in params:
        cc.report(path, "class: is needed with info: (FilePositionInformation, ...)")
    if rename is not None and params.get("class", "FileRenameInformation") not in (
            "FileRenameInformation", FileRenameInformation):
        cc.report(path + ["class"], "rename: fills a FILE_RENAME_INFORMATION: the class is "
                  "FileRenameInformation")
    information_class = _class(params, "FileRenameInformation" if rename else 0)
    info = _buffer(cc, params, "info", path) if "info" in params else (lambda f: None)
    length = _length(cc, params, path)
    replace = (_value(cc, rename, "replace_if_exists", path + ["rename"])
               if rename is not None else (lambda f: 0))

    def record(f: Frame) -> bytes:
        if rename is not None:
            data = file_rename_information(bool(replace(f)), 0, rename["name"])
            size = length(f, None) if "length" in params else 16 + len(data) - 12
            return data.ljust(size, b"\0")[:size]
        memory = _memory_or_fault(f, info(f), params["info"])
        count = length(f, memory)
        memory.check(0, count)            # Length past the variable: an overrun
        return memory.read(0, count)

    def step(f: Frame) -> Generator[Any, Any, None]:
        value = handle(f) & 0xFFFFFFFF
        block_ = iosb(f) or IoStatusBlock()
        data = record(f)
        _report(f, "ZwSetInformationFile", {
            "handle": value, "class": information_class, "length": len(data),
            **({"name": rename["name"]} if rename is not None else {})})
        status = yield from zw_set_information_file(f.kernel, value, block_, data,
                                                    information_class)
        status_out(f, status)
        _returned(f, "ZwSetInformationFile", status, handle=value)
    return step
