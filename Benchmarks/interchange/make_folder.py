"""Makes an interchange folder (vectors.npy, records.jsonl, store.json) from a float32 .npy of embeddings, as
another machine's `dinosearch embed --out` would: one record per row with a made-up photo path, size and time.

usage: python Benchmarks/interchange/make_folder.py VECTORS.npy MODEL_FINGERPRINT OUT_DIR
"""
import json
import os
import sys

import numpy as np


def main():
    source, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
    vectors = np.load(source, mmap_mode="r")
    n, d = vectors.shape
    os.makedirs(out)
    os.symlink(os.path.abspath(source), os.path.join(out, "vectors.npy"))
    with open(os.path.join(out, "records.jsonl"), "w") as f:
        for i in range(n):
            f.write(json.dumps({"path": f"/photos/{i // 1000:04d}/IMG_{i:07d}.jpg", "size": 2_000_000 + i,
                                "modified": 1.7e9 + i, "width": 4032, "height": 3024}) + "\n")
    with open(os.path.join(out, "store.json"), "w") as f:
        json.dump({"model": model, "dimension": d, "count": n}, f)


if __name__ == "__main__":
    main()
