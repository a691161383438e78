#!/usr/bin/env python3
"""HEIC files shaped as iPhones write them, from Debian's wallpapers (mate-backgrounds): the picture as a grid
item of 512×512 HEVC tiles (8-bit 4:2:0, x265), a 320-pixel thumbnail item, EXIF with the orientation, and for
portrait shots an `irot` on the grid (stored landscape, shown portrait, as the camera does). Pillow cannot write
grids, so this drives the libheif that pillow-heif bundles (1.18 or later: heif_context_add_grid_image) through
ctypes; every file is read back with pillow-heif and checked.

Usage: make_heic_grids.py OUT       full size (12 MP, for Benchmarks/heic.sh; a few MB each)
       make_heic_grids.py --small       small grids added to the test fixtures (Tests/DinoImageTests/Fixtures/
                                        formats): the files, pillow-heif's decode of each as the reference, their
                                        cases in manifest.json and their embeddings by the plain fixture model
"""
import ctypes
import glob
import json
import os
import sys

import numpy as np
import pillow_heif

pillow_heif.register_heif_opener()
from PIL import Image
from wallpapers import PHOTOS, fitted

HEVC = 1
RGB, CHROMA_RGB, CHROMA_RRGGBB_LE = 1, 10, 14
INTERLEAVED = 10

libheif = ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(pillow_heif.__file__), "..", "pillow_heif.libs",
                                             "libheif-*.so*"))[0])


class HeifError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("subcode", ctypes.c_int), ("message", ctypes.c_char_p)]


class EncodingOptions(ctypes.Structure):
    """The leading fields of heif_encoding_options (version 5+); the rest stay as libheif allocated them."""
    _fields_ = [("version", ctypes.c_uint8), ("save_alpha_channel", ctypes.c_uint8),
                ("macOS_compatibility_workaround", ctypes.c_uint8), ("save_two_colr_boxes", ctypes.c_uint8),
                ("output_nclx_profile", ctypes.c_void_p), ("macOS_no_nclx", ctypes.c_uint8),
                ("image_orientation", ctypes.c_int)]


for name in ("heif_context_get_encoder_for_format", "heif_image_create", "heif_image_add_plane",
             "heif_context_add_grid_image", "heif_context_add_image_tile", "heif_context_encode_thumbnail",
             "heif_context_add_exif_metadata", "heif_context_write_to_file", "heif_context_set_primary_image",
             "heif_encoder_set_parameter_string"):
    getattr(libheif, name).restype = HeifError
libheif.heif_context_alloc.restype = ctypes.c_void_p
libheif.heif_image_get_plane.restype = ctypes.POINTER(ctypes.c_uint8)
libheif.heif_encoding_options_alloc.restype = ctypes.POINTER(EncodingOptions)


def ok(error):
    if error.code != 0:
        raise RuntimeError(error.message.decode())


def heif_image(pixels, bits):
    """A libheif RGB image of `pixels` (H×W×3 uint8, or uint16 holding `bits`-bit values)."""
    height, width, _ = pixels.shape
    image = ctypes.c_void_p()
    ok(libheif.heif_image_create(width, height, RGB, CHROMA_RGB if bits == 8 else CHROMA_RRGGBB_LE, ctypes.byref(image)))
    ok(libheif.heif_image_add_plane(image, INTERLEAVED, width, height, bits))
    stride = ctypes.c_int()
    plane = libheif.heif_image_get_plane(image, INTERLEAVED, ctypes.byref(stride))
    rows = pixels.astype(np.uint8 if bits == 8 else "<u2").reshape(height, -1)
    for y in range(height):
        ctypes.memmove(ctypes.addressof(plane.contents) + y * stride.value, rows[y].ctypes.data, rows[y].nbytes)
    return image


