"""Importing this module registers every built-in block."""

from . import actions, recipes  # noqa: F401
