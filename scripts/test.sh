#!/usr/bin/env bash
# The README's test command: installs what is missing (scripts/setup.sh, which also builds Faiss for AVX2 once),
# builds and runs every test the way a contributor does (`swift test`, in parallel), then the Spark and Milvus
# examples' tests and the web interface's browser tests (Java, Chromium and a Python environment from PyPI, set up
# by scripts/setup.sh --examples), then proves the fallback a CPU without AVX2 gets: Debian's generic Faiss, built
# apart and run through the store tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build
scripts/test-examples.sh
scripts/test-browser.sh
scripts/faiss-fallback-check.sh
