"""Importing this module registers every built-in block."""

from . import actions, queueing, recipes, statements  # noqa: F401
