#!/usr/bin/env python3
"""Imports every ONNX backend node test shipped by Debian's libonnx-testdata
with wafer-translate and reports, per op type, how many imported.

  onnx-node-tests.py --tool build/bin/wafer-translate [--data DIR] [--verbose]

A test is *skipped* when the import refuses it for a reason wafer documents:
an op type it does not support, an element type it does not support (double,
unsigned, string, ...), an opset outside 7-18, a non-tensor input, or a value
that only exists at run time where wafer needs it at compile time (shapes of
Reshape/Expand/ConstantOfShape fed by graph inputs, training-mode dropout).
Any other failure, or a crash, is *failed*. Ends with "N passed, N failed".
"""
import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys

SKIP_REASONS = [
    ("unsupported op", re.compile(r"unsupported op type")),
    ("unsupported element type", re.compile(
        r"element type \w+, which wafer does not support|"
        r"cannot cast to ONNX element type|unsupported ONNX element type")),
    ("opset out of range", re.compile(r"wafer supports opsets|imports no opset")),
    ("non-tensor input", re.compile(r"is not a tensor")),
    ("run-time value needed at compile time",
     re.compile(r"known at compile time|training_mode")),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--min-imported", type=int, default=0,
                        help="fail when fewer tests import (a regression guard)")
    args = parser.parse_args()

    tests = sorted(d for d in os.listdir(args.data)
                   if os.path.isfile(os.path.join(args.data, d, "model.onnx")))
    passed, failed = [], []
    skipped = collections.Counter()

    def run(name):
        model = os.path.join(args.data, name, "model.onnx")
        return subprocess.run([args.tool, "--import-onnx", model, "-o", os.devnull],
                              capture_output=True, text=True, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        results = list(pool.map(run, tests))
    for name, proc in zip(tests, results):
        if proc.returncode == 0:
            passed.append(name)
            continue
        message = proc.stderr.strip().splitlines()[0] if proc.stderr else ""
        reason = next((r for r, pattern in SKIP_REASONS
                       if proc.returncode == 1 and pattern.search(message)), None)
        if reason:
            skipped[reason] += 1
            if args.verbose:
                print(f"SKIP {name}: {message}")
        else:
            failed.append(name)
            print(f"FAIL {name} (exit {proc.returncode}): {message}")

    print(f"imported {len(passed)} of {len(tests)} node tests")
    for reason, count in sorted(skipped.items()):
        print(f"skipped {count}: {reason}")
    print(f"{len(passed)} passed, {len(failed)} failed, "
          f"{sum(skipped.values())} skipped")
    if len(passed) < args.min_imported:
        print(f"FAIL: only {len(passed)} imported, expected at least "
              f"{args.min_imported}")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
