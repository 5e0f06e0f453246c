#!/usr/bin/env python3
"""Compares a wafer-compile JSON report's total FLOPs with the closed form
for a transformer's forward pass:

  2 * matmul_parameters * tokens + 4 * batch * seq^2 * d_model * layers

matmul_parameters counts, for every MatMul and Gemm, the elements of the
initializer it multiplies by (followed back through Identity and Transpose,
which PyTorch's exporter uses to share and transpose weights), read from the
ONNX file without loading external data.

  check_flops.py MODEL.onnx REPORT.json --batch B --seq S --d-model D
                 --layers L [--tolerance 0.05]
"""
import argparse
import json
import sys

import onnx

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("report")
p.add_argument("--batch", type=int, required=True)
p.add_argument("--seq", type=int, required=True)
p.add_argument("--d-model", type=int, required=True)
p.add_argument("--layers", type=int, required=True)
p.add_argument("--tolerance", type=float, default=0.05)
a = p.parse_args()

model = onnx.load(a.model, load_external_data=False)
inits = {t.name: t for t in model.graph.initializer}
producer = {o: n for n in model.graph.node for o in n.output}


def initializer(name):
    while name not in inits and name in producer and \
            producer[name].op_type in ("Identity", "Transpose"):
        name = producer[name].input[0]
    return inits.get(name)


params = 0
for n in model.graph.node:
    if n.op_type in ("MatMul", "Gemm"):
        for name in n.input[:2]:
            t = initializer(name)
            if t is not None and len(t.dims) == 2:
                params += t.dims[0] * t.dims[1]
tokens = a.batch * a.seq
closed = 2 * params * tokens + 4 * a.batch * a.seq ** 2 * a.d_model * a.layers
reported = json.load(open(a.report))["totals"]["flops"]
ratio = reported / closed
print(f"reported {reported:.6g} FLOP, closed form {closed:.6g} FLOP, "
      f"ratio {ratio:.4f}")
if abs(ratio - 1) > a.tolerance:
    print(f"FAIL: off by more than {a.tolerance:.0%}")
    sys.exit(1)
print("OK")
