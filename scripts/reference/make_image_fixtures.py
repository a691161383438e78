#!/usr/bin/env python3
"""Writes the image fixtures of Tests/DinoImageTests/Fixtures and their PIL references.

Every variant the decoders must handle, encoded by real encoders (Pillow's libjpeg-turbo, zlib and libwebp;
pypng for what Pillow cannot write: 16-bit RGB(A), 16-bit grey+alpha, interlacing), plus the reference the
Swift tests compare with: PIL's decode (`ImageOps.exif_transpose` + `convert("RGB")`) and the DINOv2 transform
(torchvision-style Resize with PIL bicubic + CenterCrop) as 8-bit images, saved as PNG.

Run: /root/venv/bin/python scripts/reference/make_image_fixtures.py Tests/DinoImageTests/Fixtures
(needs pillow, numpy, pypng).
"""
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import png  # pypng
from PIL import Image, ImageOps

out = sys.argv[1]
os.makedirs(os.path.join(out, "reference"), exist_ok=True)
rng = np.random.default_rng(7)

# A photo-like 96×72 picture: smooth gradients, hard edges and noise, so resampling and chroma matter.
W, H = 96, 72
y, x = np.mgrid[0:H, 0:W].astype(np.float64)
base = np.stack([
    128 + 100 * np.sin(x / 10.0) * np.cos(y / 14.0),
    90 + 0.8 * x + 30 * np.sin((x + y) / 9.0),
    200 - 1.2 * y + 25 * np.cos(x / 5.0),
], axis=-1)
base[(x - 36) ** 2 + (y - 30) ** 2 < 18 ** 2] = [240, 40, 30]
base[(x > 60) & (x < 84) & (y > 42) & (y < 66)] = [20, 30, 220]
base += rng.normal(0, 3, base.shape)
rgb = np.clip(base, 0, 255).astype(np.uint8)
alpha = np.clip(255 - 3 * x, 0, 255).astype(np.uint8)
gray = np.asarray(Image.fromarray(rgb).convert("L"))
# Low bytes that a rounding 16→8 reduction would carry into the high byte (x·37 mod 256 covers 0...255).
low = ((x * 37).astype(np.uint16) & 0xFF)
gray16 = (gray.astype(np.uint16) << 8) | low
rgb16 = (rgb.astype(np.uint16) << 8) | low[:, :, None]
alpha16 = (alpha.astype(np.uint16) << 8) | 0x5A

# Transform settings the tests run: (resize, crop).
TRANSFORMS = [(64, 56), (32, 28), (112, 98)]  # shrink a little, shrink 2.25×, enlarge

cases = []


def save(name, data, note, transforms=((64, 56),), reference=None):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    stem = name.replace(".", "_")
    if reference is None:
        im = Image.open(io.BytesIO(data))
        im = ImageOps.exif_transpose(im).convert("RGB")
    else:
        im = Image.fromarray(reference)
    im.save(os.path.join(out, "reference", stem + ".decoded.png"))
    crops = []
    for resize, crop in transforms:
        crop_image(im, resize, crop).save(os.path.join(out, "reference", f"{stem}.{resize}-{crop}.png"))
        crops.append([resize, crop])
    cases.append({"file": name, "note": note, "width": im.width, "height": im.height, "crops": crops})


def crop_image(im, resize, crop):
    """torchvision Resize(resize, BICUBIC) + CenterCrop(crop) on a PIL image."""
    w, h = im.size
    if w <= h:
        nw, nh = resize, int(resize * h / w)
    else:
        nw, nh = int(resize * w / h), resize
    r = im.resize((nw, nh), Image.BICUBIC)
    top = int(round((nh - crop) / 2.0))
    left = int(round((nw - crop) / 2.0))
    return r.crop((left, top, left + crop, top + crop))


def pil_bytes(image, fmt, **options):
    b = io.BytesIO()
    image.save(b, fmt, **options)
    return b.getvalue()


def pypng_bytes(array, **options):
    b = io.BytesIO()
    height, width = array.shape[:2]
    rows = array.reshape(height, -1)
    png.Writer(width, height, **options).write(b, rows.tolist())
    return b.getvalue()


im = Image.fromarray(rgb)

# JPEG
save("baseline.jpg", pil_bytes(im, "JPEG", quality=90), "baseline, 4:2:0", TRANSFORMS)
save("progressive.jpg", pil_bytes(im, "JPEG", quality=85, progressive=True), "progressive")
save("subsampling444.jpg", pil_bytes(im, "JPEG", quality=92, subsampling=0), "4:4:4")
save("gray.jpg", pil_bytes(im.convert("L"), "JPEG", quality=90), "greyscale")
save("cmyk.jpg", pil_bytes(im.convert("CMYK"), "JPEG", quality=95), "CMYK, Adobe-inverted (libjpeg writes the Adobe marker)")
save("restart.jpg", pil_bytes(im, "JPEG", quality=80, restart_marker_blocks=4), "restart markers")
for o in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = o
    save(f"orientation{o}.jpg", pil_bytes(im, "JPEG", quality=90, exif=exif.tobytes()), f"EXIF orientation {o}")

