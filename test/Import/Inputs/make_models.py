#!/usr/bin/env python3
"""Writes small binary ONNX models for the importer's tests into a folder.

  make_models.py DIR

Models (each a Linear layer Y = X @ W + B with W of 16x32 floats):
  inline.onnx        W and B stored inline (raw_data)
  external.onnx      W in external data file weights.bin at offset 128
  absolute.onnx      external location is an absolute path
  traversal.onnx     external location ../outside.bin
  symlink.onnx       external location is a symbolic link
  missing.onnx       external location names no file
  short.onnx         offset + length run past the end of the file
  mismatch.onnx      length disagrees with W's shape
  truncated.onnx     inline.onnx cut in half
  bitflip.onnx       inline.onnx with its bytes damaged
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
w = rng.standard_normal((16, 32)).astype(np.float32)
b = rng.standard_normal((32,)).astype(np.float32)


def model(w_tensor):
    bias = numpy_helper.from_array(b, "B")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["M"], name="fc.matmul"),
         helper.make_node("Add", ["M", "B"], ["Y"], name="fc.bias")],
        "linear",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 16])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 32])],
        [w_tensor, bias])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def external(location, offset=128, length=None):
    t = TensorProto()
    t.name = "W"
    t.data_type = TensorProto.FLOAT
    t.dims.extend(w.shape)
    t.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": str(offset),
               "length": str(w.nbytes if length is None else length)}
    for key, value in entries.items():
        e = t.external_data.add()
        e.key, e.value = key, value
    return t


def save(name, m):
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString())


save("inline.onnx", model(numpy_helper.from_array(w, "W")))
with open(os.path.join(out, "weights.bin"), "wb") as f:
    f.write(b"\0" * 128 + w.tobytes())
with open(os.path.join(os.path.dirname(os.path.abspath(out)), "outside.bin"),
          "wb") as f:
    f.write(b"\0" * (128 + w.nbytes))
link = os.path.join(out, "link.bin")
if os.path.lexists(link):
    os.remove(link)
os.symlink("weights.bin", link)

save("external.onnx", model(external("weights.bin")))
save("absolute.onnx", model(external(os.path.abspath(
    os.path.join(out, "weights.bin")))))
save("traversal.onnx", model(external("../outside.bin")))
save("symlink.onnx", model(external("link.bin")))
save("missing.onnx", model(external("nothing.bin")))
save("short.onnx", model(external("weights.bin", offset=1024)))
save("mismatch.onnx", model(external("weights.bin", length=100)))

data = model(numpy_helper.from_array(w, "W")).SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
damaged = bytearray(data)
for i in range(0, 40):
    damaged[i] ^= 0xFF
with open(os.path.join(out, "bitflip.onnx"), "wb") as f:
    f.write(bytes(damaged))
