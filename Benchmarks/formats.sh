#!/usr/bin/env bash
# Decode + DINOv2 preprocessing per photo format (HEIC, AVIF, TIFF, BMP, GIF, JPEG XL, DNG with a preview and
# DNG demosaiced), dinosearch beside PIL / pillow-heif / pillow-jxl-plugin / rawpy in one run, one format at a time.
# Usage: Benchmarks/formats.sh FOLDER [rounds, default 3]
#   FOLDER: made by Benchmarks/formats/make_files.py (12 MP phone-size files, 24 MP DNGs), one subfolder per format.
#   The Python reference environment of the README at $PYTHON (default /root/venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
folder=$1
rounds=${2:-3}
python=${PYTHON:-/root/venv/bin/python}
swift build -c release --product decode-benchmark >/dev/null
for format in heic avif tiff bmp gif jxl dng-preview dng-demosaic; do
  mapfile -t files < <(find "$folder/$format" -type f | sort)
  echo "== $format: ${#files[@]} files, $(du -sh "$folder/$format" | cut -f1)"
  "$python" Benchmarks/decode_peers.py --rounds "$rounds" "${files[@]}"
  .build/release/decode-benchmark --rounds "$rounds" "${files[@]}" | grep threads=1
  .build/release/decode-benchmark --full --rounds "$rounds" "${files[@]}" | grep threads=1
done
