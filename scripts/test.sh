#!/usr/bin/env bash
# Installs what is missing, builds wafer and runs every test: the lit suite
# (FileCheck, diagnostics, end-to-end) and the GoogleTest unit tests, which
# lit runs too. Ends with the line "N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WAFER_BUILD_DIR:-$root/build}
"$root/scripts/build.sh"

set +e
/usr/lib/llvm-22/bin/lit -sv "$build/test" "$build/test/Unit" 2>&1 | tee "$build/lit.log"
status=${PIPESTATUS[0]}
set -e

count() { sed -n "s/^ *$1: *\([0-9]*\).*/\1/p" "$build/lit.log" | tail -n 1; }
passed=$(( $(count Passed || true) + 0 ))
failed=0
for kind in Failed Unresolved "Unexpectedly Passed" "Timed Out"; do
  failed=$(( failed + $(count "$kind" || true) + 0 ))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # lit itself failed before it could count.
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
