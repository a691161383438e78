"""Checks an export against the folder it was imported from: same paths in the same order, and every exported
vector equal to the imported one after the store's own rounding (unit length, then float16), bit for bit.

usage: python Benchmarks/interchange/check_round_trip.py IMPORTED_DIR EXPORTED_DIR
"""
import json
import sys

import numpy as np


def main():
    given, exported = sys.argv[1], sys.argv[2]
    a = np.load(f"{given}/vectors.npy", mmap_mode="r")
    b = np.load(f"{exported}/vectors.npy", mmap_mode="r")
    assert a.shape == b.shape, (a.shape, b.shape)
    with open(f"{given}/records.jsonl") as f, open(f"{exported}/records.jsonl") as g:
        for i, (x, y) in enumerate(zip(f, g)):
            assert json.loads(x)["path"] == json.loads(y)["path"], i
    worst = 0
    for s in range(0, len(a), 100_000):
        rows = np.asarray(a[s:s + 100_000], dtype=np.float32)
        stored = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float16).astype(np.float32)
        worst = max(worst, int((stored.view(np.uint32) != np.asarray(b[s:s + 100_000]).view(np.uint32)).sum()))
    print(f"round trip: {len(a)} rows, paths in order, {worst} values differing from the stored form (want 0)")
    sys.exit(1 if worst else 0)


if __name__ == "__main__":
    main()
