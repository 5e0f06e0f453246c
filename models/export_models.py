#!/usr/bin/env python3
"""Exports small GPT-, Llama- and BERT-style transformers, a Hugging Face-style
Llama with grouped-query attention, a Falcon-style decoder (parallel blocks,
multi-query attention, partial rotary), a Vision Transformer and a
Whisper-style audio encoder from PyTorch to ONNX, with PyTorch's own
outputs, for wafer's end-to-end tests; also BLOOM-style ALiBi biases, a
T5-style encoder-decoder (relative position biases, cross-attention) and a
mixture of experts (top-2 and top-1 with capacity routing).

Run with Debian's Python and python3-torch (the committed files were made by
it; rerunning rewrites them bit for bit only on the same torch build):

  /usr/bin/python3 models/export_models.py models/

For each model and opset (14, 17), a static export NAME-opsetN/ and one with
dynamic batch and sequence axes NAME-opsetN-dynamic/, each holding model.onnx
and test_data_set_0/{input_0.pb, output_0.pb} (the ONNX backend-test layout).
The newer families are exported once, static at opset 17 (llama-gqa, falcon,
alibi, moe, t5, vit, audio).
"""
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

torch.manual_seed(0)

VOCAB, D, HEADS, LAYERS, FF, BATCH, SEQ = 128, 64, 4, 2, 256, 2, 16


