"""Makes the curation benchmark's input: an interchange folder of N real 384-d embeddings with planted groups of
near-duplicates, and the list of planted groups.

usage: python Benchmarks/curation/make_planted.py BASE.npy MODEL_FINGERPRINT OUT_DIR [--count N] [--groups G]

BASE.npy is Benchmarks/store/make_vectors.py's base_1m.npy (all-MiniLM-L6-v2 sentence embeddings and perturbed
copies of them at cosine ≈ 0.93: similar but not duplicates, as burst photos are). G of its rows become the
originals of planted groups: each gets 1–4 copies with Gaussian noise of 0.004–0.012 per dimension (cosine
0.97–0.995 to the original, as a resized or recompressed photo), and one group in fifty gets a byte-identical copy
instead (same vector, same content hash). The background fills the rest up to N rows.
Writes OUT_DIR/in/{vectors.npy, records.jsonl, store.json} and OUT_DIR/planted.json: [[path, ...], ...].
"""
import argparse
import json
import os

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=40_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    base = np.load(args.base, mmap_mode="r")
    sizes = rng.integers(1, 5, args.groups)  # copies per group
    identical = rng.random(args.groups) < 0.02
    sizes[identical] = 1
    copies = int(sizes.sum())
    background = args.count - copies
    vectors = np.empty((args.count, base.shape[1]), np.float32)
    vectors[:background] = base[:background]
    originals = rng.choice(background, args.groups, replace=False)
    hashes = [f"{i:064x}" for i in range(args.count)]
    groups, row = [], background
    for g, (original, size) in enumerate(zip(originals, sizes)):
        members = [int(original)]
        for _ in range(size):
            if identical[g]:
                vectors[row] = vectors[original]
                hashes[row] = hashes[original]
            else:
                sigma = rng.uniform(0.004, 0.012)
                noisy = vectors[original] + rng.normal(0, sigma, base.shape[1]).astype(np.float32)
                vectors[row] = noisy / np.linalg.norm(noisy)
            members.append(row)
            row += 1
        groups.append(members)
    # Shuffle rows so copies are not adjacent to each other in id order.
    order = rng.permutation(args.count)
    position = np.empty(args.count, np.int64)
    position[order] = np.arange(args.count)
    folder = os.path.join(args.out, "in")
    os.makedirs(folder)
    np.save(os.path.join(folder, "vectors.npy"), vectors[order])
    path = lambda i: f"/photos/{i // 1000:04d}/IMG_{i:07d}.jpg"
    with open(os.path.join(folder, "records.jsonl"), "w") as f:
        for i in range(args.count):
            source = int(order[i])
            f.write(json.dumps({"path": path(i), "size": 2_000_000 + source, "modified": 1.7e9 + i,
                                "hash": hashes[source], "width": 4032, "height": 3024}) + "\n")
    with open(os.path.join(folder, "store.json"), "w") as f:
        json.dump({"model": args.model, "dimension": base.shape[1], "count": args.count}, f)
    with open(os.path.join(args.out, "planted.json"), "w") as f:
        json.dump([[path(int(position[m])) for m in members] for members in groups], f)
    print(f"{args.count} rows: {background} background, {args.groups} planted groups with {copies} copies")


if __name__ == "__main__":
    main()
