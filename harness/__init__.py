"""irp-harness: scenario tests for Windows driver I/O on a simulated kernel."""

__version__ = "0.1.0"
