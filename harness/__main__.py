"""``python -m harness``: the irp-harness command line."""

from harness.cli import main

if __name__ == "__main__":
    main(prog_name="python -m harness")
