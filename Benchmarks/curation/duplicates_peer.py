"""The same near-duplicate groups as `dinosearch duplicates`, built with faiss-cpu and numpy: the peer for time
and memory. Same layout as the store (IVF{lists},PQ{D/2}x4fs trained on 100k vectors spread evenly over the rows,
nprobe as the store's), the K+1 nearest of every vector searched in batches, every candidate re-scored exactly
(float16-rounded vectors, as the store keeps them), pairs with cosine >= T joined with scipy's connected
components, byte-identical files (same hash) joined too.

usage: python Benchmarks/curation/duplicates_peer.py IN_DIR THRESHOLD LISTS NPROBE [NEIGHBORS]
Prints JSON: seconds, groups, images in groups.
"""
import json
import os
import sys
import time

import faiss
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def main():
    folder, threshold, lists, nprobe = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    neighbors = int(sys.argv[5]) if len(sys.argv) > 5 else 16
    start = time.time()
    x = np.load(os.path.join(folder, "vectors.npy")).astype(np.float16).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    n, d = x.shape
    hashes = [json.loads(line).get("hash") for line in open(os.path.join(folder, "records.jsonl"))]
    index = faiss.index_factory(d, f"IVF{lists},PQ{d // 2}x4fs", faiss.METRIC_INNER_PRODUCT)
    index.train(x[np.arange(min(n, 100_000)) * n // min(n, 100_000)])
    index.add(x)
    index.nprobe = nprobe
    built = time.time() - start
    rows, cols = [], []
    for first in range(0, n, 4096):
        queries = x[first:first + 4096]
        _, labels = index.search(queries, neighbors + 1)
        exact = np.einsum("qd,qkd->qk", queries, x[np.maximum(labels, 0)])
        keep = (exact >= threshold) & (labels >= 0) & (labels != np.arange(first, first + len(queries))[:, None])
        q, k = np.nonzero(keep)
        rows.append(q + first)
        cols.append(labels[q, k])
    by_hash = {}
    for i, h in enumerate(hashes):
        if h:
            if h in by_hash:
                rows.append(np.array([by_hash[h]]))
                cols.append(np.array([i]))
            else:
                by_hash[h] = i
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    sizes = np.bincount(component)
    print(json.dumps({"build_seconds": round(built, 1), "seconds": round(time.time() - start, 1),
                      "groups": int((sizes > 1).sum()), "images_in_groups": int(sizes[sizes > 1].sum())}))


if __name__ == "__main__":
    main()
