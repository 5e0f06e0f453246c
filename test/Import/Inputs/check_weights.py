#!/usr/bin/env python3
"""Checks that every wafer.weight in IR read from stdin points at the bytes of
the ONNX initializer of the same name.

  check_weights.py MODEL.onnx < imported.mlir

Prints one line per weight checked and exits non-zero on a mismatch.
"""
import os
import re
import sys

import onnx
from onnx import numpy_helper

model_path = sys.argv[1]
folder = os.path.dirname(model_path)
model = onnx.load(model_path, load_external_data=True)
expected = {t.name: numpy_helper.to_array(t).tobytes()
            for t in model.graph.initializer}

pattern = re.compile(r'wafer\.weight "([^"]+)" at "([^"]+)"\[(\d+), (\d+)\]')
ok = True
found = 0
for line in sys.stdin:
    for name, file, offset, length in pattern.findall(line):
        found += 1
        with open(os.path.join(folder, file), "rb") as f:
            f.seek(int(offset))
            data = f.read(int(length))
        match = data == expected[name]
        ok &= match
        print(f"{name}: {'matches' if match else 'DIFFERS'} ({length} bytes)")
if not found:
    print("no wafer.weight found")
    ok = False
sys.exit(0 if ok else 1)