class GptBlock(nn.Module):
    """GPT-2 style: LayerNorm, fused QKV projection split in three, causal
    mask through triu/masked_fill (Trilu/Where), GELU (tanh or erf form)."""

    def __init__(self, gelu):
        super().__init__()
        self.ln_1 = nn.LayerNorm(D)
        self.c_attn = nn.Linear(D, 3 * D)
        self.c_proj = nn.Linear(D, D)
        self.ln_2 = nn.LayerNorm(D)
        self.fc = nn.Linear(D, FF)
        self.proj = nn.Linear(FF, D)
        self.gelu = nn.GELU(approximate=gelu)

    def forward(self, x):
        b, s, _ = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q = q.view(b, s, HEADS, D // HEADS).transpose(1, 2)
        k = k.view(b, s, HEADS, D // HEADS).transpose(1, 2)
        v = v.view(b, s, HEADS, D // HEADS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // HEADS))
        mask = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
        att = att.masked_fill(mask, float("-inf"))
        y = torch.softmax(att, dim=-1) @ v
        y = y.transpose(1, 2).contiguous().view(b, s, D)
        x = x + self.c_proj(y)
        return x + self.proj(self.gelu(self.fc(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self, gelu="tanh"):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, D)
        self.wpe = nn.Embedding(SEQ, D)
        self.blocks = nn.ModuleList(
            [GptBlock("tanh" if i % 2 == 0 else "none") for i in range(LAYERS)])
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB, bias=False)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.wte(ids) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


class RmsNorm(nn.Module):
    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(D) + 0.1 * torch.randn(D))

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaBlock(nn.Module):
    """Llama style: RMSNorm, rotary embeddings, causal attention with an
    additive mask, SiLU-gated MLP, no biases."""

    def __init__(self):
        super().__init__()
        self.attn_norm = RmsNorm()
        self.q = nn.Linear(D, D, bias=False)
        self.k = nn.Linear(D, D, bias=False)
        self.v = nn.Linear(D, D, bias=False)
        self.o = nn.Linear(D, D, bias=False)
        self.mlp_norm = RmsNorm()
        self.gate = nn.Linear(D, FF, bias=False)
        self.up = nn.Linear(D, FF, bias=False)
        self.down = nn.Linear(FF, D, bias=False)

    def forward(self, x, cos, sin, mask):
        b, s, _ = x.shape
        h = self.attn_norm(x)
        q = self.q(h).view(b, s, HEADS, D // HEADS).transpose(1, 2)
        k = self.k(h).view(b, s, HEADS, D // HEADS).transpose(1, 2)
        v = self.v(h).view(b, s, HEADS, D // HEADS).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(D // HEADS) + mask
        y = torch.matmul(torch.softmax(att, dim=-1), v)
        x = x + self.o(y.transpose(1, 2).reshape(b, s, D))
        h = self.mlp_norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.blocks = nn.ModuleList([LlamaBlock() for _ in range(LAYERS)])
        self.norm = RmsNorm()
        self.head = nn.Linear(D, VOCAB, bias=False)
        inv = 1.0 / (10000 ** (torch.arange(0, D // HEADS, 2).float() / (D // HEADS)))
        self.register_buffer("inv_freq", inv)

    def forward(self, ids):
        s = ids.shape[1]
        t = torch.arange(s).float()
        freqs = torch.outer(t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((s, s), float("-inf")).triu(1)[None, None]
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, cos, sin, mask)
        return self.head(self.norm(x))


class HfRmsNorm(nn.Module):
    """RMSNorm as Hugging Face's Llama writes it: to fp32, x * rsqrt(mean
    of squares + eps), back, the weight in front."""

    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(D) + 0.1 * torch.randn(D))

    def forward(self, x):
        dtype = x.dtype
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(dtype)


class DecoderBlock(nn.Module):
    """A Hugging Face-style decoder block: KV_HEADS key/value heads repeated
    for the query heads (repeat_kv: grouped- or multi-query attention),
    rotary embeddings on the first `rotary` of each head's dimensions, and
    either Llama's sequential RMSNorm/SiLU-gated block or Falcon's parallel
    one (attention and a GELU MLP on one LayerNorm, both added)."""

    def __init__(self, kv_heads, parallel, rotary):
        super().__init__()
        self.kv_heads, self.parallel, self.rotary = kv_heads, parallel, rotary
        self.head_dim = D // HEADS
        self.q = nn.Linear(D, D, bias=False)
        self.k = nn.Linear(D, kv_heads * self.head_dim, bias=False)
        self.v = nn.Linear(D, kv_heads * self.head_dim, bias=False)
        self.o = nn.Linear(D, D, bias=False)
        if parallel:
            self.norm = nn.LayerNorm(D)
            self.fc = nn.Linear(D, FF)
            self.proj = nn.Linear(FF, D)
        else:
            self.attn_norm, self.mlp_norm = HfRmsNorm(), HfRmsNorm()
            self.gate = nn.Linear(D, FF, bias=False)
            self.up = nn.Linear(D, FF, bias=False)
            self.down = nn.Linear(FF, D, bias=False)

    def attention(self, h, cos, sin, mask):
        b, s, _ = h.shape
        q = self.q(h).view(b, s, HEADS, self.head_dim).transpose(1, 2)
        k = self.k(h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        r = self.rotary
        q = torch.cat([q[..., :r] * cos + rotate_half(q[..., :r]) * sin, q[..., r:]], -1)
        k = torch.cat([k[..., :r] * cos + rotate_half(k[..., :r]) * sin, k[..., r:]], -1)
        repeat = HEADS // self.kv_heads
        k = k[:, :, None].expand(b, self.kv_heads, repeat, s, self.head_dim)
        v = v[:, :, None].expand(b, self.kv_heads, repeat, s, self.head_dim)
        k = k.reshape(b, HEADS, s, self.head_dim)
        v = v.reshape(b, HEADS, s, self.head_dim)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
        y = torch.matmul(torch.softmax(att, dim=-1), v)
        return self.o(y.transpose(1, 2).reshape(b, s, D))

    def forward(self, x, cos, sin, mask):
        if self.parallel:
            h = self.norm(x)
            mlp = self.proj(nn.functional.gelu(self.fc(h)))
            return x + self.attention(h, cos, sin, mask) + mlp
        x = x + self.attention(self.attn_norm(x), cos, sin, mask)
        h = self.mlp_norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class Decoder(nn.Module):
    def __init__(self, kv_heads, parallel, rotary):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.blocks = nn.ModuleList(
            [DecoderBlock(kv_heads, parallel, rotary) for _ in range(LAYERS)])
        self.norm = nn.LayerNorm(D) if parallel else HfRmsNorm()
        self.head = nn.Linear(D, VOCAB, bias=False)
        inv = 1.0 / (10000 ** (torch.arange(0, rotary, 2).float() / rotary))
        self.register_buffer("inv_freq", inv)

    def forward(self, ids):
        s = ids.shape[1]
        freqs = torch.outer(torch.arange(s).float(), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((s, s), float("-inf")).triu(1)[None, None]
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, cos, sin, mask)
        return self.head(self.norm(x))


def LlamaGqa():
    """Hugging Face's Llama: 2 key/value heads for 4 query heads."""
    return Decoder(kv_heads=2, parallel=False, rotary=D // HEADS)


def Falcon():
    """Falcon-style: parallel attention and MLP, one key/value head
    (multi-query), rotary on half of each head's dimensions."""
    return Decoder(kv_heads=1, parallel=True, rotary=D // HEADS // 2)


def relative_bucket(relative, bidirectional, buckets=8, max_distance=32):
    """T5's relative position buckets: exact for near offsets, logarithmic
    beyond, the sign kept for bidirectional attention."""
    base = 0
    if bidirectional:
        buckets //= 2
        base = (relative > 0).long() * buckets
        relative = relative.abs()
    else:
        relative = -torch.min(relative, torch.zeros_like(relative))
    exact = buckets // 2
    far = exact + (torch.log(relative.float() / exact + 1e-9)
                   / math.log(max_distance / exact) * (buckets - exact)).long()
    far = torch.min(far, torch.full_like(far, buckets - 1))
    return base + torch.where(relative < exact, relative, far)


class BiasedAttention(nn.Module):
    """Heads split from D, the scores scaled (T5 folds the scale into its
    weights: 1) and an optional additive bias added."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale
        self.q = nn.Linear(D, D, bias=False)
        self.k = nn.Linear(D, D, bias=False)
        self.v = nn.Linear(D, D, bias=False)
        self.o = nn.Linear(D, D, bias=False)

    def forward(self, x, memory, bias):
        b, sq, _ = x.shape
        sk = memory.shape[1]
        q = self.q(x).view(b, sq, HEADS, D // HEADS).transpose(1, 2)
        k = self.k(memory).view(b, sk, HEADS, D // HEADS).transpose(1, 2)
        v = self.v(memory).view(b, sk, HEADS, D // HEADS).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(2, 3))
        if self.scale != 1.0:
            scores = scores * self.scale
        if bias is not None:
            scores = scores + bias
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.o(y.transpose(1, 2).reshape(b, sq, D))


class T5(nn.Module):
    """T5 style encoder-decoder: learned relative position biases (bucketed,
    bidirectional in the encoder, causal in the decoder), cross-attention
    on the encoder's output, RMSNorm, ReLU MLPs; inputs the source and the
    target tokens (TARGET of them)."""

    TARGET = SEQ // 2

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.encoder_bias = nn.Embedding(8, HEADS)
        self.decoder_bias = nn.Embedding(8, HEADS)

        def layer(cross):
            parts = dict(attn_norm=HfRmsNorm(), attn=BiasedAttention(),
                         mlp_norm=HfRmsNorm(), fc=nn.Linear(D, FF, bias=False),
                         proj=nn.Linear(FF, D, bias=False))
            if cross:
                parts.update(cross_norm=HfRmsNorm(), cross=BiasedAttention())
            return nn.ModuleDict(parts)

        self.encoder = nn.ModuleList([layer(False) for _ in range(LAYERS)])
        self.decoder = nn.ModuleList([layer(True) for _ in range(LAYERS)])
        self.encoder_norm, self.decoder_norm = HfRmsNorm(), HfRmsNorm()
        self.head = nn.Linear(D, VOCAB, bias=False)

    @staticmethod
    def position_bias(table, sq, sk, bidirectional):
        relative = torch.arange(sk)[None, :] - torch.arange(sq)[:, None]
        return table(relative_bucket(relative, bidirectional)).permute(2, 0, 1)[None]

    def forward(self, source, target):
        s, t = source.shape[1], target.shape[1]
        x = self.embed(source)
        bias = self.position_bias(self.encoder_bias, s, s, True)
        for l in self.encoder:
            h = l["attn_norm"](x)
            x = x + l["attn"](h, h, bias)
            x = x + l["proj"](torch.relu(l["fc"](l["mlp_norm"](x))))
        memory = self.encoder_norm(x)
        y = self.embed(target)
        bias = (self.position_bias(self.decoder_bias, t, t, False)
                + torch.full((t, t), float("-inf")).triu(1)[None, None])
        for l in self.decoder:
            h = l["attn_norm"](y)
            y = y + l["attn"](h, h, bias)
            y = y + l["cross"](l["cross_norm"](y), memory, None)
            y = y + l["proj"](torch.relu(l["fc"](l["mlp_norm"](y))))
        return self.head(self.decoder_norm(y))


class AlibiBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.attn = BiasedAttention(1.0 / math.sqrt(D // HEADS))
        self.fc = nn.Linear(D, FF)
        self.proj = nn.Linear(FF, D)

    def forward(self, x, bias):
        h = self.ln_1(x)
        x = x + self.attn(h, h, bias)
        return x + self.proj(nn.functional.gelu(self.fc(self.ln_2(x))))


class Alibi(nn.Module):
    """BLOOM style: no position embeddings, ALiBi's per-head linear biases
    on the scores with the causal mask, LayerNorm, GELU MLP."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.blocks = nn.ModuleList([AlibiBlock() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB, bias=False)
        slopes = torch.tensor([2 ** (-8 * (i + 1) / HEADS) for i in range(HEADS)])
        self.register_buffer("slopes", slopes)

    def forward(self, ids):
        s = ids.shape[1]
        distance = (torch.arange(s)[None, :] - torch.arange(s)[:, None]).float()
        bias = (self.slopes[:, None, None] * distance[None]
                + torch.full((s, s), float("-inf")).triu(1)[None])[None]
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, bias)
        return self.head(self.ln_f(x))


EXPERTS = 8


class Top2Moe(nn.Module):
    """Mixtral-style: softmax router, top-2 experts renormalised, gates
    scattered into a dense [tokens, experts] matrix; every expert computed
    for every token (a static plan), weighted by its gate."""

    def __init__(self):
        super().__init__()
        self.router = nn.Linear(D, EXPERTS, bias=False)
        self.experts = nn.ModuleList([
            nn.Sequential(nn.Linear(D, FF, bias=False), nn.SiLU(),
                          nn.Linear(FF, D, bias=False))
            for _ in range(EXPERTS)])

    def forward(self, x):
        probs = torch.softmax(self.router(x), dim=-1)
        top, index = probs.topk(2, dim=-1)
        top = top / top.sum(-1, keepdim=True)
        gates = torch.zeros_like(probs).scatter(-1, index, top)
        return sum(gates[..., e:e + 1] * expert(x)
                   for e, expert in enumerate(self.experts))


class SwitchMoe(nn.Module):
    """Switch-style: top-1 expert, its place in the expert's queue by a
    cumulative sum over the tokens, tokens beyond the capacity dropped."""

    CAPACITY = 4

    def __init__(self):
        super().__init__()
        self.router = nn.Linear(D, EXPERTS, bias=False)
        self.experts = nn.ModuleList([
            nn.Sequential(nn.Linear(D, FF), nn.GELU(), nn.Linear(FF, D))
            for _ in range(EXPERTS)])

    def forward(self, x):
        probs = torch.softmax(self.router(x), dim=-1)
        top, index = probs.topk(1, dim=-1)
        chosen = nn.functional.one_hot(index[..., 0], EXPERTS).to(x.dtype)
        place = torch.cumsum(chosen, dim=1) * chosen
        kept = chosen * (place <= self.CAPACITY).to(x.dtype)
        gates = kept * top
        return sum(gates[..., e:e + 1] * expert(x)
                   for e, expert in enumerate(self.experts))


class MoeBlock(nn.Module):
    def __init__(self, moe):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.attn = BiasedAttention(1.0 / math.sqrt(D // HEADS))
        self.moe = moe

    def forward(self, x, bias):
        h = self.ln_1(x)
        x = x + self.attn(h, h, bias)
        return x + self.moe(self.ln_2(x))


class Moe(nn.Module):
    """A decoder of two mixture-of-experts blocks: Mixtral's top-2 router,
    then Switch's top-1 router with a capacity (on the test input, one
    expert of each sequence is sent 5 tokens and drops the last), over 8
    experts: each layer's input and router output go to 8 layers."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.pos = nn.Embedding(SEQ, D)
        self.blocks = nn.ModuleList([MoeBlock(Top2Moe()), MoeBlock(SwitchMoe())])
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB, bias=False)

    def forward(self, ids):
        s = ids.shape[1]
        mask = torch.full((s, s), float("-inf")).triu(1)[None, None]
        x = self.embed(ids) + self.pos(torch.arange(s))[None]
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln_f(x))


class Bert(nn.Module):
    """BERT style: nn.TransformerEncoder (post-norm, erf GELU)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.pos = nn.Parameter(0.02 * torch.randn(1, SEQ, D))
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS,
                                             enable_nested_tensor=False)
        self.norm = nn.LayerNorm(D)

    def forward(self, ids):
        x = self.embed(ids) + self.pos[:, : ids.shape[1]]
        return self.norm(self.encoder(x))


class Vit(nn.Module):
    """ViT style: a patch embedding (Conv2d, stride = kernel), a class token,
    learned positions, pre-norm encoder layers (erf GELU), the class token's
    LayerNorm and head."""

    PATCH, IMAGE, CLASSES = 4, 16, 10

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, D, self.PATCH, stride=self.PATCH)
        tokens = (self.IMAGE // self.PATCH) ** 2 + 1
        self.cls = nn.Parameter(0.02 * torch.randn(1, 1, D))
        self.pos = nn.Parameter(0.02 * torch.randn(1, tokens, D))
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS,
                                             enable_nested_tensor=False)
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, self.CLASSES)

    def forward(self, pixels):
        x = self.patch(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.encoder(x + self.pos)
        return self.head(self.norm(x[:, 0]))


class AudioEncoder(nn.Module):
    """Whisper style: two Conv1d over the mel features (kernel 3, the second
    with stride 2), GELU after each, sinusoidal positions, pre-norm encoder
    layers, a final LayerNorm."""

    MELS, FRAMES = 16, 32

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(self.MELS, D, 3, padding=1)
        self.conv2 = nn.Conv1d(D, D, 3, stride=2, padding=1)
        frames = self.FRAMES // 2
        t = torch.arange(frames).float()[:, None]
        inv = torch.exp(-math.log(10000) * torch.arange(D // 2).float() / (D // 2 - 1))
        self.register_buffer("pos", torch.cat([(t * inv).sin(), (t * inv).cos()], 1))
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS,
                                             enable_nested_tensor=False)
        self.norm = nn.LayerNorm(D)

    def forward(self, mels):
        x = nn.functional.gelu(self.conv1(mels))
        x = nn.functional.gelu(self.conv2(x))
        return self.norm(self.encoder(x.transpose(1, 2) + self.pos))


def save_tensor(array, path, name):
    tensor = numpy_helper.from_array(array, name)
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def export(model, name, out, opset, dynamic):
    folder = os.path.join(out, f"{name}-opset{opset}" + ("-dynamic" if dynamic else ""))
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    ids = torch.randint(0, VOCAB, (BATCH, SEQ), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(ids)
    axes = {"input_ids": {0: "batch", 1: "seq"}, "output": {0: "batch", 1: "seq"}}
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, (ids,), path, opset_version=opset,
                      input_names=["input_ids"], output_names=["output"],
                      dynamic_axes=axes if dynamic else None,
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    save_tensor(ids.numpy(), os.path.join(data, "input_0.pb"), "input_ids")
    save_tensor(expected.numpy(), os.path.join(data, "output_0.pb"), "output")
    print(f"{folder}: {os.path.getsize(path)} bytes")


def export_tokens(model, name, out, inputs):
    """A model of several token inputs ({name: (batch, length)}), static,
    opset 17."""
    folder = os.path.join(out, f"{name}-opset17")
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    generator = torch.Generator().manual_seed(1)
    args = tuple(torch.randint(0, VOCAB, shape, generator=generator)
                 for shape in inputs.values())
    with torch.no_grad():
        expected = model(*args)
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, args, path, opset_version=17,
                      input_names=list(inputs), output_names=["output"],
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    for i, (arg, input_name) in enumerate(zip(args, inputs)):
        save_tensor(arg.numpy(), os.path.join(data, f"input_{i}.pb"), input_name)
    save_tensor(expected.numpy(), os.path.join(data, "output_0.pb"), "output")
    print(f"{folder}: {os.path.getsize(path)} bytes")


def export_features(model, name, out, shape):
    """A model of float features (pixels, mel frames), static, opset 17."""
    folder = os.path.join(out, f"{name}-opset17")
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(x)
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, (x,), path, opset_version=17,
                      input_names=["input"], output_names=["output"],
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    save_tensor(x.numpy(), os.path.join(data, "input_0.pb"), "input")
    save_tensor(expected.numpy(), os.path.join(data, "output_0.pb"), "output")
    print(f"{folder}: {os.path.getsize(path)} bytes")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)
    for name, make in [("gpt", Gpt), ("llama", Llama), ("bert", Bert)]:
        torch.manual_seed(0)
        model = make().eval()
        for opset in (14, 17):
            for dynamic in (False, True):
                export(model, name, out, opset, dynamic)
    for name, make in [("llama-gqa", LlamaGqa), ("falcon", Falcon)]:
        torch.manual_seed(0)
        export(make().eval(), name, out, 17, False)
    torch.manual_seed(0)
    export(Alibi().eval(), "alibi", out, 17, False)
    torch.manual_seed(0)
    export(Moe().eval(), "moe", out, 17, False)
    torch.manual_seed(0)
    export_tokens(T5().eval(), "t5", out,
                  {"source": (BATCH, SEQ), "target": (BATCH, T5.TARGET)})
    torch.manual_seed(0)
    export_features(Vit().eval(), "vit", out, (BATCH, 3, Vit.IMAGE, Vit.IMAGE))
    torch.manual_seed(0)
    export_features(AudioEncoder().eval(), "audio", out,
                    (BATCH, AudioEncoder.MELS, AudioEncoder.FRAMES))


if __name__ == "__main__":
    main()