def write_grid(path, picture, tile=512, quality=85, orientation=1, exif_orientation=None, bits=8, thumbnail=320):
    """`picture` (PIL RGB, as stored: before `orientation`) as a grid of `tile`-pixel HEVC tiles; the grid's size
    is the picture's, the last row and column of tiles cropped as cameras do. `orientation` (EXIF numbering)
    becomes the grid's irot/imir; `exif_orientation` goes into the EXIF only (default: the same)."""
    context = libheif.heif_context_alloc()
    encoder = ctypes.c_void_p()
    ok(libheif.heif_context_get_encoder_for_format(ctypes.c_void_p(context), HEVC, ctypes.byref(encoder)))
    ok(libheif.heif_encoder_set_parameter_string(encoder, b"chroma", b"420"))
    libheif.heif_encoder_set_lossy_quality(encoder, quality)
    options = libheif.heif_encoding_options_alloc()
    options.contents.image_orientation = orientation
    pixels = np.asarray(picture, np.uint8)
    if bits > 8:
        pixels = (pixels.astype(np.uint16) << (bits - 8)) | (pixels.astype(np.uint16) >> (16 - bits))
    height, width = pixels.shape[:2]
    columns, rows = -(-width // tile), -(-height // tile)
    grid = ctypes.c_void_p()
    ok(libheif.heif_context_add_grid_image(ctypes.c_void_p(context), width, height, columns, rows, options,
                                           ctypes.byref(grid)))
    for row in range(rows):
        for column in range(columns):
            block = np.zeros((tile, tile, 3), pixels.dtype)
            part = pixels[row * tile:(row + 1) * tile, column * tile:(column + 1) * tile]
            block[:part.shape[0], :part.shape[1]] = part
            ok(libheif.heif_context_add_image_tile(ctypes.c_void_p(context), grid, column, row,
                                                   heif_image(block, bits), encoder))
    ok(libheif.heif_context_set_primary_image(ctypes.c_void_p(context), grid))
    if thumbnail:
        # libheif scales the picture into a `thumbnail`-pixel box (the thumbnail is stored unrotated, as the grid).
        handle = ctypes.c_void_p()
        ok(libheif.heif_context_encode_thumbnail(ctypes.c_void_p(context), heif_image(np.asarray(picture), 8), grid,
                                                 encoder, options, thumbnail, ctypes.byref(handle)))
    exif = Image.Exif()
    exif[0x0112] = orientation if exif_orientation is None else exif_orientation
    exif[0x010F] = "dinosearch"
    data = exif.tobytes()
    ok(libheif.heif_context_add_exif_metadata(ctypes.c_void_p(context), grid, data, len(data)))
    ok(libheif.heif_context_write_to_file(ctypes.c_void_p(context), path.encode()))
    libheif.heif_encoding_options_free(options)
    libheif.heif_encoder_release(encoder)
    libheif.heif_context_free(ctypes.c_void_p(context))
    check(path, picture, orientation, thumbnail)


def check(path, picture, orientation, thumbnail):
    """Reads the file back with pillow-heif: the grid's size after irot, and a thumbnail item."""
    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
    width, height = picture.size
    expected = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    assert heif.size == expected, (path, heif.size, expected)
    assert (len(heif.info["thumbnails"]) == 1) == bool(thumbnail), path
    assert heif.info["tiling"]["num_columns"] * heif.info["tiling"]["num_rows"] > 1, path
    shown = np.asarray(Image.open(path).convert("RGB"), np.float32)
    assert shown.shape[:2] == expected[::-1]
    print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, {heif.size[0]}×{heif.size[1]}, {heif.info['bit_depth']}-bit, "
          f"tiles {heif.info['tiling']}, thumbnail {heif.info['thumbnails']}", flush=True)


