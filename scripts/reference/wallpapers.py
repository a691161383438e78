"""The real photos the format fixtures and benchmark files are made from: Debian's mate-backgrounds wallpapers."""
from PIL import Image

PHOTOS = [f"/usr/share/backgrounds/mate/nature/{name}.jpg" for name in ("YellowFlower", "Wood", "TwoWings", "LadyBird")]


def fitted(path, width, height):
    """The photo cropped to width:height around its centre and resized (Lanczos) to width × height."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    if w * height > h * width:
        cw = h * width // height
        image = image.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
    else:
        ch = w * height // width
        image = image.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
    return image.resize((width, height), Image.LANCZOS)
