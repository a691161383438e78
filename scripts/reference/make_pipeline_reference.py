#!/usr/bin/env python3
"""Reference embeddings of the example photos through the whole Python pipeline: PIL decode, transformers'
BitImageProcessor with the facebook/dinov2-* preprocessing settings (shortest edge 256, PIL bicubic, centre
crop 224, ImageNet mean/std), then transformers' Dinov2Model pooler_output, L2-normalised.

The model is the tiny random checkpoint of Tests/DinoModelTests/Fixtures/plain (same weights dinosearch loads).
Run: /root/venv/bin/python scripts/reference/make_pipeline_reference.py
"""
import json
import os

import numpy as np
import torch
from PIL import Image
from transformers import BitImageProcessor, Dinov2Model

root = os.path.join(os.path.dirname(__file__), "..", "..")
model_dir = os.path.join(root, "Tests", "DinoModelTests", "Fixtures", "plain")
photos = os.path.join(root, "examples", "photos")
out = os.path.join(root, "Tests", "DinoSearchTests", "Fixtures", "pipeline_reference.json")

# The settings of facebook/dinov2-small's preprocessor_config.json.
processor = BitImageProcessor(
    do_resize=True, size={"shortest_edge": 256}, resample=Image.BICUBIC, do_center_crop=True,
    crop_size={"height": 224, "width": 224}, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
    image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225], do_convert_rgb=True)
model = Dinov2Model.from_pretrained(model_dir).eval()

rows = []
for name in sorted(os.listdir(photos)):
    if not name.endswith(".jpg"):
        continue
    image = Image.open(os.path.join(photos, name))
    pixels = processor(image, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        cls = model(pixel_values=pixels).pooler_output[0].numpy().astype(np.float64)
    rows.append({"file": name, "embedding": (cls / np.linalg.norm(cls)).tolist()})
with open(out, "w") as f:
    json.dump(rows, f)
print(f"{len(rows)} embeddings written to {out}")
