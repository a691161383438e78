"""Writes tiny random DINOv2 checkpoints and the reference outputs of `transformers` for them.

Fixtures for Tests/DinoModelTests (committed, so Python is never needed to run the tests):
  plain/      Dinov2Model, F32 weights, hub naming
  registers/  Dinov2WithRegistersModel with 4 registers, BF16 weights (antialiased position interpolation)
  swiglu/     Dinov2Model with the SwiGLU MLP (`mlp.weights_in/weights_out`, as in dinov2-giant), F16 weights
  original/   the plain weights in facebookresearch/dinov2 naming, no config.json; its reference follows that
              repository's position interpolation (offset 0.1, scale_factor, no antialias)
Each folder has model.safetensors, (config.json) and reference.safetensors holding, per input size HxW (112x112 and the non-square 70x98, both interpolating the 18x18 position grid),
`input_HxW` [2,3,H,W], `cls_HxW` [2,D] (pooler_output) and `patches_HxW` [2,N,D].

With --vits DIR it instead writes a full-size ViT-S/14 with random weights (hub layout, F32) and its reference at
224x224 into DIR, for the full-size parity check and the benchmarks (too large to commit).

usage: python scripts/reference/make_model_fixtures.py [--out Tests/DinoModelTests/Fixtures] [--vits DIR]
"""
import argparse
import json
import math
import os

import torch
from safetensors.torch import save_file
from transformers import Dinov2Config, Dinov2Model, Dinov2WithRegistersConfig, Dinov2WithRegistersModel

SIZES = [(112, 112), (70, 98)]


def randomize(model, seed):
    """Random weights with realistic scales, so that every term of the forward pass matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("layernorm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif "lambda1" in name:
                p.copy_(0.5 + 0.3 * torch.rand(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() >= 2 and "embeddings" not in name.split(".")[0:1] + [""] and "token" not in name and "position" not in name:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
            else:
                p.copy_(torch.randn(p.shape, generator=g))


def hub_state(model, dtype):
    """The model's tensors under the names the published hub checkpoints use, cast to `dtype`."""
    out = {}
    sd = model.state_dict()
    prefix = "dinov2_with_registers." if any(k.startswith("dinov2_with_registers.") for k in sd) else ""
    for k, v in sd.items():
        k = k[len(prefix):] if k.startswith(prefix) else k
        k = (k.replace("attention.q_proj", "attention.attention.query")
              .replace("attention.k_proj", "attention.attention.key")
              .replace("attention.v_proj", "attention.attention.value")
              .replace("attention.o_proj", "attention.output.dense")
              .replace("mlp.down_proj", "mlp.weights_out"))
        out[k] = v
    for k in [k for k in out if "mlp.gate_proj" in k]:
        up = k.replace("gate_proj", "up_proj")
        out[k.replace("gate_proj", "weights_in")] = torch.cat([out.pop(k), out.pop(up)], dim=0)
    return {k: v.to(dtype).contiguous() for k, v in out.items()}


