#!/usr/bin/env python3
"""Compares a wafer-run --train run with PyTorch's training of the same model
(models/export_training.py): the losses of every step (within 1e-5
relative) and the weights after the last step, from --save-model, against
PyTorch's (SGD: within 1e-6 of the largest weight magnitude of each tensor;
Adam and AdamW: within 1e-4 absolute, the entries outside counted and
allowed only where PyTorch's first gradient is near zero (below 1e-6: Adam
turns float noise in a gradient that is zero in exact arithmetic, such as
an attention key's bias, into steps of the learning rate), at most 1% of
the entries; their count is printed).

Usage: check_training.py EXPECTED_DIR REPORT.json SAVED.onnx
Prints one line per tensor and 'training matches PyTorch' or exits 1.
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    expected_dir, report_path, saved_path = sys.argv[1:4]
    expected = json.load(open(f"{expected_dir}/expected.json"))
    report = json.load(open(report_path))
    ok = True
    want, got = expected["losses"], report["losses"]
    if len(want) != len(got):
        print(f"losses: {len(got)} steps, PyTorch ran {len(want)}")
        return 1
    for step, (w, g) in enumerate(zip(want, got)):
        rel = abs(g - w) / max(abs(w), 1e-30)
        good = rel <= 1e-5
        ok &= good
        print(f"step {step + 1} loss {g:.9g} (PyTorch {w:.9g}, relative "
              f"error {rel:.2e}){'' if good else '  <-- DIFFERS'}")
    kind = expected["optimizer"].split(":")[0]
    trained = {t.name: numpy_helper.to_array(t)
               for t in onnx.load(f"{expected_dir}/trained.onnx").graph.initializer}
    saved = {t.name: numpy_helper.to_array(t)
             for t in onnx.load(saved_path).graph.initializer}
    grads = onnx.GraphProto()
    grads.ParseFromString(open(f"{expected_dir}/gradients_step0.pb", "rb").read())
    first_grad = {t.name: numpy_helper.to_array(t) for t in grads.initializer}
    outside_total = 0
    for name, want_w in sorted(trained.items()):
        if name not in first_grad:
            continue
        got_w = saved.get(name)
        if got_w is None or got_w.shape != want_w.shape:
            print(f"{name}: missing or misshapen in the saved model")
            ok = False
            continue
        diff = np.abs(got_w.astype(np.float64) - want_w.astype(np.float64))
        if kind == "sgd":
            tol = 1e-6 * max(float(np.abs(want_w).max()), 1e-30)
            good = bool((diff <= tol).all())
            print(f"{name}: max error {diff.max():.2e} (tolerance {tol:.2e})"
                  f"{'' if good else '  <-- DIFFERS'}")
            ok &= good
        else:
            outside = diff > 1e-4
            near_zero = np.abs(first_grad[name]) < 1e-6
            unexplained = int((outside & ~near_zero).sum())
            outside_total += int(outside.sum())
            good = unexplained == 0
            print(f"{name}: max error {diff.max():.2e}, {int(outside.sum())} "
                  f"entries beyond 1e-4 (all near-zero gradients: "
                  f"{'yes' if good else 'no'})")
            ok &= good
    total = sum(w.size for n, w in trained.items() if n in first_grad)
    if kind != "sgd":
        print(f"{outside_total} of {total} entries beyond 1e-4, all with "
              f"near-zero gradients" if ok else "")
    if outside_total > total // 100:
        print(f"{outside_total} entries beyond 1e-4 in all: more than 1%")
        ok = False
    if not ok:
        return 1
    print("training matches PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
