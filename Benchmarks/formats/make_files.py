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

import numpy as np
import pillow_heif
import pillow_jxl  # noqa: F401  (registers JPEG XL)
import tifffile
from PIL import Image

pillow_heif.register_heif_opener()
out = sys.argv[1]
sources = [f"/usr/share/backgrounds/mate/nature/{name}.jpg" for name in ("YellowFlower", "Wood", "TwoWings", "LadyBird")]


def fitted(path, width, height):
    """The photo cropped to width:height around its centre and resized (Lanczos) to width × height."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    if w * height > h * width:
        cw = h * width // height
        im = im.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
    else:
        ch = w * height // width
        im = im.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
    return im.resize((width, height), Image.LANCZOS)


def dng(photo, preview):
    """A DNG of `photo` (6000×4000): IFD0 the full-size JPEG preview or a 160×120 thumbnail, the raw data in a
    SubIFD (14-bit RGGB, black 512, a camera white balance of 0.5/1/0.7 to undo)."""
    width, height = photo.size
    linear = (np.asarray(photo, np.float32) / 255) ** 2.2
    gains, black, white = (0.5, 1.0, 0.7), 512, 16383
    mosaic = np.empty((height, width), np.uint16)
    for dy, dx, c in ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 2)):
        mosaic[dy::2, dx::2] = np.round(black + linear[dy::2, dx::2, c] * gains[c] * (white - black))
    xyz_to_srgb = [3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570]
    tags = [(50706, "B", 4, (1, 4, 0, 0), True), (50707, "B", 4, (1, 1, 0, 0), True),
            (50708, "s", 0, "dinosearch benchmark", True), (271, "s", 0, "dinosearch", True),
            (272, "s", 0, "benchmark", True), (274, "H", 1, 1, True)]
    buffer = io.BytesIO()
    with tifffile.TiffWriter(buffer) as writer:
        if preview:
            jpeg = io.BytesIO()
            photo.save(jpeg, "JPEG", quality=92)
            writer.write(iter([jpeg.getvalue()]), shape=(height, width, 3), dtype="uint8", photometric="ycbcr",
                         compression=7, subsampling=(2, 2), rowsperstrip=height, subfiletype=1, subifds=1,
                         extratags=tags)
        else:
            writer.write(np.asarray(photo.resize((160, 120))), photometric="rgb", subfiletype=1, subifds=1,
                         extratags=tags)
        writer.write(mosaic, photometric=32803, subfiletype=0, extratags=[
            (33421, "H", 2, (2, 2), True), (33422, "B", 4, (0, 1, 1, 2), True), (50714, "H", 1, black, True),
            (50717, "H", 1, white, True),
            (50721, "2i", 9, sum(([round(v * 10000), 10000] for v in xyz_to_srgb), []), True),
            (50728, "2I", 3, (5000, 10000, 10000, 10000, 7000, 10000), True), (50778, "H", 1, 21, True)])
    return buffer.getvalue()


def write(folder, name, data):
    os.makedirs(os.path.join(out, folder), exist_ok=True)
    with open(os.path.join(out, folder, name), "wb") as f:
        f.write(data)
    print(f"{folder}/{name}: {len(data) / 1e6:.1f} MB", flush=True)


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


for path in sources:
    stem = os.path.splitext(os.path.basename(path))[0]
    phone = fitted(path, 4032, 3024)
    write("heic", stem + ".heic", encoded(phone, "HEIF", quality=85))
    write("avif", stem + ".avif", encoded(phone, "AVIF", quality=80))
    write("tiff", stem + ".tif", encoded(phone, "TIFF", compression="tiff_lzw"))
    write("bmp", stem + ".bmp", encoded(phone, "BMP"))
    write("jxl", stem + ".jxl", encoded(phone, "JXL", quality=90))
    write("gif", stem + ".gif", encoded(phone.resize((1600, 1200), Image.LANCZOS), "GIF"))
    camera = fitted(path, 6000, 4000)
    write("dng-preview", stem + ".dng", dng(camera, preview=True))
    write("dng-demosaic", stem + ".dng", dng(camera, preview=False))
