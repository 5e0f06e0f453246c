// RUN: wafer-opt %s --split-input-file | wafer-opt --split-input-file | FileCheck %s
// Round-trips every graph-level op through the printer and the parser.

// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<f32>, tensor<128x128xf32>, tensor<8xi64>) {
  // CHECK: wafer.constant dense<9.99999974E-6> : tensor<f32>
  %c = wafer.constant dense<1.0e-05> : tensor<f32>
  // CHECK: wafer.weight "h.0.mlp.fc.weight" at "model.data"[4096, 65536] : tensor<128x128xf32>
  %w = wafer.weight "h.0.mlp.fc.weight" at "model.data"[4096, 65536] : tensor<128x128xf32>
  // CHECK: wafer.iota {dimension = 0 : i64} : tensor<8xi64>
  %i = wafer.iota {dimension = 0 : i64} : tensor<8xi64>
  return %c, %w, %i : tensor<f32>, tensor<128x128xf32>, tensor<8xi64>
}

// -----

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<4xf32>, %m: tensor<4xi1>) -> tensor<4xi1> {
  // CHECK: wafer.neg %{{.*}} : tensor<4xf32>
  %0 = wafer.neg %x : tensor<4xf32>
  // CHECK: wafer.abs
  %1 = wafer.abs %0 : tensor<4xf32>
  // CHECK: wafer.exp
  %2 = wafer.exp %1 : tensor<4xf32>
  // CHECK: wafer.log
  %3 = wafer.log %2 : tensor<4xf32>
  // CHECK: wafer.sqrt
  %4 = wafer.sqrt %3 : tensor<4xf32>
  // CHECK: wafer.rsqrt
  %5 = wafer.rsqrt %4 : tensor<4xf32>
  // CHECK: wafer.reciprocal
  %6 = wafer.reciprocal %5 : tensor<4xf32>
  // CHECK: wafer.tanh
  %7 = wafer.tanh %6 : tensor<4xf32>
  // CHECK: wafer.sigmoid
  %8 = wafer.sigmoid %7 : tensor<4xf32>
  // CHECK: wafer.erf
  %9 = wafer.erf %8 : tensor<4xf32>
  // CHECK: wafer.relu
  %10 = wafer.relu %9 : tensor<4xf32>
  // CHECK: wafer.silu
  %11 = wafer.silu %10 : tensor<4xf32>
  // CHECK: wafer.gelu %{{.*}} : tensor<4xf32>
  %12 = wafer.gelu %11 : tensor<4xf32>
  // CHECK: wafer.gelu %{{.*}} {approximation = #wafer<gelu_approximation tanh>} : tensor<4xf32>
  %13 = wafer.gelu %12 {approximation = #wafer<gelu_approximation tanh>} : tensor<4xf32>
  // CHECK: wafer.not %{{.*}} : tensor<4xi1>
  %14 = wafer.not %m : tensor<4xi1>
  return %14 : tensor<4xi1>
}

// -----

// CHECK-LABEL: func @trigonometry
func.func @trigonometry(%angles: tensor<16x32xf32>) -> tensor<16x32xf32> {
  // CHECK: wafer.sin %{{.*}} : tensor<16x32xf32>
  %0 = wafer.sin %angles : tensor<16x32xf32>
  // CHECK: wafer.cos %{{.*}} : tensor<16x32xf32>
  %1 = wafer.cos %0 : tensor<16x32xf32>
  return %1 : tensor<16x32xf32>
}

// -----

// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<2x1x64xf32>, %b: tensor<8x64xf32>,
                  %p: tensor<4xi1>, %q: tensor<4xi1>) -> tensor<2x8x64xf32> {
  // CHECK: wafer.add %{{.*}}, %{{.*}} : tensor<2x1x64xf32>, tensor<8x64xf32> -> tensor<2x8x64xf32>
  %0 = wafer.add %a, %b : tensor<2x1x64xf32>, tensor<8x64xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.sub
  %1 = wafer.sub %0, %b : tensor<2x8x64xf32>, tensor<8x64xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.mul
  %2 = wafer.mul %1, %a : tensor<2x8x64xf32>, tensor<2x1x64xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.div
  %3 = wafer.div %2, %a : tensor<2x8x64xf32>, tensor<2x1x64xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.pow
  %4 = wafer.pow %3, %a : tensor<2x8x64xf32>, tensor<2x1x64xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.max
  %5 = wafer.max %4, %b : tensor<2x8x64xf32>, tensor<8x64xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.min
  %6 = wafer.min %5, %b : tensor<2x8x64xf32>, tensor<8x64xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.and
  %7 = wafer.and %p, %q : tensor<4xi1>, tensor<4xi1> -> tensor<4xi1>
  // CHECK: wafer.or
  %8 = wafer.or %7, %q : tensor<4xi1>, tensor<4xi1> -> tensor<4xi1>
  return %6 : tensor<2x8x64xf32>
}

