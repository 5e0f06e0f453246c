#!/usr/bin/env bash
# Installs what is missing, builds wafer and runs every test:
#  1. the lit suite (FileCheck, diagnostics, end to end against PyTorch and
#     ONNX's own outputs) and the GoogleTest unit tests, which lit runs too;
#  2. the same suite on an ASan + UBSan build (skip with WAFER_NO_SANITIZE=1);
#  3. a short run of each libFuzzer target after replaying its regression
#     files (seconds per target: WAFER_FUZZ_SECONDS, default 60; 0 skips).
# Ends with the line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WAFER_BUILD_DIR:-$root/build}
sanitize_build=${WAFER_SANITIZE_BUILD_DIR:-$root/build-sanitize}
passed=0
failed=0

count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$2" | tail -n 1; }
run_lit() { # run_lit BUILD_DIR LOG
  /usr/lib/llvm-22/bin/lit -sv "$1/test" "$1/test/Unit" >"$2" 2>&1
  local status=$?
  grep -a -E "^(FAIL|UNRESOLVED|TIMEOUT):" "$2" || true
  local p f=0
  p=$(( $(count Passed "$2" || true) + 0 ))
  for kind in Failed Unresolved "Unexpectedly Passed" "Timed Out"; do
    f=$(( f + $(count "$kind" "$2" || true) + 0 ))
  done
  [ "$status" -ne 0 ] && [ "$f" -eq 0 ] && f=1 # lit failed before counting.
  echo "lit ($(basename "$1")): $p passed, $f failed"
  passed=$(( passed + p ))
  failed=$(( failed + f ))
}

if ! "$root/scripts/build.sh"; then
  echo "0 passed, 1 failed"
  exit 1
fi
run_lit "$build" "$build/lit.log"

if [ "${WAFER_NO_SANITIZE:-0}" != 1 ]; then
  if [ ! -f "$sanitize_build/build.ninja" ]; then
    # Without MPI: the suite then also checks wafer-run's one-process build
    # (the MPI tests need uninstrumented ranks and are not run here).
    cmake -G Ninja -S "$root" -B "$sanitize_build" -DCMAKE_BUILD_TYPE=Release \
      -DLLVM_USE_LINKER=gold -DWAFER_SANITIZE=ON -DWAFER_ENABLE_MPI=OFF >/dev/null
  fi
  if log=$(ninja -C "$sanitize_build" 2>&1); then
    # MLIR keeps its registries for the life of the process: leaks are not
    # ours to report. The prebuilt LLVM libraries are not instrumented, so
    # LLVM's own container poisoning gives false reports: it is off. Every
    # other error stops the test.
    ASAN_OPTIONS=detect_leaks=0:allow_user_poisoning=0:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_lit "$sanitize_build" "$sanitize_build/lit.log"
  else
    echo "$log" | tail -n 40
    echo "sanitizer build: failed"
    failed=$(( failed + 1 ))
  fi
fi

fuzz_seconds=${WAFER_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ]; then
  fuzz_log=$(mktemp)
  "$root/scripts/fuzz.sh" "$fuzz_seconds" | tee "$fuzz_log"
  p=$(grep -c "no crash" "$fuzz_log")
  f=$(grep -c -E "found a crash|fails on a regression" "$fuzz_log")
  [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1 # The fuzzers did not build.
  passed=$(( passed + p ))
  failed=$(( failed + f ))
  rm -f "$fuzz_log"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
