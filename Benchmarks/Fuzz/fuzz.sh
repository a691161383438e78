#!/usr/bin/env bash
# Fuzzes the image decoders with libFuzzer (the Swift toolchain's clang), one format at a time.
# Usage: Benchmarks/Fuzz/fuzz.sh [seconds per format, default 1200] [formats, default all]
#   formats: jpg png webp heic avif tif gif bmp dng jxl   (needs scripts/setup.sh first)
# Corpora grow in $FUZZ_OUT/corpus-<format>, seeded with the test fixtures of that extension; crashes land in
# $FUZZ_OUT (default .build-fuzz) as <format>-crash-* files. FUZZ_JOBS=2 runs two formats at once (one core each).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-1200}
formats=${2:-jpg png webp heic avif tif gif bmp dng jxl}
out=${FUZZ_OUT:-.build-fuzz}
mkdir -p "$out/objects"
flags=(-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -I Sources/CDinoImage/include)
for source in Sources/CDinoImage/*.c Sources/CDinoImage/*.cpp Benchmarks/Fuzz/image_fuzzer.c; do
  compiler=clang
  [[ $source == *.cpp ]] && compiler=clang++
  "$compiler" "${flags[@]}" -c "$source" -o "$out/objects/$(basename "$source").o"
done
clang++ -fsanitize=fuzzer,address,undefined "$out"/objects/*.o \
  -lturbojpeg -lpng16 -lwebp -lheif -lavif -ltiff -lgif -lraw_r -ljxl -o "$out/image-fuzzer" 2>"$out/link.log"

run() {
  local format=$1 corpus="$out/corpus-$1"
  mkdir -p "$corpus"
  cp Tests/DinoImageTests/Fixtures/*."$format" Tests/DinoImageTests/Fixtures/formats/*."$format" "$corpus"/ 2>/dev/null || true
  "$out/image-fuzzer" "$corpus" -max_total_time="$seconds" -max_len=131072 -rss_limit_mb=2048 -timeout=30 \
    -artifact_prefix="$out/$format-" -print_final_stats=1 >"$out/log-$format.txt" 2>&1 || true
  echo "== $format: $seconds s" >&2
  # (libjxl prints its own "JXL_RETURN_IF_ERROR" debug lines for every bad input: not findings)
  grep -E "^stat::|^#[0-9]+ *DONE|DEADLYSIGNAL|^SUMMARY|Test unit written|^==[0-9]+==ERROR" "$out/log-$format.txt" | tail -12 >&2
}
jobs_max=${FUZZ_JOBS:-1}
for format in $formats; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  run "$format" &
done
wait
