#!/usr/bin/env python3
"""Placement and routing benchmark: shape-only GPTs from 125M to 1T
parameters (weights in sparse external files that are never read), compiled
through --emit=spatial (or --emit=routed) for wse2 and wse3. Reports wall time
and peak memory of wafer-compile, the predicted step time over its lower
bound, and with --emit=routed the max link load over its cut bound and the
most colors any router carries.

  benchmarks/placement.py [--build build] [--sizes 125M,1T] [--emit routed]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CONFIGS = {  # layers, d_model, heads (vocab 50257, sequence 2048)
    "125M": (12, 768, 12),
    "350M": (24, 1024, 16),
    "1.3B": (24, 2048, 32),
    "1.3B-deep": (96, 1024, 16),  # 482 layers, pipelined
    "6.7B": (32, 4096, 32),
    "13B": (40, 5120, 40),
    "175B": (96, 12288, 96),
    "1T": (128, 25600, 200),
}

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--build", default=os.path.join(root, "build"))
p.add_argument("--sizes", default=",".join(CONFIGS))
p.add_argument("--targets", default="wse2,wse3")
p.add_argument("--emit", default="spatial", choices=["spatial", "routed"])
a = p.parse_args()
compile_tool = os.path.join(a.build, "bin", "wafer-compile")

routed = a.emit == "routed"
print(f"{'model':>9} {'params':>10} {'target':>6} {'mode':>17} {'layers':>6} "
      f"{'wall s':>7} {'peak MB':>8} {'pred/bound':>10}" +
      (f" {'flows':>6} {'load/bound':>10} {'colors':>6}" if routed else ""))
with tempfile.TemporaryDirectory() as work:
    for size in a.sizes.split(","):
        layers, d, heads = CONFIGS[size]
        folder = os.path.join(work, size)
        out = subprocess.run(
            [sys.executable, os.path.join(root, "benchmarks", "make_shape_only_gpt.py"),
             folder, "--layers", str(layers), "--d-model", str(d), "--heads", str(heads)],
            check=True, capture_output=True, text=True).stdout
        params = int(out.split()[0])
        for target in a.targets.split(","):
            report = os.path.join(work, f"{size}-{target}.json")
            start = time.monotonic()
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "%M", compile_tool,
                 os.path.join(folder, "model.onnx"), f"--emit={a.emit}",
                 f"--target={target}", "-o", os.devnull, "--report=json",
                 f"--report-file={report}"],
                capture_output=True, text=True)
            wall = time.monotonic() - start
            if proc.returncode != 0:
                print(f"{size:>9} {target:>6} FAILED: {proc.stderr.strip()}")
                continue
            peak_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
            r = json.load(open(report))
            s = r["schedule"]
            ratio = s["predicted_cycles"] / max(1, s["lower_bound_cycles"])
            line = (f"{size:>9} {params:>10.3e} {target:>6} {r['mode']:>17} "
                    f"{r['totals']['layers']:>6} {wall:>7.2f} {peak_mb:>8.0f} "
                    f"{ratio:>10.3f}")
            if routed:
                g = r["routing"]
                line += (f" {g['flows']:>6} "
                         f"{g['max_link_load'] / max(g['link_load_lower_bound'], 1e-9):>10.3f} "
                         f"{g['max_colors_per_router']:>3}/{g['color_limit']:<2}")
            print(line)
