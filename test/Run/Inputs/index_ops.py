#!/usr/bin/env python3
"""Writes small float32 ONNX models of CumSum (every exclusive/reverse
form, two axes), TopK (largest and smallest, ties) and OneHot (negative
indices, an inner axis), each with numpy's results as the expected outputs
(ONNX's own CumSum tests are float64, which wafer does not take).

  index_ops.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def save(name, nodes, inputs, outputs, feeds, expected, initializers=()):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT if a.dtype == np.float32
                                       else TensorProto.INT64, a.shape)
         for n, a in zip(inputs, feeds)],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT if a.dtype == np.float32
                                       else TensorProto.INT64, a.shape)
         for n, a in zip(outputs, expected)],
        list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    folder = os.path.join(out, name)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for kind, names, arrays in (("input", inputs, feeds), ("output", outputs, expected)):
        for i, (n, a) in enumerate(zip(names, arrays)):
            with open(os.path.join(data, f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
    print(name)


x = rng.standard_normal((3, 5)).astype(np.float32)
for axis in (0, 1):
    for exclusive in (0, 1):
        for reverse in (0, 1):
            flip = (lambda a: np.flip(a, axis)) if reverse else (lambda a: a)
            total = np.cumsum(flip(x), axis=axis, dtype=np.float32)
            if exclusive:
                # Each position's sum of those before it.
                moved = np.moveaxis(total, axis, 0)
                total = np.moveaxis(np.concatenate(
                    [np.zeros_like(moved[:1]), moved[:-1]]), 0, axis)
            save(f"cumsum_axis{axis}_exclusive{exclusive}_reverse{reverse}",
                 [helper.make_node("CumSum", ["x", "axis"], ["y"],
                                   exclusive=exclusive, reverse=reverse)],
                 ["x"], ["y"], [x], [flip(total)],
                 [numpy_helper.from_array(np.array(axis, np.int64), "axis")])

# TopK with ties (lower index first), largest and smallest.
t = np.array([[3, 1, 3, 2, 1], [0, 5, 5, 5, 4], [2, 2, 2, 2, 2]], np.float32)
for largest in (1, 0):
    order = np.argsort(-t if largest else t, axis=1, kind="stable")[:, :3]
    save(f"topk_largest{largest}",
         [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1, largest=largest)],
         ["x"], ["v", "i"], [t],
         [np.take_along_axis(t, order, 1), order.astype(np.int64)],
         [numpy_helper.from_array(np.array([3], np.int64), "k")])

# OneHot on axis 1 with negative indices.
idx = np.array([[0, -1, 2], [3, 1, -4]], np.int64)
hot = np.full((2, 4, 3), -2.0, np.float32)
for b in range(2):
    for j in range(3):
        hot[b, idx[b, j] % 4, j] = 5.0
save("onehot_axis1",
     [helper.make_node("OneHot", ["i", "depth", "values"], ["y"], axis=1)],
     ["i"], ["y"], [idx], [hot],
     [numpy_helper.from_array(np.array(4, np.int64), "depth"),
      numpy_helper.from_array(np.array([-2.0, 5.0], np.float32), "values")])
