#!/usr/bin/env python3
"""The usual Python path for DINOv2 input, timed on the same files as decode-benchmark: PIL open +
convert("RGB") + torchvision-style Resize(256, bicubic) / CenterCrop(224) / ToTensor / Normalize (in numpy, the
same arithmetic), at full size and with PIL's draft() JPEG shortcut. One thread, file bytes read up front.
Usage: decode_peers.py [--rounds N] FILE...   (run by Benchmarks/decode.sh)"""
import io
import statistics
import sys
import time

import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]


def prepare(data, draft):
    im = Image.open(io.BytesIO(data))
    if draft and im.format == "JPEG":
        im.draft("RGB", (256, 256))  # DCT scaling, keeping both sides >= 256
    im = im.convert("RGB")
    w, h = im.size
    nw, nh = (256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256)
    im = im.resize((nw, nh), Image.BICUBIC)
    top, left = int(round((nh - 224) / 2.0)), int(round((nw - 224) / 2.0))
    im = im.crop((left, top, left + 224, top + 224))
    t = np.asarray(im, np.float32).transpose(2, 0, 1) / np.float32(255)
    return (t - MEAN) / STD


args = sys.argv[1:]
rounds = 3
if args and args[0] == "--rounds":
    rounds, args = int(args[1]), args[2:]
contents = [open(f, "rb").read() for f in args]
for name, draft in (("PIL full decode", False), ("PIL draft()", True)):
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for data in contents:
            prepare(data, draft)
        rates.append(len(contents) / (time.perf_counter() - start))
    print(f"{name} threads=1: {statistics.median(rates):.2f} images/s (median of {rounds}; runs "
          + " ".join(f"{r:.2f}" for r in sorted(rates)) + ")")
