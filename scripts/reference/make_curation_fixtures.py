"""Writes the curation tests' transformed copies of the example photos (Tests/DinoSearchTests/Fixtures/curation):
for each photo in examples/photos, a downscaled JPEG (640 px wide, quality 85), a recompressed one (800 px,
quality 30) and a PNG re-encode (256 px wide). The tests add byte-identical copies themselves.

usage: python scripts/reference/make_curation_fixtures.py
"""
import glob
import os

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests/DinoSearchTests/Fixtures/curation")


def main():
    os.makedirs(OUT, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(ROOT, "examples/photos/*.jpg"))):
        name = os.path.splitext(os.path.basename(path))[0]
        image = Image.open(path).convert("RGB")
        width, height = image.size
        resized = lambda w: image.resize((w, round(height * w / width)), Image.LANCZOS)
        resized(640).save(os.path.join(OUT, f"{name}-640.jpg"), quality=85)
        resized(800).save(os.path.join(OUT, f"{name}-q30.jpg"), quality=30)
        resized(256).save(os.path.join(OUT, f"{name}-256.png"), optimize=True)


if __name__ == "__main__":
    main()
