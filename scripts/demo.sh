#!/usr/bin/env bash
# Installs what is missing, builds wafer and runs its main job: compile the
# bundled small GPT (models/gpt-opset17, exported from PyTorch by
# models/export_models.py) for WSE-3, then run the plan in the emulator and
# check it against PyTorch's own outputs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WAFER_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" wafer-compile wafer-run

model="$root/models/gpt-opset17"
plan=$(mktemp --suffix=.wplan)
trap 'rm -f "$plan"' EXIT
echo "== wafer-compile: ONNX -> kernels -> layers -> placement -> routes -> plan"
"$build/bin/wafer-compile" "$model/model.onnx" --target=wse3 --report=text \
  -o "$plan"
echo
echo "== wafer-run: the plan in the emulator, against PyTorch's outputs"
"$build/bin/wafer-run" "$plan" --inputs "$model/test_data_set_0" --compare
