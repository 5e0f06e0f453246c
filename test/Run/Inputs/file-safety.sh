#!/bin/bash
# The file-safety promises of docs/hardening.md, one check per line.
# Usage: file-safety.sh BIN_DIR MODEL_DIR WORK_DIR PYTHON
set -u
bin=$1 model=$2 work=$3 python=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

fail() { echo "BROKEN: $*"; exit 1; }
# No temporary file of the writer is left in the folder.
no_litter() { ! ls -a "${1:-.}" | grep -q '\.wafer-' || fail "litter: $(ls -a "${1:-.}")"; }

cp "$model/model.onnx" m.onnx
cp m.onnx m.keep

"$bin/wafer-compile" m.onnx -o m.onnx 2>err && fail "compile -o onto its model succeeded"
grep -q "an input of this run" err || fail "$(cat err)"
cmp -s m.onnx m.keep || fail "the model changed"
echo "compile -o onto its model: refused, model intact"

# A model with external data: its data file is an input too.
"$python" - <<'PY'
import onnx, onnx.external_data_helper as ext
m = onnx.load("m.onnx")
ext.convert_model_to_external_data(m, all_tensors_to_one_file=True,
                                   location="weights.bin", size_threshold=0)
onnx.save(m, "ext.onnx")
PY
cp weights.bin weights.keep
"$bin/wafer-compile" ext.onnx -o weights.bin 2>err && fail "compile -o onto its data succeeded"
grep -q "an input of this run" err || fail "$(cat err)"
cmp -s weights.bin weights.keep || fail "the data changed"
echo "compile -o onto its external data: refused, data intact"

"$bin/wafer-translate" --import-onnx m.onnx -o m.onnx 2>err && fail "wafer-translate -o onto its model succeeded"
cmp -s m.onnx m.keep || fail "the model changed"
"$bin/wafer-translate" --import-onnx m.onnx -o graph.mlir || fail "import failed"
cp graph.mlir graph.keep
"$bin/wafer-opt" graph.mlir -o=graph.mlir 2>err && fail "wafer-opt -o onto its input succeeded"
grep -q "an input of this run" err || fail "$(cat err)"
cmp -s graph.mlir graph.keep || fail "the IR changed"
echo "wafer-translate and wafer-opt -o onto their input: refused, input intact"

# wafer-opt writes its output whole, only when the run succeeds.
"$bin/wafer-opt" graph.mlir -o opt.mlir || fail "wafer-opt failed"
cp opt.mlir opt.keep
"$bin/wafer-opt" graph.mlir --pass-pipeline='builtin.module(wafer-compile-pipeline{target=wse9})' -o opt.mlir 2>err && fail "a failing pipeline succeeded"
cmp -s opt.mlir opt.keep || fail "a failing wafer-opt replaced its previous output"
no_litter
echo "failed wafer-opt: previous output intact, no temporary file"

cp graph.mlir translated.mlir
echo '<ir_version: 8, opset_import: ["" : 17]>
bad (float[4] X) => (float[4] Y) { Y = Round(X) }' > bad.onnxtext
"$bin/wafer-translate" --import-onnx bad.onnxtext -o translated.mlir 2>err && fail "a failing translation succeeded"
cmp -s translated.mlir graph.mlir || fail "a failing wafer-translate replaced its previous output"
"$bin/wafer-translate" --import-onnx m.onnx -o=translated.mlir || fail "wafer-translate failed"
cmp -s translated.mlir graph.mlir || fail "wafer-translate -o= wrote something else"
no_litter
echo "failed wafer-translate: previous output intact, no temporary file"

"$bin/wafer-compile" m.onnx -o p.wplan --placement-svg=p.wplan 2>err && fail "two outputs to one file succeeded"
grep -q "both write 'p.wplan'" err || fail "$(cat err)"
[ ! -e p.wplan ] || fail "p.wplan was written"
echo "two outputs to one file: refused"

echo victim > victim
ln -s victim link.wplan
"$bin/wafer-compile" m.onnx -o link.wplan || fail "compile through a link failed"
[ "$(cat victim)" = victim ] || fail "the link's target was written"
[ -f link.wplan ] && [ ! -L link.wplan ] || fail "link.wplan is not a file"
echo "output through a symbolic link: the link is replaced, its target intact"

# Temporary names are random and created exclusively: a link planted under
# every name of the old fixed pattern is never written through.
ln -s victim .planted.wplan.tmp
ln -s victim planted.wplan.tmp
"$bin/wafer-compile" m.onnx -o planted.wplan || fail "compile failed"
[ "$(cat victim)" = victim ] || fail "a planted link was followed"
no_litter
echo "planted temporary name: not followed"

"$bin/wafer-compile" m.onnx --mode=pipelined --target=wse3:rows=2,cols=2 \
  -o never.wplan --placement-svg=never.svg --report=json \
  --report-file=never.json 2>/dev/null && fail "the compile that cannot fit succeeded"
[ ! -e never.wplan ] && [ ! -e never.svg ] && [ ! -e never.json ] || fail "a failed compile wrote: $(ls)"
no_litter
echo "failed compile: no plan, no svg, no temporary file"

