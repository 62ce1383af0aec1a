"""Importing this module registers every built-in block."""

from . import (actions, attach, driver_io, files, hardware, interfaces,  # noqa: F401
               keyboard, lifecycle,
               named_objects, pool, queueing, recipes, registry_keys, seh, statements,
               storage, strings, sync, threads, timekeeping)
