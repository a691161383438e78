#!/usr/bin/env bash
# Vector interchange at scale: imports real 384-d embeddings into a new store (as shards from other machines
# would arrive), imports them again (nothing to do), exports them, imports the export into a second store and
# exports that: the two exports must be byte-identical (the stored float16 vectors round-trip bit for bit). Time and
# peak memory (GNU time's maximum resident set, which counts the catalog's mapped pages) of each. Then `dinosearch query` from process start on that store, beside the
# forward pass alone (the goal: query under 0.5 s plus one forward pass).
# usage: PYTHON=~/venv/bin/python Benchmarks/interchange.sh DATA_DIR MODEL_DIR [1m|100k] [WORK_DIR]
#   DATA_DIR: base_1m.npy (Benchmarks/store/make_vectors.py); MODEL_DIR: a ViT-S/14 checkpoint (384-d), e.g. the
#   random one Benchmarks/encoder.sh makes.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data folder}
model=${2:?model folder}
size=${3:-1m}
work=${4:-$(mktemp -d /tmp/dinosearch-interchange.XXXXXX)}
python=${PYTHON:-python3}
swift build -c release --product dinosearch >&2
swift build -c release --product encoder-benchmark >&2
bin=.build/release/dinosearch
fingerprint=$($bin model show "$model" | sed -n 's/^fingerprint: *//p')
rm -rf "$work/in" "$work/out" "$work/store" "$work/again" "$work/store2"
"$python" Benchmarks/interchange/make_folder.py "$data/base_$size.npy" "$fingerprint" "$work/in"
measure() { /usr/bin/time -f "  %e s wall, peak resident %M KiB" "$@"; }
echo "import into a new store:"
measure $bin import --store "$work/store" "$work/in" --json
echo "import again:"
measure $bin import --store "$work/store" "$work/in" --json
echo "export:"
measure $bin export --store "$work/store" "$work/out"
"$python" Benchmarks/interchange/check_round_trip.py "$work/in" "$work/out"
echo "import the export into a second store, export that:"
measure $bin import --store "$work/store2" "$work/out" --json
$bin export --store "$work/store2" "$work/again" 2>/dev/null
cmp "$work/out/vectors.npy" "$work/again/vectors.npy" && cmp "$work/out/store.json" "$work/again/store.json" &&
  echo "round trip: the two exports' vectors are byte-identical"
$bin stats --store "$work/store"
du -sh "$work/store"/* "$work/out"/*
rm -rf "$work/store2" "$work/again"
query=examples/queries/ladybird-closer.jpg
echo "query from process start (5 runs), then the same image embedded alone (model load + one forward pass):"
for _ in 1 2 3 4 5; do
  /usr/bin/time -f "  query %e s" $bin query --store "$work/store" --model "$model" "$query" -k 10 >/dev/null
done
for _ in 1 2 3; do
  /usr/bin/time -f "  embed %e s" $bin embed --model "$model" "$query" >/dev/null
done
echo "one forward pass at batch 1:"
.build/release/encoder-benchmark "$model" --batches 1 --seconds 5
