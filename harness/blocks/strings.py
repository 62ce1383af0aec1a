"""Blocks for counted strings (book §6.1): filled in below."""