def add_to_fixtures(names):
    """pillow-heif's decode of each (as make_format_fixtures.py references HEIC) and its embedding through
    transformers with the plain fixture model, merged into manifest.json and embeddings.json."""
    import torch
    from PIL import ImageOps
    from transformers import BitImageProcessor, Dinov2Model

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    out = os.path.join(root, "Tests", "DinoImageTests", "Fixtures", "formats")
    processor = BitImageProcessor(
        do_resize=True, size={"shortest_edge": 256}, resample=Image.BICUBIC, do_center_crop=True,
        crop_size={"height": 224, "width": 224}, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
        image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225], do_convert_rgb=True)
    model = Dinov2Model.from_pretrained(os.path.join(root, "Tests", "DinoModelTests", "Fixtures", "plain")).eval()
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(out, "embeddings.json")) as f:
        embeddings = json.load(f)
    manifest["cases"] = [case for case in manifest["cases"] if case["file"] not in names]
    for name, (note, within_one) in names.items():
        with Image.open(os.path.join(out, name)) as image:
            reference = Image.fromarray(np.asarray(ImageOps.exif_transpose(image).convert("RGB")))
        reference.save(os.path.join(out, "reference", name.replace(".", "_") + ".decoded.png"))
        manifest["cases"].append({"file": name, "note": note, "width": reference.size[0],
                                  "height": reference.size[1], "exact": False, "within_one": within_one})
        with torch.no_grad():
            cls = model(pixel_values=processor(reference, return_tensors="pt")["pixel_values"]).pooler_output[0]
        vector = cls.numpy().astype(np.float64)
        embeddings[name] = [round(v, 7) for v in (vector / np.linalg.norm(vector)).tolist()]
    # A grid that claims 65,535² pixels (its ImageGrid record and its ispe): refused before anything is decoded.
    with open(os.path.join(out, "heic_grid.heic"), "rb") as f:
        data = bytearray(f.read())
    record = bytes([0, 0, 2, 3]) + (512).to_bytes(2, "big") + (384).to_bytes(2, "big")  # 3 rows, 4 columns
    assert data.count(record) == 1
    data[data.find(record) + 4:data.find(record) + 8] = b"\xff\xff\xff\xff"
    ispe = b"ispe" + bytes(4) + (512).to_bytes(4, "big") + (384).to_bytes(4, "big")
    assert data.count(ispe) == 1
    data[data.find(ispe) + 8:data.find(ispe) + 16] = (65535).to_bytes(4, "big") * 2
    with open(os.path.join(out, "bomb_grid.heic"), "wb") as f:
        f.write(data)
    if "bomb_grid.heic" not in manifest["bombs"]:
        manifest["bombs"].append("bomb_grid.heic")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    with open(os.path.join(out, "embeddings.json"), "w") as f:
        json.dump(embeddings, f)


def main():
    if sys.argv[1] == "--small":
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "DinoImageTests",
                           "Fixtures", "formats")
        # Grids of 128- and 64-pixel tiles (tens of KB each): landscape and portrait (irot) with an iPhone-sized
        # thumbnail, EXIF-only orientation (Pillow, like libheif, leaves it alone), an odd size (last tiles
        # cropped), 10-bit.
        notes = {}
        write_grid(f"{out}/heic_grid.heic", fitted(PHOTOS[0], 512, 384), tile=128, quality=50, thumbnail=320)
        notes["heic_grid.heic"] = ("HEIC grid 4×3 tiles of 128 px, 320×240 thumbnail", 0.999)
        write_grid(f"{out}/heic_grid_irot.heic", fitted(PHOTOS[1], 512, 384), tile=128, quality=50, orientation=6,
                   thumbnail=320)
        notes["heic_grid_irot.heic"] = ("HEIC grid with irot (portrait), 240×320 thumbnail", 0.999)
        write_grid(f"{out}/heic_grid_exif_only.heic", fitted(PHOTOS[2], 256, 192), tile=64, quality=50,
                   exif_orientation=6, thumbnail=96)
        notes["heic_grid_exif_only.heic"] = ("HEIC grid with EXIF orientation 6 and no irot", 0.999)
        write_grid(f"{out}/heic_grid_odd.heic", fitted(PHOTOS[3], 250, 187), tile=64, quality=50, thumbnail=96)
        notes["heic_grid_odd.heic"] = ("HEIC grid 250×187 (last tiles cropped)", 0.999)
        write_grid(f"{out}/heic_grid_10bit.heic", fitted(PHOTOS[0], 192, 256), tile=64, quality=50, bits=10,
                   thumbnail=96)
        # libheif 1.15 and 1.23 reduce 10 bits to 8 along different paths (see make_format_fixtures.py).
        notes["heic_grid_10bit.heic"] = ("HEIC grid 10-bit (libheif 1.15 vs 1.23)", 0.95)
        add_to_fixtures(notes)
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, photo in enumerate(PHOTOS):
        stem = os.path.splitext(os.path.basename(photo))[0]
        # Half the shots portrait: stored 4032×3024 with irot, as the camera writes them.
        write_grid(f"{out}/{stem}.heic", fitted(photo, 4032, 3024), orientation=6 if i % 2 else 1)
    write_grid(f"{out}/YellowFlower-10bit.heic", fitted(PHOTOS[0], 4032, 3024), bits=10)


if __name__ == "__main__":
    main()
