#!/usr/bin/env bash
# Create (or reuse) the virtual environment and install irp-harness from this checkout.
# VENV overrides where the environment lives (default: .venv in the checkout). pip runs
# only when pyproject.toml changed since the last install (a stamp in the environment),
# so a second call needs no network; a new environment (as .ci/run makes) always installs.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
stamp="$VENV/.irp-harness-installed"
want=$( (cat pyproject.toml; "$VENV/bin/python" -V; pwd) | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && "$VENV/bin/python" -c "import harness, hypothesis, mypy, ruff" 2>/dev/null; then
    exit 0
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'
echo "$want" > "$stamp"
