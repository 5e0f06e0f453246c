#!/usr/bin/env python3
"""Every backward rule against finite differences, through the tools.

For each case a small ONNX model puts trained weights through the op under
test and ends in loss = sum(op(...) * R) (R a frozen random tensor, so no
gradient is trivially uniform). wafer-compile --train and one wafer-run
--train step with SGD at lr = 1 give the gradient (g = w - w', read back
from --save-model); central differences of the loss, run by wafer-run on the
same plan with one weight entry moved by +-eps (--weights-dir), give the
reference. Prints one line per case.

Usage: finite_differences.py BIN_DIR WORK_DIR [CASE...]
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EPS = 1e-2
RTOL, ATOL = 3e-3, 5e-4
ENTRIES = 4  # Entries of each weight checked.


def rand(rng, shape, positive=False):
    a = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
    return (np.abs(a) + 0.5).astype(np.float32) if positive else a


def case_models():
    """name -> (nodes, weights {name: array}, inputs {name: array},
    frozen {name: array}, output name, output shape)."""
    rng = np.random.default_rng(7)
    cases = {}

    def add(name, nodes, weights, out_shape, inputs=None, frozen=None,
            out="y"):
        cases[name] = (nodes, weights, inputs or {}, frozen or {}, out,
                       out_shape)

    mk = helper.make_node
    add("matmul-shared-weight", [mk("MatMul", ["x", "w"], ["y"])],
        {"w": rand(rng, (4, 5))}, (2, 3, 5), {"x": rand(rng, (2, 3, 4))})
    add("matmul-batched", [mk("MatMul", ["x", "w"], ["y"])],
        {"w": rand(rng, (2, 4, 5))}, (2, 3, 5), {"x": rand(rng, (2, 3, 4))})
    add("matmul-weight-left", [mk("MatMul", ["w", "x"], ["y"])],
        {"w": rand(rng, (3, 4))}, (3, 5), {"x": rand(rng, (4, 5))})
    add("matmul-both-trained", [mk("MatMul", ["a", "b"], ["y"])],
        {"a": rand(rng, (3, 4)), "b": rand(rng, (4, 2))}, (3, 2))
    add("gemm-transposed-bias",
        [mk("Gemm", ["x", "w", "b"], ["y"], transB=1)],
        {"w": rand(rng, (5, 4)), "b": rand(rng, (5,))}, (3, 5),
        {"x": rand(rng, (3, 4))})
    add("add-broadcast", [mk("Add", ["x", "w"], ["y"])],
        {"w": rand(rng, (4,))}, (3, 4), {"x": rand(rng, (3, 4))})
    add("sub-broadcast", [mk("Sub", ["w", "x"], ["y"])],
        {"w": rand(rng, (3, 1))}, (3, 4), {"x": rand(rng, (3, 4))})
    add("mul-both", [mk("Mul", ["a", "b"], ["y"])],
        {"a": rand(rng, (3, 4)), "b": rand(rng, (1, 4))}, (3, 4))
    add("div-both", [mk("Div", ["a", "b"], ["y"])],
        {"a": rand(rng, (3, 4)), "b": rand(rng, (3, 4), positive=True)},
        (3, 4))
    add("pow-constant-exponent", [mk("Pow", ["w", "p"], ["y"])],
        {"w": rand(rng, (3, 4), positive=True)}, (3, 4),
        frozen={"p": np.array(3.0, np.float32)})
    for op, positive in [("Exp", False), ("Log", True), ("Sqrt", True),
                         ("Tanh", False), ("Sigmoid", False), ("Relu", False),
                         ("Neg", False), ("Erf", False)]:
        add(op.lower(), [mk(op, ["w"], ["y"])],
            {"w": rand(rng, (3, 4), positive)}, (3, 4))
    add("softmax", [mk("Softmax", ["w"], ["y"], axis=-1)],
        {"w": rand(rng, (3, 4))}, (3, 4))
    add("log-softmax", [mk("LogSoftmax", ["w"], ["y"], axis=-1)],
        {"w": rand(rng, (3, 4))}, (3, 4))
    add("reduce-mean-keepdims",
        [mk("ReduceMean", ["w"], ["y"], axes=[1], keepdims=1)],
        {"w": rand(rng, (3, 4, 2))}, (3, 1, 2))
    add("reduce-sum", [mk("ReduceSum", ["w", "axes"], ["y"], keepdims=0)],
        {"w": rand(rng, (3, 4))}, (4,),
        frozen={"axes": np.array([0], np.int64)})
    add("transpose", [mk("Transpose", ["w"], ["y"], perm=[1, 0, 2])],
        {"w": rand(rng, (2, 3, 4))}, (3, 2, 4))
    add("expand", [mk("Expand", ["w", "shape"], ["y"])],
        {"w": rand(rng, (1, 4))}, (3, 4),
        frozen={"shape": np.array([3, 4], np.int64)})
    add("split-one-part-used",
        [mk("Split", ["w", "sizes"], ["y", "unused"], axis=1)],
        {"w": rand(rng, (3, 4))}, (3, 2),
        frozen={"sizes": np.array([2, 2], np.int64)})
    add("concat", [mk("Concat", ["w", "x"], ["y"], axis=1)],
        {"w": rand(rng, (3, 2))}, (3, 5), {"x": rand(rng, (3, 3))})
    add("slice",
        [mk("Slice", ["w", "starts", "ends", "axes"], ["y"])],
        {"w": rand(rng, (3, 5))}, (3, 2),
        frozen={"starts": np.array([1], np.int64),
                "ends": np.array([3], np.int64),
                "axes": np.array([1], np.int64)})
    add("gather-embedding", [mk("Gather", ["w", "ids"], ["y"], axis=0)],
        {"w": rand(rng, (6, 3))}, (2, 2, 3),
        frozen={"ids": np.array([[0, 2], [2, 5]], np.int64)})
    add("layer-norm",
        [mk("LayerNormalization", ["w", "scale", "bias"], ["y"], axis=-1,
            epsilon=1e-5)],
        {"w": rand(rng, (3, 4)), "scale": rand(rng, (4,)),
         "bias": rand(rng, (4,))}, (3, 4))
    add("where", [mk("Where", ["c", "a", "b"], ["y"])],
        {"a": rand(rng, (3, 4)), "b": rand(rng, (1, 4))}, (3, 4),
        frozen={"c": rng.uniform(size=(3, 4)) > 0.5})
    return cases, rng


def build(name, case, rng, folder):
    nodes, weights, inputs, frozen, out, out_shape = case
    r = rand(rng, out_shape)
    nodes = list(nodes) + [
        helper.make_node("Mul", [out, "R"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted"], ["loss"], keepdims=0)]
    inits = [numpy_helper.from_array(v, k) for k, v in weights.items()]
    inits += [numpy_helper.from_array(np.asarray(v), k)
              for k, v in frozen.items()]
    inits.append(numpy_helper.from_array(r, "R"))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape)
         for k, v in inputs.items()],
        [helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    os.makedirs(os.path.join(folder, "data"), exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for i, (k, v) in enumerate(inputs.items()):
        with open(os.path.join(folder, "data", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, k).SerializeToString())
    return model, ["R"] + list(frozen)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + "\n" + p.stderr)
    return p.stdout


def loss_with(bin_dir, folder, model, plan, weight, index, value, tag):
    """The loss with weights[weight][index] = value (same bytes, moved)."""
    moved = onnx.ModelProto()
    moved.CopyFrom(model)
    for init in moved.graph.initializer:
        if init.name == weight:
            a = numpy_helper.to_array(init).copy()
            a[index] = value
            init.CopyFrom(numpy_helper.from_array(a, weight))
    d = os.path.join(folder, tag)
    os.makedirs(d, exist_ok=True)
    onnx.save(moved, os.path.join(d, "model.onnx"))
    run([os.path.join(bin_dir, "wafer-run"), plan, "--inputs",
         os.path.join(folder, "data"), "--weights-dir", d, "--outputs",
         os.path.join(d, "out")])
    return float(numpy_helper.to_array(
        onnx.load_tensor(os.path.join(d, "out", "output_0.pb"))))


def check(bin_dir, work, name, case, rng):
    folder = os.path.join(work, name)
    model, frozen = build(name, case, rng, folder)
    plan = os.path.join(folder, "plan.wplan")
    run([os.path.join(bin_dir, "wafer-compile"),
         os.path.join(folder, "model.onnx"), "--train",
         "--optimizer=sgd:lr=1", "--freeze=" + ",".join(frozen),
         "--target=wse3:rows=8,cols=8", "-o", plan])
    saved = os.path.join(folder, "stepped.onnx")
    run([os.path.join(bin_dir, "wafer-run"), plan, "--train", "--inputs",
         os.path.join(folder, "data"), "--save-model", saved])
    after = {t.name: numpy_helper.to_array(t)
             for t in onnx.load(saved).graph.initializer}
    worst = 0.0
    for weight, before in case[1].items():
        gradient = before.astype(np.float64) - after[weight]
        flat = rng.choice(before.size, size=min(ENTRIES, before.size),
                          replace=False)
        for n, f in enumerate(flat):
            index = np.unravel_index(f, before.shape)
            up = loss_with(bin_dir, folder, model, plan, weight, index,
                           before[index] + EPS, f"{weight}{n}p")
            down = loss_with(bin_dir, folder, model, plan, weight, index,
                             before[index] - EPS, f"{weight}{n}m")
            numeric = (up - down) / (2 * EPS)
            err = abs(numeric - gradient[index])
            worst = max(worst, err)
            if err > ATOL + RTOL * abs(numeric):
                return (f"{name}: DIFFERS at {weight}{list(index)}: rule "
                        f"{gradient[index]:.6g}, finite differences "
                        f"{numeric:.6g}")
    return f"{name}: rule matches finite differences (worst {worst:.1e})"


def main():
    bin_dir, work = sys.argv[1], sys.argv[2]
    cases, rng = case_models()
    wanted = sys.argv[3:] or list(cases)
    failed = 0
    for name in wanted:
        try:
            line = check(bin_dir, work, name, cases[name], rng)
        except RuntimeError as e:
            line = f"{name}: ERROR {e}"
        failed += "matches" not in line
        print(line, flush=True)
    print(f"{len(wanted) - failed} of {len(wanted)} rules match")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
