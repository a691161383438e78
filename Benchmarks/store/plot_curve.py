"""Plots the store's cost curve from Benchmarks/store-curve.sh output: QPS one at a time and with two threads,
held-out recall@10, and memory (building and serving, anonymous and file-mapped) against the store's size.

usage: python Benchmarks/store/plot_curve.py CURVE_OUTPUT.txt... OUT.png
"""
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def parse(paths):
    rows = {}
    for path in paths:
        size = None
        for line in open(path):
            if m := re.match(r"== (\S+)", line):
                size = m.group(1)
                rows[size] = {}
            elif size and (m := re.match(r"(import|rebuild)[^:]*: ([\d.]+) s, peak anonymous (\d+) MiB, peak file-mapped (\d+) MiB", line)):
                rows[size][m.group(1)] = (float(m.group(2)), int(m.group(3)), int(m.group(4)))
            elif size and line.startswith("curve-row:"):
                n, qps, p50, p99, two, recall, anon, mapped, opening = line.split()[1:]
                rows[size].update(n=int(n), qps=float(qps), p99=float(p99), two=float(two), recall=float(recall),
                                  anon=int(anon), mapped=int(mapped))
    return sorted((r for r in rows.values() if "n" in r), key=lambda r: r["n"])


def main():
    rows = parse(sys.argv[1:-1])
    n = [r["n"] for r in rows]
    fig, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    speed.plot(n, [r["qps"] for r in rows], "o-", label="one query at a time")
    speed.plot(n, [r["two"] for r in rows], "s--", label="two threads")
    for r in rows:
        speed.annotate(f"recall {r['recall']:.3f}\np99 {r['p99']:.1f} ms", (r["n"], r["qps"]), fontsize=7,
                       textcoords="offset points", xytext=(6, 6))
    speed.set(xscale="log", yscale="log", xlabel="images (384-d)", ylabel="Store.search QPS, k=10",
              title="Serving (held-out queries)")
    speed.grid(True, which="both", alpha=0.3)
    speed.legend(fontsize=8)
    memory.plot(n, [r["import"][1] for r in rows], "o-", label="import: peak anonymous")
    memory.plot(n, [r["anon"] for r in rows], "s-", label="serving: anonymous")
    memory.plot(n, [r["mapped"] for r in rows], "s--", label="serving: file-mapped")
    memory.set(xscale="log", yscale="log", xlabel="images (384-d)", ylabel="MiB", title="Memory")
    memory.grid(True, which="both", alpha=0.3)
    memory.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[-1], dpi=110)


if __name__ == "__main__":
    main()
