"""Scores `dinosearch duplicates --json` against the planted groups of make_planted.py.

usage: python Benchmarks/curation/check_duplicates.py IN_DIR PLANTED.json DUPLICATES.json THRESHOLD

Ground truth: every pair inside a planted group whose exact cosine, on the vectors as the store keeps them
(float16), is at least THRESHOLD — what an exact all-pairs search finds among the planted pairs. Found: the pair
lies in one reported group. Also counts reported groups that mix two planted groups or background images.
"""
import json
import os
import sys

import numpy as np


def main():
    folder, planted_path, report_path, threshold = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    vectors = np.load(os.path.join(folder, "vectors.npy"), mmap_mode="r")
    row = {}
    with open(os.path.join(folder, "records.jsonl")) as f:
        for i, line in enumerate(f):
            row[json.loads(line)["path"]] = i
    planted = json.load(open(planted_path))
    report = json.load(open(report_path))
    group_of = {}
    for g, group in enumerate(report["groups"]):
        for path in [group["keep"]["path"]] + [d["path"] for d in group["duplicates"]]:
            group_of[path] = g
    family_of = {path: f for f, members in enumerate(planted) for path in members}
    truth = found = 0
    for members in planted:
        stored = np.asarray(vectors[[row[p] for p in members]], np.float32).astype(np.float16).astype(np.float32)
        stored /= np.linalg.norm(stored, axis=1, keepdims=True)
        scores = stored @ stored.T
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                if scores[i, j] >= threshold:
                    truth += 1
                    a, b = group_of.get(members[i]), group_of.get(members[j])
                    found += a is not None and a == b
    mixed = sum(1 for group in report["groups"]
                if len({family_of.get(p, ("background", p)) for p in
                        [group["keep"]["path"]] + [d["path"] for d in group["duplicates"]]}) > 1)
    print(json.dumps({"images": report["images"], "groups": len(report["groups"]),
                      "planted_pairs_at_threshold": truth, "found": found, "recall": found / max(truth, 1),
                      "groups_mixing_planted_and_other": mixed}))


if __name__ == "__main__":
    main()