def round_weights(model, dtype):
    """Rounds the weights through `dtype`, so the reference runs on exactly what the file holds."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))


def references(model, seed, sizes, batch=2):
    g = torch.Generator().manual_seed(seed)
    out = {}
    with torch.no_grad():
        for h, w in sizes:
            x = torch.randn(batch, 3, h, w, generator=g)
            o = model(pixel_values=x)
            skip = 1 + getattr(model.config, "num_register_tokens", 0)
            tag = f"{h}x{w}"
            out[f"input_{tag}"] = x.contiguous()
            out[f"cls_{tag}"] = o.pooler_output.contiguous()
            out[f"patches_{tag}"] = o.last_hidden_state[:, skip:].contiguous()
    return out


def write(folder, model, dtype, seed, config=True):
    os.makedirs(folder, exist_ok=True)
    round_weights(model, dtype)
    save_file(hub_state(model, dtype), os.path.join(folder, "model.safetensors"))
    if config:
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(model.config.to_dict(), f, indent=2, sort_keys=True, default=str)
    save_file(references(model, seed + 1000, SIZES), os.path.join(folder, "reference.safetensors"))


def original_state(hub):
    """facebookresearch/dinov2 naming (`blocks.N.attn.qkv`, `ls1.gamma`, `pos_embed`, ...)."""
    out = {}
    for k, v in hub.items():
        if ".attention.attention.key." in k or ".attention.attention.value." in k:
            continue
        if ".attention.attention.query." in k:
            kind = k.rsplit(".", 1)[1]
            stem = k.rsplit(".attention.attention.query.", 1)[0]
            v = torch.cat([hub[f"{stem}.attention.attention.{n}.{kind}"] for n in ("query", "key", "value")], 0)
            k = f"{stem}.attn.qkv.{kind}"
        k = (k.replace("encoder.layer.", "blocks.").replace("attention.output.dense", "attn.proj")
              .replace("layer_scale1.lambda1", "ls1.gamma").replace("layer_scale2.lambda1", "ls2.gamma")
              .replace("embeddings.patch_embeddings.projection", "patch_embed.proj")
              .replace("embeddings.position_embeddings", "pos_embed").replace("embeddings.cls_token", "cls_token")
              .replace("embeddings.mask_token", "mask_token").replace("layernorm.", "norm."))
        out[k] = v
    return out


def original_references(model, seed):
    """The plain model with facebookresearch/dinov2's interpolate_pos_encoding (offset 0.1, no antialias)."""
    emb = model.embeddings

    def interpolate(embeddings, height, width):
        pos = emb.position_embeddings
        n = pos.shape[1] - 1
        m = int(math.sqrt(n))
        w0, h0 = width // 14, height // 14
        if embeddings.shape[1] - 1 == n and w0 == h0:
            return pos
        sx, sy = float(w0 + 0.1) / m, float(h0 + 0.1) / m
        patch = torch.nn.functional.interpolate(
            pos[:, 1:].reshape(1, m, m, -1).permute(0, 3, 1, 2), scale_factor=(sy, sx), mode="bicubic",
            antialias=False)
        assert patch.shape[-2:] == (h0, w0)
        return torch.cat((pos[:, :1], patch.permute(0, 2, 3, 1).view(1, -1, pos.shape[-1])), dim=1)

    emb.interpolate_pos_encoding = interpolate
    return references(model, seed, SIZES)


def tiny_config(cls, **extra):
    return cls(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=4, image_size=252,
               patch_size=14, layer_norm_eps=1e-6, **extra)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/DinoModelTests/Fixtures")
    ap.add_argument("--vits", help="write a full-size random ViT-S/14 into this folder instead")
    args = ap.parse_args()
    torch.manual_seed(0)

    if args.vits:
        model = Dinov2Model(Dinov2Config(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                                         image_size=518, patch_size=14)).eval()
        randomize(model, 7)
        os.makedirs(args.vits, exist_ok=True)
        save_file(hub_state(model, torch.float32), os.path.join(args.vits, "model.safetensors"))
        with open(os.path.join(args.vits, "config.json"), "w") as f:
            json.dump(model.config.to_dict(), f, indent=2, sort_keys=True, default=str)
        save_file(references(model, 8, [(224, 224)], batch=4), os.path.join(args.vits, "reference.safetensors"))
        return

    plain = Dinov2Model(tiny_config(Dinov2Config)).eval()
    randomize(plain, 1)
    write(os.path.join(args.out, "plain"), plain, torch.float32, 1)

    registers = Dinov2WithRegistersModel(tiny_config(Dinov2WithRegistersConfig, num_register_tokens=4)).eval()
    randomize(registers, 2)
    write(os.path.join(args.out, "registers"), registers, torch.bfloat16, 2)

    swiglu = Dinov2Model(tiny_config(Dinov2Config, use_swiglu_ffn=True)).eval()
    randomize(swiglu, 3)
    write(os.path.join(args.out, "swiglu"), swiglu, torch.float16, 3)

    folder = os.path.join(args.out, "original")
    os.makedirs(folder, exist_ok=True)
    save_file(original_state(hub_state(plain, torch.float32)), os.path.join(folder, "model.safetensors"))
    save_file(original_references(plain, 1001), os.path.join(folder, "reference.safetensors"))


if __name__ == "__main__":
    main()
