"""Which queries a store can calibrate its probe count on: recall@10 after re-ranking 100 candidates, per nprobe, of
`IVF2048,PQ192x4fs` over the curve's 1M vectors, for held-out queries (new texts: what users will ask) and for
queries a store can make from its own vectors — the vectors themselves (excluded from their own answers), blends of
two and of three of them (normalised sums), and noisy copies. The store calibrates on the lower of "stored" and
"blend of 3" (Sources/DinoSearch/Store/ProbeCalibration.swift; Indexes/README.md).

usage: python Benchmarks/store/query_kinds.py DATA_DIR   (base_1m.npy and queries.npy from make_curve_vectors.py)
"""
import sys

import faiss
import numpy as np


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def main():
    folder = sys.argv[1]
    base = np.load(f"{folder}/base_1m.npy").astype(np.float32)
    held_out = np.load(f"{folder}/queries.npy")
    n, d = base.shape
    index = faiss.index_factory(d, "IVF2048,PQ192x4fs", faiss.METRIC_INNER_PRODUCT)
    index.train(base[np.arange(100_000) * n // 100_000])
    index.add(base)
    ivf = faiss.extract_index_ivf(index)
    flat = faiss.IndexFlatIP(d)
    flat.add(base)
    rng = np.random.default_rng(0)
    a, b, c = (rng.choice(n, 1000, replace=False) for _ in range(3))
    kinds = {
        "held-out": (held_out, None),
        "stored": (base[a], a),
        "blend of 2": (unit(base[a] + base[b]), None),
        "blend of 3": (unit(base[a] + base[b] + base[c]), None),
        "noisy copy, cos 0.8": (unit(base[a] + rng.normal(0, 0.75 / np.sqrt(d), (1000, d))), None),
    }
    probes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    print("| queries | 10th neighbour's cosine | " + " | ".join(f"nprobe {p}" for p in probes) + " |")
    print("|---|---|" + "---|" * len(probes))
    for name, (queries, own) in kinds.items():
        scores, truth = flat.search(queries, 11)
        if own is not None:  # a stored vector's answers without itself
            keep = [[j for j, x in enumerate(row) if x != o][:10] for row, o in zip(truth, own)]
            truth = np.array([row[k] for row, k in zip(truth, keep)])
            scores = np.array([row[k] for row, k in zip(scores, keep)])
        truth, scores = truth[:, :10], scores[:, :10]
        row = []
        for p in probes:
            ivf.nprobe = p
            _, candidates = index.search(queries, 101 if own is not None else 100)
            row.append(np.mean([len(set(t) & set(c)) / 10 for t, c in zip(truth, candidates)]))
        print(f"| {name} | {scores[:, 9].mean():.2f} | " + " | ".join(f"{r:.3f}" for r in row) + " |", flush=True)


if __name__ == "__main__":
    main()
