#!/usr/bin/env python3
"""Compiles every exported model (models/*) for a 16x16 test grid and for
wse3, pipelined and weight-streamed, with and without kernel fusion, runs
each plan in wafer-run and compares with PyTorch's outputs; then runs it
again with each PE's block math done on its own and every PE's SRAM counted
(--per-pe-math): the outputs must be the same bytes, no PE may hold more
than the first; it counts the runs in which no layer's PEs hold more than
the compiler planned per PE.

  run_models.py --models DIR --compile TOOL --emulator TOOL --work DIR
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys

p = argparse.ArgumentParser()
p.add_argument("--models", required=True)
p.add_argument("--compile", required=True)
p.add_argument("--emulator", required=True)
p.add_argument("--work", required=True)
p.add_argument("--atol", default="1e-4")
a = p.parse_args()
os.makedirs(a.work, exist_ok=True)

cases = []
for model in sorted(os.listdir(a.models)):
    folder = os.path.join(a.models, model)
    if not os.path.isfile(os.path.join(folder, "model.onnx")):
        continue
    for target in ("wse3:rows=16,cols=16", "wse3"):
        for mode in ("pipelined", "weight-streaming"):
            for fusion in ([], ["--no-fusion"]):
                cases.append((model, target, mode, tuple(fusion)))


over = {}


def run(case):
    model, target, mode, fusion = case
    folder = os.path.join(a.models, model)
    dims = ["--dim", "batch=2", "--dim", "seq=16"] if model.endswith("dynamic") else []
    plan = os.path.join(a.work, "-".join([model, target.replace(":", "_"), mode, *fusion]) + ".wplan")
    proc = subprocess.run([a.compile, os.path.join(folder, "model.onnx"), *dims,
                           f"--target={target}", f"--mode={mode}", *fusion, "-o", plan],
                          capture_output=True, text=True)
    if proc.returncode:
        return f"compile failed: {proc.stderr.strip()}"
    outputs, fullest = {}, {}
    for level in ([], ["--per-pe-math"]):
        outputs[bool(level)] = plan + (".pe" if level else ".layer")
        proc = subprocess.run([a.emulator, plan, "--inputs", os.path.join(folder, "test_data_set_0"),
                               "--compare", f"--atol={a.atol}", "--rtol=0", *level,
                               "--outputs", outputs[bool(level)]],
                              capture_output=True, text=True)
        if proc.returncode:
            return f"run{' with --per-pe-math' if level else ''} failed: " \
                   f"{(proc.stderr.strip() or proc.stdout.strip())}"
        fullest[bool(level)] = int(proc.stdout.split(" holds ")[1].split()[0])
        # Every PE counted: does any layer's hold more than the compiler
        # planned per PE (within the SRAM, or the run would have failed)?
        if level:
            over[case] = next((l for l in proc.stdout.splitlines()
                               if "PEs over plan" in l), None)
    # Counted at every PE, no PE may hold more than the first, the only one
    # counted by default.
    if fullest[True] > fullest[False]:
        return f"a PE holds {fullest[True]} bytes, the first PE {fullest[False]}"
    for name in sorted(os.listdir(outputs[False])):
        with open(os.path.join(outputs[False], name), "rb") as f, \
                open(os.path.join(outputs[True], name), "rb") as g:
            if f.read() != g.read():
                return f"{name} differs with --per-pe-math"
    return proc.stdout.strip().splitlines()[-1]


with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
    results = list(pool.map(run, cases))
bad = 0
worst = 0.0
for case, result in zip(cases, results):
    line = " ".join(case[:3] + case[3])
    if not result.startswith("outputs match"):
        bad += 1
        print(f"BAD {line}: {result}")
        continue
    worst = max(worst, float(result.split("max abs error ")[1].split(";")[0]))
for case in cases:
    if over.get(case):
        print(f"OVER {' '.join(case[:3] + case[3])}: {over[case]}")
print(f"plans: {sum(1 for c in cases if c in over and not over[c])} of "
      f"{len(cases)} runs hold no more on any PE than the compiler planned")
print(f"models: {len(cases) - bad} of {len(cases)} runs match PyTorch "
      f"(worst max abs error {worst:.3g}), the same bits with --per-pe-math")
sys.exit(1 if bad else 0)
