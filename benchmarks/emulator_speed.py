#!/usr/bin/env python3
"""wafer-run's speed against the host's own peers, as ratios from one run:

* inference: wafer-run on weight-streaming plans (wse3 and a 16x16 grid)
  against ONNX Runtime (npm onnxruntime-node) on the same ONNX GPT and
  inputs, at 1 and 2 threads, time per run after warm-up, and the peak
  memory (max RSS) of each process;
* training: wafer-run --train (forward, backward, AdamW in the weight
  store) against PyTorch's own step (forward, cross-entropy, backward,
  torch.optim.AdamW) on the same GPT and batch at equal threads: the median
  step after the first (which loads weights and warms allocators in both).

Measurements are interleaved round by round (the machines are noisy); the
tables give the median ratio and its range over the rounds. GPTs come from
models/export_models.py (GPT-2 blocks, vocabulary 2048, batch 1).

Needs Debian's python3-torch (with libopenblas0-pthread for a fair peer:
see OPENBLAS) and onnxruntime-node from npm (installed into a
temporary folder: npm install --ignore-scripts).

  benchmarks/emulator_speed.py [--build build] [--models gpt-512,gpt-768]
      [--targets wse3,16x16] [--threads 1,2] [--rounds 3] [--repeat 10]
      [--steps 5] [--tables inference,training]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# name: (d_model, layers, heads, tokens)
MODELS = {"gpt-512": (512, 6, 8, 128), "gpt-768": (768, 12, 12, 256)}
TARGETS = {"wse3": "wse3", "16x16": "wse3:rows=16,cols=16"}
VOCAB = 2048

p = argparse.ArgumentParser()
p.add_argument("--build", default=os.path.join(root, "build"))
p.add_argument("--models", default="gpt-512,gpt-768")
p.add_argument("--targets", default="wse3,16x16")
p.add_argument("--threads", default="1,2")
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--repeat", type=int, default=10)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--tables", default="inference,training")
a = p.parse_args()
models = a.models.split(",")
targets = a.targets.split(",")
threads = [int(t) for t in a.threads.split(",")]
tables = a.tables.split(",")
work = tempfile.mkdtemp(prefix="wafer-speed-")
bin_dir = os.path.join(a.build, "bin")


# Debian's PyTorch calls libblas.so.3: the reference BLAS unless another is
# chosen. Its peer here is PyTorch at its best on Debian: on OpenBLAS
# (libopenblas0-pthread) when that is installed, for this process only.
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread"


def run_measured(command, env=None):
    """Runs `command`; returns its stdout and its own peak memory (max RSS,
    from wait4) in MB."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=work, env=env)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{err.decode()}")
    return out.decode(), usage.ru_maxrss / 1024


MODEL_CODE = """
import sys, torch
sys.path.insert(0, {models!r})
import export_models as m
d, layers, heads, seq = {shape}
m.VOCAB, m.D, m.LAYERS, m.SEQ, m.FF, m.HEADS, m.BATCH = {vocab}, d, layers, seq, 4 * d, heads, 1
torch.manual_seed(0)
"""

TORCH_STEP = """
import time
torch.set_num_threads({threads})
model = m.Gpt().train()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
g = torch.Generator().manual_seed(1)
ids = torch.randint(0, m.VOCAB, (1, seq), generator=g)
labels = torch.randint(0, m.VOCAB, (1, seq), generator=g)
seconds = []
for _ in range({steps}):
    start = time.perf_counter()
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(
        model(ids).reshape(-1, m.VOCAB), labels.reshape(-1))
    loss.backward()
    optimizer.step()
    seconds.append(time.perf_counter() - start)
print(sorted(seconds[1:])[len(seconds[1:]) // 2])
"""

ORT_RUN = """
const ort = require('onnxruntime-node');
(async () => {
  const [model, threads, repeat, seq] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model,
      {intraOpNumThreads: +threads, interOpNumThreads: 1});
  const ids = new BigInt64Array(+seq).map((_, i) => BigInt((i * 7) % 2048));
  const feeds = {input_ids: new ort.Tensor('int64', ids, [1, +seq])};
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < +repeat; i++) await s.run(feeds);
  console.log(Number(process.hrtime.bigint() - t0) / 1e9 / +repeat);
})();
"""


def prepare(name):
    """Exports the model with inputs, labels and expected outputs; compiles
    its inference and training plans for every target."""
    shape = MODELS[name]
    code = MODEL_CODE.format(models=os.path.join(root, "models"),
                             shape=shape, vocab=VOCAB) + f"""
m.export(m.Gpt().eval(), {name!r}, {work!r}, 17, False)
from onnx import numpy_helper
import numpy as np
labels = np.random.default_rng(2).integers(0, m.VOCAB, (1, seq))
m.save_tensor(labels, {os.path.join(work, name + '-opset17', 'test_data_set_0', 'input_1.pb')!r}, "labels")
"""
    subprocess.run(["/usr/bin/python3", "-c", code], check=True,
                   capture_output=True)
    folder = os.path.join(work, f"{name}-opset17")
    infer_inputs = os.path.join(folder, "infer")
    os.makedirs(infer_inputs, exist_ok=True)
    data = os.path.join(folder, "test_data_set_0")
    for f in ("input_0.pb", "output_0.pb"):
        os.link(os.path.join(data, f), os.path.join(infer_inputs, f))
    for target in targets:
        base = os.path.join(work, f"{name}-{target}")
        subprocess.run([os.path.join(bin_dir, "wafer-compile"),
                        os.path.join(folder, "model.onnx"),
                        f"--target={TARGETS[target]}",
                        "--mode=weight-streaming", "-o", base + ".wplan"],
                       check=True)
        # A plan wafer-run refuses (its checks disagree with the compiler's)
        # is left out of the table, with wafer-run's reason.
        tried = subprocess.run([os.path.join(bin_dir, "wafer-run"),
                                base + ".wplan", "--inputs", infer_inputs],
                               capture_output=True, text=True)
        if tried.returncode == 0:
            runnable.add((name, target))
        else:
            print(f"inference {name} on {target} left out: "
                  f"{tried.stderr.strip()[:240]}")
        if "training" in tables:
            # A small grid may not hold the training step's activations:
            # that target is left out of the training table, with the
            # compiler's reason.
            compiled = subprocess.run(
                [os.path.join(bin_dir, "wafer-compile"),
                 os.path.join(folder, "model.onnx"), "--train",
                 "--loss=cross-entropy", "--optimizer=adamw:lr=1e-4",
                 f"--target={TARGETS[target]}", "--mode=weight-streaming",
                 "-o", base + "-train.wplan"], capture_output=True, text=True)
            if compiled.returncode == 0:
                # One step, to find a plan wafer-run refuses before timing.
                tried = subprocess.run(
                    [os.path.join(bin_dir, "wafer-run"), base + "-train.wplan",
                     "--train", "--steps", "1", "--inputs",
                     os.path.join(folder, "test_data_set_0")],
                    capture_output=True, text=True)
                if tried.returncode == 0:
                    trainable.add((name, target))
                    continue
                compiled = tried
            print(f"training {name} on {target} left out: "
                  f"{compiled.stderr.strip()[:240]}")
    return folder


