"""Processes and system threads (ps): PsCreateSystemThread and what a driver asks of them."""
