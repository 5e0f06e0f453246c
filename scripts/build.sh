#!/usr/bin/env bash
# Installs what is missing, then configures (once) and builds wafer in build/.
# Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"

build=${WAFER_BUILD_DIR:-$root/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DLLVM_USE_LINKER=gold \
    -DWAFER_RUNTIME_NATIVE=ON \
    -DCMAKE_INSTALL_PREFIX="$build/install" >/dev/null
fi
# Keep the build quiet unless it fails.
if ! log=$(ninja -C "$build" "$@" 2>&1); then
  echo "$log" | tail -n 60
  echo "build: failed" >&2
  exit 1
fi
