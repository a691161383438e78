#!/usr/bin/env bash
# iPhone-shaped HEIC (12 MP grids of 512-pixel tiles with a 320×240 thumbnail item, made by
# scripts/reference/make_heic_grids.py) and camera RAW (24 MP DNGs, Benchmarks/formats/make_files.py), decode +
# DINOv2 preprocessing in one run: dinosearch's default path, `--full-decode` (libheif converts to RGB at full
# size: the HEIC path before the shrunk planes), `--embedded-thumbnails`, beside pillow-heif + PIL and rawpy + PIL
# doing the same job. "threads=1" is one thread in all (pillow-heif's DECODE_THREADS=1); "(2 per image)" is one
# image in flight on two cores (a query); "threads=2" is the indexer's case.
# Usage: Benchmarks/heic.sh HEIC_FOLDER [DNG_FOLDER] [rounds, default 3]
#   The Python reference environment of the README at $PYTHON (default ~/venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
heic=$1
dng=${2:-}
rounds=${3:-3}
python=${PYTHON:-$HOME/venv/bin/python}
swift build -c release --product decode-benchmark >/dev/null
mapfile -t files < <(find "$heic" -name '*.heic' | sort)
echo "== HEIC grids: ${#files[@]} files, $(du -sh "$heic" | cut -f1)"
"$python" Benchmarks/decode_peers.py --rounds "$rounds" "${files[@]}"
for mode in "" --full --embedded-thumbnails; do
  .build/release/decode-benchmark $mode --rounds "$rounds" "${files[@]}"
done
echo "-- pixels against the full decode (model input, normalised units)"
.build/release/decode-benchmark --compare "${files[@]}" | tail -1
.build/release/decode-benchmark --embedded-thumbnails --compare "${files[@]}" | tail -1
if [ -n "$dng" ]; then
  for kind in dng-preview dng-demosaic; do
    mapfile -t files < <(find "$dng/$kind" -name '*.dng' | sort)
    echo "== $kind: ${#files[@]} files"
    "$python" Benchmarks/decode_peers.py --rounds "$rounds" "${files[@]}"
    .build/release/decode-benchmark --rounds "$rounds" "${files[@]}"
  done
fi
