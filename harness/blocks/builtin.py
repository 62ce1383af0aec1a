"""Importing this module registers every built-in block."""

from . import (actions, driver_io, hardware, named_objects, queueing, recipes,  # noqa: F401
               statements, sync, threads, timekeeping)
