#!/usr/bin/env bash
# Installs the Debian bookworm packages wafer needs to build and test.
# Idempotent and quiet when everything is already installed.
set -euo pipefail

packages=(
  # Toolchain.
  g++ cmake ninja-build ccache python3
  # LLVM/MLIR 22 (lit, FileCheck and not live in /usr/lib/llvm-22/bin).
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  # Libraries.
  libabsl-dev libonnx-dev libprotobuf-dev protobuf-compiler libgtest-dev
  libeigen3-dev
  # libFuzzer targets (scripts/fuzz.sh).
  clang-22 libclang-rt-22-dev
  # Data parallelism on several processes: mpirun -np N wafer-run.
  libopenmpi-dev openmpi-bin
  # Oracles for the end-to-end tests.
  libonnx-testdata python3-onnx python3-numpy
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or with sudo) to install them." >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
