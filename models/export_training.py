#!/usr/bin/env python3
"""Exports small models together with their loss from PyTorch to ONNX, and
PyTorch's own training of them (torch.optim) as the oracle for wafer-run
--train.

Run with Debian's Python and python3-torch:

  /usr/bin/python3 models/export_training.py models/training

For each model NAME it writes NAME/model.onnx (the forward pass ending in
the scalar loss; weights as initializers; the decoders also as
NAME/logits.onnx, without the loss, for --loss=cross-entropy, and
NAME/micro.onnx, for one row of the batch, which the tests use as a batch
too small to cut), NAME/test_data_set_0/input_*.pb
(one batch, labels included, the ONNX backend-test layout) and, for each
optimizer OPT, NAME/OPT/expected.json (the loss before each of 3 steps, the
optimizer spec in wafer-compile's words) and NAME/OPT/trained.onnx (the
model after 3 steps: PyTorch's weights as initializers).
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

STEPS = 3

# wafer-compile's spec and the torch.optim optimizer it names.
OPTIMIZERS = {
    "sgd": ("sgd:lr=0.1,momentum=0.9,weight_decay=0.01",
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9,
                                      weight_decay=0.01)),
    "adam": ("adam:lr=0.01,beta1=0.9,beta2=0.999,eps=1e-08",
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999),
                                        eps=1e-8)),
    "adamw": ("adamw:lr=0.01,beta1=0.9,beta2=0.999,eps=1e-08,weight_decay=0.1",
              lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.999),
                                          eps=1e-8, weight_decay=0.1)),
}


class MlpMse(nn.Module):
    """Two linear layers with a ReLU between, mean squared error (spelled out
    as PyTorch exports it: Sub, Mul, ReduceMean)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 8)

    def forward(self, x, target):
        y = self.fc2(torch.relu(self.fc1(x)))
        return ((y - target) * (y - target)).mean()


# The GPT- and Llama-style decoders of the inference tests
# (models/export_models.py), smaller, with token cross-entropy as PyTorch
# exports it (SoftmaxCrossEntropyLoss).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models as decoders  # noqa: E402

decoders.VOCAB, decoders.D, decoders.HEADS, decoders.LAYERS = 64, 32, 2, 2
decoders.FF, decoders.BATCH, decoders.SEQ = 64, 2, 8


class WithCrossEntropy(nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, ids, labels):
        logits = self.decoder(ids)
        return nn.functional.cross_entropy(
            logits.reshape(-1, decoders.VOCAB), labels.reshape(-1))


class Logits(nn.Module):
    """The same decoder without its loss (what --loss=cross-entropy takes)."""

    def __init__(self, wrapped):
        super().__init__()
        self.decoder = wrapped.decoder

    def forward(self, ids):
        return self.decoder(ids)


def batch(name):
    g = torch.Generator().manual_seed(1)
    if name == "mlp-mse":
        return (torch.randn(4, 16, generator=g), torch.randn(4, 8, generator=g))
    shape = (decoders.BATCH, decoders.SEQ)
    return (torch.randint(0, decoders.VOCAB, shape, generator=g),
            torch.randint(0, decoders.VOCAB, shape, generator=g))


INPUT_NAMES = {"mlp-mse": ["x", "target"]}


def write_tensor(array, name, path):
    t = numpy_helper.from_array(np.asarray(array), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def export(name, make, out):
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    torch.manual_seed(0)
    model = make()
    inputs = batch(name)
    names = INPUT_NAMES.get(name, ["ids", "labels"])
    torch.onnx.export(model, inputs, os.path.join(folder, "model.onnx"),
                      input_names=names, output_names=["loss"],
                      opset_version=17, do_constant_folding=False,
                      export_params=True,
                      training=torch.onnx.TrainingMode.TRAINING)
    if isinstance(model, WithCrossEntropy):
        # One row of the batch: too few rows to cut into micro-batches (the
        # tests' error case).
        torch.onnx.export(model, tuple(t[:1] for t in inputs),
                          os.path.join(folder, "micro.onnx"),
                          input_names=names, output_names=["loss"],
                          opset_version=17, do_constant_folding=False,
                          export_params=True,
                          training=torch.onnx.TrainingMode.TRAINING)
        torch.onnx.export(Logits(model), inputs[:1],
                          os.path.join(folder, "logits.onnx"),
                          input_names=names[:1], output_names=["logits"],
                          opset_version=17, do_constant_folding=False,
                          export_params=True,
                          training=torch.onnx.TrainingMode.TRAINING)
    for i, (n, v) in enumerate(zip(names, inputs)):
        write_tensor(v.numpy(), n, os.path.join(folder, "test_data_set_0",
                                                f"input_{i}.pb"))
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for opt_name, (spec, make_opt) in OPTIMIZERS.items():
        model.load_state_dict(initial)
        optimizer = make_opt(model.parameters())
        losses, gradients = [], {}
        for step in range(STEPS):
            optimizer.zero_grad()
            loss = model(*inputs)
            loss.backward()
            losses.append(float(loss))
            if step == 0:
                gradients = {k: p.grad.numpy().copy()
                             for k, p in model.named_parameters()}
            optimizer.step()
        odir = os.path.join(folder, opt_name)
        os.makedirs(odir, exist_ok=True)
        with open(os.path.join(odir, "expected.json"), "w") as f:
            # Buffers are initializers PyTorch does not train.
            frozen = [n for n, _ in model.named_buffers()]
            json.dump({"optimizer": spec, "steps": STEPS, "losses": losses,
                       "freeze": frozen}, f, indent=1)
        trained = onnx.load(os.path.join(folder, "model.onnx"))
        state = model.state_dict()
        for init in trained.graph.initializer:
            if init.name in state:
                init.CopyFrom(numpy_helper.from_array(
                    state[init.name].numpy(), init.name))
        onnx.save(trained, os.path.join(odir, "trained.onnx"))
        grads = onnx.GraphProto()
        for k, g in gradients.items():
            grads.initializer.append(numpy_helper.from_array(g, k))
        with open(os.path.join(odir, "gradients_step0.pb"), "wb") as f:
            f.write(grads.SerializeToString())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "models/training"
    export("mlp-mse", MlpMse, out)
    export("gpt-ce", lambda: WithCrossEntropy(decoders.Gpt()), out)
    export("llama-ce", lambda: WithCrossEntropy(decoders.Llama()), out)


if __name__ == "__main__":
    main()
