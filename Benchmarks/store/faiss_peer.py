"""The peer of store-benchmark: Faiss's own Python bindings (PyPI faiss-cpu) on the same vectors, layout, training
sample, nprobe and candidate count; re-ranking done the same way (exact inner product with the float16-rounded
vectors), from those vectors held in RAM as float16 (the bytes the store holds) and as float32 (twice the memory,
no conversion). Prints the same table rows.

usage: python Benchmarks/store/faiss_peer.py BASE.npy QUERIES.npy FACTORY NPROBE CANDIDATES
"""
import sys
import time

import faiss
import numpy as np


def qps(fn, queries, batch):
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        for s in range(0, len(queries), batch):
            fn(queries[s:s + batch])
        rates.append(len(queries) / (time.perf_counter() - t))
    return sorted(rates)[1]


def main():
    base = np.load(sys.argv[1]).astype(np.float16).astype(np.float32)
    queries = np.load(sys.argv[2])
    factory, nprobe, candidates = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    n, d = base.shape
    faiss.omp_set_num_threads(2)
    truth = faiss.IndexFlatIP(d)
    truth.add(base)
    _, gt = truth.search(queries, 10)

    index = faiss.index_factory(d, factory, faiss.METRIC_INNER_PRODUCT)
    sample = min(n, 100_000)
    t = time.perf_counter()
    if not index.is_trained:
        index.train(base[np.arange(sample) * n // sample])
    index.add_with_ids(base, np.arange(n, dtype=np.int64))
    build = time.perf_counter() - t
    if nprobe > 0:
        faiss.extract_index_ivf(index).nprobe = nprobe
    print(f"faiss-cpu {faiss.__version__}: build {build:.1f} s (train on {sample} + add), "
          f"bytes per vector (serialized) {faiss.serialize_index(index).nbytes / n:.0f}")

    base16 = base.astype(np.float16)

    def reranker(vectors):
        def rerank(q):
            _, ids = index.search(q, candidates)
            out = []
            for row, cand in zip(q, ids):
                cand = cand[cand >= 0]
                out.append(cand[np.argsort(-(vectors[cand].astype(np.float32) @ row))[:10]])
            return out
        return rerank

    rerank, rerank16 = reranker(base), reranker(base16)

    raw = np.mean([len(set(a[:10]) & set(b)) / 10 for a, b in zip(index.search(queries, 10)[1], gt)])
    rr = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(rerank(queries), gt)])
    s1 = qps(lambda x: index.search(x, candidates), queries, 1)
    s1000 = qps(lambda x: index.search(x, candidates), queries, 1000)
    r1 = qps(rerank, queries, 1)
    r1000 = qps(rerank, queries, 1000)
    h1 = qps(rerank16, queries, 1)
    h1000 = qps(rerank16, queries, 1000)
    print(f"| faiss-cpu, {candidates} candidates | {s1:.0f} | {s1000:.0f} | {raw:.3f} (top 10 raw) |")
    print(f"| faiss-cpu + numpy re-rank from float16 in RAM, k=10 | {h1:.0f} | {h1000:.0f} | {rr:.3f} |")
    print(f"| faiss-cpu + numpy re-rank from float32 in RAM, k=10 | {r1:.0f} | {r1000:.0f} | {rr:.3f} |")


if __name__ == "__main__":
    main()
