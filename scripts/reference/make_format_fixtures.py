#!/usr/bin/env python3
"""Writes the photo-format fixtures of Tests/DinoImageTests/Fixtures/formats and their references.

HEIC/HEIF, AVIF, TIFF, GIF, BMP, camera RAW (DNG) and JPEG XL, made from a Debian wallpaper
(examples/photos/Garden.jpg) by real encoders: pillow-heif (libheif + x265) for HEIC, Pillow (libavif) for AVIF,
Pillow and tifffile for TIFF, Pillow for GIF, pillow-jxl-plugin (libjxl) for JPEG XL; BMP variants Pillow cannot
write (4-bit, RLE4/RLE8, 5-6-5 bit fields, top-down, OS/2 header) and DNGs (a Bayer mosaic with the camera's
white balance, with and without a full-size JPEG preview) are written byte by byte here.

References, what the Swift tests compare with:
- reference/<stem>.decoded.png: the reference decoder's pixels. PIL (`ImageOps.exif_transpose` + `convert("RGB")`)
  for TIFF, GIF, BMP, AVIF; pillow-heif for HEIC; pillow-jxl-plugin for JPEG XL; rawpy (LibRaw) for RAW:
  `extract_thumb()` decoded by PIL and turned by the RAW's orientation, or `postprocess(use_camera_wb=True)`.
- embeddings.json: each reference image through transformers' DINOv2 pipeline (BitImageProcessor with the
  facebook/dinov2-* settings, Dinov2Model pooler_output, L2-normalised) on the tiny random model of
  Tests/DinoModelTests/Fixtures/plain — what `dinosearch embed` must reproduce from the fixture file itself.

Run: /root/venv/bin/python scripts/reference/make_format_fixtures.py
(needs pillow, pillow-heif, pillow-jxl-plugin, rawpy, tifffile, imagecodecs, numpy, torch, transformers).
"""
import io
import json
import os
import struct

import numpy as np
import pillow_heif
import pillow_jxl  # noqa: F401  (registers the JPEG XL plugin)
import rawpy
import tifffile
import torch
from dng import dng_bytes
from PIL import Image, ImageOps
from transformers import BitImageProcessor, Dinov2Model

pillow_heif.register_heif_opener()
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
out = os.path.join(root, "Tests", "DinoImageTests", "Fixtures", "formats")
os.makedirs(os.path.join(out, "reference"), exist_ok=True)

photo = Image.open(os.path.join(root, "examples", "photos", "Garden.jpg")).convert("RGB")
rgb = photo.resize((160, 120), Image.LANCZOS)  # small: the fixtures are committed
arr = np.asarray(rgb)
cases, bombs = [], []


def pil_reference(path):
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def save(name, data, note, reference=pil_reference, exact=True, within_one=0.999):
    """Writes a fixture, then its reference decode (a function of the path, or an image). `exact`: bit-exact
    expected (a lossless format, or the same library on both sides); else at least `within_one` of the values
    within one level."""
    path = os.path.join(out, name)
    with open(path, "wb") as f:
        f.write(data)
    ref = reference(path) if callable(reference) else reference
    # Pixels only: convert("RGB") of a paletted image with a transparent index keeps it as an RGB colour key,
    # which PNG would store as tRNS and transformers' convert_to_rgb would then composite onto white.
    ref = Image.fromarray(np.asarray(ref.convert("RGB")))
    stem = name.replace(".", "_")
    ref.save(os.path.join(out, "reference", stem + ".decoded.png"))
    cases.append({"file": name, "note": note, "width": ref.size[0], "height": ref.size[1], "exact": exact,
                  "within_one": within_one})


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# --- HEIC (pillow-heif's libheif with x265; references decoded by pillow-heif) ---------------------------------
save("heic_8bit.heic", encoded(rgb, "HEIF", quality=85), "HEIC 8-bit 4:2:0", exact=False)
orientation6 = Image.Exif()
orientation6[0x0112] = 6
# pillow-heif stores EXIF orientation as the HEIF irot/imir transform (and sets the EXIF tag to 1).
save("heic_rotated.heic", encoded(rgb, "HEIF", quality=85, exif=orientation6.tobytes()), "HEIC with irot (90°)",
     exact=False)
