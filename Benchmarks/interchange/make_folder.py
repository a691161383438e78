"""Makes an interchange folder (vectors.npy, records.jsonl, store.json) from a float32 .npy of embeddings, as
another machine's `dinosearch embed --out` would: one record per row with a made-up photo path, size and time.

usage: python Benchmarks/interchange/make_folder.py VECTORS.npy MODEL_FINGERPRINT OUT_DIR [SHARDS]
With SHARDS, OUT_DIR holds part-00000 … as the Spark job writes them, the rows cut into that many equal shards.
"""
import json
import os
import sys

import numpy as np


def main():
    source, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
    shards = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    vectors = np.load(source, mmap_mode="r")
    if not shards:
        os.makedirs(out)
        os.symlink(os.path.abspath(source), os.path.join(out, "vectors.npy"))
        write_records(out, model, range(len(vectors)), vectors.shape[1])
        return
    n = len(vectors)
    for s in range(shards):
        rows = range(s * n // shards, (s + 1) * n // shards)
        folder = os.path.join(out, f"part-{s:05d}")
        os.makedirs(folder)
        np.save(os.path.join(folder, "vectors.npy"), np.asarray(vectors[rows.start:rows.stop], dtype=np.float32))
        write_records(folder, model, rows, vectors.shape[1])


def write_records(out, model, rows, d):
    n = len(rows)
    with open(os.path.join(out, "records.jsonl"), "w") as f:
        for i in rows:
            f.write(json.dumps({"path": f"/photos/{i // 1000:04d}/IMG_{i:07d}.jpg", "size": 2_000_000 + i,
                                "modified": 1.7e9 + i, "width": 4032, "height": 3024}) + "\n")
    with open(os.path.join(out, "store.json"), "w") as f:
        json.dump({"model": model, "dimension": d, "count": n}, f)


if __name__ == "__main__":
    main()
