#!/usr/bin/env python3
"""Breaks a JSON plan in one way and writes it: the emulator must name the
problem instead of computing the right answer anyway.

  mutate_plan.py IN.json OUT.json drop-route|shrink-sram|drop-tile|wrong-version|color-clash|bad-shape|
                                  pile-summa|pile-attention|drop-combine|wrong-source|short-flow
"""
import json
import sys

src, dst, how = sys.argv[1:4]
plan = json.load(open(src))
if how == "drop-route":
    # Forget the route of the first routed activation flow.
    flow = next(f for f in plan["flows"] if f.get("segments") and f["kind"] == "ACTIVATION")
    flow["segments"] = []
    flow["color"] = "-1"
    print(f"dropped the route of {flow['name']}")
elif how == "shrink-sram":
    plan["target"]["sram_bytes"] = str(int(plan["target"]["sram_reserve_bytes"]) + 64)
    print("shrank SRAM to 64 bytes after the reserve")
elif how == "drop-tile":
    layer = next(l for l in plan["layers"] if len(l.get("tiles", [])) > 0)
    dropped = layer["tiles"].pop()
    print(f"dropped the last tile of {dropped['weight']} from {layer['name']}")
elif how == "wrong-version":
    plan["format_version"] = 99
elif how == "bad-shape":
    # A matmul whose result no longer fits its operands: the emulator must
    # refuse before touching memory.
    kernel = next(k for k in plan["kernels"] if k["op"] == "wafer.matmul")
    result = plan["tensors"][int(kernel["results"][0])]
    result["shape"][-1] = str(int(result["shape"][-1]) * 1000)
    print("grew the last dimension of a matmul's result")
elif how == "pile-summa":
    # The widest product's whole SUMMA grid on one PE: every layer still fits
    # on average, but that PE cannot hold its block and panels.
    layer = max((l for l in plan["layers"] if "summa" in l), key=lambda l: int(l["spec"]["n"]))
    layer["summa"].update(grid_rows="1", grid_cols="1", panels="1")
    print(f"put all of {layer['name']}'s SUMMA on one PE")
elif how == "pile-attention":
    # An attention layer's whole grid on one PE: its queries, keys, values,
    # output and score rows no longer fit there.
    layer = next(l for l in plan["layers"] if "attention" in l)
    layer["attention"].update(grid_rows="1", grid_cols="1", panels="1", query_cols="1")
    print(f"put all of {layer['name']}'s attention on one PE")
elif how == "drop-combine":
    # The reduction that combines an attention layer's key chunks.
    layer = next(l for l in plan["layers"] if int(l.get("attention", {}).get("key_chunks", 1)) > 1)
    plan["flows"] = [f for f in plan["flows"] if f["name"] != layer["name"] + ".row-sums"]
    print(f"dropped {layer['name']}'s combining reduction")
elif how == "wrong-source":
    # An activation flow that claims to come from another layer than the one
    # that makes its tensor.
    flow = next(f for f in plan["flows"] if f["kind"] == "ACTIVATION" and int(f.get("source_layer", 0)) > 0)
    flow["source_layer"] = "0"
    print(f"{flow['name']} now claims to start at layer 0")
elif how == "short-flow":
    flow = next(f for f in plan["flows"] if f["kind"] == "ACTIVATION" and f.get("segments"))
    flow["bytes"] = str(int(flow["bytes"]) // 2)
    print(f"{flow['name']} carries half its tensor")
elif how == "color-clash":
    routed = [f for f in plan["flows"] if f.get("segments")]
    for f in routed:
        f["color"] = "0"
    print("gave every routed flow one color")
json.dump(plan, open(dst, "w"), indent=1)
