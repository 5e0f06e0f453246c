// Installs wafer, builds a downstream project against the installed tree with
// find_package(Wafer), and runs its tool on wafer IR. (Not on the sanitizer
// build: its libraries need the sanitizer runtimes in every client.)
// UNSUPPORTED: sanitize
// RUN: rm -rf %t && mkdir -p %t
// RUN: %cmake --install %wafer_obj_root --prefix %t/prefix > %t/install.log
// RUN: %cmake -G %cmake_generator -S %wafer_src_root/test/downstream -B %t/build \
// RUN:   -DCMAKE_CXX_COMPILER=%cxx -DCMAKE_PREFIX_PATH=%t/prefix \
// RUN:   -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=gold > %t/configure.log
// RUN: %cmake --build %t/build > %t/build.log
// RUN: %t/build/downstream-opt %s --wafer-attach-target="target=wse2" | FileCheck %s

// CHECK: module attributes {wafer.target = #wafer.target<name = "wse2"
// CHECK-LABEL: func @gelu
// CHECK: wafer.gelu
func.func @gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = wafer.gelu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
