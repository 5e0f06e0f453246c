#!/bin/bash
# Compiles MODEL_DIR's training step for TARGET and MODE with each optimizer
# PyTorch trained it with, trains 3 steps in wafer-run and compares with
# PyTorch (check_training.py). Usage:
#   train_and_check.sh BIN MODEL_DIR WORK PYTHON TARGET MODE [FLAGS...]
# (FLAGS go to wafer-compile; MODEL_FILE, default model.onnx, names the
# model in MODEL_DIR; WAFER_RUN, default BIN/wafer-run, the command that
# runs the plan, such as "mpirun -np 2 BIN/wafer-run".)
set -eu
bin=$1 model=$2 work=$3 python=$4 target=$5 mode=$6
shift 6
file=${MODEL_FILE:-model.onnx}
for optimizer in sgd adam adamw; do
  spec=$("$python" -c "import json, sys; print(json.load(open(sys.argv[1]))['optimizer'])" "$model/$optimizer/expected.json")
  freeze=$("$python" -c "import json, sys; print(','.join(json.load(open(sys.argv[1])).get('freeze', [])))" "$model/$optimizer/expected.json")
  plan="$work/$optimizer.wplan"
  "$bin/wafer-compile" "$model/$file" --train --optimizer="$spec" \
    ${freeze:+--freeze="$freeze"} --target="$target" --mode="$mode" "$@" \
    -o "$plan"
  ${WAFER_RUN:-"$bin/wafer-run"} "$plan" --train --steps 3 --inputs "$model/test_data_set_0" \
    --save-model "$work/$optimizer.onnx" --report=json > "$work/$optimizer.json"
  "$python" "$(dirname "$0")/check_training.py" "$model/$optimizer" \
    "$work/$optimizer.json" "$work/$optimizer.onnx" | sed "s/^/$optimizer: /"
done
