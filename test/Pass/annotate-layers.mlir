// RUN: wafer-opt %s --split-input-file --wafer-annotate-layers | FileCheck %s
// Layers are formed once and recorded in the IR (`wafer.layer` on every op,
// `wafer.cost` on each layer's anchor); a recorded grouping is kept by every
// later analysis — annotation, placement, routing, the plan.

// An anchor starts a layer; the norm before it and the epilogue after it join.
// CHECK-LABEL: func.func @formed
func.func @formed(%x: tensor<8x32xf32>) -> tensor<8x64xf32> {
  %s = wafer.weight "ln.weight" at "model.bin"[0, 128] : tensor<32xf32>
  %w = wafer.weight "fc.weight" at "model.bin"[128, 8192] : tensor<32x64xf32>
  // CHECK: wafer.layer_norm {{.*}} {wafer.layer = "fc"}
  %n = wafer.layer_norm %x, %s : tensor<8x32xf32>, tensor<32xf32> -> tensor<8x32xf32> loc("ln")
  // CHECK: wafer.matmul {{.*}} {wafer.cost = {activation_in_bytes = 1024 : i64, activation_out_bytes = 2048 : i64, flops = {{.*}} : f64, kind = "linear", weight_bytes = 8320 : i64}, wafer.layer = "fc"}
  %h = wafer.matmul %n, %w : tensor<8x32xf32>, tensor<32x64xf32> -> tensor<8x64xf32> loc("fc")
  // CHECK: wafer.gelu {{.*}} {wafer.layer = "fc"}
  %g = wafer.gelu %h : tensor<8x64xf32> loc("act")
  return %g : tensor<8x64xf32>
}

// -----

// A grouping recorded in the IR is kept: here the norm has its own layer
// (a pass may form layers the analysis would not), and annotating again
// leaves it so.
// CHECK-LABEL: func.func @recorded
func.func @recorded(%x: tensor<8x32xf32>) -> tensor<8x64xf32> {
  %s = wafer.weight "ln.weight" at "model.bin"[0, 128] : tensor<32xf32>
  %w = wafer.weight "fc.weight" at "model.bin"[128, 8192] : tensor<32x64xf32>
  // CHECK: wafer.layer_norm {{.*}} {wafer.cost = {{{.*}}kind = "other"{{.*}}}, wafer.layer = "norm"}
  %n = wafer.layer_norm %x, %s {wafer.layer = "norm", wafer.cost = {kind = "other"}} : tensor<8x32xf32>, tensor<32xf32> -> tensor<8x32xf32> loc("ln")
  // CHECK: wafer.matmul {{.*}} {wafer.cost = {{{.*}}kind = "linear"{{.*}}}, wafer.layer = "fc"}
  %h = wafer.matmul %n, %w {wafer.layer = "fc", wafer.cost = {kind = "linear"}} : tensor<8x32xf32>, tensor<32x64xf32> -> tensor<8x64xf32> loc("fc")
  // CHECK: wafer.gelu {{.*}} {wafer.layer = "fc"}
  %g = wafer.gelu %h {wafer.layer = "fc"} : tensor<8x64xf32> loc("act")
  return %g : tensor<8x64xf32>
}

// -----

// An incomplete record (an op without its layer) is not kept: the layers are
// formed again.
// CHECK-LABEL: func.func @incomplete
func.func @incomplete(%x: tensor<8x32xf32>) -> tensor<8x64xf32> {
  %s = wafer.weight "ln.weight" at "model.bin"[0, 128] : tensor<32xf32>
  %w = wafer.weight "fc.weight" at "model.bin"[128, 8192] : tensor<32x64xf32>
  // CHECK: wafer.layer_norm {{.*}} {wafer.layer = "fc"}
  %n = wafer.layer_norm %x, %s {wafer.layer = "norm", wafer.cost = {kind = "other"}} : tensor<8x32xf32>, tensor<32xf32> -> tensor<8x32xf32> loc("ln")
  // CHECK: wafer.matmul {{.*}} wafer.layer = "fc"
  %h = wafer.matmul %n, %w : tensor<8x32xf32>, tensor<32x64xf32> -> tensor<8x64xf32> loc("fc")
  return %h : tensor<8x64xf32>
}
