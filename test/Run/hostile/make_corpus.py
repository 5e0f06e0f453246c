#!/usr/bin/env python3
"""Writes the hostile-plan corpus for wafer-run from a good plan of the
bundled GPT. The files are checked in; rerun only to change them. MANIFEST
lists each file and the error wafer-run must give.

  /usr/bin/python3 test/Run/hostile/make_corpus.py build/bin/wafer-compile
"""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
compiler = sys.argv[1]
good = os.path.join(here, "good.json")
subprocess.run([compiler, os.path.join(root, "models/gpt-opset17/model.onnx"),
                "--target=wse3:rows=16,cols=16", "-o", good], check=True)
plan = json.load(open(good))
# The weights resolve relative to the test run, not this machine's paths.
plan["weights_dir"] = "."
json.dump(plan, open(good, "w"), indent=1)
manifest = []


def save(name, data, expected):
    path = os.path.join(here, name)
    if isinstance(data, (bytes, str)):
        open(path, "wb" if isinstance(data, bytes) else "w").write(data)
    else:
        json.dump(data, open(path, "w"), indent=1)
    manifest.append((name, expected))


binary = os.path.join(here, "good.wplan")
subprocess.run([compiler, os.path.join(root, "models/gpt-opset17/model.onnx"),
                "--target=wse3:rows=16,cols=16", "-o", binary], check=True)
data = open(binary, "rb").read()
os.remove(binary)
save("truncated.wplan", data[: len(data) // 3], "is not a valid plan (truncated or corrupt?)")
flipped = bytearray(data)
for i in range(0, len(flipped), 97):
    flipped[i] ^= 0x5A
save("bitflip.wplan", bytes(flipped), "is not a valid plan (truncated or corrupt?)")
save("empty.wplan", b"", "has format version 0")

p = json.loads(json.dumps(plan)); p["format_version"] = 99
save("version.json", p, "has format version 99; this wafer-run reads version 5")

p = json.loads(json.dumps(plan))
flow = next(f for f in p["flows"] if f.get("segments"))
flow["segments"][0]["x"] = "900"
save("route-off-grid.json", p, "does not start in its source")

p = json.loads(json.dumps(plan))
p["kernels"][3]["operands"][0] = "999999"
save("dangling-tensor.json", p, "reads tensor 999999 before anything defines it")

p = json.loads(json.dumps(plan))
p["layers"][0]["region"]["x"] = "15"
save("region-off-grid.json", p, "at (15, 0) of 2x1 leaves the usable rectangle at (0, 0) of 16x16")

p = json.loads(json.dumps(plan))
p["tensors"][0]["shape"] = ["100000", "100000", "100000"]
save("huge-tensor.json", p, "has more than 2147483648 elements")

p = json.loads(json.dumps(plan))
p["target"]["colors"] = "2"
p["target"]["reserved_colors"] = "1"
save("few-colors.json", p, "input_queues (8) cannot exceed colors (2)")

p = json.loads(json.dumps(plan))
k = next(k for k in p["kernels"] if k["op"] == "wafer.transpose" or k["op"] == "wafer.split")
k["attributes"]["axis"] = {"i": "7"} if k["op"] == "wafer.split" else k["attributes"].get("axis")
save("bad-attribute.json", p, "axis 7 is out of range")

p = json.loads(json.dumps(plan))
p["flows"] = [f for f in p["flows"] if f.get("kind") != "ROW_BROADCAST"]
save("no-broadcast.json", p, "but no broadcast along its rows is routed")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "summa" in l)["summa"]["panels"] = "100000"
save("summa-tiling.json", p, "does not fit its")

p = json.loads(json.dumps(plan))
del next(l for l in p["layers"] if "summa" in l)["summa"]
save("no-tiling.json", p, "is a matmul but the plan gives no SUMMA tiling")

attention = next(l for l in plan["layers"] if "attention" in l)["name"]

p = json.loads(json.dumps(plan))
del next(l for l in p["layers"] if "attention" in l)["attention"]
save("no-attention-tiling.json", p, "runs attention but the plan gives no attention tiling")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "attention" in l)["spec"]["attention"]["heads"] = "8"
save("attention-shape.json", p, "not the shapes its kernel reads")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "attention" in l)["attention"]["grid_rows"] = "100000"
save("attention-tiling.json", p, "'s attention tiling (100000x")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "attention" in l)["attention"]["key_blocks"] = "0"
save("no-key-blocks.json", p, "key chunks, 0 key blocks")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "attention" in l)["attention"]["query_cols"] = "4611686018427387904"
save("query-cols.json", p, "4611686018427387904 query column blocks")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "attention" in l)["spec"]["attention"]["keys"] = "4611686018427387904"
save("attention-keys.json", p, "not the shapes its kernel reads")

p = json.loads(json.dumps(plan))
p["flows"] = [f for f in p["flows"] if f["name"] != attention + ".columns"]
save("no-key-broadcast.json", p, "but no broadcast down its columns is routed: its key and value panels cannot move")

p = json.loads(json.dumps(plan))
p["flows"] = [f for f in p["flows"] if not f["kind"].endswith("_REDUCTION")]
save("no-reduction.json", p, "partial sums cannot meet")

p = json.loads(json.dumps(plan))
next(f for f in p["flows"] if f["kind"].endswith("_REDUCTION"))["bytes"] = "8"
save("short-reduction.json", p, "rows' partial sums are")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "summa" in l)["attention"] = next(l for l in p["layers"] if "attention" in l)["attention"]
save("stray-attention.json", p, "has an attention tiling but runs no attention")

p = json.loads(json.dumps(plan))
spec = next(l for l in p["layers"] if "summa" in l)["spec"]
spec["m"] = "4611686018427387904"
save("huge-product.json", p, "multiplies 4611686018427387904x%s by %sx%s; none of its kernels does"
     % (spec["k"], spec["k"], spec["n"]))

