#!/usr/bin/env bash
# The curation pipeline at 1M: a store of real 384-d embeddings with planted near-duplicate groups (made with
# `dinosearch import`), then `dinosearch duplicates` (time, peak memory, recall of the planted pairs an exact
# all-pairs search finds at the same threshold) beside the same graph built with faiss-cpu + numpy + scipy, and
# `dinosearch cluster --clusters 1000` beside faiss-cpu's k-means on the same vectors and settings (time, objective).
# usage: PYTHON=~/venv/bin/python Benchmarks/curation.sh DATA_DIR MODEL_DIR [WORK_DIR] [COUNT]
#   DATA_DIR: base_1m.npy (Benchmarks/store/make_vectors.py); MODEL_DIR: a ViT-S/14 checkpoint (384-d) — only its
#   fingerprint is used, no image is embedded.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
model=${2:?model folder}
work=${3:-$(mktemp -d /tmp/dinosearch-curation.XXXXXX)}
count=${4:-1000000}
python=${PYTHON:-python3}
swift build -c release --product dinosearch >&2
bin=.build/release/dinosearch
fingerprint=$($bin model show "$model" | sed -n 's/^fingerprint: *//p')
measure() { /usr/bin/time -f "  %e s wall, peak resident %M KiB" "$@"; }
if [ ! -d "$work/store" ]; then
  rm -rf "$work/in" "$work/planted.json"
  "$python" Benchmarks/curation/make_planted.py "$data/base_1m.npy" "$fingerprint" "$work" --count "$count"
  echo "import:"
  measure $bin import --store "$work/store" "$work/in" --json
fi
$bin stats --store "$work/store"
threshold=0.95
echo "duplicates --threshold $threshold (default 16 neighbours):"
measure $bin duplicates --store "$work/store" --threshold $threshold --json > "$work/duplicates.json"
"$python" Benchmarks/curation/check_duplicates.py "$work/in" "$work/planted.json" "$work/duplicates.json" $threshold
lists=$($bin stats --store "$work/store" --json | "$python" -c "import json,re,sys; print(re.search(r'IVF(\d+)', json.load(sys.stdin)['layout']).group(1))")
echo "faiss-cpu + numpy + scipy, the same graph (IVF$lists, nprobe as dinosearch's default for the graph, 16 neighbours):"
measure "$python" Benchmarks/curation/duplicates_peer.py "$work/in" $threshold "$lists" $(( lists / 64 > 32 ? lists / 64 : 32 ))
echo "cluster --clusters 1000 (20 iterations, seed 1):"
measure $bin cluster --store "$work/store" --clusters 1000 --sample 1 --json > "$work/clusters.json"
"$python" -c "import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({'objective': r['objective'], 'images': r['images']}))" "$work/clusters.json"
echo "faiss-cpu k-means, same vectors (float16-rounded), 1000 clusters, 20 iterations, 256 points per centroid:"
measure "$python" Benchmarks/curation/kmeans_peer.py "$work/in" 1000 20 1
