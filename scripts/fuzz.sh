#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and fuzzes each for
# SECONDS (default 60), after replaying every regression file. A crash is
# written to fuzz/regressions/TARGET/ (commit it: it is replayed from then
# on) and fails the run.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(plan_fuzzer onnx_import_fuzzer mlir_parser_fuzzer)
build=${WAFER_FUZZ_BUILD_DIR:-$root/build-fuzz}
main_build=${WAFER_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release -DWAFER_BUILD_FUZZERS=ON \
    -DWAFER_BUILD_TESTS=OFF -DLLVM_USE_LINKER=gold >/dev/null
fi
if ! log=$(ninja -C "$build" "${targets[@]}" 2>&1); then
  echo "$log" | tail -n 40
  exit 1
fi

# Seeds: the checked-in models, hostile files and IR tests, and plans of the
# bundled models (when the main build is there).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plan" "$work/onnx" "$work/mlir"
cp "$root"/models/*/model.onnx "$work/onnx/" 2>/dev/null || true
for f in "$root"/models/*/model.onnx; do cp "$f" "$work/onnx/$(basename "$(dirname "$f")").onnx"; done
cp "$root"/test/Import/hostile/*.onnx "$root"/test/Import/*.onnxtext "$work/onnx/"
cp "$root"/test/Dialect/Wafer/*.mlir "$root"/test/Pass/*.mlir "$work/mlir/"
if [ -x "$main_build/bin/wafer-compile" ]; then
  for m in gpt-opset17 llama-opset17 bert-opset14; do
    "$main_build/bin/wafer-compile" "$root/models/$m/model.onnx" \
      --target=wse3:rows=8,cols=8 -o "$work/plan/$m.wplan"
    "$main_build/bin/wafer-compile" "$root/models/$m/model.onnx" \
      --mode=weight-streaming -o "$work/plan/$m-ws.json"
  done
fi

# LLVM's containers poison memory when built with ASan; the prebuilt LLVM
# and MLIR libraries are not, so their allocations look poisoned to our
# instrumented code. Manual poisoning is turned off; every other check stays.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0:detect_leaks=0}

status=0
for target in "${targets[@]}"; do
  case $target in
    plan_fuzzer) seeds=$work/plan ;;
    onnx_import_fuzzer) seeds=$work/onnx ;;
    mlir_parser_fuzzer) seeds=$work/mlir ;;
  esac
  regressions=$root/fuzz/regressions/$target
  mkdir -p "$regressions"
  if compgen -G "$regressions/*" >/dev/null; then
    "$build/bin/$target" "$regressions"/* >/dev/null 2>&1 || {
      echo "fuzz: $target fails on a regression file"; status=1; continue; }
  fi
  corpus=$work/corpus-$target
  mkdir -p "$corpus"
  if "$build/bin/$target" "$corpus" "$seeds" -max_total_time="$seconds" \
      -rss_limit_mb=4096 -timeout=30 -artifact_prefix="$regressions/" \
      -print_final_stats=1 >"$work/$target.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
    echo "fuzz: $target ran $runs inputs in ${seconds}s, no crash"
  else
    echo "fuzz: $target found a crash, saved in fuzz/regressions/$target/:"
    grep -m5 -E "ERROR|SUMMARY|runtime error" "$work/$target.log" || true
    status=1
  fi
done
exit $status
