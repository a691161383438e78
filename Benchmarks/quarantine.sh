#!/usr/bin/env bash
# Quarantine and restore at scale (issue: 10,000 files on one file system in ≤ 30 s each, journal included):
# N small PNG files (the curation fixtures with bytes appended, so every copy is a distinct file with the same
# pixels: 7 groups of N/7), indexed with the small random test model; then `duplicates --quarantine` (timed with
# and without the move, --dry-run being the duplicate search alone), then `restore`. Every file's SHA-256 is
# compared before and after. Release binary.
# usage: Benchmarks/quarantine.sh [N] [WORK]   (default 10000, Benchmarks/data/quarantine)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
work=$(realpath -m "${2:-Benchmarks/data/quarantine}")
swift build -c release --product dinosearch >&2
bin=$PWD/.build/release/dinosearch
model=$PWD/Tests/DinoModelTests/Fixtures/plain/model.safetensors
rm -rf "$work"
mkdir -p "$work/photos"
python3 - "$work/photos" "$count" <<'PY'
import glob, os, sys
out, count = sys.argv[1], int(sys.argv[2])
sources = sorted(glob.glob("Tests/DinoSearchTests/Fixtures/curation/*-256.png"))
for i in range(count):
    source = sources[i % len(sources)]
    folder = os.path.join(out, os.path.basename(source)[:-8], f"{i // 1000:02d}")
    os.makedirs(folder, exist_ok=True)
    with open(source, "rb") as f:
        data = f.read()
    with open(os.path.join(folder, f"IMG_{i:05d}.png"), "wb") as f:
        f.write(data + str(i).encode())
PY
(cd "$work/photos" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$work/before.sha256"
"$bin" index --store "$work/store" --model "$model" "$work/photos" >&2
time_it() { local start=$EPOCHREALTIME; "$@" >/dev/null; python3 -c "print(f'{$EPOCHREALTIME - $start:.2f}')"; }
search=$(time_it "$bin" duplicates --store "$work/store" --threshold 0.9999 --quarantine --dry-run)
move=$(time_it "$bin" duplicates --store "$work/store" --threshold 0.9999 --quarantine)
moved=$(grep -c '"action":"move"' "$work/store/quarantine/journal.jsonl")
restore=$(time_it "$bin" restore --store "$work/store")
(cd "$work/photos" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$work/after.sha256"
cmp -s "$work/before.sha256" "$work/after.sha256" && same="every file back, byte for byte" || same="FILES DIFFER"
echo "files: $count; quarantined: $moved"
echo "duplicates --quarantine --dry-run (the search alone): $search s"
echo "duplicates --quarantine (search + moves + journal + store): $move s"
echo "restore (moves back + journal + store): $restore s; $same"
"$bin" stats --store "$work/store" | grep images