# 10-bit: Debian's libheif 1.15 and pillow-heif's 1.23 reduce to 8 bits along different paths (neither matches a
# plain formula on the decoded planes): up to 2 levels apart on ~5% of the values; the embeddings agree.
ten_bit = pillow_heif.from_bytes(mode="RGB;16", size=rgb.size, data=(arr.astype(np.uint16) * 257).tobytes())
ten_bit_bytes = io.BytesIO()
ten_bit.save(ten_bit_bytes, quality=90)
save("heic_10bit.heic", ten_bit_bytes.getvalue(), "HEIC 10-bit (libheif 1.15 vs 1.23: see script)", exact=False,
     within_one=0.95)
rgba = rgb.copy()
rgba.putalpha(Image.linear_gradient("L").resize(rgb.size))
save("heic_alpha.heic", encoded(rgba, "HEIF", quality=85), "HEIC with alpha (dropped)", exact=False)
save("heic_odd.heic", encoded(rgb.crop((0, 0, 157, 117)), "HEIF", quality=85), "HEIC 157×117 (odd size)",
     exact=False)

# --- AVIF (Pillow's libavif; reference decoded by Pillow, which reads AVIF with libavif as dinosearch does) -------
save("avif_8bit.avif", encoded(rgb, "AVIF", quality=85), "AVIF 8-bit 4:2:0")
save("avif_444_alpha.avif", encoded(rgba, "AVIF", quality=85, subsampling="4:4:4"), "AVIF 4:4:4 with alpha")
# Pillow stores EXIF orientation as irot/imir; its reader turns them back into an orientation.
orientation5 = Image.Exif()
orientation5[0x0112] = 5
save("avif_rotated.avif", encoded(rgb, "AVIF", quality=85, exif=orientation6.tobytes()), "AVIF with irot (90°)")
save("avif_transposed.avif", encoded(rgb, "AVIF", quality=85, exif=orientation5.tobytes()),
     "AVIF with irot and imir (orientation 5)")

# --- TIFF -------------------------------------------------------------------------------------------------------
def tiff(**options):
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, **options)
    return buffer.getvalue()


x = np.arange(160)[None, :]
low = ((x * 37) & 0xFF).astype(np.uint16)  # low bytes a rounding 16→8 reduction would carry upwards
rgb16 = (arr.astype(np.uint16) << 8) | low[:, :, None]
gray = np.asarray(rgb.convert("L"))
gray16 = (gray.astype(np.uint16) << 8) | low
save("tiff_rgb.tif", encoded(rgb, "TIFF"), "TIFF RGB 8-bit, strips, uncompressed")
save("tiff_lzw.tif", encoded(rgb, "TIFF", compression="tiff_lzw"), "TIFF RGB LZW")
save("tiff_deflate_tiled.tif", tiff(data=arr, tile=(64, 64), compression="zlib", predictor=True),
     "TIFF RGB tiled 64×64, deflate with predictor")
save("tiff_planar.tif", tiff(data=np.moveaxis(arr, 2, 0).copy(), planarconfig="separate", photometric="rgb"),
     "TIFF RGB planar (separate planes)")
save("tiff_jpeg.tif", encoded(rgb, "TIFF", compression="jpeg", quality=90), "TIFF JPEG-compressed YCbCr",
     exact=False)
# libtiff reduces 16 bits to 8 with rounding, PIL keeps the high byte: at most 1 level apart.
save("tiff_rgb16.tif", tiff(data=rgb16, photometric="rgb"), "TIFF RGB 16-bit", exact=False)
save("tiff_gray8.tif", encoded(rgb.convert("L"), "TIFF", compression="packbits"), "TIFF grey 8-bit, PackBits")
# 16-bit grey: PIL's convert("RGB") of I;16 clips every value above 255 to white; the reference keeps the high
# byte, as for 16-bit PNG (make_image_fixtures.py).
save("tiff_gray16.tif", tiff(data=gray16, photometric="minisblack"), "TIFF grey 16-bit (high byte, see script)",
     reference=Image.fromarray(np.repeat((gray16 >> 8).astype(np.uint8)[:, :, None], 3, axis=2)), exact=False)
