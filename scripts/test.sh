#!/usr/bin/env bash
# Set up, lint, type-check and run every test: kernel rules, scenario language, CLI, and
# the book suite. ruff (pyproject.toml [tool.ruff]) and mypy ([tool.mypy]: the whole
# harness) run first; any finding fails the script before pytest starts.
# Extra arguments go to pytest (e.g. scripts/test.sh -k ch12 -x).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
VENV="$VENV" bash scripts/setup.sh
"$VENV/bin/python" -m ruff check --quiet harness tests steps scripts benchmarks
"$VENV/bin/python" -m mypy
exec "$VENV/bin/python" -m pytest -q "$@"
