"""Compose the scenario JSON Schema (draft 2020-12) from the block registry.

The schema is the single description of the scenario language: the loader validates
with it and editors (yaml-language-server) use the shipped copy for completion and
hover text. Run ``python -m harness.scenario.schema`` after changing a block.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from harness.blocks import builtin  # noqa: F401 - registers the built-in blocks
from harness.blocks.discovery import load_custom_blocks
from harness.blocks.registry import REGISTRY, BlockSpec
from harness.scenario.schema_app import app_defs
from harness.scenario.schema_pnp import pnp_defs
from harness.scenario.schema_files import files_defs
from harness.scenario.schema_input import input_defs
from harness.scenario.schema_registry import registry_defs
from harness.lang.units import DURATION_PATTERN

DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: The shipped schema files; editors point at them from a file's first line.
SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
DRIVER_FILE_SCHEMA_PATH = Path(__file__).with_name("driver_file.schema.json")

#: IRP major function names in code order (IRP_MJ_CREATE 0x00 .. IRP_MJ_PNP 0x1b).
#: IRP_MJ_SCSI is an alias of IRP_MJ_INTERNAL_DEVICE_CONTROL, so it is not a key.
IRP_MJ_NAMES = (
    "IRP_MJ_CREATE", "IRP_MJ_CREATE_NAMED_PIPE", "IRP_MJ_CLOSE", "IRP_MJ_READ",
    "IRP_MJ_WRITE", "IRP_MJ_QUERY_INFORMATION", "IRP_MJ_SET_INFORMATION",
    "IRP_MJ_QUERY_EA", "IRP_MJ_SET_EA", "IRP_MJ_FLUSH_BUFFERS",
    "IRP_MJ_QUERY_VOLUME_INFORMATION", "IRP_MJ_SET_VOLUME_INFORMATION",
    "IRP_MJ_DIRECTORY_CONTROL", "IRP_MJ_FILE_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CONTROL",
    "IRP_MJ_INTERNAL_DEVICE_CONTROL", "IRP_MJ_SHUTDOWN", "IRP_MJ_LOCK_CONTROL",
    "IRP_MJ_CLEANUP", "IRP_MJ_CREATE_MAILSLOT", "IRP_MJ_QUERY_SECURITY",
    "IRP_MJ_SET_SECURITY", "IRP_MJ_POWER", "IRP_MJ_SYSTEM_CONTROL",
    "IRP_MJ_DEVICE_CHANGE", "IRP_MJ_QUERY_QUOTA", "IRP_MJ_SET_QUOTA", "IRP_MJ_PNP",
)

_ROUTINE = {"$ref": "#/$defs/routine"}

# Top-level keys starting with "x-" are ignored, so a file can hold YAML anchors
# (`x-defaults: &d {...}`) for reuse, as in docker-compose files.
_EXTENSION_KEYS = {"^x-": {"description": "Ignored: a place for YAML anchors."}}


def _value_defs() -> dict[str, Any]:
    """Small reusable value types that block parameter schemas may ``$ref``."""
    duration_string = {
        "title": "duration",
        "type": "string",
        "pattern": DURATION_PATTERN,
        "description": "A number and a unit: '3s', '10ms', '500us', '100ns' (whole 100 ns units).",
    }
    return {
        "identifier": {"title": "name", "type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
                       "description": "Letters, digits and '_', not starting with a digit."},
        "scenario_id": {"title": "scenario id", "type": "string",
                        "pattern": r"^[a-z0-9][a-z0-9._-]*$",
                        "description": "Lower-case letters, digits, '.', '_' and '-'."},
        "duration_string": duration_string,
        "duration": {
            "title": "duration",
            "description": "An integer in 100 ns units (kernel time), or a string such as "
                           "'3s', '10ms', '500us', '100ns'.",
            "anyOf": [{"type": "integer", "minimum": 0}, {"$ref": "#/$defs/duration_string"}],
        },
        "ntstatus": {
            "title": "NTSTATUS",
            "description": "A status name such as STATUS_SUCCESS, or its numeric value.",
            "anyOf": [
                {"title": "status name", "type": "string", "pattern": r"^STATUS_[A-Z0-9_]+$",
                 "description": "STATUS_ and capitals, e.g. STATUS_SUCCESS."},
                {"type": "integer", "minimum": -0x80000000, "maximum": 0xFFFFFFFF},
            ],
        },
        "buffer_pattern": {
            "title": "buffer pattern",
            "type": "string",
            "description": "Buffer contents. 'AA*10' or '0xFF*4096': the byte given by two "
                           "hex digits (optional 0x), repeated count times. 'hex: 80 84 1E 00': "
                           "these bytes. Any other string is taken literally as UTF-8 text "
                           "('hello').",
            "anyOf": [{"not": {"pattern": "^hex:"}},
                      {"pattern": "^hex:( *[0-9A-Fa-f]{2})+ *$"}],
        },
        "expression": {
            "title": "expression",
            "description": "An integer, or a C expression over state variables, views, "
                           "Irp->... and stack->... fields, constants and request results: "
                           "'count + 1', 'Irp->IoStatus.Information / sizeof(KEYBOARD_INPUT_"
                           "DATA)', 'keys[i].MakeCode == 0x1D && !Irp->Cancel'.",
            "anyOf": [{"type": "integer"}, {"type": "boolean"},
                      {"type": "string", "minLength": 1, "maxLength": 1000}]},
        "type_name": {"title": "type", "type": "string", "minLength": 1, "maxLength": 100,
                      "description": "A WDK type: UCHAR, USHORT, ULONG, LONG, LONGLONG, "
                                     "BOOLEAN, HANDLE, PVOID, ...; an array 'UCHAR[16]'; a "
                                     "struct name; in a struct, a bitfield 'UCHAR:3'."},
        "device_name": {"title": "device name", "type": "string", "pattern": r"^\\Device\\.+",
                        "description": "A kernel device name such as '\\Device\\MyDDKDeviceA'."},
        "symbolic_link": {"title": "symbolic link", "type": "string",
                          "pattern": r"^\\(\?\?|DosDevices)\\.+",
                          "description": "A link such as '\\??\\HelloDDKA' or "
                                         "'\\DosDevices\\HelloDDKA'."},
    }


def _routine_defs(blocks: Mapping[str, BlockSpec]) -> dict[str, Any]:
    """``step`` and ``routine``: where the registry's blocks enter the schema."""
    names = sorted(blocks)
    bare = [name for name in names if blocks[name].bare]
    properties = {}
    for name in names:
        spec = blocks[name]
        prop = dict(spec.params)
        prop["title"] = name
        extra = spec.params.get("description")
        prop["description"] = spec.summary + (f"\n\n{extra}" if extra else "")
        properties[name] = prop
    # Deliberately not a oneOf of one-key objects: a single object schema keeps
    # jsonschema's errors about the block's own parameters instead of every branch.
    branches: list[dict[str, Any]] = []
    if bare:
        branches.append({"title": "block name", "type": "string", "enum": bare,
                         "description": "A block written without parameters."})
    branches.append({"title": "block with parameters", "type": "object",
                     "minProperties": 1, "maxProperties": 1,
                     "additionalProperties": False, "properties": properties})
    return {
        "step": {"title": "step", "description": "One behaviour block: a bare block name, "
                 "or a one-key mapping {block: parameters}.", "anyOf": branches},
        "routine": {"title": "routine", "description": "One step or a list of steps.",
                    "anyOf": [{"$ref": "#/$defs/step"},
                              {"type": "array", "items": {"$ref": "#/$defs/step"}}]},
    }


