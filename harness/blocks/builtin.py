"""Importing this module registers every built-in block."""

from . import actions, driver_io, queueing, recipes, statements, sync  # noqa: F401
