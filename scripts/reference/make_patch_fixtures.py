"""Writes the patch-feature references (Tests/DinoSearchTests/Fixtures/patches): transformers' patch, register
and CLS tokens at resolution 448 for two non-square example photos, and a numpy PCA map of the same recipe as
`dinosearch patches`.

For each fixture model (plain, registers, swiglu in Tests/DinoModelTests/Fixtures) and image I, `<model>.safetensors`
holds `grid_I` [rows, columns], `index_I` (every 8th patch, row-major), `patches_I` [len(index), D] (those
patches of `last_hidden_state[:, 1 + registers:]`), `registers_I` [registers, D] (models with registers) and
`cls_I` [D].
`map.safetensors` holds, for the plain model's full tokens of both images fitted together (threshold 0),
`foreground_I` [rows, columns] (0/1) and `colors_I` [rows, columns, 3] (0–255). Everything is float32 (the one
type the test's safetensors reader needs besides float16).

Preprocessing, as the DINOv2 authors' patch-feature demo: PIL bicubic resize of the short side to 448, centre
crop of each side down to a multiple of 14 (torchvision's rounding), ImageNet normalisation.

usage: python scripts/reference/make_patch_fixtures.py
"""
import os

import numpy as np
import torch
from PIL import Image
from safetensors.numpy import save_file
from transformers import Dinov2Model, Dinov2WithRegistersModel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "Tests/DinoModelTests/Fixtures")
OUT = os.path.join(ROOT, "Tests/DinoSearchTests/Fixtures/patches")
IMAGES = {"Aqua": "examples/photos/Aqua.jpg", "FreshFlower": "examples/photos/FreshFlower.jpg"}
RESOLUTION, PATCH, STRIDE = 448, 14, 8
MEAN, STD = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)


def prepare(path):
    image = Image.open(os.path.join(ROOT, path)).convert("RGB")
    w, h = image.size
    size = (RESOLUTION, int(RESOLUTION * h / w)) if w <= h else (int(RESOLUTION * w / h), RESOLUTION)
    image = image.resize(size, Image.BICUBIC)
    cw, ch = size[0] - size[0] % PATCH, size[1] - size[1] % PATCH
    x, y = int(round((size[0] - cw) / 2)), int(round((size[1] - ch) / 2))
    rgb = np.asarray(image.crop((x, y, x + cw, y + ch)), np.float32) / 255
    return torch.from_numpy(((rgb - MEAN) / STD).transpose(2, 0, 1)[None].copy())


def pca_map(tokens_by_image, threshold=0.0):
    """The recipe of PatchPCA.swift in numpy (float64)."""
    def principal(x, count):
        mean = x.mean(0)
        values, vectors = np.linalg.eigh((x - mean).T @ (x - mean))
        return mean, vectors[:, ::-1][:, :count].T

    grids = {k: t.shape[:2] for k, t in tokens_by_image.items()}
    flat = {k: t.reshape(-1, t.shape[-1]).astype(np.float64) for k, t in tokens_by_image.items()}
    everything = np.concatenate(list(flat.values()))
    mean, (first,) = principal(everything, 1)
    border, inner = [], []
    for k, x in flat.items():
        rows, cols = grids[k]
        r, c = np.divmod(np.arange(rows * cols), cols)
        edge = (r == 0) | (c == 0) | (r == rows - 1) | (c == cols - 1)
        s = (x - mean) @ first
        border.append(s[edge])
        inner.append(s[~edge])
    if np.concatenate(border).mean() > np.concatenate(inner).mean():
        first = -first
    masks = {k: (x - mean) @ first > threshold for k, x in flat.items()}
    foreground = np.concatenate([flat[k][masks[k]] for k in flat])
    mean2, components = principal(foreground, 3)
    components = np.array([c if c[np.argmax(np.abs(c))] > 0 else -c for c in components])
    projected = (foreground - mean2) @ components.T
    low, high = projected.min(0), projected.max(0)
    out = {}
    for k, x in flat.items():
        rows, cols = grids[k]
        colors = np.zeros((rows * cols, 3), np.uint8)
        p = (x[masks[k]] - mean2) @ components.T
        colors[masks[k]] = np.clip(np.round(255 * (p - low) / (high - low)), 0, 255).astype(np.uint8)
        out[f"foreground_{k}"] = masks[k].reshape(rows, cols).astype(np.float32)
        out[f"colors_{k}"] = colors.reshape(rows, cols, 3).astype(np.float32)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    inputs = {name: prepare(path) for name, path in IMAGES.items()}
    for model_name in ["plain", "registers", "swiglu"]:
        folder = os.path.join(MODELS, model_name)
        cls = Dinov2WithRegistersModel if model_name == "registers" else Dinov2Model
        model = cls.from_pretrained(folder, torch_dtype=torch.float32).eval()
        registers = getattr(model.config, "num_register_tokens", 0)
        tensors, full = {}, {}
        for name, pixels in inputs.items():
            with torch.no_grad():
                hidden = model(pixel_values=pixels).last_hidden_state[0].numpy()
            rows, cols = pixels.shape[2] // PATCH, pixels.shape[3] // PATCH
            patches = hidden[1 + registers:]
            index = np.arange(0, rows * cols, STRIDE)
            tensors[f"grid_{name}"] = np.array([rows, cols], np.float32)
            tensors[f"index_{name}"] = index.astype(np.float32)
            tensors[f"patches_{name}"] = np.ascontiguousarray(patches[index])
            if registers:
                tensors[f"registers_{name}"] = np.ascontiguousarray(hidden[1:1 + registers])
            tensors[f"cls_{name}"] = hidden[0].copy()
            full[name] = patches.reshape(rows, cols, -1)
        save_file(tensors, os.path.join(OUT, f"{model_name}.safetensors"))
        if model_name == "plain":
            save_file(pca_map(full), os.path.join(OUT, "map.safetensors"))
        print(model_name, {k: v.shape for k, v in tensors.items()})


if __name__ == "__main__":
    main()