// -----

// CHECK-LABEL: func @compare_select_cast
func.func @compare_select_cast(%a: tensor<4x4xi64>, %b: tensor<4x1xi64>,
                               %s: tensor<2x4x4xf32>) -> tensor<2x4x4xf16> {
  // CHECK: wafer.compare lt, %{{.*}}, %{{.*}} : tensor<4x4xi64>, tensor<4x1xi64> -> tensor<4x4xi1>
  %m = wafer.compare lt, %a, %b : tensor<4x4xi64>, tensor<4x1xi64> -> tensor<4x4xi1>
  %inf = wafer.constant dense<0xFF800000> : tensor<f32>
  // CHECK: wafer.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x4xi1>, tensor<2x4x4xf32>, tensor<f32> -> tensor<2x4x4xf32>
  %y = wafer.select %m, %s, %inf : tensor<4x4xi1>, tensor<2x4x4xf32>, tensor<f32> -> tensor<2x4x4xf32>
  // CHECK: wafer.cast %{{.*}} : tensor<2x4x4xf32> to tensor<2x4x4xf16>
  %h = wafer.cast %y : tensor<2x4x4xf32> to tensor<2x4x4xf16>
  return %h : tensor<2x4x4xf16>
}

// -----

// CHECK-LABEL: func @matmul
func.func @matmul(%x: tensor<2x16x64xf32>, %w: tensor<256x64xf32>,
                  %b: tensor<256xf32>, %k: tensor<2x64x16xf32>)
    -> (tensor<2x16x256xf32>, tensor<2x16x16xf32>) {
  // CHECK: wafer.matmul %{{.*}}, %{{.*}}, %{{.*}} {transpose_rhs} : tensor<2x16x64xf32>, tensor<256x64xf32>, tensor<256xf32> -> tensor<2x16x256xf32>
  %0 = wafer.matmul %x, %w, %b {transpose_rhs} : tensor<2x16x64xf32>, tensor<256x64xf32>, tensor<256xf32> -> tensor<2x16x256xf32>
  // CHECK: wafer.matmul %{{.*}}, %{{.*}} : tensor<2x16x64xf32>, tensor<2x64x16xf32> -> tensor<2x16x16xf32>
  %1 = wafer.matmul %x, %k : tensor<2x16x64xf32>, tensor<2x64x16xf32> -> tensor<2x16x16xf32>
  // CHECK: wafer.matmul %{{.*}}, %{{.*}} {transpose_lhs, transpose_rhs} : tensor<2x64x16xf32>, tensor<2x16x64xf32> -> tensor<2x16x16xf32>
  %2 = wafer.matmul %k, %x {transpose_lhs, transpose_rhs} : tensor<2x64x16xf32>, tensor<2x16x64xf32> -> tensor<2x16x16xf32>
  return %0, %2 : tensor<2x16x256xf32>, tensor<2x16x16xf32>
}

// -----

// CHECK-LABEL: func @norms
func.func @norms(%x: tensor<2x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>)
    -> tensor<2x16x64xf32> {
  // CHECK: wafer.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  %0 = wafer.layer_norm %x, %g, %b {axis = -1 : i64, epsilon = 1.0e-05 : f32} : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  // CHECK: wafer.layer_norm %{{.*}}, %{{.*}} {axis = 2 : i64} : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  %1 = wafer.layer_norm %0, %g {axis = 2 : i64} : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  // CHECK: wafer.rms_norm %{{.*}}, %{{.*}} : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  %2 = wafer.rms_norm %1, %g : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  // CHECK: wafer.softmax %{{.*}} : tensor<2x16x64xf32>
  %3 = wafer.softmax %2 {axis = -1 : i64} : tensor<2x16x64xf32>
  // CHECK: wafer.log_softmax %{{.*}} {axis = 1 : i64} : tensor<2x16x64xf32>
  %4 = wafer.log_softmax %3 {axis = 1 : i64} : tensor<2x16x64xf32>
  return %4 : tensor<2x16x64xf32>
}

// -----

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<2x8x64xf32>, %k: tensor<2x8x32xf32>,
                     %v: tensor<2x8x32xf32>, %mask: tensor<1x1x8x8xf32>)
    -> tensor<2x8x64xf32> {
  // CHECK: wafer.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32> -> tensor<2x8x64xf32>
  %0 = wafer.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32, causal} : tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32> -> tensor<2x8x64xf32>
  // CHECK: wafer.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<1x1x8x8xf32> -> tensor<2x8x64xf32>
  %1 = wafer.attention %0, %k, %v, %mask {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32} : tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<1x1x8x8xf32> -> tensor<2x8x64xf32>
  return %1 : tensor<2x8x64xf32>
}

// -----

