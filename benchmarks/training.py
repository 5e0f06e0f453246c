#!/usr/bin/env python3
"""Training-step benchmark: shape-only GPTs (weights in sparse external
files that are never read) compiled with --train --loss=cross-entropy
--optimizer=adamw by weight streaming. Two tables from one run:

* scale: 1.3B to 1T on wse3 and 20B on wse2 at one sequence of 2048 tokens:
  wall time and peak memory of wafer-compile, the modeled step over its
  lower bound (max of FLOPs over peak and streamed bytes over the weight
  store's bandwidth), tokens/s and MFU;
* calibration: the shapes of published training runs (training.md §2),
  modeled samples/s beside the published ones. No factor is fitted;
* scale-out: a 13B and the 1T GPT at a batch of 16 sequences cut into
  parts of one sequence (with --recompute) over 1, 2, 4, 8 and 16 wafers
  (--wafers): the modeled step and its speed-up over one wafer running
  the same parts one after another (published: 15.3x on 16 CS-3 for 1T).

  benchmarks/training.py [--build build]
                        [--tables scale,calibration,scale-out] [--recompute]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# name: (layers, d_model, heads, vocab, seq, batch, target, published samples/s)
SCALE = {
    "1.3B": (24, 2048, 32, 50257, 2048, 1, "wse3", None),
    "6.7B": (32, 4096, 32, 50257, 2048, 1, "wse3", None),
    "13B": (40, 5120, 40, 50257, 2048, 1, "wse3", None),
    "20B": (44, 6144, 48, 50257, 2048, 1, "wse2", None),
    "175B": (96, 12288, 96, 50257, 2048, 1, "wse3", None),
    # The 55 TB MemoryX Sandia's 1T run used (training.md §2): the 12 TB
    # option cannot hold 1T fp32 weights and Adam's state.
    "1T": (128, 25600, 200, 50257, 2048, 1, "wse3:weight_memory_bytes=55e12",
           None),
}
# Published rates (../shared/reference/training.md §2). Llama-2-7B is
# approximated by a GPT of its width, depth and vocabulary (4d MLP instead
# of SwiGLU 3 x 11008: 6.7B instead of 6.7B+ parameters).
CALIBRATION = {
    "GPT-J 6B b120": (28, 4096, 16, 50400, 2048, 120, "wse3", 44.75),
    "Llama-2-7B b99": (32, 4096, 32, 32000, 4096, 99, "wse2", 20.45),
    "Llama-2-7B b1024": (32, 4096, 32, 32000, 4096, 1024, "wse3", 31.98),
}

p = argparse.ArgumentParser()
p.add_argument("--build", default=os.path.join(root, "build"))
p.add_argument("--tables", default="scale,calibration,scale-out")
p.add_argument("--recompute", action="store_true",
               help="compile with --recompute (activation checkpointing)")
a = p.parse_args()
tool = os.path.join(a.build, "bin", "wafer-compile")


def compile_one(name, cfg, work, micro="auto", wafers=1, recompute=None):
    """Compiles cfg with its batch cut over `wafers` wafers into `micro`
    micro-batches each (auto: as few as the held activations allow), with
    or without --recompute. Returns (wall s, peak MB, report, micro-batches
    per wafer) or an error line."""
    layers, d, heads, vocab, seq, batch, target, _ = cfg
    recompute = a.recompute if recompute is None else recompute
    folder = os.path.join(work, name.replace(" ", "_") + f"_{micro}_{wafers}")
    subprocess.run([sys.executable,
                    os.path.join(root, "benchmarks", "make_shape_only_gpt.py"),
                    folder, "--layers", str(layers), "--d-model", str(d),
                    "--heads", str(heads), "--vocab", str(vocab), "--seq",
                    str(seq), "--batch", str(batch)], check=True,
                   capture_output=True)
    report = os.path.join(folder, "report.json")
    start = time.perf_counter()
    child = subprocess.Popen(
        [tool, os.path.join(folder, "model.onnx"), "--train",
         "--loss=cross-entropy", "--optimizer=adamw:lr=1e-4",
         f"--recompute={'true' if recompute else 'false'}",
         "--mode=weight-streaming", f"--target={target}",
         f"--micro-batches={micro}", f"--wafers={wafers}",
         "-o", os.path.join(folder, "plan.wplan"), "--report=json",
         f"--report-file={report}"], stderr=subprocess.PIPE, text=True)
    error = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        return error.strip().split("error: ")[-1]
    r = json.load(open(report))
    return wall, usage.ru_maxrss / 1024, r, r["training"]["micro_batches"]


with tempfile.TemporaryDirectory() as work:
    if "scale" in a.tables:
        print(f"{'model':>6} {'target':>6} {'micro':>5} {'layers':>6} {'wall s':>7} "
              f"{'peak MB':>8} {'step s':>10} {'step/bound':>10} "
              f"{'tokens/s':>10} {'MFU':>6}")
        for name, cfg in SCALE.items():
            got = compile_one(name, cfg, work)
            if isinstance(got, str):
                print(f"{name:>6} {cfg[6][:4]:>6} does not fit: {got}")
                continue
            wall, peak, r, micro = got
            s, t = r["schedule"], r["training"]
            print(f"{name:>6} {cfg[6][:4]:>6} {micro:>5} {r['totals']['layers']:>6} "
                  f"{wall:>7.2f} {peak:>8.0f} "
                  f"{s['predicted_step_seconds']:>10.4g} "
                  f"{s['predicted_step_seconds'] / s['lower_bound_seconds']:>10.3f} "
                  f"{t['tokens_per_second']:>10.4g} {t['mfu']:>6.3f}")
    if "calibration" in a.tables:
        print(f"\n{'run':>17} {'target':>6} {'micro':>5} {'modeled samples/s':>18} "
              f"{'published':>10} {'ratio':>6} {'step/bound':>10} {'MFU':>6}")
        for name, cfg in CALIBRATION.items():
            got = compile_one(name, cfg, work)
            if isinstance(got, str):
                print(f"{name:>17} {cfg[6]:>6} does not fit: {got}")
                continue
            _, _, r, micro = got
            t, s = r["training"], r["schedule"]
            print(f"{name:>17} {cfg[6]:>6} {micro:>5} {t['samples_per_second']:>18.4g} "
                  f"{cfg[7]:>10.4g} {t['samples_per_second'] / cfg[7]:>6.2f} "
                  f"{s['predicted_step_seconds'] / s['lower_bound_seconds']:>10.3f} "
                  f"{t['mfu']:>6.3f}")
    if "scale-out" in a.tables:
        print(f"\n{'model':>6} {'wafers':>6} {'parts/wafer':>11} {'step s':>10} "
              f"{'one wafer s':>11} {'speed-up':>8} {'efficiency':>10} "
              f"{'tokens/s':>10}")
        for name in ("13B", "1T"):
            layers, d, heads, vocab, seq, _, target, _ = SCALE[name]
            cfg = (layers, d, heads, vocab, seq, 16, target, None)
            for wafers in (1, 2, 4, 8, 16):
                got = compile_one(name, cfg, work, micro=16 // wafers,
                                  wafers=wafers, recompute=True)
                if isinstance(got, str):
                    print(f"{name:>6} {wafers:>6} does not fit: {got}")
                    continue
                _, _, r, _ = got
                o, t = r["scale_out"], r["training"]
                print(f"{name:>6} {wafers:>6} {16 // wafers:>11} "
                      f"{o['step_seconds']:>10.4g} "
                      f"{o['one_wafer_step_seconds']:>11.4g} "
                      f"{o['speedup_vs_one_wafer']:>8.2f} "
                      f"{o['efficiency']:>10.3f} {t['tokens_per_second']:>10.4g}")
