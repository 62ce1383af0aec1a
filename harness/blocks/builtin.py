"""Importing this module registers every built-in block."""

from . import (actions, driver_io, files, hardware, lifecycle, named_objects,  # noqa: F401
               pool, queueing, recipes, registry_keys, seh, statements, strings, sync, threads,
               timekeeping)
