#!/usr/bin/env python3
"""Small PyTorch-exported ONNX models for sparq's importer and cpu-ref tests.

Covers what torch.onnx.export emits for transformer encoders (MatMul with batch broadcasting, LayerNormalization
or its decomposed form, Softmax, Gather, Slice, Shape, Expand, Where, Cast, Erf, Pow, Sqrt, ReduceMean,
ConstantOfShape, Split) and conv autoencoders (ConvTranspose, Resize/Upsample). Each model gets input_*.npy and
output_*.npy holding torch's outputs. Random weights, fixed seeds.

Run with Debian's python (apt-get install python3-torch python3-onnx): /usr/bin/python3 make_models.py
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.dirname(os.path.abspath(__file__))


class Encoder(nn.Module):
    """Token embedding + positional ids + one pre-norm transformer encoder layer + masked mean pooling."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 32)
        self.pos = nn.Embedding(16, 32)
        # A pre-norm encoder layer written out: nn.TransformerEncoderLayer's eval fast path does not export.
        self.ln1 = nn.LayerNorm(32)
        self.qkv = nn.Linear(32, 96)
        self.proj = nn.Linear(32, 32)
        self.ln2 = nn.LayerNorm(32)
        self.ff = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 32))
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, 5)

    def attention(self, h, mask):
        # Written out as BERT-style exports do it (the fused nn.MultiheadAttention fast path does not export).
        n, t, d = h.shape
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        heads = lambda z: z.reshape(n, t, 4, d // 4).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        scores = torch.matmul(q, k.transpose(-2, -1)) / (d // 4) ** 0.5
        scores = scores.masked_fill(mask[:, None, None, :], float("-inf"))
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.proj(ctx.transpose(1, 2).reshape(n, t, d))

    def forward(self, ids):
        n, t = ids.shape
        positions = torch.arange(t, device=ids.device).unsqueeze(0).expand(n, t)
        x = self.embed(ids) + self.pos(positions)
        mask = ids == 0  # token 0 is padding
        h = self.ln1(x)
        x = x + self.attention(h, mask)
        x = x + self.ff(self.ln2(x))
        x = self.norm(x)
        keep = (~mask).unsqueeze(-1).to(x.dtype)
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        a, b = torch.split(self.head(pooled), [2, 3], dim=-1)
        y = torch.where(a.sum(-1, keepdim=True) > 0, torch.cat([a, b], -1), -torch.cat([a, b], -1))
        return torch.sqrt(y.pow(2) + 1.0)


class AutoEncoder(nn.Module):
    def __init__(self, upsample_mode):
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.enc2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.dec1 = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        self.up = nn.Upsample(scale_factor=2, mode=upsample_mode,
                              **({} if upsample_mode == "nearest" else {"align_corners": False}))
        self.dec2 = nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, x):
        h = F.relu(self.enc1(x))
        h = F.leaky_relu(self.enc2(h), 0.1)
        h = torch.tanh(self.dec1(h))
        h = self.up(h)
        return torch.sigmoid(self.dec2(h))


def export(name, model, inputs, input_names, opset, dynamic):
    model.eval()
    path = os.path.join(OUT, name + ".onnx")
    with torch.no_grad():
        outputs = model(*inputs)
        torch.onnx.export(model, tuple(inputs), path, opset_version=opset, input_names=input_names,
                          output_names=["output"], dynamic_axes=dynamic, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    for i, t in enumerate(inputs):
        np.save(os.path.join(OUT, f"{name}.input_{i}.npy"), t.numpy())
    np.save(os.path.join(OUT, f"{name}.output_0.npy"), outputs.numpy())
    ops = sorted({n.op_type for n in m.graph.node})
    print(name, "opset", opset, "ops", ops, os.path.getsize(path), "bytes")
    return ops


def main():
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    manifest = {}
    enc = Encoder()
    ids = torch.randint(1, 50, (3, 7))
    ids[1, 5:] = 0
    ids[2, 3:] = 0
    for opset in (13, 17):
        manifest[f"encoder_opset{opset}"] = export(f"encoder_opset{opset}", enc, [ids], ["ids"], opset,
                                                   {"ids": {0: "N", 1: "T"}, "output": {0: "N"}})
    x = torch.rand(2, 3, 16, 16)
    manifest["autoencoder_nearest_opset11"] = export("autoencoder_nearest_opset11", AutoEncoder("nearest"), [x],
                                                     ["image"], 11, {"image": {0: "N"}, "output": {0: "N"}})
    manifest["autoencoder_bilinear_opset13"] = export("autoencoder_bilinear_opset13", AutoEncoder("bilinear"), [x],
                                                      ["image"], 13, {"image": {0: "N"}, "output": {0: "N"}})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"torch": torch.__version__, "onnx": onnx.__version__, "models": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
