#!/usr/bin/env python3
"""Runs wafer-run on every hostile plan (MANIFEST: file<TAB>expected message)
and checks that each exits with code 1 and its message, crashing not; then
runs the intact plan, which must match PyTorch's outputs.

  check_corpus.py --run TOOL --model DIR
"""
import argparse
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument("--run", required=True)
p.add_argument("--model", required=True)
a = p.parse_args()
data = os.path.join(a.model, "test_data_set_0")
bad = cases = 0
for line in open(os.path.join(here, "MANIFEST")):
    name, expected = line.rstrip("\n").split("\t")
    cases += 1
    proc = subprocess.run([a.run, os.path.join(here, name), "--inputs", data,
                           "--weights-dir", a.model, "--compare"],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 1 or expected not in proc.stderr:
        bad += 1
        print(f"BAD {name}: exit {proc.returncode}, {proc.stderr.strip()!r}")
proc = subprocess.run([a.run, os.path.join(here, "good.json"), "--inputs", data,
                       "--weights-dir", a.model, "--compare"],
                      capture_output=True, text=True)
if proc.returncode != 0:
    bad += 1
    print(f"BAD good.json: {proc.stdout.strip()} {proc.stderr.strip()}")
print(f"plans: {cases - bad} of {cases} hostile plans refused as expected, "
      f"the intact plan {'runs' if proc.returncode == 0 else 'FAILS'}")
sys.exit(1 if bad else 0)