save("tiff_palette.tif", encoded(rgb.quantize(64), "TIFF"), "TIFF palette 8-bit")
save("tiff_bilevel.tif", encoded(rgb.convert("1"), "TIFF", compression="group4"), "TIFF 1-bit, CCITT G4")
# CMYK: libtiff's (255−k)(255−c)/255 truncates where PIL rounds: at most 1 level apart.
save("tiff_cmyk.tif", encoded(rgb.convert("CMYK"), "TIFF"), "TIFF CMYK", exact=False)
save("tiff_rgba.tif", encoded(rgba, "TIFF", compression="tiff_adobe_deflate"), "TIFF RGBA unassociated alpha (dropped)")
exif = Image.Exif()
exif[0x0112] = 6
save("tiff_orientation6.tif", encoded(rgb, "TIFF", exif=exif), "TIFF Orientation 6")
pages = io.BytesIO()
rgb.save(pages, "TIFF", save_all=True, append_images=[rgb.transpose(Image.FLIP_LEFT_RIGHT)])
save("tiff_multipage.tif", pages.getvalue(), "TIFF two pages (the first is read)")

# --- GIF (Pillow; reference Pillow's first frame) ---------------------------------------------------------------
save("gif_palette.gif", encoded(rgb, "GIF", interlace=False), "GIF 256-colour palette")
save("gif_interlaced.gif", encoded(rgb, "GIF", interlace=True), "GIF interlaced")
paletted = rgb.quantize(32)
save("gif_transparent.gif", encoded(paletted, "GIF", transparency=3), "GIF with a transparent index")
frames = [rgb, rgb.transpose(Image.FLIP_LEFT_RIGHT), rgb.rotate(180)]
save("gif_animated.gif", encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
     "GIF animated, 3 frames (the first is read)")


def with_screen(gif, width, height):
    """The same GIF on a larger logical screen: the frame no longer covers the canvas."""
    return gif[:6] + struct.pack("<HH", width, height) + gif[10:]


save("gif_small_frame.gif", with_screen(encoded(paletted, "GIF"), 360, 270),
     "GIF frame smaller than the screen (index 0 around it)")
save("gif_small_frame_transparent.gif", with_screen(encoded(paletted, "GIF", transparency=5), 360, 270),
     "GIF frame smaller than the screen, transparent index around it")


# --- BMP --------------------------------------------------------------------------------------------------------
def bmp(pixels_bottom_up, width, height, bits, *, palette=None, compression=0, masks=None, header=40,
        top_down=False):
    """A BMP with a BITMAPINFOHEADER (40), V5 (124) or OS/2 (12) header around already-packed pixel rows."""
    entry = 3 if header == 12 else 4
    table = b"".join(bytes((b, g, r)) + (b"" if entry == 3 else b"\0") for r, g, b in (palette or []))
    extra = struct.pack("<3I", *masks) if masks and header == 40 else b""
    if header == 12:
        info = struct.pack("<IHHHH", 12, width, height, 1, bits)
    else:
        info = struct.pack("<IiiHHIIiiII", header, width, -height if top_down else height, 1, bits, compression,
                           len(pixels_bottom_up), 2835, 2835, len(palette or []), 0)
        if header == 124:
            info += struct.pack("<4I", *(masks or (0, 0, 0)), 0) + b"\0" * (124 - 56)
    offset = 14 + len(info) + len(extra) + len(table)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels_bottom_up), 0, 0, offset) + info + extra + table + \
        pixels_bottom_up


def rows(values, bits, width):
    """Packs rows of values (top row first) bottom-up, each padded to 4 bytes."""
    out = b""
    for row in values[::-1]:
        if bits == 4:
            row = list(row) + [0] * (len(row) % 2)
            data = bytes(row[i] << 4 | row[i + 1] for i in range(0, len(row), 2))
        else:
            data = bytes(row) if bits == 8 else row.tobytes()
        out += data + b"\0" * (-len(data) % 4)
    return out


def rle8(indices):
    """RLE8: runs of equal indices, absolute runs for varied stretches, end of line, end of bitmap."""
    out = b""
    for row in indices[::-1]:
        i = 0
        while i < len(row):
            run = 1
            while i + run < len(row) and run < 255 and row[i + run] == row[i]:
                run += 1
            if run >= 3 or len(row) - i < 3:
                out += bytes((run, row[i]))
                i += run
            else:
                n = min(255, len(row) - i)
                literal = bytes(row[i:i + n])
                out += bytes((0, n)) + literal + b"\0" * (n % 2)
                i += n
        out += b"\0\0"
    return out + b"\0\1"


