#!/usr/bin/env bash
# One store from many shards, and what one machine holds per image: imports 1M real 384-d embeddings cut into
# shards (as the Spark job writes them) in one `dinosearch import`, timed with its peak memory; then, for each
# index layout, the index file, the catalog and the resident memory of a search process (`query --vectors`, 100
# queries: store opened, index read whole, searched). Figures for Indexes/SCALE.md.
# usage: PYTHON=~/venv/bin/python Benchmarks/shards.sh DATA_DIR MODEL_DIR [SHARDS] [WORK_DIR]
#   DATA_DIR: base_1m.npy and queries.npy (Benchmarks/store/make_vectors.py); MODEL_DIR: a ViT-S/14 checkpoint
#   (its fingerprint goes in store.json; no image is embedded).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
model=${2:?model folder}
shards=${3:-8}
work=${4:-$(mktemp -d /tmp/dinosearch-shards.XXXXXX)}
python=${PYTHON:-python3}
swift build -c release --product dinosearch >&2
bin=.build/release/dinosearch
fingerprint=$($bin model show "$model" | sed -n 's/^fingerprint: *//p')
rm -rf "$work/job" "$work/store"
"$python" Benchmarks/interchange/make_folder.py "$data/base_1m.npy" "$fingerprint" "$work/job" "$shards"
measure() { /usr/bin/time -f "  %e s wall, peak resident %M KiB" "$@"; }
sync
echo "import of $shards shards into a new store:"
measure $bin import --store "$work/store" "$work"/job/part-* --json
"$python" -c "import numpy as np; np.save('$work/q.npy', np.load('$data/queries.npy')[:100].astype('float32'))"
for layout in ivf exact "IVF4096,SQ8"; do
  if [ "$layout" != ivf ]; then measure $bin rebuild --store "$work/store" --layout "$layout" >/dev/null; fi
  echo "layout: $($bin stats --store "$work/store" --json | "$python" -c 'import json,sys; print(json.load(sys.stdin)["layout"])')"
  echo "  catalog.mdb $(stat -c %s "$work/store/catalog.mdb") bytes, index.faiss $(stat -c %s "$work/store/index.faiss") bytes"
  for _ in 1 2 3; do
    /usr/bin/time -f "  query --vectors (100 queries, k=10): %e s wall, peak resident %M KiB" \
      $bin query --store "$work/store" --vectors "$work/q.npy" -k 10 --json >/dev/null
  done
done
