#!/usr/bin/env bash
# The Spark job's and the Milvus loader's tests (examples/spark, examples/milvus): Spark in local mode and
# milvus-lite, against the dinosearch binary of the debug build (DINOSEARCH_BIN to use another). About 3 minutes.
# usage: scripts/test-examples.sh   (scripts/test.sh runs it after the Swift tests)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --examples
python=${DINOSEARCH_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch/python-examples}/bin/python
export DINOSEARCH_BIN=${DINOSEARCH_BIN:-$PWD/.build/debug/dinosearch}
[ -x "$DINOSEARCH_BIN" ] || swift build --product dinosearch
for suite in spark milvus; do
  "$python" -m unittest discover --start-directory "examples/$suite" --pattern 'test_*.py'
done
