#!/usr/bin/env python3
"""Writes the hostile-input corpus for the ONNX importer into this folder.
The files are checked in; rerun only to change them. Each case and the
error it must produce is listed in MANIFEST (file<TAB>expected message).

  /usr/bin/python3 test/Import/hostile/make_corpus.py
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
manifest = []


def linear_model(w_tensor, extra_nodes=(), opset=17, domain_ops=()):
    nodes = [helper.make_node("MatMul", ["X", "W"], ["Y"], name="fc")]
    nodes += list(extra_nodes)
    graph = helper.make_graph(
        nodes, "hostile",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 8])],
        [w_tensor] if w_tensor is not None else [])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def weight(shape=(4, 8)):
    return numpy_helper.from_array(np.ones(shape, np.float32), "W")


def external(location, offset=0, length=128, dims=(4, 8)):
    t = TensorProto()
    t.name, t.data_type = "W", TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)),
                       ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = key, value
    return t


def save(name, data, expected):
    with open(os.path.join(here, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.SerializeToString())
    manifest.append((name, expected))


good = linear_model(weight()).SerializeToString()
save("truncated.onnx", good[: len(good) // 2],
     "not a valid ONNX model (protobuf parse failed: truncated or corrupt file?)")
flipped = bytearray(good)
for i in range(0, 48, 3):
    flipped[i] ^= 0xA5
save("bitflip.onnx", bytes(flipped),
     "not a valid ONNX model (protobuf parse failed: truncated or corrupt file?)")
save("empty.onnx", b"", "model imports no opset of the default ONNX domain")

bad = weight()
bad.dims[0] = -4
save("negative-dim.onnx", linear_model(bad), "initializer 'W' has a negative dimension")

short = weight()
short.raw_data = short.raw_data[:100]
save("size-mismatch.onnx", linear_model(short),
     "initializer 'W' holds 100 bytes of data, but its shape needs 128")

huge = TensorProto()
huge.name, huge.data_type = "W", TensorProto.FLOAT
huge.dims.extend([1 << 40, 1 << 30])
huge.raw_data = b"\0" * 8
save("huge-dims.onnx", linear_model(huge),
     "initializer 'W' is too large: its byte count overflows 64 bits")

cycle = linear_model(weight(), extra_nodes=[
    helper.make_node("Relu", ["B"], ["A"], name="loop_a"),
    helper.make_node("Relu", ["A"], ["B"], name="loop_b")])
save("cycle.onnx", cycle, "graph has a cycle through 2 node(s): 'loop_a', 'loop_b'")

undefined = linear_model(weight(), extra_nodes=[
    helper.make_node("Add", ["Y", "ghost"], ["Z"], name="haunted")])
save("undefined.onnx", undefined,
     "Add node 'haunted' reads value 'ghost', which no node, input or initializer defines")

unsupported = linear_model(weight(), extra_nodes=[
    helper.make_node("ConvTranspose", ["Y", "Y"], ["Z"], name="deconv"),
    helper.make_node("Magic", ["Z"], ["Q"], name="magic", domain="com.evil")])
save("unsupported.onnx", unsupported,
     "model uses 2 unsupported op type(s): ConvTranspose (1 node: 'deconv'); com.evil.Magic (1 node: 'magic')")

save("old-opset.onnx", linear_model(weight(), opset=3),
     "model uses opset 3 of the default domain; wafer supports opsets 7 to 18")

with open(os.path.join(here, "weights.bin"), "wb") as f:
    f.write(np.ones((4, 8), np.float32).tobytes())
link = os.path.join(here, "link.bin")
if os.path.lexists(link):
    os.remove(link)
os.symlink("weights.bin", link)
save("external-absolute.onnx", linear_model(external("/etc/passwd")),
     "initializer 'W' has an absolute external data location '/etc/passwd'; it must be relative to the model's folder")
save("external-traversal.onnx", linear_model(external("../../../../etc/passwd")),
     "initializer 'W' has external data location '../../../../etc/passwd' that leaves the model's folder")
save("external-symlink.onnx", linear_model(external("link.bin")),
     "initializer 'W' has external data in 'link.bin', which is a symbolic link; links are refused")
save("external-missing.onnx", linear_model(external("absent.bin")),
     "initializer 'W' has external data in 'absent.bin', which does not exist")
save("external-range.onnx", linear_model(external("weights.bin", offset=64)),
     "initializer 'W' has external data at offset 64 of 128 bytes, beyond the end of 'weights.bin' (128 bytes)")
save("external-length.onnx", linear_model(external("weights.bin", length=64)),
     "initializer 'W' has external data of 64 bytes, but its shape needs 128")
save("external-folder.onnx", linear_model(external(".")),
     "initializer 'W' has external data in '.', which is not a regular file")

with open(os.path.join(here, "MANIFEST"), "w") as f:
    for name, expected in manifest:
        f.write(f"{name}\t{expected}\n")
