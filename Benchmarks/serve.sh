#!/usr/bin/env bash
# The HTTP service under load (wrk, from Debian) beside the same work without HTTP, in one run on one store:
# - search by vector: wrk POSTing a JSON vector to /v1/search, beside Store.search called in-process from as many
#   threads as wrk has connections (serve-benchmark), and beside `dinosearch query --vectors` (one batched process);
# - search by image: wrk POSTing a JPEG's bytes, beside SearchEngine.search(bytes) in-process;
# - uploads: wrk PUTting the JPEG under new keys into an empty store, beside `dinosearch index` of as many files.
# Latency percentiles are wrk's (--latency) and serve-benchmark's own. wrk runs one thread on the same 2 cores
# (0.13 s of CPU in a 10 s run at 300 requests/s); search by vector alternates server and library three times.
# usage: Benchmarks/serve.sh STORE MODEL QUERIES.npy [SECONDS] [CONNECTIONS]
#   STORE: a store made with MODEL's fingerprint, e.g. the 100k store Benchmarks/interchange.sh imports
#   (.../store, from base_100k.npy); MODEL: the ViT-S/14 checkpoint it was made for; QUERIES.npy: query vectors.
set -euo pipefail
cd "$(dirname "$0")/.."
store=${1:?store}
model=${2:?model}
queries=${3:?queries.npy}
seconds=${4:-10}
connections=${5:-8}
image=examples/photos/Garden.jpg
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2; }
swift build -c release --product dinosearch >&2
swift build -c release --product serve-benchmark >&2
bin=.build/release/dinosearch
work=$(mktemp -d /tmp/dinosearch-serve.XXXXXX)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT

# Lua for wrk: a JSON vector query, an image query, an upload under a fresh key per request.
python3 - "$queries" "$work/vector.json" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
header_length = int.from_bytes(data[8:10], "little")
header = data[10:10 + header_length].decode()
columns = int(header.split("(")[1].split(")")[0].split(",")[1])
offset = 10 + header_length
row = struct.unpack(f"<{columns}f", data[offset:offset + 4 * columns])
json.dump({"vector": row, "k": 10}, open(sys.argv[2], "w"))
PY
cat >"$work/vector.lua" <<LUA
local f = io.open("$work/vector.json", "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.headers["Content-Type"] = "application/json"
LUA
cat >"$work/image.lua" <<LUA
local f = io.open("$PWD/$image", "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.headers["Content-Type"] = "image/jpeg"; wrk.path = "/v1/search?k=10"
LUA
cat >"$work/upload.lua" <<LUA
local f = io.open("$PWD/$image", "rb"); local body = f:read("*a"); f:close()
local n = 0
local thread_id = 0
function setup(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
function request()
  n = n + 1
  return wrk.format("PUT", "/v1/images/bench/" .. id .. "-" .. n .. ".jpg", {["Content-Type"] = "image/jpeg"}, body)
end
LUA

serve() {  # serve STORE: starts the server in the background, sets $server and $url
  $bin serve --store "$1" --model "$model" --port 0 --json >"$work/serve.out" 2>"$work/serve.err" &
  server=$!
  for _ in $(seq 600); do grep -q port "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=http://127.0.0.1:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/serve.out")
}
stop() { kill -TERM $server; wait $server || true; server=""; }
summary() { grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors' || true; }

library() {  # library THREADS WORKLOAD
  .build/release/serve-benchmark "$store" "$model" "$queries" "$image" --seconds "$seconds" --threads "$1" --only "$2" |
    grep library
}
echo "== search by vector, $connections connections / threads, ${seconds}s each, 3 rounds alternating; store: $store"
for round in 1 2 3; do
  serve "$store"
  echo "-- round $round, server (wrk):"
  wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/vector.lua" "$url/v1/search" | summary
  stop
  echo "-- round $round, library (Store.search in-process, no HTTP):"
  library "$connections" vector
done
echo "-- library with one thread per core (the store's best; more threads only time-slice the scans):"
library "$(nproc)" vector
echo "== search by image ($image)"
serve "$store"
echo "-- server (wrk):"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/image.lua" "$url/v1/search" | summary
stop
echo "-- library (SearchEngine.search(bytes) in-process):"
library "$connections" image
echo "-- CLI: dinosearch query --vectors (every query row in one batched process, model not loaded):"
/usr/bin/time -f "   %e s wall" $bin query --store "$store" --vectors "$queries" -k 10 --json >/dev/null

echo "== uploads into an empty store, ${seconds}s"
serve "$work/uploads"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/upload.lua" "$url" | summary
stop
uploaded=$($bin stats --store "$work/uploads" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"])')
echo "   stored after the run: $uploaded images"
echo "-- CLI: dinosearch index of $uploaded files with the same picture (distinct bytes), one process:"
mkdir -p "$work/files"
for i in $(seq "$uploaded"); do { cat "$image"; printf 'variant %d' "$i"; } >"$work/files/$i.jpg"; done
/usr/bin/time -f "   %e s wall" $bin index "$work/files" --store "$work/index" --model "$model" --json >/dev/null
