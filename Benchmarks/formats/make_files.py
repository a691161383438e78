#!/usr/bin/env python3
"""Real-size files of every photo format for Benchmarks/formats.sh, made from Debian's wallpaper photos
(mate-backgrounds: YellowFlower, Wood, TwoWings, LadyBird), cropped to 4:3 and resized to a phone's 12 MP
(4032×3024) — HEIC (pillow-heif, quality 85), AVIF (Pillow, quality 80), TIFF (LZW), BMP (24-bit), JPEG XL
(quality 90), GIF (1600×1200, 256 colours) — and to a camera's 24 MP (6000×4000) as DNG: a 14-bit RGGB mosaic
with a full-size JPEG preview (dng-preview/) or with only a 160×120 thumbnail (dng-demosaic/).

Upscaled wallpapers are smoother than camera photos, so the lossy files are smaller than a phone's (the decoders'
work per pixel is lower); the sizes are printed.
Usage: make_files.py OUT   (the Python reference environment of the README; several minutes, mostly AVIF)
"""
import io
import os
import sys

import pillow_heif
import pillow_jxl  # noqa: F401  (registers JPEG XL)
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "reference"))
from dng import dng_bytes  # noqa: E402
from wallpapers import PHOTOS, fitted  # noqa: E402

pillow_heif.register_heif_opener()
out = sys.argv[1]


def write(folder, name, data):
    os.makedirs(os.path.join(out, folder), exist_ok=True)
    with open(os.path.join(out, folder, name), "wb") as f:
        f.write(data)
    print(f"{folder}/{name}: {len(data) / 1e6:.1f} MB", flush=True)


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


for path in PHOTOS:
    stem = os.path.splitext(os.path.basename(path))[0]
    phone = fitted(path, 4032, 3024)
    write("heic", stem + ".heic", encoded(phone, "HEIF", quality=85))
    write("avif", stem + ".avif", encoded(phone, "AVIF", quality=80))
    write("tiff", stem + ".tif", encoded(phone, "TIFF", compression="tiff_lzw"))
    write("bmp", stem + ".bmp", encoded(phone, "BMP"))
    write("jxl", stem + ".jxl", encoded(phone, "JXL", quality=90))
    write("gif", stem + ".gif", encoded(phone.resize((1600, 1200), Image.LANCZOS), "GIF"))
    camera = fitted(path, 6000, 4000)
    # 14-bit, like most cameras' raw data.
    write("dng-preview", stem + ".dng", dng_bytes(camera, preview_quality=92, black=512, white=16383, model="benchmark"))
    write("dng-demosaic", stem + ".dng", dng_bytes(camera, thumbnail=(160, 120), black=512, white=16383,
                                                   model="benchmark"))
