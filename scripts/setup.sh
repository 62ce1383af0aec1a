#!/usr/bin/env bash
# Create (or reuse) the virtual environment and install irp-harness from this checkout.
# VENV overrides where the environment lives (default: .venv in the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'