def rle4(indices):
    """RLE4 with two-colour runs only (each byte holds the two alternating indices)."""
    out = b""
    for row in indices[::-1]:
        for i in range(0, len(row), 2):
            pair = list(row[i:i + 2]) + [0]
            out += bytes((min(2, len(row) - i), pair[0] << 4 | pair[1]))
        out += b"\0\0"
    return out + b"\0\1"


p256 = rgb.quantize(256)
pal256 = [tuple(p256.getpalette()[3 * i:3 * i + 3]) for i in range(256)]
idx256 = np.asarray(p256)
p16 = rgb.quantize(16)
pal16 = [tuple(p16.getpalette()[3 * i:3 * i + 3]) for i in range(16)]
idx16 = np.asarray(p16)
r5, g6, b5 = (arr[:, :, 0] >> 3).astype(np.uint16), (arr[:, :, 1] >> 2).astype(np.uint16), (arr[:, :, 2] >> 3).astype(np.uint16)
save("bmp_24.bmp", encoded(rgb, "BMP"), "BMP 24-bit")
save("bmp_8.bmp", encoded(p256, "BMP"), "BMP 8-bit palette")
save("bmp_1.bmp", encoded(rgb.convert("1"), "BMP"), "BMP 1-bit")
save("bmp_32.bmp", encoded(rgba, "BMP"), "BMP 32-bit (alpha byte ignored)")
save("bmp_4.bmp", bmp(rows(idx16, 4, 160), 160, 120, 4, palette=pal16), "BMP 4-bit palette")
save("bmp_rle8.bmp", bmp(rle8(idx256), 160, 120, 8, palette=pal256, compression=1), "BMP RLE8")
save("bmp_rle4.bmp", bmp(rle4(idx16), 160, 120, 4, palette=pal16, compression=2), "BMP RLE4")
save("bmp_565.bmp", bmp(rows(r5 << 11 | g6 << 5 | b5, 16, 160), 160, 120, 16, compression=3,
                        masks=(0xF800, 0x7E0, 0x1F)), "BMP 16-bit 5-6-5 bit fields")
save("bmp_555.bmp", bmp(rows(r5 << 10 | (g6 >> 1) << 5 | b5, 16, 160), 160, 120, 16), "BMP 16-bit 5-5-5")
bgr = np.ascontiguousarray(arr[:, :, ::-1])
save("bmp_topdown_v5.bmp", bmp(b"".join(r.tobytes() for r in bgr), 160, 120, 24, header=124, top_down=True),
     "BMP V5 header, top-down rows")
save("bmp_os2.bmp", bmp(rows(idx256, 8, 160), 160, 120, 8, palette=pal256, header=12), "BMP OS/2 header, 8-bit")


# --- Camera RAW: DNG (a 12-bit RGGB mosaic with a camera white balance, scripts/reference/dng.py; reference rawpy)
def dng(preview, orientation=1, width=240, height=160):
    picture = photo.resize((width, height), Image.LANCZOS)
    return dng_bytes(picture, preview_quality=90 if preview else None, orientation=orientation)


def rawpy_preview(path):
    with rawpy.imread(path) as raw:
        thumb = raw.extract_thumb()
        assert thumb.format == rawpy.ThumbFormat.JPEG
        image = Image.open(io.BytesIO(thumb.data)).convert("RGB")
        turn = {0: None, 3: Image.ROTATE_180, 5: Image.ROTATE_90, 6: Image.ROTATE_270}[raw.sizes.flip]
        return image.transpose(turn) if turn is not None else image


def rawpy_demosaic(path):
    with rawpy.imread(path) as raw:
        return Image.fromarray(raw.postprocess(use_camera_wb=True, output_bps=8))


# The preview path needs a preview of at least 256 px on its short side.
save("raw_preview.dng", dng(preview=True, orientation=6, width=384, height=256), "DNG with a full-size JPEG preview, orientation 6",
     reference=rawpy_preview, exact=False)
save("raw_demosaic.dng", dng(preview=False), "DNG with a small thumbnail only: demosaiced",
     reference=rawpy_demosaic, exact=False)

