"""Blocks for what a driver asks of the PnP manager (pnp-hardware §2.2, §2.7):
IoInvalidateDeviceState and IoInvalidateDeviceRelations. Both return at once; the PnP
worker sends the query later (several calls may bring one query). What the query
answers is up to the drivers' IRP_MJ_PNP handlers: e.g. a function driver reports a
failed device by OR-ing PNP_DEVICE_FAILED (0x4) into Irp->IoStatus.Information for
QUERY_PNP_DEVICE_STATE (``set_status: {status: STATUS_SUCCESS, information:
"Irp->IoStatus.Information | PNP_DEVICE_FAILED"}``, then pass it down).

The PDO defaults to the bottom of the stack of the device the routine runs for - the
PhysicalDeviceObject a WDM driver keeps in its extension.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..kernel import (NotModelledError, io_invalidate_device_relations,
                      io_invalidate_device_state)
from .actions import EXPR
from .driver_io import _pointer
from .registry import block
from .runtime import Frame
from .sync import _report

PDO = dict(EXPR, description="a PDEVICE_OBJECT expression (default: the PDO of the "
           "routine's device stack)")
#: DEVICE_RELATION_TYPE (pnp-hardware §0)
RELATION_TYPES = {"BusRelations": 0, "EjectionRelations": 1, "PowerRelations": 2,
                  "RemovalRelations": 3}


def _pdo(cc: Any, params: dict, path: list) -> Callable[[Frame], Any]:
    if "pdo" in params:
        return _pointer(cc, params, "pdo", path, "DeviceObject")

    def bottom(f: Frame) -> Any:
        device = f.device
        if device is None:
            raise NotModelledError("the PDO", "this routine runs for no device: name the "
                                   "PDO with pdo:")
        while device.attached_to is not None:
            device = device.attached_to
        return device
    return bottom


@block("io_invalidate_device_state", bare=True, summary="IoInvalidateDeviceState(pdo): the "
       "PnP worker sends QUERY_PNP_DEVICE_STATE later; PNP_DEVICE_FAILED (without "
       "RESOURCE_REQUIREMENTS_CHANGED) or PNP_DEVICE_REMOVED in the answer's Information "
       "tears the device down the surprise-removal way with problem 43. A device that is "
       "no PDO is bug check 0xCA (0x2).",
       params={"type": "object", "additionalProperties": False,
               "properties": {"pdo": PDO}},
       max_irql="DISPATCH_LEVEL", models=("IoInvalidateDeviceState",))
def _io_invalidate_device_state(params: dict | None, cc: Any, path: list) -> Any:
    pdo = _pdo(cc, params or {}, path)

    def step(f: Frame) -> Generator[Any, Any, None]:
        device = pdo(f)
        _report(f, "IoInvalidateDeviceState", {"pdo": device.label})
        io_invalidate_device_state(device)
        return None
        yield
    return step


@block("io_invalidate_device_relations", bare=True, summary="IoInvalidateDeviceRelations(pdo, "
       "type): for BusRelations the PnP worker sends QUERY_DEVICE_RELATIONS(BusRelations) "
       "to the top of the stack later and updates the tree from the answer (a failed query "
       "or a NULL list: no change). The other types are not modelled.",
       params={"type": "object", "additionalProperties": False,
               "properties": {"pdo": PDO,
                              "type": {"enum": list(RELATION_TYPES),
                                       "description": "DEVICE_RELATION_TYPE (default "
                                                      "BusRelations)"}}},
       max_irql="DISPATCH_LEVEL", models=("IoInvalidateDeviceRelations",))
def _io_invalidate_device_relations(params: dict | None, cc: Any, path: list) -> Any:
    params = params or {}
    pdo = _pdo(cc, params, path)
    kind = params.get("type", "BusRelations")

    def step(f: Frame) -> Generator[Any, Any, None]:
        device = pdo(f)
        _report(f, "IoInvalidateDeviceRelations", {"pdo": device.label, "type": kind})
        io_invalidate_device_relations(device, RELATION_TYPES[kind])
        return None
        yield
    return step
