#!/usr/bin/env python3
"""Writes reference folders for test/Run/compare.test from a model's test
data: its input and the expected output with one element made +inf, NaN or
left as it is, and one with an extra reference output.

  make_references.py MODEL_TEST_DATA OUT_DIR
"""
import os
import shutil
import sys

import numpy as np
from onnx import numpy_helper, TensorProto

src, out = sys.argv[1:3]
with open(os.path.join(src, "output_0.pb"), "rb") as f:
    reference = TensorProto()
    reference.ParseFromString(f.read())
values = numpy_helper.to_array(reference)


def folder(name, changed=None, extra=False):
    path = os.path.join(out, name)
    os.makedirs(path, exist_ok=True)
    shutil.copy(os.path.join(src, "input_0.pb"), path)
    array = values.copy()
    if changed is not None:
        array.flat[0] = changed
    tensor = numpy_helper.from_array(array, reference.name)
    with open(os.path.join(path, "output_0.pb"), "wb") as f:
        f.write(tensor.SerializeToString())
    if extra:
        with open(os.path.join(path, "output_1.pb"), "wb") as f:
            f.write(tensor.SerializeToString())


folder("same")
folder("inf", np.inf)
folder("nan", np.nan)
folder("extra", extra=True)
