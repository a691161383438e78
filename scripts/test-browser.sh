#!/usr/bin/env bash
# The web interface's browser tests (Tests/Browser): Debian's headless Chromium driven by Selenium against the
# dinosearch binary of the debug build (DINOSEARCH_BIN to use another). About half a minute.
# DINOSEARCH_SCREENSHOTS=examples/web also rewrites the README's screenshots.
# usage: scripts/test-browser.sh   (scripts/test.sh runs it after the Swift tests)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --examples
python=${DINOSEARCH_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch/python-examples}/bin/python
export DINOSEARCH_BIN=${DINOSEARCH_BIN:-$PWD/.build/debug/dinosearch}
[ -x "$DINOSEARCH_BIN" ] || swift build --product dinosearch
# Selenium uses the system's chromedriver named in the tests; it must never try to download one.
export SE_OFFLINE=true
"$python" -m unittest discover --start-directory Tests/Browser --pattern 'test_*.py'
