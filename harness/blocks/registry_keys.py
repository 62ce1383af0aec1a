"""Blocks for the registry (book §6.3)."""
