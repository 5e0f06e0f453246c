#!/usr/bin/env python3
"""Writes a shape-only GPT as ONNX: the real graph of a GPT-2-style decoder,
with every weight in one external data file that is sparse (never written,
so it costs no disk). wafer must compile it without reading that file.

  make_shape_only_gpt.py OUT_DIR [--layers 128 --d-model 25600 --heads 200
                                  --vocab 50257 --seq 2048 --batch 1]

Defaults are the 1T-parameter configuration. Prints the parameter count.
"""
import argparse
import os

import onnx
from onnx import TensorProto, helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--layers", type=int, default=128)
    p.add_argument("--d-model", type=int, default=25600)
    p.add_argument("--heads", type=int, default=200)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--batch", type=int, default=1)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    d, ff, hd = a.d_model, 4 * a.d_model, a.d_model // a.heads
    dtype, width = TensorProto.FLOAT16, 2

    nodes, inits = [], []
    offset = [0]
    params = [0]

    def weight(name, shape):
        t = TensorProto()
        t.name, t.data_type = name, dtype
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        count = 1
        for s in shape:
            count *= s
        for key, value in (("location", "weights.bin"),
                           ("offset", str(offset[0])),
                           ("length", str(count * width))):
            e = t.external_data.add()
            e.key, e.value = key, value
        offset[0] += count * width
        params[0] += count
        inits.append(t)
        return name

    def const(name, values, dt=TensorProto.INT64):
        inits.append(helper.make_tensor(name, dt, [len(values)], values))
        return name

    def scalar(name, value):
        inits.append(helper.make_tensor(name, dtype, [], [value]))
        return name

    def node(op, inputs, name, **attrs):
        out = name + ".out"
        nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    const("shape.heads", [a.batch, a.seq, a.heads, hd])
    const("shape.merged", [a.batch, a.seq, d])
    const("split.qkv", [d, d, d])
    scalar("attn.scale", 1.0 / hd ** 0.5)
    scalar("gelu.half", 0.5)
    scalar("gelu.one", 1.0)
    scalar("gelu.rsqrt2", 2 ** -0.5)
    scalar("mask.neg", -65504.0)
    const("mask.shape", [a.seq, a.seq])

    x = node("Gather", [weight("wte", [a.vocab, d]), "input_ids"], "embed.wte")
    pos = weight("wpe", [a.seq, d])
    x = node("Add", [x, pos], "embed.add")
    ones = node("ConstantOfShape", ["mask.shape"], "mask.ones",
                value=helper.make_tensor("v", TensorProto.BOOL, [1], [1]))
    future = node("Trilu", [ones], "mask.future", upper=1)
    # Trilu with k = 0 keeps the diagonal; shift by one with k input.
    nodes[-1].input.append(const("mask.k", [1]))

    for i in range(a.layers):
        h = f"h{i}"
        ln = node("LayerNormalization", [x, weight(f"{h}.ln_1.g", [d]),
                                         weight(f"{h}.ln_1.b", [d])],
                  f"{h}.ln_1", axis=-1, epsilon=1e-5)
        qkv = node("MatMul", [ln, weight(f"{h}.attn.qkv.w", [d, 3 * d])],
                   f"{h}.attn.qkv")
        qkv = node("Add", [qkv, weight(f"{h}.attn.qkv.b", [3 * d])],
                   f"{h}.attn.qkv.bias")
        names = [f"{h}.attn.{t}" for t in "qkv"]
        nodes.append(helper.make_node("Split", [qkv, "split.qkv"], names,
                                      name=f"{h}.attn.split", axis=2))
        heads = []
        for t, name in zip("qkv", names):
            r = node("Reshape", [name, "shape.heads"], f"{h}.attn.{t}.reshape")
            perm = [0, 2, 3, 1] if t == "k" else [0, 2, 1, 3]
            heads.append(node("Transpose", [r], f"{h}.attn.{t}.transpose",
                              perm=perm))
        s = node("MatMul", heads[:2], f"{h}.attn.scores")
        s = node("Mul", [s, "attn.scale"], f"{h}.attn.scale")
        s = node("Where", [future, "mask.neg", s], f"{h}.attn.mask")
        s = node("Softmax", [s], f"{h}.attn.softmax", axis=-1)
        o = node("MatMul", [s, heads[2]], f"{h}.attn.context")
        o = node("Transpose", [o], f"{h}.attn.merge", perm=[0, 2, 1, 3])
        o = node("Reshape", [o, "shape.merged"], f"{h}.attn.merge.reshape")
        o = node("MatMul", [o, weight(f"{h}.attn.proj.w", [d, d])],
                 f"{h}.attn.proj")
        o = node("Add", [o, weight(f"{h}.attn.proj.b", [d])],
                 f"{h}.attn.proj.bias")
        x = node("Add", [x, o], f"{h}.attn.residual")
        ln = node("LayerNormalization", [x, weight(f"{h}.ln_2.g", [d]),
                                         weight(f"{h}.ln_2.b", [d])],
                  f"{h}.ln_2", axis=-1, epsilon=1e-5)
        f = node("MatMul", [ln, weight(f"{h}.mlp.fc.w", [d, ff])],
                 f"{h}.mlp.fc")
        f = node("Add", [f, weight(f"{h}.mlp.fc.b", [ff])], f"{h}.mlp.fc.bias")
        g = node("Mul", [f, "gelu.rsqrt2"], f"{h}.mlp.gelu.scale")
        g = node("Erf", [g], f"{h}.mlp.gelu.erf")
        g = node("Add", [g, "gelu.one"], f"{h}.mlp.gelu.add")
        g = node("Mul", [f, g], f"{h}.mlp.gelu.mul")
        g = node("Mul", [g, "gelu.half"], f"{h}.mlp.gelu.half")
        f = node("MatMul", [g, weight(f"{h}.mlp.proj.w", [ff, d])],
                 f"{h}.mlp.proj")
        f = node("Add", [f, weight(f"{h}.mlp.proj.b", [d])],
                 f"{h}.mlp.proj.bias")
        x = node("Add", [x, f], f"{h}.mlp.residual")

    x = node("LayerNormalization", [x, weight("ln_f.g", [d]),
                                    weight("ln_f.b", [d])], "ln_f",
             axis=-1, epsilon=1e-5)
    nodes.append(helper.make_node("MatMul", [x, "wte.t"], ["logits"],
                                  name="lm_head"))
    weight("wte.t", [d, a.vocab])

    graph = helper.make_graph(
        nodes, "gpt",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                       [a.batch, a.seq])],
        [helper.make_tensor_value_info("logits", dtype,
                                       [a.batch, a.seq, a.vocab])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with open(os.path.join(a.out, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    # Sparse: set the size without writing a byte.
    with open(os.path.join(a.out, "weights.bin"), "wb") as f:
        f.truncate(offset[0])
    print(f"{params[0]} parameters, {len(nodes)} nodes, "
          f"{offset[0]} bytes of (sparse) weights")


if __name__ == "__main__":
    main()
