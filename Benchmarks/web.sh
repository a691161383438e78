#!/usr/bin/env bash
# The web interface's goals, measured on the release binary in one run (Benchmarks/web/bench.py):
# - 48 thumbnails of 12-megapixel JPEGs, cold (nothing cached) and warm (cached, and 304), beside PIL making the
#   same thumbnails (draft-mode decode, resize, JPEG) on two processes;
# - the results grid painted after the search answer arrives, and the page's asset bytes, in headless Chromium;
# - the clusters page's first view on a 1M store once its k-means is cached (synthetic vectors imported);
# - the duplicate review (Benchmarks/web/review_bench.py): the difference map, pages of groups at 1M.
# The photos come from Debian's mate-backgrounds; the model is the small random test fixture (the encoder's speed
# is not what is measured here).
# usage: Benchmarks/web.sh [WORK]   (default Benchmarks/data/web; about 5 minutes, most of it the 1M store)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-Benchmarks/data/web}")
scripts/setup.sh --examples
[ -d /usr/share/backgrounds/mate/nature ] ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mate-backgrounds >&2; }
swift build -c release --product dinosearch >&2
python=${DINOSEARCH_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch/python-examples}/bin/python
SE_OFFLINE=true "$python" Benchmarks/web/bench.py --bin .build/release/dinosearch \
  --model Tests/DinoModelTests/Fixtures/plain/model.safetensors --work "$work"
# The duplicate review: the comparator's difference map and pages of groups at 1M (on what bench.py made).
(cd Benchmarks/web && SE_OFFLINE=true "$python" review_bench.py --bin ../../.build/release/dinosearch \
  --model ../../Tests/DinoModelTests/Fixtures/plain/model.safetensors --work "$work")
