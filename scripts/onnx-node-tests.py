#!/usr/bin/env python3
"""Imports every ONNX backend node test shipped by Debian's libonnx-testdata
with wafer-translate and reports how many imported. With --run, every test
that imports is also compiled to a plan for a small test grid and run in
wafer-run against the test's own expected outputs, with a pass count per op.

  onnx-node-tests.py --tool build/bin/wafer-translate [--data DIR] [--verbose]
      [--run --compile build/bin/wafer-compile --emulator build/bin/wafer-run]

A test is *skipped* when the import refuses it for a reason wafer documents:
an op type it does not support, an element type it does not support (double,
unsigned, string, ...), an opset outside 7-18, a non-tensor input, or a value
that only exists at run time where wafer needs it at compile time (shapes of
Reshape/Expand/ConstantOfShape fed by graph inputs, training-mode dropout),
or a Slice with negative steps.
A test refused only because a graph input's value is needed at compile time
(a shape operand, axes, a count) is imported again with that input bound to
the test's own value by --input-value, as long as that makes progress; it
then runs on its other inputs.
Any other failure, or a crash, is *failed*. Ends with "N passed, N failed".
"""
import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

SKIP_REASONS = [
    ("unsupported op", re.compile(r"unsupported op type")),
    ("unsupported element type", re.compile(
        r"element type \w+, which wafer does not support|"
        r"cannot cast to ONNX element type|unsupported ONNX element type")),
    ("opset out of range", re.compile(r"wafer supports opsets|imports no opset")),
    ("non-tensor input", re.compile(r"is not a tensor")),
    ("run-time value needed at compile time",
     re.compile(r"known at compile time|training_mode")),
    ("negative Slice steps", re.compile(r"only positive steps")),
]


# End-to-end results that are not wafer's to fix, with why.
KNOWN_DIFFERENCES = {
    "test_cast_FLOAT_to_BFLOAT16":
        "ONNX 1.12's expected bfloat16 values are truncated, not rounded",
    "test_cast_BFLOAT16_to_FLOAT":
        "ONNX 1.12 stores the bfloat16 input as UINT16 with NaN payloads",
    "test_castlike_BFLOAT16_to_FLOAT_expanded":
        "the 'like' input file's shape differs from the model's",
    "test_castlike_FLOAT_to_BFLOAT16_expanded":
        "the 'like' input file's shape differs from the model's",
}


def graph_inputs(folder):
    """The graph inputs that are not initializers, as {name: index}."""
    import onnx
    graph = onnx.load(os.path.join(folder, "model.onnx")).graph
    initializers = {init.name for init in graph.initializer}
    inputs = [i.name for i in graph.input if i.name not in initializers]
    return {name: index for index, name in enumerate(inputs)}


# How the importer names a value it needs at compile time.
NEEDED = re.compile(r"\(input \d+, '([^']+)'\) known at compile time")


def bind_flags(folder, bound):
    data = os.path.join(folder, "test_data_set_0")
    return [f"--input-value={name}={os.path.join(data, f'input_{index}.pb')}"
            for index, name in bound]


def run_end_to_end(args, tests, bound_inputs):
    """Compiles and runs each test; returns (passed names, failed names)."""
    import onnx
    per_op = collections.defaultdict(lambda: [0, 0])
    failed = []
    work = tempfile.mkdtemp()

    def data_without(folder, name, bound):
        """The test's data with the bound inputs left out and the others
        renumbered, as the compiled model takes them."""
        data = os.path.join(folder, "test_data_set_0")
        if not bound:
            return data
        copy = os.path.join(work, name + ".data")
        os.makedirs(copy, exist_ok=True)
        skipped = {index for index, _ in bound}
        for entry in sorted(os.listdir(data)):
            source = os.path.join(data, entry)
            if entry.startswith("input_"):
                index = int(entry[len("input_"):-len(".pb")])
                if index in skipped:
                    continue
                entry = f"input_{index - sum(1 for s in skipped if s < index)}.pb"
            os.symlink(source, os.path.join(copy, entry))
        return copy

    def one(name):
        folder = os.path.join(args.data, name)
        plan = os.path.join(work, name + ".wplan")
        bound = bound_inputs.get(name, [])
        steps = [[args.compile, os.path.join(folder, "model.onnx"),
                  *bind_flags(folder, bound),
                  f"--target={args.target}", "-o", plan],
                 [args.emulator, plan, "--inputs",
                  data_without(folder, name, bound), "--compare"]]
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True,
                                  timeout=120)
            if proc.returncode != 0:
                return (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1]
        return None

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        results = list(pool.map(one, tests))
    for name, problem in zip(tests, results):
        ops = sorted({n.op_type for n in onnx.load(
            os.path.join(args.data, name, "model.onnx")).graph.node})
        key = ",".join(ops)
        if problem is None:
            per_op[key][0] += 1
        elif name in KNOWN_DIFFERENCES:
            print(f"KNOWN {name}: {KNOWN_DIFFERENCES[name]}")
            per_op[key][1] += 1
        else:
            per_op[key][1] += 1
            failed.append(name)
            print(f"FAIL {name} (end to end): {problem}")
    for key in sorted(per_op):
        ok, bad = per_op[key]
        print(f"ops {key}: {ok} of {ok + bad} run and match")
    ran = sum(ok for ok, _ in per_op.values())
    print(f"end to end: {ran} of {len(tests)} imported tests run and match")
    return ran, failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--min-imported", type=int, default=0,
                        help="fail when fewer tests import (a regression guard)")
    parser.add_argument("--run", action="store_true",
                        help="compile and run every imported test end to end")
    parser.add_argument("--compile", default="wafer-compile")
    parser.add_argument("--emulator", default="wafer-run")
    parser.add_argument("--target", default="wse3:rows=8,cols=8")
    args = parser.parse_args()

    tests = sorted(d for d in os.listdir(args.data)
                   if os.path.isfile(os.path.join(args.data, d, "model.onnx")))
    passed, failed = [], []
    skipped = collections.Counter()

    bound_inputs = {}

    def run(name):
        folder = os.path.join(args.data, name)
        model = os.path.join(folder, "model.onnx")
        proc = subprocess.run([args.tool, "--import-onnx", model, "-o", os.devnull],
                              capture_output=True, text=True, timeout=60)
        # Bind each input the importer names as needed at compile time to
        # the test's own value, one at a time, while that makes progress.
        inputs, bound = None, []
        while proc.returncode == 1 and NEEDED.search(proc.stderr):
            inputs = inputs or graph_inputs(folder)
            needed = NEEDED.search(proc.stderr).group(1)
            if needed not in inputs or any(n == needed for _, n in bound):
                break
            bound.append((inputs[needed], needed))
            proc = subprocess.run(
                [args.tool, "--import-onnx", model, *bind_flags(folder, bound),
                 "-o", os.devnull],
                capture_output=True, text=True, timeout=60)
            if proc.returncode == 0:
                bound_inputs[name] = sorted(bound)
        return proc

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        results = list(pool.map(run, tests))
    for name, proc in zip(tests, results):
        if proc.returncode == 0:
            passed.append(name)
            if name in bound_inputs and args.verbose:
                print(f"BOUND {name}: "
                      + ", ".join(n for _, n in bound_inputs[name]))
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

    if args.run:
        ran, bad = run_end_to_end(args, passed, bound_inputs)
        failed += bad
    print(f"imported {len(passed)} of {len(tests)} node tests "
          f"({len(bound_inputs)} with inputs bound by --input-value)")
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
