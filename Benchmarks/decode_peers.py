#!/usr/bin/env python3
"""The usual Python path for DINOv2 input, timed on the same files as decode-benchmark: PIL open +
convert("RGB") + torchvision-style Resize(256, bicubic) / CenterCrop(224) / ToTensor / Normalize (in numpy, the
same arithmetic), at full size and with PIL's draft() JPEG shortcut. One thread, file bytes read up front.
HEIC through pillow-heif and JPEG XL through pillow-jxl-plugin when they are installed; camera RAW (.dng and
the other RAW extensions) through rawpy with dinosearch's rule: the embedded JPEG preview when its short side is
at least 256 px (decoded by PIL, with draft() on the draft path), else postprocess(use_camera_wb=True).
Usage: decode_peers.py [--rounds N] FILE...   (run by Benchmarks/decode.sh and Benchmarks/formats.sh)"""
import io
import os
import statistics
import sys
import time

import numpy as np
from PIL import Image

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    # One thread means one: libheif decodes a grid's tiles on DECODE_THREADS threads (4 by default).
    pillow_heif.options.DECODE_THREADS = int(os.environ.get("HEIF_DECODE_THREADS", "1"))
except ImportError:
    pass
try:
    import pillow_jxl  # noqa: F401  (registers JPEG XL)
except ImportError:
    pass

RAW = {".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2", ".pef", ".srw"}

MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]


def open_raw(data, draft):
    import rawpy

    with rawpy.imread(io.BytesIO(data)) as raw:
        try:
            thumb = raw.extract_thumb()
        except rawpy.LibRawError:
            thumb = None
        if thumb is not None and thumb.format == rawpy.ThumbFormat.JPEG:
            im = Image.open(io.BytesIO(thumb.data))
            if min(im.size) >= 256:
                if draft:
                    im.draft("RGB", (256, 256))
                return im
        return Image.fromarray(raw.postprocess(use_camera_wb=True, output_bps=8))


def prepare(data, draft, raw=False):
    im = open_raw(data, draft) if raw else Image.open(io.BytesIO(data))
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
raws = [os.path.splitext(f)[1].lower() in RAW for f in args]
for name, draft in (("PIL full decode", False), ("PIL draft()", True)):
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for data, raw in zip(contents, raws):
            prepare(data, draft, raw)
        rates.append(len(contents) / (time.perf_counter() - start))
    print(f"{name} threads=1: {statistics.median(rates):.2f} images/s (median of {rounds}; runs "
          + " ".join(f"{r:.2f}" for r in sorted(rates)) + ")")