# --- JPEG XL (pillow-jxl-plugin's libjxl) ----------------------------------------------------------------------
save("jxl_lossless.jxl", encoded(rgb, "JXL", lossless=True), "JPEG XL lossless")
save("jxl_lossy.jxl", encoded(rgb, "JXL", quality=90), "JPEG XL lossy (XYB)", exact=False)


# --- Headers that claim 100,000 × 100,000 pixels (3.6 to 10 gigapixels) ---------------------------------------------------------------
def bomb(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    bombs.append(name)


def patched_ispe(data):
    """Every `ispe` box (HEIF/AVIF image size) set to 100,000²."""
    data = bytearray(data)
    at = data.find(b"ispe")
    while at >= 0:
        data[at + 8:at + 16] = struct.pack(">II", 100000, 100000)
        at = data.find(b"ispe", at + 4)
    return bytes(data)


small = rgb.resize((32, 24))
bomb("bomb.heic", patched_ispe(encoded(small, "HEIF", quality=50)))
bomb("bomb.avif", patched_ispe(encoded(small, "AVIF", quality=50)))
def claiming(tiff_bytes, width, height, claim=100000):
    """A TIFF (tifffile writes sizes as LONG) whose ImageWidth/ImageLength of width × height become claim²."""
    patched = tiff_bytes.replace(struct.pack("<HHII", 256, 4, 1, width), struct.pack("<HHII", 256, 4, 1, claim))
    patched = patched.replace(struct.pack("<HHII", 257, 4, 1, height), struct.pack("<HHII", 257, 4, 1, claim))
    assert patched.count(struct.pack("<I", claim)) >= 2
    return patched


bomb("bomb.tif", claiming(tiff(data=np.zeros((2, 3, 3), np.uint8), photometric="rgb"), 3, 2))
bomb("bomb.gif", with_screen(encoded(small, "GIF"), 65535, 65535))
bomb("bomb.bmp", bmp(b"\0" * 64, 100000, 100000, 24))
# LibRaw keeps sensor sizes in 16 bits (it refuses 100,000 as unsupported): 60,000² is what a RAW can claim.
bomb("bomb.dng", claiming(dng(preview=False, width=32, height=24), 32, 24, claim=60000))


def jxl_size_header(width, height):
    """A bare JPEG XL codestream whose SizeHeader states width × height (30-bit fields), default metadata."""
    bits = [0]  # div8 = 0
    def field(value):
        bits.extend([1, 1])  # selector 3: Bits(30) + 1
        bits.extend((value - 1) >> i & 1 for i in range(30))
    field(height)
    bits.extend([0, 0, 0])  # ratio 0: the width follows
    field(width)
    bits.append(1)  # ImageMetadata all_default
    bits.extend([0] * (-len(bits) % 8))
    return b"\xff\x0a" + bytes(sum(bits[i + j] << j for j in range(8)) for i in range(0, len(bits), 8)) + b"\0" * 64


bomb("bomb.jxl", jxl_size_header(100000, 100000))

# --- Embeddings of the references through transformers' pipeline -----------------------------------------------
processor = BitImageProcessor(
    do_resize=True, size={"shortest_edge": 256}, resample=Image.BICUBIC, do_center_crop=True,
    crop_size={"height": 224, "width": 224}, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
    image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225], do_convert_rgb=True)
model = Dinov2Model.from_pretrained(os.path.join(root, "Tests", "DinoModelTests", "Fixtures", "plain")).eval()
embeddings = {}
for case in cases:
    reference = Image.open(os.path.join(out, "reference", case["file"].replace(".", "_") + ".decoded.png"))
    with torch.no_grad():
        cls = model(pixel_values=processor(reference.convert("RGB"), return_tensors="pt")["pixel_values"])
    vector = cls.pooler_output[0].numpy().astype(np.float64)
    embeddings[case["file"]] = [round(v, 7) for v in (vector / np.linalg.norm(vector)).tolist()]

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"cases": cases, "bombs": bombs}, f, indent=1)
with open(os.path.join(out, "embeddings.json"), "w") as f:
    json.dump(embeddings, f)
print(f"{len(cases)} cases, {len(bombs)} bombs written to {out}")