def _driver_defs() -> dict[str, Any]:
    device = {
        "title": "device",
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"title": "device name", "type": ["string", "null"],
                     "pattern": r"^\\Device\\.+",
                     "description": "'\\Device\\Name', or null for an unnamed device."},
            "link": {"$ref": "#/$defs/symbolic_link"},
            "io": {"enum": ["buffered", "direct", "neither", "copy_lower"], "default": "neither",
                   "description": "DO_BUFFERED_IO, DO_DIRECT_IO, neither, or copy the flags "
                                  "of the device attached to (filters)."},
            "exclusive": {"type": "boolean"},
            "type": {"type": "string", "minLength": 1,
                     "description": "Device type, e.g. FILE_DEVICE_UNKNOWN."},
            "attach_to": dict({"$ref": "#/$defs/device_name"},
                              description="Attach to the top of this device's stack."),
        },
    }
    variable = {
        "title": "variable",
        "description": "A type ('ULONG', 'UCHAR[16]', a struct, 'LIST_ENTRY'), or {type, "
                       "value}: an integer for a scalar, a buffer pattern for memory.",
        "anyOf": [{"$ref": "#/$defs/type_name"},
                  {"type": "object", "required": ["type"], "additionalProperties": False,
                   "properties": {"type": {"$ref": "#/$defs/type_name"},
                                  "value": {"anyOf": [{"type": "integer"},
                                                      {"$ref": "#/$defs/buffer_pattern"}]}}}],
    }
    variables = {"type": "object", "propertyNames": {"$ref": "#/$defs/identifier"},
                 "additionalProperties": {"$ref": "#/$defs/variable"}}
    view = {
        "title": "view", "type": "object", "additionalProperties": False,
        "description": "A typed pointer into the request's buffer, e.g. {buffer: system, "
                       "struct: KEYBOARD_INPUT_DATA}: name[i].MakeCode in expressions.",
        "properties": {"buffer": {"enum": ["auto", "system", "mdl", "user", "type3_input"],
                                  "description": "SystemBuffer, the MDL's system address, "
                                  "UserBuffer, Type3InputBuffer, or by I/O method (auto)."},
                       "struct": {"$ref": "#/$defs/type_name"},
                       "type": {"$ref": "#/$defs/type_name"}},
    }
    dispatch = {
        "title": "dispatch table",
        "description": "Routines by IRP major function.",
        "type": "object",
        # properties give editor completion; propertyNames rejects everything else.
        "properties": {name: dict(_ROUTINE, description=f"{name} (0x{code:02x})")
                       for code, name in enumerate(IRP_MJ_NAMES)},
        "propertyNames": {"enum": list(IRP_MJ_NAMES)},
    }
    driver = {
        "title": "driver",
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"$ref": "#/$defs/identifier"},
            "load_order": {"type": "integer", "minimum": -1000, "maximum": 1000},
            "devices": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/device"},
                        "description": "The driver's devices. Only a bus driver goes without: "
                                       "its devices are the PDOs of the devnodes naming it as "
                                       "bus (the built-in USBSTOR)."},
            "driver_entry": dict(_ROUTINE, description=(
                "DriverEntry, run by the loader thread at boot. Devices are created (and "
                "attached) where a create_devices step stands, else before it runs.")),
            "unload": dict(_ROUTINE, description="DriverUnload(DriverObject), run when the "
                           "service is stopped (ControlService STOP) and no device of the driver "
                           "is open or attached to; without it the driver cannot be stopped."),
            "start": {"enum": ["boot", "system", "auto", "demand", "disabled"],
                      "description": "The service's start type: boot, system (the default) "
                                     "and auto are loaded as the machine starts, in load_order; "
                                     "demand waits for StartService, disabled refuses it."},
            "add_device": dict(_ROUTINE, description=(
                "AddDevice(DriverObject, PhysicalDeviceObject): makes this a PnP (WDM) "
                "driver. A create_devices step creates the devices: each is attached to "
                "the PDO (its lower device is where forward sends) and ready.")),
            "build": {"enum": ["checked", "free"], "description": (
                "The driver's build: checked (the default, as the book's outputs are) "
                "keeps KdPrint (log) and ASSERT; free compiles both away.")},
            "installed": {"type": "boolean", "description": "false: no service key yet; the "
                          "app's CreateService installs <name>.sys (default true)."},
            "dispatch": {"$ref": "#/$defs/dispatch"},
            "default_dispatch": dict(_ROUTINE,
                                     description="Used for every IRP_MJ_* not in dispatch."),
            "start_io": dict(_ROUTINE, description="DriverStartIo."),
            "state": dict(variables, description="Driver globals: name -> type."),
            "extension": dict(variables, description="The device extension every device "
                              "of this driver gets (IoCreateDevice's DeviceExtensionSize)."),
            "locals": dict(variables, description="Local variables: every call of a routine "
                           "gets its own, zero at entry."),
            "pageable": {"type": "array", "uniqueItems": True,
                         "items": {"type": "string", "minLength": 1},
                         "description": "Routines in a pageable section (#pragma alloc_text("
                                        "PAGE, ...)): IRP_MJ_* of dispatch, start_io, "
                                        "driver_entry or names under routines:."},
            "views": {"type": "object", "propertyNames": {"$ref": "#/$defs/identifier"},
                      "additionalProperties": {"$ref": "#/$defs/view"},
                      "description": "Typed pointers into the current request's buffers."},
            "routines": {"type": "object", "description": "Named completion, cancel and DPC "
                         "routines that steps refer to by name.",
                         "propertyNames": {"$ref": "#/$defs/identifier"},
                         "additionalProperties": _ROUTINE},
        },
    }
    include = {"type": "array", "description": "Files of drivers to add, relative to this file; "
               "their drivers come before this file's own.",
               "items": {"title": "include path", "type": "string", "pattern": r"\.ya?ml$",
                         "description": "A .yaml or .yml file."}}
    driver_file = {
        "title": "driver file",
        "description": "A file of drivers for other scenarios to include.",
        "type": "object",
        "required": ["drivers"],
        "additionalProperties": False,
        "patternProperties": _EXTENSION_KEYS,
        "properties": {"description": {"type": "string"},
                       "include": include, "structs": {"$ref": "#/$defs/structs"},
                       "drivers": {"type": "array", "items": {"$ref": "#/$defs/driver"}}},
    }
    return {"device": device, "dispatch": dispatch, "driver": driver, "variable": variable,
            "view": view,
            "include": include, "driver_file": driver_file}


