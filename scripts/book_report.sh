#!/usr/bin/env bash
# Set up, run the book regression suite (features/) and build the Allure report as one
# offline HTML file: reports/allure-report/index.html. Needs Node.js/npm for Allure 3.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
VENV="$VENV" bash scripts/setup.sh
# npm ci only when package-lock.json changed since the last install (a stamp).
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.irp-harness-installed ] \
        || [ "$(cat node_modules/.irp-harness-installed)" != "$lock" ]; then
    npm ci --no-audit --no-fund --silent
    echo "$lock" > node_modules/.irp-harness-installed
fi
rm -rf reports/allure-results reports/allure-report
status=0
"$VENV/bin/python" -m pytest -q steps/test_features.py --alluredir reports/allure-results \
    || status=$?
npx allure awesome reports/allure-results --single-file --name "irp-harness: book regression" \
    -o reports/allure-report >/dev/null
echo "report: reports/allure-report/index.html (pytest exit status $status)"
exit "$status"
