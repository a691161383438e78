"""PyTorch (transformers Dinov2Model) and ONNX Runtime on the same checkpoint: images/s at 224x224 (or --size),
medians.

Run by Benchmarks/encoder.sh beside dinosearch's own encoder-benchmark, in the same run.
usage: python Benchmarks/encoder_peers.py MODEL_DIR [--batches 1,8,32] [--seconds 20] [--threads 2] [--size HxW]
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from transformers import Dinov2Model


def measure(run, batch, seconds):
    run()  # warm-up
    rates, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(rates) < 3:
        t0 = time.perf_counter()
        run()
        rates.append(batch / (time.perf_counter() - t0))
    return statistics.median(rates), len(rates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", default="224x224")
    args = ap.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    torch.set_num_threads(args.threads)
    model = Dinov2Model.from_pretrained(args.model).eval()
    onnx_path = os.path.join(tempfile.mkdtemp(), "dinov2.onnx")
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(1, 3, height, width),), onnx_path, input_names=["pixel_values"],
                          output_names=["last_hidden_state", "pooler_output"], opset_version=17,
                          dynamic_axes={"pixel_values": {0: "batch"}}, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    print("| batch | PyTorch images/s | ONNX Runtime images/s |")
    print("|---|---|---|")
    for batch in [int(b) for b in args.batches.split(",")]:
        x = torch.randn(batch, 3, height, width)
        with torch.inference_mode():
            pt, _ = measure(lambda: model(pixel_values=x), batch, args.seconds)
        xn = x.numpy()
        ox, _ = measure(lambda: session.run(["last_hidden_state" if args.size != "224x224" else "pooler_output"], {"pixel_values": xn}), batch, args.seconds)
        print(f"| {batch} | {pt:.2f} | {ox:.2f} |", flush=True)


if __name__ == "__main__":
    main()
