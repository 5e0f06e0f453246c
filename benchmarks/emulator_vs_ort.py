#!/usr/bin/env python3
"""Functional speed of wafer-run against ONNX Runtime (CPU, one intra-op
thread) on the same GPT and inputs, time per run after warm-up: wafer-run as
it is, and with each PE's block math done on its own (--per-pe-math).

Needs Debian's python3-torch (to export the GPT) and onnxruntime-node from
npm (installed into a temporary folder: npm install --ignore-scripts).

  benchmarks/emulator_vs_ort.py [--build build] [--d-model 128] [--layers 4]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--build", default=os.path.join(root, "build"))
p.add_argument("--d-model", type=int, default=128)
p.add_argument("--layers", type=int, default=4)
p.add_argument("--seq", type=int, default=64)
p.add_argument("--repeat", type=int, default=20)
a = p.parse_args()

work = tempfile.mkdtemp()
export = f"""
import sys, torch
sys.path.insert(0, {os.path.join(root, 'models')!r})
import export_models as m
m.D, m.LAYERS, m.SEQ, m.FF, m.HEADS = {a.d_model}, {a.layers}, {a.seq}, {4 * a.d_model}, 4
torch.manual_seed(0)
m.export(m.Gpt().eval(), "gpt", {work!r}, 17, False)
"""
subprocess.run(["/usr/bin/python3", "-c", export], check=True,
               capture_output=True)
model = os.path.join(work, "gpt-opset17")
plan = os.path.join(work, "gpt.wplan")
subprocess.run([os.path.join(a.build, "bin", "wafer-compile"),
                os.path.join(model, "model.onnx"), "--target=wse3", "-o", plan],
               check=True)
wafer = {}
for level in ([], ["--per-pe-math"]):
    wafer[bool(level)] = json.loads(subprocess.run(
        [os.path.join(a.build, "bin", "wafer-run"), plan, "--inputs",
         os.path.join(model, "test_data_set_0"), "--compare", "--report=json",
         "--repeat", str(a.repeat), *level], capture_output=True, text=True,
        check=True).stdout)

subprocess.run(["npm", "install", "--silent", "--ignore-scripts",
                "onnxruntime-node"], cwd=work, check=True, capture_output=True)
script = f"""
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {{
  const s = await ort.InferenceSession.create({os.path.join(model, 'model.onnx')!r},
      {{intraOpNumThreads: 1, interOpNumThreads: 1}});
  const ids = new BigInt64Array(2 * {a.seq}).map((_, i) => BigInt(i % 128));
  const feeds = {{input_ids: new ort.Tensor('int64', ids, [2, {a.seq}])}};
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < {a.repeat}; i++) await s.run(feeds);
  const t1 = process.hrtime.bigint();
  console.log(Number(t1 - t0) / 1e9 / {a.repeat});
}})();
"""
ort = float(subprocess.run(["node", "-e", script], cwd=work, capture_output=True,
                           text=True, check=True).stdout.strip())
print(f"GPT d_model {a.d_model}, {a.layers} layers, batch 2 x seq {a.seq}")
for level, name in ((False, "wafer-run:"), (True, "--per-pe-math:")):
    run = wafer[level]
    print(f"{name:15} {run['seconds_per_run'] * 1e3:8.2f} ms per run "
          f"(outputs match: {run['outputs_match']}, max abs error "
          f"{run['max_abs_error']:.2g}; {run['seconds_per_run'] / ort:.2f}x "
          f"onnxruntime)")
print(f"onnxruntime:  {ort * 1e3:8.2f} ms per run (1 intra-op thread)")
