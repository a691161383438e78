#!/usr/bin/env bash
# The patch-map forward pass (every token through the final LayerNorm) at 448² and 518² beside PyTorch and ONNX
# Runtime on one random ViT-S/14, batch 1, then dinosearch's peak memory for one image at 1022².
# Needs the Python environment of scripts/reference/README.md as $PYTHON.
# usage: Benchmarks/patches.sh [MODEL_DIR] [SECONDS]   (MODEL_DIR defaults to /tmp/dinosearch-vits, made if absent)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-/tmp/dinosearch-vits}
seconds=${2:-20}
python=${PYTHON:-python3}
if [ ! -f "$model/model.safetensors" ]; then
  "$python" scripts/reference/make_model_fixtures.py --vits "$model"
fi
swift build -c release --product encoder-benchmark >&2
for size in 448x448 518x518; do
  echo "## $size, dinosearch (oneDNN sgemm, 2 OpenMP threads)"
  .build/release/encoder-benchmark "$model" --seconds "$seconds" --batches 1 --size $size | grep -v parity
  echo "## $size, peers (2 threads)"
  "$python" Benchmarks/encoder_peers.py "$model" --seconds "$seconds" --batches 1 --size $size
done
echo "## 1022x1022, dinosearch, one image: peak resident memory"
/usr/bin/time -f "peak resident %M KiB" .build/release/encoder-benchmark "$model" --seconds 5 --batches 1 --size 1022x1022 | grep -v parity