def _setting_defs() -> dict[str, Any]:
    count = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF}
    ctl_code = {
        "type": "object", "required": ["ctl_code"], "additionalProperties": False,
        "properties": {"ctl_code": {
            "type": "array", "description": "CTL_CODE(DeviceType, Function, Method, Access).",
            "prefixItems": [
                {"anyOf": [{"type": "string"}, count]},
                count,
                {"anyOf": [{"enum": ["METHOD_BUFFERED", "METHOD_IN_DIRECT",
                                     "METHOD_OUT_DIRECT", "METHOD_NEITHER"]}, count]},
                {"anyOf": [{"enum": ["FILE_ANY_ACCESS", "FILE_READ_ACCESS", "FILE_WRITE_ACCESS",
                                     "FILE_READ_DATA", "FILE_WRITE_DATA"]}, count]},
            ],
            "minItems": 4, "items": False}},
    }
    return {
        "book": {"title": "book reference", "type": "object", "additionalProperties": False,
                 "properties": {"chapter": {"type": "integer"}, "section": {"type": "string"},
                                "experiment": {"type": "integer"}, "id": {"type": "string"}}},
        "machine": {
            "title": "machine", "type": "object", "additionalProperties": False,
            "properties": {
                "cpus": {"type": "integer", "minimum": 1, "maximum": 64},
                "seed": count,
                "clock_tick": dict({"$ref": "#/$defs/duration"}, description="Timer tick."),
                "verifier": {"type": "boolean", "description": "Driver Verifier checks."},
                "build": {"enum": ["checked", "free"], "description": (
                    "The drivers' build, unless a driver says (default checked).")},
                "debugger": {"type": "boolean", "description": (
                    "A kernel debugger is attached: a checked driver's failed ASSERT breaks "
                    "into it (what the person there answers is not modelled).")},
                "strict": {"type": "boolean", "description": (
                    "true (default): a blocking wait at DISPATCH_LEVEL in a thread bug-checks. "
                    "false: it blocks as on a free XP build (the book's StartIo samples) and "
                    "the trace records the rule violation.")},
                "time_limit": dict({"$ref": "#/$defs/duration"},
                                   description="Simulated time after which the run fails."),
                "timezone": {"type": "string", "pattern": r"^UTC([+-]\d{1,2}(:\d{2})?)?$",
                             "description": "The local time zone ExSystemTimeToLocalTime "
                                            "uses, e.g. UTC+08:00 (default UTC)."},
                "boot_time": {"type": "string", "description": (
                    "KeQuerySystemTime at boot, UTC, e.g. 2008-06-02T00:00:00Z (the "
                    "default).")},
            },
        },
        "hardware": {
            "title": "hardware", "type": "array", "maxItems": 64,
            "description": "Devices the drivers drive: registers, an interrupt line and a "
                           "script of what the device does when.",
            "items": {"type": "object", "required": ["name"], "additionalProperties": False,
                      "properties": {
                          "name": {"$ref": "#/$defs/identifier"},
                          "registers": {
                              "type": "object", "maxProperties": 256,
                              "propertyNames": {"$ref": "#/$defs/identifier"},
                              "additionalProperties": {"anyOf": [
                                  {"enum": [1, 2, 4]},
                                  {"type": "object", "required": ["size"],
                                   "additionalProperties": False,
                                   "properties": {"size": {"enum": [1, 2, 4]},
                                                  "value": {"type": "integer", "minimum": 0,
                                                            "maximum": 0xFFFFFFFF},
                                                  "w1c": {"type": "boolean", "description":
                                                          "writing 1 bits clears them"},
                                                  "read_clears": {
                                                      "type": "object", "maxProperties": 16,
                                                      "propertyNames": {
                                                          "$ref": "#/$defs/identifier"},
                                                      "additionalProperties": {
                                                          "type": "integer", "minimum": 0,
                                                          "maximum": 0xFFFFFFFF},
                                                      "description": "REGISTER: bits that "
                                                      "reading this register clears (an "
                                                      "8042's DATA read empties its output "
                                                      "buffer: {STATUS: 0x01})"},
                                                  "on_write": {
                                                      "type": "array", "maxItems": 16,
                                                      "description": "what the device does "
                                                      "when the driver writes (value: only "
                                                      "that value)",
                                                      "items": {
                                                          "type": "object",
                                                          "additionalProperties": False,
                                                          "properties": {
                                                              "value": {"type": "integer",
                                                                        "minimum": 0},
                                                              "after": {"anyOf": [
                                                                  {"$ref": "#/$defs/duration"},
                                                                  {"type": "object",
                                                                   "required": ["uniform"],
                                                                   "additionalProperties":
                                                                       False,
                                                                   "properties": {"uniform": {
                                                                       "type": "array",
                                                                       "minItems": 2,
                                                                       "maxItems": 2,
                                                                       "items": {"$ref":
                                                                           "#/$defs/duration"
                                                                       }}}}]},
                                                              "set": {
                                                                  "type": "object",
                                                                  "additionalProperties": {
                                                                      "type": "integer",
                                                                      "minimum": 0,
                                                                      "maximum": 0xFFFFFFFF}},
                                                              "interrupt": {
                                                                  "type": "boolean"}}}}}}]},
                              "description": "NAME: size in bytes, or {size, value, w1c, "
                                             "read_clears, on_write}"},
                          "interrupt": {
                              "type": "object", "required": ["vector", "irql"],
                              "additionalProperties": False,
                              "properties": {
                                  "vector": {"type": "integer", "minimum": 0, "maximum": 255},
                                  "irql": {"type": "integer", "minimum": 3, "maximum": 26,
                                           "description": "DIRQL"},
                                  "mode": {"enum": ["LevelSensitive", "Latched"]},
                                  "shared": {"type": "boolean"},
                                  "cause": {"$ref": "#/$defs/identifier", "description":
                                            "a level-sensitive line is asserted while this "
                                            "register is non-zero"}}},
                          "events": {
                              "type": "array", "maxItems": 10000,
                              "items": {"type": "object", "required": ["at"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "at": {"$ref": "#/$defs/duration"},
                                            "set": {"type": "object",
                                                    "additionalProperties": {
                                                        "type": "integer", "minimum": 0,
                                                        "maximum": 0xFFFFFFFF}},
                                            "interrupt": {"type": "boolean", "description":
                                                          "an edge on a latched line"}}}}}}},
        "structs": {
            "title": "structs", "type": "object",
            "propertyNames": {"$ref": "#/$defs/identifier"},
            "description": "Struct types: NAME -> {field: type, ...} in declaration order, or "
                           "{fields: {...}, pack: 1|2|4|8|16} (#pragma pack). Laid out as MSVC "
                           "does on x86.",
            "additionalProperties": {"anyOf": [
                {"type": "object", "required": ["fields"], "additionalProperties": False,
                 "properties": {"fields": {"type": "object", "minProperties": 1,
                                           "additionalProperties": {"$ref": "#/$defs/type_name"}},
                                "pack": {"enum": [1, 2, 4, 8, 16]}}},
                {"type": "object", "minProperties": 1, "not": {"required": ["fields"]},
                 "additionalProperties": {"$ref": "#/$defs/type_name"}}]}},
        "constant": {"title": "constant",
                     "description": "An integer, a string or {ctl_code: [...]}.",
                     "anyOf": [{"type": "integer", "minimum": -(1 << 63),
                                "maximum": (1 << 64) - 1},
                               {"type": "string"}, ctl_code]},
    }


