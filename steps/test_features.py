"""Binds every feature under features/ (the book regression suite and the pitfalls)."""

from pytest_bdd import scenarios

scenarios("")
