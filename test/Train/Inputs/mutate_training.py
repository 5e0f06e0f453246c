#!/usr/bin/env python3
"""Breaks a JSON training plan on purpose: mutate_training.py IN OUT HOW."""
import json
import sys

plan = json.load(open(sys.argv[1]))
how = sys.argv[3]
training = plan["training"]
if how == "drop-gradient-output":
    first = str(training["gradients"][0]["tensor"])
    plan["outputs"] = [o for o in plan["outputs"] if str(o) != first]
elif how == "drop-gradient-flow":
    first = str(training["gradients"][0]["tensor"])
    plan["flows"] = [f for f in plan["flows"]
                     if not (str(f.get("tensor")) == first
                             and f["kind"] == "OUTPUT")]
elif how.startswith("drop-tiles="):
    layer = how.split("=", 1)[1]
    for l in plan["layers"]:
        if l["name"] == layer:
            assert l.get("program") == "BACKWARD", l.get("program")
            l["tiles"] = []
elif how == "duplicate-gradient":
    training["gradients"].append(dict(training["gradients"][0]))
elif how == "negative-lr":
    training["optimizer"]["lr"] = -0.1
else:
    sys.exit(f"unknown mutation {how}")
json.dump(plan, open(sys.argv[2], "w"), indent=1)