def build_schema(blocks: Mapping[str, BlockSpec]) -> dict[str, Any]:
    """Compose the whole scenario schema.

    Args:
        blocks: the blocks a routine step may use, by name (normally ``REGISTRY``).

    Returns:
        A draft 2020-12 JSON Schema for a scenario file. Included driver files are
        described by ``$defs/driver_file``.
    """
    defs = {**_value_defs(), **_routine_defs(blocks), **_driver_defs(),
            **_setting_defs(), **app_defs(), **pnp_defs(), **registry_defs(), **files_defs(),
            **input_defs()}
    return {
        "$schema": DIALECT,
        "title": "irp-harness scenario",
        "description": "A BDD scenario: drivers on a simulated kernel and the program using "
                       "them. Only true/false are booleans (yes/no/on/off are rejected).",
        "type": "object",
        "required": ["scenario", "title"],
        "additionalProperties": False,
        "patternProperties": _EXTENSION_KEYS,
        "properties": {
            "scenario": {"$ref": "#/$defs/scenario_id"},
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "book": {"$ref": "#/$defs/book"},
            "machine": {"$ref": "#/$defs/machine"},
            "hardware": {"$ref": "#/$defs/hardware"},
            "pnp": {"$ref": "#/$defs/pnp"},
            "power": {"$ref": "#/$defs/power"},
            "raw_input": {"$ref": "#/$defs/raw_input"},
            "registry": {"$ref": "#/$defs/registry"},
            "files": {"$ref": "#/$defs/files"},
            "volume": {"$ref": "#/$defs/volume"},
            "include": {"$ref": "#/$defs/include"},
            "drivers": {"type": "array", "items": {"$ref": "#/$defs/driver"}},
            "app": {"$ref": "#/$defs/app"},
            "constants": {"type": "object", "propertyNames": {"$ref": "#/$defs/identifier"},
                          "additionalProperties": {"$ref": "#/$defs/constant"}},
            "structs": {"$ref": "#/$defs/structs"},
        },
        # Without includes the file itself says which drivers it has: `drivers: []` is a
        # user-mode-only scenario (book §8.4); with includes the loader checks that the
        # merged list is not empty.
        "if": {"required": ["include"]},
        "else": {"required": ["drivers"]},
        "$defs": defs,
    }


