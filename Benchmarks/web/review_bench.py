"""The duplicate review's figures: the comparator's patch-difference map for two 12-megapixel photos, and pages of
groups on the 1M store once its groups are computed. Needs what Benchmarks/web.sh made (run that first).

    review_bench.py --bin .build/release/dinosearch --model MODEL --work Benchmarks/data/web [--model-big MODEL]
"""

import argparse
import json
import os
import statistics
import time
from urllib.parse import quote

from bench import Server


def timed(server, path, expect=200):
    start = time.perf_counter()
    status, headers, _ = server.get(path)
    assert status == expect, (path, status)
    return time.perf_counter() - start, headers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--images", type=int, default=1_000_000)
    # The synthetic vectors are points around 2,000 centres (cosine ≈ 0.74 between two of one centre), with no
    # planted copies: at 0.95 they form no group, so the pages are measured where they form many.
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    work = os.path.abspath(args.work)

    server = Server(args.bin, os.path.join(work, "store"), args.model)
    a, b = (os.path.join(work, "photos", f"photo-{i:02d}.jpg") for i in (0, 1))
    path = f"/v1/duplicates/difference?a={quote(a, safe='')}&b={quote(b, safe='')}&resolution=448"
    runs = [timed(server, path) for _ in range(6)][1:]  # the first warms the model's workspace
    grid = runs[0][1]["X-Patch-Grid"]
    print(f"difference map of two 4032×3024 JPEGs at 448 ({grid} patches, two forward passes): "
          f"median {statistics.median(t for t, _ in runs):.3f} s")
    server.stop()

    server = Server(args.bin, os.path.join(work, f"store-{args.images}"), args.model)
    review = f"/v1/duplicates/review?threshold={args.threshold}"
    start = time.perf_counter()
    while server.get(review)[0] == 202:
        time.sleep(1)
    print(f"duplicate groups over {args.images} (threshold {args.threshold}), once, in the background: {time.perf_counter() - start:.1f} s")
    status, _, body = server.get(review)
    first = json.loads(body)
    print(f"groups: {first['groups_total']}, images that would go: {first['images_to_go']}, pages: {first['pages']}")
    pages = [1, 2, max(1, first["pages"] // 2), first["pages"]]
    times = [timed(server, f"{review}&page={p}")[0] for p in pages for _ in range(3)]
    print(f"a page of 20 groups once computed: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
          f"(pages {pages})")
    server.stop()


if __name__ == "__main__":
    main()
