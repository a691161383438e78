#!/usr/bin/env bash
# Fuzzes the image decoders with libFuzzer (the Swift toolchain's clang), one format at a time.
# Usage: Benchmarks/Fuzz/fuzz.sh [seconds per format, default 1200] [formats, default "jpg png webp"]
# (needs scripts/setup.sh first)
# Corpora grow in .build-fuzz/corpus-<format>; crashes land in .build-fuzz/ as crash-* files.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-1200}
formats=${2:-jpg png webp}
out=.build-fuzz
mkdir -p "$out"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I Sources/CDinoImage/include Sources/CDinoImage/*.c Benchmarks/Fuzz/image_fuzzer.c \
  -lturbojpeg -lpng16 -lwebp -o "$out/image-fuzzer"
for format in $formats; do
  corpus="$out/corpus-$format"
  mkdir -p "$corpus"
  cp Tests/DinoImageTests/Fixtures/*."$format" "$corpus"/ 2>/dev/null || true
  echo "== $format: $seconds s" >&2
  "$out/image-fuzzer" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 2>&1 | tail -25
done