# PNG
save("rgb8.png", pil_bytes(im, "PNG"), "RGB 8-bit", TRANSFORMS)
save("rgba8.png", pil_bytes(Image.fromarray(np.dstack([rgb, alpha])), "PNG"), "RGBA 8-bit (alpha dropped)")
save("gray8.png", pil_bytes(Image.fromarray(gray), "PNG"), "grey 8-bit")
save("graya8.png", pil_bytes(Image.fromarray(np.dstack([gray, alpha]), "LA"), "PNG"), "grey+alpha 8-bit")
for bits in (1, 2, 4):
    levels = (gray >> (8 - bits)).astype(np.uint8)
    save(f"gray{bits}.png", pypng_bytes(levels, greyscale=True, bitdepth=bits), f"grey {bits}-bit")
# 16-bit grey: PIL opens it as I;16 and its convert("RGB") clips every value above 255 to white, which destroys
# the picture; dinosearch keeps the high byte (as PIL does for 16-bit RGB) and the reference says so.
save("gray16.png", pypng_bytes(gray16, greyscale=True, bitdepth=16), "grey 16-bit (high byte, see script)",
     reference=np.repeat((gray16 >> 8).astype(np.uint8)[:, :, None], 3, axis=2))
save("graya16.png", pypng_bytes(np.dstack([gray16, alpha16]), greyscale=True, alpha=True, bitdepth=16), "grey+alpha 16-bit")
save("rgb16.png", pypng_bytes(rgb16, greyscale=False, bitdepth=16), "RGB 16-bit")
save("rgba16.png", pypng_bytes(np.dstack([rgb16, alpha16]), greyscale=False, alpha=True, bitdepth=16), "RGBA 16-bit")
save("interlaced.png", pypng_bytes(rgb, greyscale=False, bitdepth=8, interlace=True), "RGB 8-bit, Adam7 interlaced")
save("interlaced_gray4.png", pypng_bytes((gray >> 4).astype(np.uint8), greyscale=True, bitdepth=4, interlace=True), "grey 4-bit interlaced")
palette = im.quantize(64)
save("palette.png", pil_bytes(palette, "PNG"), "palette 8-bit")
save("palette_trns.png", pil_bytes(palette, "PNG", transparency=3), "palette with a transparent entry (ignored)")
save("palette4.png", pil_bytes(im.quantize(16), "PNG", bits=4), "palette 4-bit")
save("rgb_trns.png", pil_bytes(im, "PNG", transparency=(10, 20, 30)), "RGB with tRNS colour key (ignored)")
exif = Image.Exif()
exif[0x0112] = 6
save("orientation6.png", pil_bytes(im, "PNG", exif=exif.tobytes()), "eXIf orientation 6")

# WebP
save("lossy.webp", pil_bytes(im, "WEBP", quality=85), "lossy", TRANSFORMS)
save("lossless.webp", pil_bytes(im, "WEBP", lossless=True), "lossless")
save("alpha.webp", pil_bytes(Image.fromarray(np.dstack([rgb, alpha])), "WEBP", lossless=True), "lossless with alpha (dropped)")
exif = Image.Exif()
exif[0x0112] = 8
save("orientation8.webp", pil_bytes(im, "WEBP", quality=85, exif=exif.tobytes()), "EXIF orientation 8")

# The normalised tensor for one crop, as torchvision's ToTensor + Normalize compute it (float32, channels first).
crop = np.asarray(Image.open(os.path.join(out, "reference", "baseline_jpg.32-28.png")).convert("RGB"))
t = crop.astype(np.float32).transpose(2, 0, 1) / np.float32(255)
t = (t - np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]) / np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
t.astype("<f4").tofile(os.path.join(out, "reference", "baseline_jpg.32-28.normalized.f32"))

# Inputs that must be refused: headers claiming more than the default 180-megapixel limit.
jpeg = bytearray(pil_bytes(im, "JPEG", quality=50))
sof = jpeg.index(b"\xff\xc0")
jpeg[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width
bad = {"bomb.jpg": bytes(jpeg)}
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
bad["bomb.png"] = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
                   + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + pil_bytes(im, "PNG")[33:200])
lossless = bytearray(pil_bytes(im, "WEBP", lossless=True))
vp8l = lossless.index(b"VP8L") + 8  # signature byte, then 14-bit width−1, 14-bit height−1
bits = (16383 - 1) | ((16383 - 1) << 14) | (lossless[vp8l + 4] >> 4 & 0x0F) << 28  # keep alpha + version bits
lossless[vp8l + 1:vp8l + 5] = struct.pack("<I", bits)
bad["bomb.webp"] = bytes(lossless)
for name, data in bad.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"cases": cases, "bombs": sorted(bad)}, f, indent=1)
print(f"{len(cases)} cases, {len(bad)} bombs written to {out}")
