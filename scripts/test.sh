#!/usr/bin/env bash
# Set up and run every test: kernel rules, scenario language, CLI, and the book suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k ch12 -x).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
VENV="$VENV" bash scripts/setup.sh
exec "$VENV/bin/python" -m pytest -q "$@"
