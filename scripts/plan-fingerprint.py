#!/usr/bin/env python3
"""What a restructuring must not change: for every exported model (models/*)
on a 16x16 test grid and on wse3, pipelined and weight-streamed, the plan's
decisions (each layer's region, cycles, SRAM per PE and stream tiles; each
flow's ends, bytes, color and segments; the predicted and lower-bound
cycles), wafer-run's modeled step and link times, and the SHA-256 of every
output tensor's bytes.

  plan-fingerprint.py --build DIR --out FILE      # write the fingerprint
  plan-fingerprint.py --build DIR --out FILE --against OLD   # and diff it

Enum spellings are normalised (plan format changes may spell a flow kind
`row-broadcast` or `ROW_BROADCAST`), so two plan formats compare by meaning.
Exit status 1 when --against finds a difference.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys
import tempfile

p = argparse.ArgumentParser()
p.add_argument("--build", required=True)
p.add_argument("--out", required=True)
p.add_argument("--against")
p.add_argument("--models", default=os.path.join(os.path.dirname(__file__), "..", "models"))
a = p.parse_args()
compiler = os.path.join(a.build, "bin", "wafer-compile")
emulator = os.path.join(a.build, "bin", "wafer-run")
work = tempfile.mkdtemp(prefix="wafer-fingerprint-")


DIRECTIONS = ["east", "west", "south", "north"]


def norm(value):
    """Enum spellings compared by meaning."""
    if isinstance(value, str):
        return value.lower().replace("_", "-")
    return value


def direction(value):
    """A segment's direction, whether the plan spells it 2 or SOUTH."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return DIRECTIONS[int(value) & 3]
    return norm(value)


def region(r):
    return [int(r.get(k, 0)) for k in ("x", "y", "width", "height")]


def plan_decisions(plan):
    layers = []
    for l in plan.get("layers", []):
        layers.append({
            "name": l.get("name", ""),
            "region": region(l.get("region", {})),
            "start": int(l.get("start_cycle", 0)),
            "cycles": int(l.get("cycles", 0)),
            "sram": int(l.get("sram_bytes_per_pe", 0)),
            "tiles": [[t.get("weight", ""), int(t.get("offset", 0)), int(t.get("bytes", 0)),
                       int(t.get("slot", 0)), int(t.get("arrive_start", 0)),
                       int(t.get("arrive_end", 0)), int(t.get("compute_start", 0)),
                       int(t.get("release", 0))] for t in l.get("tiles", [])],
        })
    flows = []
    for f in plan.get("flows", []):
        flows.append({
            "name": f.get("name", ""), "kind": norm(f.get("kind", "")),
            "source": region(f.get("source", {})),
            "destination": region(f.get("destination", {})),
            "bytes": int(f.get("bytes", 0)), "color": int(f.get("color", 0)),
            "active": [int(f.get("active_start", 0)), int(f.get("active_end", 0))],
            "segments": [[int(s.get(k, 0)) for k in ("x", "y", "length", "lanes")] +
                         [direction(s.get("direction", 0))] for s in f.get("segments", [])],
        })
    return {"mode": norm(plan.get("mode", "")),
            "predicted": int(plan.get("predicted_cycles", 0)),
            "lower_bound": int(plan.get("lower_bound_cycles", 0)),
            "layers": layers, "flows": flows}


def run(case):
    model, target, mode = case
    folder = os.path.join(a.models, model)
    dims = ["--dim", "batch=2", "--dim", "seq=16"] if model.endswith("dynamic") else []
    stem = os.path.join(work, "-".join([model, target.replace(":", "_"), mode]))
    proc = subprocess.run([compiler, os.path.join(folder, "model.onnx"), *dims,
                           f"--target={target}", f"--mode={mode}", "-o", stem + ".json"],
                          capture_output=True, text=True)
    if proc.returncode:
        return {"error": "compile failed: " + proc.stderr.strip()}
    with open(stem + ".json") as f:
        result = plan_decisions(json.load(f))
    proc = subprocess.run([emulator, stem + ".json", "--inputs",
                           os.path.join(folder, "test_data_set_0"), "--report=json",
                           "--outputs", stem + ".out"], capture_output=True, text=True)
    if proc.returncode:
        return {"error": "run failed: " + (proc.stderr.strip() or proc.stdout.strip())}
    report = json.loads(proc.stdout)
    result["modeled_step_seconds"] = report["modeled_step_seconds"]
    result["busiest_link_seconds"] = report["busiest_link_seconds"]
    result["outputs"] = {}
    for name in sorted(os.listdir(stem + ".out")):
        with open(os.path.join(stem + ".out", name), "rb") as f:
            result["outputs"][name] = hashlib.sha256(f.read()).hexdigest()
    return result


cases = [(m, t, mode) for m in sorted(os.listdir(a.models))
         if os.path.isfile(os.path.join(a.models, m, "model.onnx"))
         for t in ("wse3:rows=16,cols=16", "wse3")
         for mode in ("pipelined", "weight-streaming")]
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    results = dict(zip(["/".join(c) for c in cases], pool.map(run, cases)))
with open(a.out, "w") as f:
    json.dump(results, f, indent=1, sort_keys=True)
print(f"{len(results)} cases, "
      f"{sum('error' in r for r in results.values())} failed to compile or run")

if a.against:
    with open(a.against) as f:
        old = json.load(f)
    differ = 0
    for key in sorted(set(old) | set(results)):
        if old.get(key) != results.get(key):
            differ += 1
            before, after = old.get(key, {}), results.get(key, {})
            fields = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            print(f"differs: {key}: {', '.join(fields)}")
    print(f"{len(results) - differ} of {len(results)} cases identical to {a.against}")
    sys.exit(1 if differ else 0)