// CHECK-LABEL: func @reduce
func.func @reduce(%x: tensor<2x16x64xf32>) -> (tensor<2x16x1xf32>, tensor<16xf32>) {
  // CHECK: wafer.reduce mean %{{.*}} {axes = array<i64: -1>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %0 = wafer.reduce mean %x {axes = array<i64: -1>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  // CHECK: wafer.reduce sum %{{.*}} {axes = array<i64: 0, 2>} : tensor<2x16x64xf32> -> tensor<16xf32>
  %1 = wafer.reduce sum %x {axes = array<i64: 0, 2>} : tensor<2x16x64xf32> -> tensor<16xf32>
  // CHECK: wafer.reduce max
  %2 = wafer.reduce max %x {axes = array<i64: 0, 2>} : tensor<2x16x64xf32> -> tensor<16xf32>
  // CHECK: wafer.reduce min
  %3 = wafer.reduce min %x {axes = array<i64: 0, 2>} : tensor<2x16x64xf32> -> tensor<16xf32>
  // CHECK: wafer.reduce prod
  %4 = wafer.reduce prod %x {axes = array<i64: 0, 2>} : tensor<2x16x64xf32> -> tensor<16xf32>
  return %0, %4 : tensor<2x16x1xf32>, tensor<16xf32>
}

// -----

// CHECK-LABEL: func @data_movement
func.func @data_movement(%x: tensor<2x8x64xf32>, %t: tensor<100x64xf32>,
                         %ids: tensor<2x8xi64>) -> tensor<2x8x64xf32> {
  // CHECK: wafer.reshape %{{.*}} : tensor<2x8x64xf32> -> tensor<2x8x4x16xf32>
  %0 = wafer.reshape %x : tensor<2x8x64xf32> -> tensor<2x8x4x16xf32>
  // CHECK: wafer.transpose %{{.*}} {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x8x4x16xf32> -> tensor<2x4x8x16xf32>
  %1 = wafer.transpose %0 {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x8x4x16xf32> -> tensor<2x4x8x16xf32>
  // CHECK: wafer.slice %{{.*}} {offsets = array<i64: 0, 0, 0, 8>, strides = array<i64: 1, 1, 1, 1>} : tensor<2x4x8x16xf32> -> tensor<2x4x8x8xf32>
  %2 = wafer.slice %1 {offsets = array<i64: 0, 0, 0, 8>, strides = array<i64: 1, 1, 1, 1>} : tensor<2x4x8x16xf32> -> tensor<2x4x8x8xf32>
  // CHECK: wafer.concat %{{.*}}, %{{.*}} {axis = 3 : i64} : tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x16xf32>
  %3 = wafer.concat %2, %2 {axis = 3 : i64} : tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x16xf32>
  // CHECK: wafer.split %{{.*}} {axis = 1 : i64} : tensor<2x4x8x16xf32> -> tensor<2x1x8x16xf32>, tensor<2x3x8x16xf32>
  %4:2 = wafer.split %3 {axis = 1 : i64} : tensor<2x4x8x16xf32> -> tensor<2x1x8x16xf32>, tensor<2x3x8x16xf32>
  // CHECK: wafer.broadcast %{{.*}} : tensor<2x1x8x16xf32> -> tensor<2x4x8x16xf32>
  %5 = wafer.broadcast %4#0 : tensor<2x1x8x16xf32> -> tensor<2x4x8x16xf32>
  // CHECK: wafer.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : tensor<100x64xf32>, tensor<2x8xi64> -> tensor<2x8x64xf32>
  %6 = wafer.gather %t, %ids {axis = 0 : i64} : tensor<100x64xf32>, tensor<2x8xi64> -> tensor<2x8x64xf32>
  return %6 : tensor<2x8x64xf32>
}

// -----

// CHECK-LABEL: func @conv
// CHECK: wafer.conv %arg0, %arg1, %arg2 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 1>} : tensor<1x4x9x7xf32>, tensor<8x2x3x2xf32>, tensor<8xf32> -> tensor<1x8x5x6xf32>
// CHECK: wafer.conv %arg3, %{{.*}} {dilations = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : tensor<2x3x10xf32>, tensor<5x3x3xf32> -> tensor<2x5x6xf32>
func.func @conv(%x: tensor<1x4x9x7xf32>, %w: tensor<8x2x3x2xf32>, %b: tensor<8xf32>, %a: tensor<2x3x10xf32>, %k: tensor<5x3x3xf32>) -> (tensor<1x8x5x6xf32>, tensor<2x5x6xf32>) {
  %0 = wafer.conv %x, %w, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 1>} : tensor<1x4x9x7xf32>, tensor<8x2x3x2xf32>, tensor<8xf32> -> tensor<1x8x5x6xf32>
  %1 = wafer.conv %a, %k {dilations = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : tensor<2x3x10xf32>, tensor<5x3x3xf32> -> tensor<2x5x6xf32>
  return %0, %1 : tensor<1x8x5x6xf32>, tensor<2x5x6xf32>
}

