#!/usr/bin/env bash
# dinosearch's exact search beside milvus-lite on the same vectors: a store's export loaded into Milvus collections
# (FLAT, IVF_FLAT, HNSW) with examples/milvus/load.py, the same queries through examples/milvus/search.py, recall@10
# against the store's exact answer, and the time of each step.
# usage: Benchmarks/milvus.sh STORE QUERIES.npy [ROWS_OF_QUERIES] [WORK_DIR]
#   STORE: a dinosearch store with the exact layout (e.g. 100k real embeddings imported by Benchmarks/interchange.sh)
# Needs scripts/setup.sh --examples (pymilvus, milvus-lite).
set -euo pipefail
cd "$(dirname "$0")/.."
store=${1:?store}
queries=${2:?queries .npy}
rows=${3:-1000}
work=${4:-$(mktemp -d /tmp/dinosearch-milvus.XXXXXX)}
python=${DINOSEARCH_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch/python-examples}/bin/python
scripts/setup.sh --examples >&2
swift build -c release --product dinosearch >&2
bin=.build/release/dinosearch
mkdir -p "$work"
rm -rf "$work/export" "$work"/*.db "$work/q.npy"
"$python" -c "import numpy as np; np.save('$work/q.npy', np.load('$queries')[:$rows].astype('float32'))"
$bin export --store "$store" "$work/export" >/dev/null 2>&1
now() { date +%s.%N; }
t0=$(now); $bin query --store "$store" --vectors "$work/q.npy" -k 10 --json >"$work/exact.json"; t1=$(now)
echo "dinosearch exact ($($bin stats --store "$store" | sed -n 's/^index: *//p')): $rows queries in $(echo "$t1 - $t0" | bc -l | xargs printf '%.2f') s from process start"
recall() {
  "$python" - "$work/exact.json" "$1" <<'PY'
import json, sys
exact, found = (json.load(open(p)) for p in sys.argv[1:])
print(sum(len({h["path"] for h in a["results"]} & {h["path"] for h in b["results"]}) for a, b in zip(exact, found)) / (10 * len(exact)))
PY
}
for index in FLAT IVF_FLAT HNSW; do
  db="$work/$index.db"
  t0=$(now); "$python" examples/milvus/load.py --from "$work/export" --uri "$db" --collection c --index "$index" --restart >/dev/null; t1=$(now)
  echo "milvus-lite $index: load $(echo "$t1 - $t0" | bc -l | xargs printf '%.1f') s"
  case $index in
    FLAT) settings=("--ef 128");;
    IVF_FLAT) settings=("--nprobe 16" "--nprobe 32" "--nprobe 128");;
    HNSW) settings=("--ef 64" "--ef 128" "--ef 256");;
  esac
  for setting in "${settings[@]}"; do
    # shellcheck disable=SC2086
    t1=$(now); "$python" examples/milvus/search.py --uri "$db" --collection c --vectors "$work/q.npy" -k 10 --json $setting >"$work/found.json"; t2=$(now)
    echo "  $setting: $rows queries $(echo "$t2 - $t1" | bc -l | xargs printf '%.2f') s from process start, recall@10 $(recall "$work/found.json")"
  done
done