p = json.loads(json.dumps(plan))
p["flows"] = [f for f in p["flows"] if f["kind"] != "RESHARD"]
save("no-reshard.json", p, "(a transpose, reshape or gather) but no reshard within it is routed")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if int(l["spec"].get("relayout_bytes", 0)) > 0)["spec"]["relayout_bytes"] = "0"
save("hidden-reshard.json", p, "'s plan says its kernels regroup 0 bytes across its PEs")

# The layouts and LayerSpecs a plan records must be what its kernels give.
summa = next(l for l in plan["layers"] if "summa" in l)["name"]

p = json.loads(json.dumps(plan))
layer = next(l for l in p["layers"] if "summa" in l)
held = next(h for h in layer["held"] if h.get("layout") == "SUMMA_RHS")
held["layout"] = "ROWS"
save("wrong-layout.json", p, "'s plan holds tensor %s as rows; its kernels hold tensor %s there as summa-rhs"
     % (held["tensor"], held["tensor"]))

p = json.loads(json.dumps(plan))
layer = next(l for l in p["layers"] if "summa" in l)
first = layer["held"][0]["tensor"]
del layer["held"]
save("no-layouts.json", p, "'s plan gives tensor %s no layout" % first)

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "summa" in l)["held"][0]["layout"] = 99
save("unknown-layout.json", p, "in layout 99: no such tensor or layout")

p = json.loads(json.dumps(plan))
layer = next(l for l in p["layers"] if l["spec"].get("normed_lhs"))
layer["spec"]["normed_lhs"] = False
save("spec-norm.json", p, "'s spec says a norm does not run on its product's left operand; its kernels say it does")

p = json.loads(json.dumps(plan))
layer = next(l for l in p["layers"] if l["spec"].get("row_tensors"))
layer["spec"]["row_tensors"].pop()
save("spec-rows.json", p, "tensors as whole rows and")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "summa" in l)["spec"]["k"] = "65"
save("spec-product.json", p, "x65 by 65x")

p = json.loads(json.dumps(plan))
next(l for l in p["layers"] if "summa" in l)["spec"]["flops"] = 1
save("spec-flops.json", p, "'s spec counts 1 FLOPs; its kernels do")

p = json.loads(json.dumps(plan))
k = next(k for k in p["kernels"] if k["op"] == "wafer.gelu")
k["attributes"]["approximation"] = {"i": "1"}
save("gelu-ordinal.json", p, "wafer.gelu: approximation '' is not one of erf tanh")

# Every kernel moved off its layer: the graph would run off the wafer.
p = json.loads(json.dumps(plan))
for k in p["kernels"]:
    k["layer"] = "-1"
save("off-layer.json", p, "is on no layer but reads tensor")

# A plan reads only what it names inside its weights folder.
for name, file, expected in [
        ("weight-absolute.json", "/etc/passwd",
         "has an absolute data location '/etc/passwd'; it must be relative to the plan's weights folder"),
        ("weight-traversal.json", "../../../../etc/passwd",
         "has data location '../../../../etc/passwd' that leaves the plan's weights folder"),
        ("weight-device.json", "../../../../dev/zero",
         "has data location '../../../../dev/zero' that leaves the plan's weights folder"),
        ("weight-folder.json", ".", "has data in '.', which is not a regular file")]:
    p = json.loads(json.dumps(plan))
    next(t for t in p["tensors"] if "weight" in t)["weight"]["file"] = file
    save(name, p, expected)
p = json.loads(json.dumps(plan))
weight = next(t for t in p["tensors"] if "weight" in t)["weight"]
weight["length"] = "-1"
save("weight-length.json", p, "reads weight 'wte.weight' (-1 bytes), which its spec lists as 32768 bytes")

# Room for training and many wafers, refused until they run.
p = json.loads(json.dumps(plan))
p["layers"][-1]["program"] = "BACKWARD"
save("backward-program.json", p, "belongs to the BACKWARD program; this wafer-run executes forward programs")

p = json.loads(json.dumps(plan))
p["dataParallel"] = {"batch": "4", "partRows": "2", "waferParts": ["1", "1"],
                     "reduction": [{"into": "1", "from": "0"}],
                     "combine": ["CONCAT"], "combineWeight": ["-1"]}
save("lost-reduction.json", p, "the plan's gradient reduction: the reduction never adds wafer 1's sums")

p = json.loads(json.dumps(plan))
p["dataParallel"] = {"batch": "5", "partRows": "2", "waferParts": ["1", "1"],
                     "reduction": [{"into": "0", "from": "1"}],
                     "combine": ["CONCAT"], "combineWeight": ["-1"]}
save("uneven-split.json", p, "the plan's batch split: a batch of 5 rows does not cut into parts of 2 rows")

p = json.loads(json.dumps(plan))
p["dataParallel"] = {"batch": "4", "partRows": "2", "waferParts": ["1", "1"],
                     "reduction": [{"into": "0", "from": "1"}],
                     "combine": ["RATIO"], "combineWeight": ["0"]}
save("ratio-without-denominator.json", p, "output 0 is a ratio whose denominator, output 0, is not an f32 scalar summed across parts")

p = json.loads(json.dumps(plan))
p["flows"][0]["kind"] = "FLOW_KIND_UNSPECIFIED"
save("no-flow-kind.json", p, "has no kind")

p = json.loads(json.dumps(plan))
p["mode"] = "MODE_UNSPECIFIED"
save("no-mode.json", p, "the plan's mode is neither pipelined nor weight streaming")

with open(os.path.join(here, "MANIFEST"), "w") as f:
    for name, expected in manifest:
        f.write(f"{name}\t{expected}\n")