def wafer_infer(name, target, t):
    out, rss = run_measured(
        [os.path.join(bin_dir, "wafer-run"),
         os.path.join(work, f"{name}-{target}.wplan"), "--inputs",
         os.path.join(work, f"{name}-opset17", "infer"), "--compare",
         "--report=json", "--repeat", str(a.repeat), "--threads", str(t)])
    report = json.loads(out)
    if not report["outputs_match"]:
        sys.exit(f"{name} on {target}: wafer-run's outputs differ")
    return report["seconds_per_run"], rss


def ort_infer(name, t):
    out, rss = run_measured(
        ["node", os.path.join(work, "ort.js"),
         os.path.join(work, f"{name}-opset17", "model.onnx"), str(t),
         str(a.repeat), str(MODELS[name][3])])
    return float(out), rss


def wafer_train(name, target, t):
    out, rss = run_measured(
        [os.path.join(bin_dir, "wafer-run"),
         os.path.join(work, f"{name}-{target}-train.wplan"), "--train",
         "--steps", str(a.steps), "--inputs",
         os.path.join(work, f"{name}-opset17", "test_data_set_0"),
         "--report=json", "--threads", str(t)])
    steady = json.loads(out)["step_seconds"][1:]
    return sorted(steady)[len(steady) // 2], rss


def torch_train(name, t):
    """PyTorch's best with t threads: its intra-op pool or the BLAS's
    threads given all t (both at once oversubscribe the cores)."""
    best = None
    for blas, intra in sorted({(t, 1), (1, t)}):
        code = MODEL_CODE.format(models=os.path.join(root, "models"),
                                 shape=MODELS[name], vocab=VOCAB) + \
            TORCH_STEP.format(threads=intra, steps=a.steps)
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas),
                   OMP_NUM_THREADS=str(intra))
        if os.path.exists(os.path.join(OPENBLAS, "libblas.so.3")):
            env["LD_LIBRARY_PATH"] = OPENBLAS
        out, rss = run_measured(["/usr/bin/python3", "-c", code], env)
        if best is None or float(out) < best[0]:
            best = (float(out), rss)
    return best


if "inference" in tables:
    subprocess.run(["npm", "install", "--silent", "--ignore-scripts",
                    "onnxruntime-node"], cwd=work, check=True,
                   capture_output=True)
    with open(os.path.join(work, "ort.js"), "w") as f:
        f.write(ORT_RUN)
trainable, runnable = set(), set()
for name in models:
    prepare(name)

# (table, model, target, threads) -> list of (ours, theirs, our MB, their MB)
results = {}
for _ in range(a.rounds):
    for name in models:
        for t in threads:
            for target in targets:
                if "inference" in tables and (name, target) in runnable:
                    ours = wafer_infer(name, target, t)
                    theirs = ort_infer(name, t)
                    results.setdefault(("inference", name, target, t),
                                       []).append((*ours[:1], theirs[0],
                                                   ours[1], theirs[1]))
                if (name, target) in trainable:
                    ours = wafer_train(name, target, t)
                    theirs = torch_train(name, t)
                    results.setdefault(("training", name, target, t),
                                       []).append((ours[0], theirs[0],
                                                   ours[1], theirs[1]))

for table, peer, unit in (("inference", "onnxruntime", "run"),
                          ("training", "pytorch", "step")):
    if table not in tables:
        continue
    print(f"\n{table}: wafer-run against {peer}, seconds per {unit} "
          f"(median of {a.rounds} interleaved rounds), ratio median "
          f"[min-max], peak memory ratio")
    print(f"{'model':9} {'target':6} {'thr':>3} {'wafer-run':>10} "
          f"{peer:>11} {'ratio':>6} {'range':>13} {'memory':>7}")
    for (kind, name, target, t), rows in results.items():
        if kind != table:
            continue
        ratios = [ours / theirs for ours, theirs, _, _ in rows]
        memory = max(r[2] for r in rows) / max(r[3] for r in rows)
        print(f"{name:9} {target:6} {t:3d} "
              f"{statistics.median(r[0] for r in rows):10.4f} "
              f"{statistics.median(r[1] for r in rows):11.4f} "
              f"{statistics.median(ratios):6.2f} "
              f"[{min(ratios):5.2f}-{max(ratios):5.2f}] {memory:7.2f}")
