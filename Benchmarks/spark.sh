#!/usr/bin/env bash
# The Spark embedding job (examples/spark/embed_job.py) beside `dinosearch index` on the same photos, at equal
# cores (1: both pinned to CPU 0 with one encoder thread; 2: the whole machine), in one run.
# usage: Benchmarks/spark.sh [MODEL_DIR] [COUNT] [ROUNDS]
#   MODEL_DIR: a ViT-S/14 checkpoint (default /tmp/dinosearch-vits, made with random weights if absent)
#   COUNT: photos (default 2000): 2048×1536 JPEG crops (quality 90) of Debian's wallpapers, no two files alike
#          (index would not embed a copy), made once in /tmp/dinosearch-spark-photos-COUNT
# Needs scripts/setup.sh --examples (Spark, Java) and the README's Python environment as $PYTHON (for PIL).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-/tmp/dinosearch-vits}
count=${2:-2000}
rounds=${3:-1}
python=${PYTHON:-/root/venv/bin/python}
spark_python=${DINOSEARCH_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch/python-examples}/bin/python
photos=/tmp/dinosearch-spark-photos-$count-unique
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

scripts/setup.sh --examples >&2
if [ ! -d /usr/share/backgrounds ]; then
  apt-get install -y -qq --no-install-recommends mate-backgrounds gnome-backgrounds >&2
fi
if [ ! -f "$model/model.safetensors" ]; then "$python" scripts/reference/make_model_fixtures.py --vits "$model"; fi
swift build -c release --product dinosearch >&2
binary=$PWD/.build/release/dinosearch
if [ ! -d "$photos" ]; then
  "$python" - "$photos" "$count" <<'PY'
import glob, os, sys
from multiprocessing import Pool
from PIL import Image
out, count = sys.argv[1], int(sys.argv[2])
sources = sorted(p for p in glob.glob("/usr/share/backgrounds/**/*", recursive=True)
                 if p.rsplit(".", 1)[-1] in ("jpg", "png", "webp"))

def make(s):  # every photo cut from source s: decoded once, brought to 2600 px wide, then cropped
    image = Image.open(sources[s]).convert("RGB")
    image = image.resize((2600, round(2600 * image.height / image.width)), Image.BICUBIC)
    w, h = image.size
    for i in range(s, count, len(sources)):
        step = i // len(sources)
        box = (step * w // 200, step * h // 300, w - step * w // 400, h - step * h // 250)
        photo = image.crop(box).resize((2048, 1536), Image.BICUBIC)
        for bit in range(16):  # i in black and white 8×8 blocks: no two files alike (index reuses a copy's vector)
            photo.paste((255, 255, 255) if i >> bit & 1 else (0, 0, 0), (8 * bit, 0, 8 * bit + 8, 8))
        photo.save(f"{out}.partial/{i:05d}.jpg", quality=90)

os.makedirs(out + ".partial", exist_ok=True)
with Pool(2) as pool:
    pool.map(make, range(len(sources)))
os.rename(out + ".partial", out)
PY
fi
echo "photos: $count × 2048×1536 JPEG in $photos; model $model"

now() { date +%s.%N; }
rate() { echo "$count / ($2 - $1)" | bc -l | xargs printf '%.2f'; }
for round in $(seq "$rounds"); do
  for cores in 1 2; do
    cpus=$(seq -s, 0 $((cores - 1)))
    rm -rf "$work/store" "$work/out"
    t0=$(now)
    OMP_NUM_THREADS=$cores taskset -c "$cpus" "$binary" index "$photos" --store "$work/store" --model "$model" \
      --decode-threads "$cores" >/dev/null 2>&1
    t1=$(now)
    taskset -c "$cpus" "$spark_python" examples/spark/embed_job.py --input "$photos" --output "$work/out" \
      --dinosearch "$binary" --model "$model" --master "local[$cores]" >"$work/summary.json" 2>"$work/spark.log"
    t2=$(now)
    grep -q "\"embedded\": $count" "$work/summary.json" || { cat "$work/summary.json" "$work/spark.log" >&2; exit 1; }
    index=$(rate "$t0" "$t1"); job=$(rate "$t1" "$t2")
    echo "round $round, $cores core(s): dinosearch index $index images/s, Spark job local[$cores] $job images/s" \
      "(job/index $(echo "$job / $index" | bc -l | xargs printf '%.3f'))"
  done
done
