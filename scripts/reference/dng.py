"""DNG files written from an RGB picture, for the RAW fixtures (make_format_fixtures.py) and benchmark files
(Benchmarks/formats/make_files.py): IFD0 holds a full-size JPEG preview (as cameras and Adobe's converter write
it) or a small uncompressed thumbnail; the raw data, an RGGB Bayer mosaic of the picture's linear light, is in a
SubIFD, with a camera response of 0.5/1/0.7 (red/green/blue) that the as-shot white balance undoes."""
import io

import numpy as np
import tifffile
from PIL import Image

XYZ_TO_SRGB = [3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570]


def dng_bytes(picture, preview_quality=None, thumbnail=(96, 64), orientation=1, black=256, white=4095,
              model="fixture"):
    """`picture` (PIL RGB) as a DNG: with `preview_quality`, IFD0 is the picture as a JPEG of that quality;
    otherwise a `thumbnail`-sized uncompressed image. `white` sets the bit depth (4095: 12-bit)."""
    width, height = picture.size
    linear = (np.asarray(picture, np.float64) / 255) ** 2.2
    gains = (0.5, 1.0, 0.7)
    mosaic = np.zeros((height, width), np.uint16)
    for dy, dx, c in ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 2)):
        mosaic[dy::2, dx::2] = np.round(black + linear[dy::2, dx::2, c] * gains[c] * (white - black))
    tags = [(50706, "B", 4, (1, 4, 0, 0), True), (50707, "B", 4, (1, 1, 0, 0), True),
            (50708, "s", 0, f"dinosearch {model}", True), (271, "s", 0, "dinosearch", True),
            (272, "s", 0, model, True), (274, "H", 1, orientation, True)]
    buffer = io.BytesIO()
    with tifffile.TiffWriter(buffer) as writer:
        if preview_quality:
            jpeg = io.BytesIO()
            picture.save(jpeg, "JPEG", quality=preview_quality)
            writer.write(iter([jpeg.getvalue()]), shape=(height, width, 3), dtype="uint8", photometric="ycbcr",
                         compression=7, subsampling=(2, 2), rowsperstrip=height, subfiletype=1, subifds=1,
                         extratags=tags)
        else:
            writer.write(np.asarray(picture.resize(thumbnail)), photometric="rgb", subfiletype=1, subifds=1,
                         extratags=tags)
        writer.write(mosaic, photometric=32803, subfiletype=0, extratags=[
            (33421, "H", 2, (2, 2), True), (33422, "B", 4, (0, 1, 1, 2), True), (50714, "H", 1, black, True),
            (50717, "H", 1, white, True),
            (50721, "2i", 9, sum(([round(v * 10000), 10000] for v in XYZ_TO_SRGB), []), True),
            (50728, "2I", 3, (5000, 10000, 10000, 10000, 7000, 10000), True), (50778, "H", 1, 21, True)])
    return buffer.getvalue()
