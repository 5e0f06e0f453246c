"""Compares two wafer-run training runs: their losses (--report=json) and
their trained models (--save-model), with a relative tolerance. Prints
"runs agree within REL" or the first difference.

  compare_runs.py REL A.json B.json A.onnx B.onnx
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper

rel = float(sys.argv[1])
a, b = (json.load(open(p)) for p in sys.argv[2:4])
ma, mb = (onnx.load(p) for p in sys.argv[4:6])
worst = 0.0
for la, lb in zip(a["losses"], b["losses"]):
    worst = max(worst, abs(la - lb) / max(abs(lb), 1e-30))
if len(a["losses"]) != len(b["losses"]) or worst > rel:
    print(f"losses DIFFER: {a['losses']} vs {b['losses']}")
    sys.exit(1)
wb = {t.name: numpy_helper.to_array(t) for t in mb.graph.initializer}
for t in ma.graph.initializer:
    x, y = numpy_helper.to_array(t), wb[t.name]
    scale = max(float(np.abs(y).max()), 1e-30)
    err = float(np.abs(x.astype(np.float64) - y).max()) / scale
    if err > rel:
        print(f"weight {t.name} DIFFERS: {err:.3g} of its largest entry")
        sys.exit(1)
    worst = max(worst, err)
print(f"runs agree within {rel:g} (largest relative difference {worst:.3g})")
