#!/usr/bin/env bash
# The store's cost curve at one size: import from an interchange folder into a new store, index rebuild (train +
# add + the measured probe count), disk per image, `query` from process start, serving (store-curve: one query at a
# time with p50/p99, two threads, recall@10 on held-out queries, memory), optionally `duplicates` (--duplicates) and
# `cluster --clusters 10000` (--clusters), and Faiss's Python bindings doing the same IVF-PQ + exact re-rank as the
# peer (--peer).
# Each command's peak resident memory is sampled from /proc every 0.2 s, anonymous and file-mapped apart (the
# catalog's and the index's mapped pages are the page cache's, not the process's own).
#
# usage: PYTHON=~/venv/bin/python Benchmarks/store-curve.sh DATA_DIR SIZE [WORK_DIR] [--duplicates] [--clusters] [--peer] [--no-rebuild]
#   DATA_DIR: base_SIZE.npy, truth_SIZE.npy, queries.npy from Benchmarks/store/make_curve_vectors.py; SIZE: 100k,
#   1m, 3m, 10m. WORK_DIR (default a new folder under /tmp) holds the interchange folder and the store. The import
#   already lays out, trains and calibrates the index; --no-rebuild skips timing a second build.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
size=${2:?size, e.g. 1m}
work=${3:-$(mktemp -d /tmp/dinosearch-curve.XXXXXX)}
duplicates=no; clusters=no; peer=no; rebuild=yes
for flag in "${@:4}"; do
  case $flag in
    --duplicates) duplicates=yes ;; --clusters) clusters=yes ;; --peer) peer=yes ;; --no-rebuild) rebuild=no ;;
    *) echo "unknown flag $flag" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-python3}
swift build -c release --product dinosearch >&2
swift build -c release --product store-curve >&2
bin=.build/release/dinosearch

# measured LABEL COMMAND...: runs COMMAND (its output kept in $work/out.txt), then prints wall time and the peaks.
measured() {
  local label=$1; shift
  local start anon=0 mapped=0 a f
  start=$(date +%s.%N)
  "$@" > "$work/out.txt" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    read -r a f < <(awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
    (( ${a:-0} > anon )) && anon=${a:-0}
    (( ${f:-0} > mapped )) && mapped=${f:-0}
    sleep 0.2
  done
  wait "$pid"
  printf '%s: %.1f s, peak anonymous %d MiB, peak file-mapped %d MiB\n' "$label" \
    "$(echo "$(date +%s.%N) - $start" | bc)" $((anon / 1024)) $((mapped / 1024))
}

rm -rf "$work/job" "$work/store"
"$python" Benchmarks/interchange/make_folder.py "$data/base_$size.npy" minilm-l6-curve "$work/job"
"$python" -c "import numpy as np; np.save('$work/q1.npy', np.load('$data/queries.npy')[:1])"
sync
echo "== $size"
measured "import" $bin import --store "$work/store" "$work/job"
if [ "$rebuild" = yes ]; then measured "rebuild (train + add + probe count)" $bin rebuild --store "$work/store"; fi
$bin stats --store "$work/store" --json > "$work/stats.json"
"$python" - "$work/stats.json" "$work/store" <<'EOF'
import json, os, sys
s = json.load(open(sys.argv[1]))
disk = sum(os.path.getsize(os.path.join(sys.argv[2], f)) for f in os.listdir(sys.argv[2]) if os.path.isfile(os.path.join(sys.argv[2], f)))
print(f"layout: {s['layout']}")
print(f"disk per image: {disk / s['images']:.0f} bytes (catalog {s['catalogBytes'] / s['images']:.0f}, index {s['indexBytes'] / s['images']:.0f})")
EOF
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
for cold in cold warm warm; do
  start=$(date +%s.%N)
  $bin query --store "$work/store" --vectors "$work/q1.npy" -k 10 > /dev/null
  printf 'query --vectors from process start (%s): %.2f s\n' "$cold" "$(echo "$(date +%s.%N) - $start" | bc)"
done
measured "serving (store-curve)" .build/release/store-curve "$work/store" "$data/queries.npy" "$data/truth_$size.npy"
cat "$work/out.txt"
if [ "$duplicates" = yes ]; then measured "duplicates" $bin duplicates --store "$work/store" --json; fi
if [ "$clusters" = yes ]; then measured "cluster --clusters 10000" $bin cluster --store "$work/store" --clusters 10000 --json; fi
if [ "$peer" = yes ]; then
  read -r factory nprobe candidates < <("$python" -c "
import json; s = json.load(open('$work/stats.json')); c = s.get('probeCalibration') or {}
print(s['layout'].split(',')[0] + ',' + s['layout'].split(',')[1].strip(), s.get('nprobe') or 0, c.get('candidates', 100))")
  echo "peer: faiss-cpu, $factory, nprobe $nprobe, $candidates candidates"
  "$python" Benchmarks/store/faiss_peer.py "$data/base_$size.npy" "$data/queries.npy" "$factory" "$nprobe" "$candidates"
fi
