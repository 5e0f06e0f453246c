#!/usr/bin/env bash
# Generates the shape-only 1T-parameter GPT (weights in a sparse external file
# that is never read) and measures wafer-translate --import-onnx on it: wall
# time and peak memory. Usage: benchmarks/import_1t.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 "$root/benchmarks/make_shape_only_gpt.py" "$work/gpt1t"
echo "model.onnx: $(stat -c %s "$work/gpt1t/model.onnx") bytes;" \
     "weights.bin: $(stat -c %s "$work/gpt1t/weights.bin") bytes apparent," \
     "$(du -k "$work/gpt1t/weights.bin" | cut -f1) KiB on disk"
/usr/bin/time -o "$work/time.txt" -f "import: %e s wall, %M KiB peak RSS" \
  "$build/bin/wafer-translate" --import-onnx "$work/gpt1t/model.onnx" \
  -o "$work/gpt1t.mlir"
cat "$work/time.txt"
echo "IR: $(stat -c %s "$work/gpt1t.mlir") bytes," \
     "$(grep -c 'wafer\.' "$work/gpt1t.mlir") wafer ops," \
     "$(grep -c 'wafer\.weight' "$work/gpt1t.mlir") weight references"