"$bin/wafer-compile" m.onnx -o p.wplan || fail "compile failed"
cp p.wplan p.keep
"$bin/wafer-run" p.wplan --timing-only --trace p.wplan 2>err && fail "--trace onto the plan succeeded"
cmp -s p.wplan p.keep || fail "the plan changed"
echo "run --trace onto its plan: refused, plan intact"

"$bin/wafer-run" p.wplan --timing-only --trace /dev/full 2>err && fail "--trace to /dev/full succeeded"
grep -q "No space left on device" err || fail "$(cat err)"
echo "run --trace to /dev/full: error"

"$bin/wafer-run" p.wplan --timing-only --trace missing/t.json 2>err && fail "--trace into a missing folder succeeded"
grep -q "missing/t.json" err || fail "$(cat err)"
echo "run --trace into a missing folder: error"

# The references are inputs of a --compare run, wherever --outputs points.
mkdir refs outs
cp "$model"/test_data_set_0/*.pb refs/
cp refs/output_0.pb ref.keep
ln refs/output_0.pb outs/output_0.pb
"$bin/wafer-run" p.wplan --weights-dir . --inputs refs --outputs outs --compare 2>err && fail "--outputs onto the references succeeded"
grep -q "an input of this run" err || fail "$(cat err)"
cmp -s refs/output_0.pb ref.keep || fail "the reference changed"
echo "run --outputs onto its reference outputs: refused, references intact"

rm outs/output_0.pb
ln -s ../victim outs/output_0.pb
"$bin/wafer-run" p.wplan --weights-dir . --inputs refs --outputs outs >/dev/null || fail "run failed"
[ "$(cat victim)" = victim ] || fail "the link's target was written"
[ -f outs/output_0.pb ] && [ ! -L outs/output_0.pb ] || fail "output_0.pb is not a file"
no_litter outs
echo "run --outputs through a symbolic link: the link is replaced, its target intact"

mkdir huge negative
"$python" - <<'PY'
from onnx import TensorProto, helper
def tensor(dims):
    t = helper.make_tensor("x", TensorProto.INT64, [3], [1, 2, 3])
    del t.dims[:]
    t.dims.extend(dims)
    return t
open("huge/input_0.pb", "wb").write(tensor([2**40]).SerializeToString())
negative = tensor([-1])
open("negative/input_0.pb", "wb").write(negative.SerializeToString())
PY
"$bin/wafer-run" p.wplan --inputs huge 2>err && fail "a 2^40-element input was accepted"
grep -q "more elements than its 3 values can hold" err || fail "$(cat err)"
echo "input tensor larger than its file: refused before allocating"
"$bin/wafer-run" p.wplan --inputs negative 2>err && fail "a negative dimension was accepted"
grep -q "negative dimension (-1)" err || fail "$(cat err)"
echo "input tensor with a negative dimension: refused"

# One writer succeeds, one fails (its model does not fit): the file is the
# successful one's, whatever the order they finish in.
for round in 1 2 3; do
  rm -f race.wplan
  "$bin/wafer-compile" m.onnx -o race.wplan &
  "$bin/wafer-compile" m.onnx --mode=pipelined --target=wse3:rows=2,cols=2 -o race.wplan 2>/dev/null &
  wait
  cmp -s race.wplan p.keep || fail "round $round: race.wplan is not the successful writer's plan"
done
no_litter
echo "concurrent writers: the file is the successful writer's"

# Writers killed at many moments: wherever the signal lands, no temporary
# file stays (the routed IR of a shape-only 1T GPT, 1.4 MB, is large enough
# to be caught while it is written).
"$python" "$model/../../benchmarks/make_shape_only_gpt.py" big >/dev/null || fail "no 1T model"
for delay in 0.1 0.15 0.2 0.25 0.3 0.35 0.4 0.45 0.5 0.55 0.6 0.8; do
  "$bin/wafer-compile" big/model.onnx --emit=routed -o killed.mlir &
  pid=$!
  sleep "$delay"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  kill_status=$?
  [ "$kill_status" = 0 ] || [ "$kill_status" = 143 ] || fail "killed writer ended with $kill_status"
  no_litter
  rm -f killed.mlir
done
echo "killed writers: no temporary file"

# A full disk (an 8 KiB tmpfs, where this user may mount one): the good file
# stays as it was and no temporary file remains.
mkdir small
if mount -t tmpfs -o size=8k tmpfs small 2>/dev/null; then
  echo good > small/out.mlir
  "$bin/wafer-compile" m.onnx --emit=routed -o small/out.mlir 2>err
  status=$?
  contents=$(cat small/out.mlir)
  litter=$(ls -a small | grep -c '\.wafer-')
  umount small
  [ "$status" = 1 ] || fail "the write to a full disk exited $status"
  grep -q "No space left on device" err || fail "$(cat err)"
  [ "$contents" = good ] || fail "the good file was replaced"
  [ "$litter" = 0 ] || fail "a temporary file stayed on the full disk"
  echo "full disk: good file intact, no temporary file"
else
  echo "full disk: skipped (this user cannot mount a tmpfs)"
fi

echo "all file-safety promises hold"
