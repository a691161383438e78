#!/usr/bin/env bash
# Decode + DINOv2 preprocessing throughput on Debian's wallpapers, dinosearch beside PIL in one run.
# Usage: Benchmarks/decode.sh [rounds, default 5]   (needs the mate-backgrounds and gnome-backgrounds packages
# and the Python reference environment of the README at $PYTHON, default /root/venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
python=${PYTHON:-/root/venv/bin/python}
mapfile -t files < <(find /usr/share/backgrounds -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' \) | sort)
[ ${#files[@]} -gt 0 ] || { echo "no wallpapers: apt-get install mate-backgrounds gnome-backgrounds" >&2; exit 1; }
echo "${#files[@]} files: $(printf '%s\n' "${files[@]}" | sed 's/.*\.//' | sort | uniq -c | xargs)"
swift build -c release --product decode-benchmark >/dev/null
"$python" Benchmarks/decode_peers.py --rounds "$rounds" "${files[@]}"
.build/release/decode-benchmark --rounds "$rounds" "${files[@]}"
.build/release/decode-benchmark --full --rounds "$rounds" "${files[@]}"
.build/release/decode-benchmark --compare --rounds 1 "${files[@]}" | tail -1
