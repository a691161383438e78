#!/usr/bin/env bash
# End-to-end indexing of a real photo folder, dinosearch beside the equivalent Python pipeline (PIL + ONNX Runtime
# + Faiss) on the same weights, in one run; then query latency from process start on a 100k-image store.
# usage: Benchmarks/index.sh [MODEL_DIR] [ROUNDS] [FOLDER...]
#   MODEL_DIR: a ViT-S/14 checkpoint folder (default /tmp/dinosearch-vits, made with random weights if absent)
#   FOLDER: default /usr/share/backgrounds (Debian's mate-backgrounds + gnome-backgrounds: JPEG, PNG, WebP)
# Needs the Python environment of the README as $PYTHON (default /root/venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-/tmp/dinosearch-vits}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : $# ))
folders=("${@:-/usr/share/backgrounds}")
python=${PYTHON:-/root/venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ ! -f "$model/model.safetensors" ]; then "$python" scripts/reference/make_model_fixtures.py --vits "$model"; fi
for product in dinosearch encoder-benchmark store-writer; do swift build -c release --product "$product" >&2; done
"$python" Benchmarks/index_peer.py export "$model" "$work/model.onnx" 2>/dev/null

count=$(.build/release/dinosearch index "${folders[@]}" --store "$work/count" --model "$model" --json 2>/dev/null |
  "$python" -c 'import json,sys; s=json.load(sys.stdin); print(s["added"])')
echo "folder: ${folders[*]} ($count images)"
now() { date +%s.%N; }
for round in $(seq "$rounds"); do
  rm -rf "$work/store"
  t0=$(now); .build/release/dinosearch index "${folders[@]}" --store "$work/store" --model "$model" >/dev/null 2>&1; t1=$(now)
  "$python" Benchmarks/index_peer.py index "$work/model.onnx" "$work/peer.faiss" "${folders[@]}" 2>/dev/null; t2=$(now)
  echo "round $round: dinosearch $(echo "$count / ($t1 - $t0)" | bc -l | xargs printf '%.2f') images/s," \
    "python $(echo "$count / ($t2 - $t1)" | bc -l | xargs printf '%.2f') images/s"
done
echo "encoder alone (batch 8, same run):"
.build/release/encoder-benchmark "$model" --batches 8 --seconds 10 | grep -E "^\| 8 |images/s" | tail -1

echo "query latency from process start, 100k-image store (exact index), one image:"
fingerprint=$(.build/release/dinosearch model show "$model" | awk '/fingerprint/ {print $2}')
STORE_WRITER_MODEL=$fingerprint .build/release/store-writer "$work/big" 100 1000 384 >/dev/null
query=$(find "${folders[@]}" -name '*.jpg' | head -1)
.build/release/dinosearch query "$query" --store "$work/big" --model "$model" -k 10 >/dev/null  # warm the page cache
for round in $(seq 5); do
  t0=$(now); .build/release/dinosearch query "$query" --store "$work/big" --model "$model" -k 10 >/dev/null; t1=$(now)
  echo "  $(echo "($t1 - $t0) * 1000" | bc -l | xargs printf '%.0f') ms"
done
echo "one forward pass (batch 1):"
.build/release/encoder-benchmark "$model" --batches 1 --seconds 5 | grep -E "^\| 1 |images/s" | tail -1
