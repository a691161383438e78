"""faiss-cpu's spherical k-means on the same vectors and settings as `dinosearch cluster`, for the objective side
by side: trained on 256 points per centroid (Faiss's own subsampling), then every vector assigned.

usage: python Benchmarks/curation/kmeans_peer.py IN_DIR CLUSTERS [ITERATIONS] [SEED]

The vectors are rounded to float16 and renormalised, as the store keeps them. Prints JSON: seconds and the
objective, the sum over all vectors of the cosine to the nearest centroid.
"""
import json
import os
import sys
import time

import faiss
import numpy as np


def main():
    folder, k = sys.argv[1], int(sys.argv[2])
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    x = np.load(os.path.join(folder, "vectors.npy")).astype(np.float16).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    start = time.time()
    kmeans = faiss.Kmeans(x.shape[1], k, niter=iterations, seed=seed, spherical=True, max_points_per_centroid=256)
    kmeans.train(x)
    trained = time.time() - start
    scores, _ = kmeans.index.search(x, 1)
    total = time.time() - start
    print(json.dumps({"train_seconds": round(trained, 1), "seconds": round(total, 1),
                      "objective": float(scores[:, 0].astype(np.float64).sum()), "images": len(x)}))


if __name__ == "__main__":
    main()
