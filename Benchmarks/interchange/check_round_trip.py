"""Checks an export against the folder it was imported from: the same paths in the same order, and every
exported vector within float16 rounding of the imported one made unit-length (the store keeps unit float16).

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
    worst = 0.0
    for s in range(0, len(a), 100_000):
        rows = np.asarray(a[s:s + 100_000], dtype=np.float64)
        unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        worst = max(worst, float(np.max(np.abs(unit - np.asarray(b[s:s + 100_000])) / np.maximum(np.abs(unit), 2**-14))))
    print(f"import → export: {len(a)} rows, paths in order, largest relative change {worst:.2e} "
          f"(float16 rounding is at most {2**-11:.2e})")
    sys.exit(0 if worst <= 2**-11 * 1.01 else 1)


if __name__ == "__main__":
    main()
