"""Importing this module registers every built-in block."""

from . import (actions, attach, devstack, driver_io, files, hardware, interfaces,  # noqa: F401
               kdext,
               keyboard, lifecycle, pnp_requests,
               named_objects, notifications, pool, queueing, recipes, registry_keys, seh,
               statements, storage, strings, sync, threads, timekeeping)
