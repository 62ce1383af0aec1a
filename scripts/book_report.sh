#!/usr/bin/env bash
# Set up, run the book regression suite (features/) and build the Allure report as one
# offline HTML file: reports/allure-report/index.html. Needs Node.js/npm for Allure 3;
# with Debian's chromium installed the report is also checked in headless Chromium
# (scripts/check_report.py) and a screenshot saved beside it.
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
# The results and the report are rebuilt; reports/allure-history.jsonl is kept, so the
# report shows each result's history and the trend from the second run on.
rm -rf reports/allure-results reports/allure-report
status=0
"$VENV/bin/python" -m pytest -q steps/test_features.py --alluredir reports/allure-results \
    || status=$?
# allurerc.mjs: the chapter -> experiment -> scenario tree, the plugin's categories, history
npx allure generate reports/allure-results --config allurerc.mjs >/dev/null
# Allure 3 always writes a Google Analytics tag: strip it, embed the CJK font subset, write
# the catalog page the results link to; fails if anything would be fetched at load
"$VENV/bin/python" scripts/finish_report.py reports/allure-report
check=0
if command -v chromium >/dev/null 2>&1; then
    "$VENV/bin/python" scripts/check_report.py reports/allure-report || check=$?
else
    echo "no headless Chromium (apt-get install chromium): the report was checked statically only"
fi
echo "report: reports/allure-report/index.html (pytest exit status $status)"
[ "$status" -ne 0 ] && exit "$status"
exit "$check"
