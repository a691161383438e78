#!/usr/bin/env bash
# Encoder throughput side by side: dinosearch's encoder, PyTorch and ONNX Runtime on one random ViT-S/14, one run.
# Needs the Python environment of scripts/reference/README.md (torch, transformers, onnxruntime) as $PYTHON.
# usage: Benchmarks/encoder.sh [MODEL_DIR] [SECONDS]   (MODEL_DIR defaults to /tmp/dinosearch-vits, made if absent)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-/tmp/dinosearch-vits}
seconds=${2:-20}
python=${PYTHON:-python3}
if [ ! -f "$model/model.safetensors" ]; then
  "$python" scripts/reference/make_model_fixtures.py --vits "$model"
fi
swift build -c release --product encoder-benchmark >&2
echo "## dinosearch (oneDNN sgemm, 2 OpenMP threads)"
.build/release/encoder-benchmark "$model" --seconds "$seconds"
echo
echo "## peers (2 threads)"
"$python" Benchmarks/encoder_peers.py "$model" --seconds "$seconds"
