#!/usr/bin/env python3
"""The equivalent Python indexing pipeline, for Benchmarks/index.sh: PIL decode (with draft() for JPEG, the
faster PIL path) + torchvision-style preprocessing in numpy, one prefetching decode thread beside ONNX Runtime
(2 threads, batch 8, the same weights exported from transformers), vectors L2-normalised into a Faiss
IndexIDMap2(IndexFlatIP), paths kept in a dict, index written at the end.

usage: index_peer.py export MODEL_DIR ONNX_FILE       (one-time, needs torch + transformers; not timed)
       index_peer.py index ONNX_FILE OUT_INDEX FOLDER...   (timed by the caller, from process start)
"""
import sys


def export(model_dir, onnx_path):
    import torch
    from transformers import Dinov2Model
    model = Dinov2Model.from_pretrained(model_dir).eval()
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), onnx_path, input_names=["pixel_values"],
                          output_names=["last_hidden_state", "pooler_output"], opset_version=17,
                          dynamic_axes={"pixel_values": {0: "batch"}}, dynamo=False)


def index(onnx_path, out, folders):
    import io
    import os
    from concurrent.futures import ThreadPoolExecutor

    import faiss
    import numpy as np
    import onnxruntime as ort
    from PIL import Image

    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]

    def prepare(path):
        try:
            im = Image.open(path)
            if im.format == "JPEG":
                im.draft("RGB", (256, 256))
            im = im.convert("RGB")
        except Exception as error:  # a bad file is skipped, as dinosearch does
            return path, None
        w, h = im.size
        nw, nh = (256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256)
        im = im.resize((nw, nh), Image.BICUBIC)
        top, left = int(round((nh - 224) / 2.0)), int(round((nw - 224) / 2.0))
        t = np.asarray(im.crop((left, top, left + 224, top + 224)), np.float32).transpose(2, 0, 1) / np.float32(255)
        return path, (t - mean) / std

    paths = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            paths += [os.path.join(root, f) for f in sorted(files)
                      if f.lower().rsplit(".", 1)[-1] in ("jpg", "jpeg", "png", "webp")]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    faiss.omp_set_num_threads(2)
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(session.get_outputs()[1].shape[-1] or 384))
    catalog = {}
    batch, ids = [], []

    def flush():
        out = session.run(["pooler_output"], {"pixel_values": np.stack(batch)})[0]
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        index.add_with_ids(out, np.array(ids, np.int64))
        batch.clear()
        ids.clear()

    with ThreadPoolExecutor(1) as pool:  # decode runs ahead of inference, like dinosearch's decode thread
        for path, tensor in pool.map(prepare, paths):
            if tensor is None:
                continue
            catalog[len(catalog)] = path
            ids.append(len(catalog) - 1)
            batch.append(tensor)
            if len(batch) == 8:
                flush()
        if batch:
            flush()
    faiss.write_index(index, out)
    print(f"python pipeline: {len(catalog)} images indexed", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3])
    else:
        index(sys.argv[2], sys.argv[3], sys.argv[4:])