def registry_blocks(root: Path | None = None) -> Mapping[str, BlockSpec]:
    """Return the global registry with the built-in and custom blocks registered.

    Args:
        root: the project whose ``steps/`` may define blocks (default: the current
            directory).

    Returns:
        ``REGISTRY`` after importing the built-ins and discovering custom blocks.
    """
    load_custom_blocks(root)
    return REGISTRY


def builtin_blocks() -> Mapping[str, BlockSpec]:
    """The registry's built-in blocks only (what the shipped schema files describe)."""
    return {name: spec for name, spec in REGISTRY.items() if spec.builtin}


def schema_text(blocks: Mapping[str, BlockSpec]) -> str:
    """Serialise the schema deterministically, as the shipped file holds it."""
    return json.dumps(build_schema(blocks), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def driver_file_schema_text(blocks: Mapping[str, BlockSpec]) -> str:
    """The schema of an included driver file (the scenario schema's ``driver_file``)."""
    schema = build_schema(blocks)
    doc = {"$schema": DIALECT, "title": "irp-harness driver file",
           "$ref": "#/$defs/driver_file", "$defs": schema["$defs"]}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate the shipped schema files from the global registry.

    Args:
        path: where to write the scenario schema (the driver-file schema goes beside
            it as ``driver_file.schema.json``).

    Returns:
        The scenario schema's path.
    """
    blocks = builtin_blocks() if path == SCHEMA_PATH else registry_blocks()
    path.write_text(schema_text(blocks), encoding="utf-8")
    path.with_name(DRIVER_FILE_SCHEMA_PATH.name).write_text(driver_file_schema_text(blocks),
                                                            encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_schema()}")
