#!/usr/bin/env bash
# Store benchmark side by side with Faiss's Python bindings, on real sentence embeddings (Benchmarks/store/).
# usage: PYTHON=~/venv/bin/python Benchmarks/store.sh DATA_DIR [100k|1m]
#   DATA_DIR holds base_100k.npy, base_1m.npy, queries.npy (made by Benchmarks/store/make_vectors.py if absent)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
size=${2:-100k}
python=${PYTHON:-python3}
[ -f "$data/queries.npy" ] || HF_HUB_OFFLINE=1 "$python" Benchmarks/store/make_vectors.py "$data"
# -enable-testing: the benchmark reaches the internal VectorIndex to time the wrapper against the shim.
swift build -c release -Xswiftc -enable-testing --product store-benchmark >&2
shift 2 || true
out=$(.build/release/store-benchmark "$data/base_$size.npy" "$data/queries.npy" "$@")
echo "$out"
read -r factory nprobe candidates < <(echo "$out" | sed -n 's/^peer-arguments: //p')
"$python" Benchmarks/store/faiss_peer.py "$data/base_$size.npy" "$data/queries.npy" "$factory" "$nprobe" "$candidates"
