#!/usr/bin/env bash
# The README's main command: set up, build, obtain DINOv2 ViT-S/14, index examples/photos, run one query.
# The model: $DINOSEARCH_MODEL if set, else the cached download, else `dinosearch model download small`.
# The store: $DINOSEARCH_STORE, default .build/demo-store (so the demo never touches your own store).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product dinosearch >&2
bin=.build/release/dinosearch
export DINOSEARCH_STORE=${DINOSEARCH_STORE:-$PWD/.build/demo-store}

if [ -z "${DINOSEARCH_MODEL:-}" ]; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch/models/dinov2-small"
  if [ ! -f "$cache/model.safetensors" ] && ! "$bin" model download small >&2; then
    cat >&2 <<'MSG'

demo: no model. dinosearch needs the DINOv2 ViT-S/14 checkpoint (facebook/dinov2-small on the Hugging Face hub),
and it could not be downloaded from here. Fetch model.safetensors and config.json from
https://huggingface.co/facebook/dinov2-small on a machine with network access, copy them into a folder here,
and run:   DINOSEARCH_MODEL=/path/to/that/folder scripts/demo.sh
MSG
    exit 1
  fi
fi

echo "== dinosearch index examples/photos   (store: $DINOSEARCH_STORE)" >&2
"$bin" index examples/photos
echo "== dinosearch query examples/queries/ladybird-closer.jpg -k 5" >&2
"$bin" query examples/queries/ladybird-closer.jpg -k 5
