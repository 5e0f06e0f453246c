#!/usr/bin/env python3
"""Runs wafer-translate --import-onnx and wafer-compile on every case of the
hostile corpus (MANIFEST: file<TAB>expected message) and checks that each
exits with code 1, prints its expected message, crashes not, and leaves no
output file behind.

  check_corpus.py --translate TOOL --compile TOOL --work DIR
"""
import argparse
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument("--translate", required=True)
p.add_argument("--compile", required=True)
p.add_argument("--work", required=True)
a = p.parse_args()
os.makedirs(a.work, exist_ok=True)

bad = 0
cases = 0
for line in open(os.path.join(here, "MANIFEST")):
    name, expected = line.rstrip("\n").split("\t")
    model = os.path.join(here, name)
    out = os.path.join(a.work, name + ".out")
    for tool in ([a.translate, "--import-onnx", model, "-o", out],
                 [a.compile, model, "--emit=spatial", "-o", out]):
        cases += 1
        proc = subprocess.run(tool, capture_output=True, text=True, timeout=60)
        problems = []
        if proc.returncode != 1:
            problems.append(f"exit code {proc.returncode}, expected 1")
        if expected not in proc.stderr:
            problems.append(f"message missing: {expected!r}; got {proc.stderr.strip()!r}")
        if os.path.exists(out):
            problems.append("left an output file")
        if problems:
            bad += 1
            print(f"BAD {os.path.basename(tool[0])} {name}: " + "; ".join(problems))
print(f"corpus: {cases - bad} of {cases} cases refused as expected")
sys.exit(1 if bad else 0)
