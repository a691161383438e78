#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
# Serially: on 2 cores, long synchronous tests (IVF training, parity) running in parallel can hold every thread of
# Swift's cooperative pool, starving the loopback HTTP server of the download tests.
swift test --skip-build --no-parallel
