"""Importing this module registers every built-in block."""

from . import (actions, driver_io, hardware, named_objects, pool, queueing, recipes,  # noqa: F401
               registry_keys, seh, statements, strings, sync, threads, timekeeping)
