#!/usr/bin/env bash
# Installs what is missing, builds wafer and runs its main job on the bundled
# example: a GPT block at the wafer graph level, verified and attached to the
# WSE-3 target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WAFER_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" wafer-opt

"$build/bin/wafer-opt" "$root/examples/gpt-block.mlir" \
  --wafer-attach-target="target=wse3" --canonicalize
