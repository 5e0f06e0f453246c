// RUN: wafer-opt %s --wafer-decompose-conv --split-input-file | FileCheck %s

// A patch embedding (stride = kernel): a reshape and a transpose of the
// input, the weight reshaped in place, one product with the bias.
// CHECK-LABEL: func @patch_embedding
// CHECK: %[[W:.*]] = wafer.weight "patch.weight" at "model.data"[0, 3072] : tensor<16x48xf32>
// CHECK: %[[S:.*]] = wafer.reshape %arg0 : tensor<1x3x8x8xf32> -> tensor<1x3x2x4x2x4xf32>
// CHECK: %[[T:.*]] = wafer.transpose %[[S]] {permutation = array<i64: 0, 2, 4, 1, 3, 5>} : tensor<1x3x2x4x2x4xf32> -> tensor<1x2x2x3x4x4xf32>
// CHECK: %[[P:.*]] = wafer.reshape %[[T]] : tensor<1x2x2x3x4x4xf32> -> tensor<1x4x48xf32>
// CHECK: %[[Y:.*]] = wafer.matmul %[[P]], %[[W]], %arg1 {transpose_rhs} : tensor<1x4x48xf32>, tensor<16x48xf32>, tensor<16xf32> -> tensor<1x4x16xf32>
// CHECK: %[[C:.*]] = wafer.transpose %[[Y]] {permutation = array<i64: 0, 2, 1>} : tensor<1x4x16xf32> -> tensor<1x16x4xf32>
// CHECK: %[[R:.*]] = wafer.reshape %[[C]] : tensor<1x16x4xf32> -> tensor<1x16x2x2xf32>
// CHECK: return %[[R]]
// CHECK-NOT: wafer.conv
func.func @patch_embedding(%x: tensor<1x3x8x8xf32>, %b: tensor<16xf32>) -> tensor<1x16x2x2xf32> {
  %w = wafer.weight "patch.weight" at "model.data"[0, 3072] : tensor<16x3x4x4xf32>
  %y = wafer.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 4, 4>} : tensor<1x3x8x8xf32>, tensor<16x3x4x4xf32>, tensor<16xf32> -> tensor<1x16x2x2xf32>
  return %y : tensor<1x16x2x2xf32>
}

// -----

// Patches that do not reach the end of the input: the rest is sliced off.
// CHECK-LABEL: func @patches_with_a_remainder
// CHECK: wafer.slice %arg0 {offsets = array<i64: 0, 0, 0>, strides = array<i64: 1, 1, 1>} : tensor<2x4x10xf32> -> tensor<2x4x9xf32>
// CHECK: wafer.reshape %{{.*}} : tensor<2x4x9xf32> -> tensor<2x4x3x3xf32>
// CHECK: wafer.transpose %{{.*}} {permutation = array<i64: 0, 2, 1, 3>}
// CHECK: %[[F:.*]] = wafer.reshape %arg1 : tensor<8x4x3xf32> -> tensor<8x12xf32>
// CHECK: wafer.matmul %{{.*}}, %[[F]] {transpose_rhs} : tensor<2x3x12xf32>, tensor<8x12xf32> -> tensor<2x3x8xf32>
func.func @patches_with_a_remainder(%x: tensor<2x4x10xf32>, %w: tensor<8x4x3xf32>) -> tensor<2x8x3xf32> {
  %y = wafer.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 3>} : tensor<2x4x10xf32>, tensor<8x4x3xf32> -> tensor<2x8x3xf32>
  return %y : tensor<2x8x3xf32>
}

// -----

// Padding, stride 2 and a 3-tap kernel: zeros either side, one strided
// slice per tap, stacked as [N, C, K, O]; a filter held as an argument is
// reshaped by an op.
// CHECK-LABEL: func @padded_strided
// CHECK: %[[Z:.*]] = wafer.constant dense<0.000000e+00> : tensor<2x4x1xf32>
// CHECK: %[[PAD:.*]] = wafer.concat %[[Z]], %arg0, %[[Z]] {axis = 2 : i64} : tensor<2x4x1xf32>, tensor<2x4x8xf32>, tensor<2x4x1xf32> -> tensor<2x4x10xf32>
// CHECK: wafer.slice %[[PAD]] {offsets = array<i64: 0, 0, 0>, strides = array<i64: 1, 1, 2>} : tensor<2x4x10xf32> -> tensor<2x4x4xf32>
// CHECK: wafer.slice %[[PAD]] {offsets = array<i64: 0, 0, 1>, strides = array<i64: 1, 1, 2>}
// CHECK: wafer.slice %[[PAD]] {offsets = array<i64: 0, 0, 2>, strides = array<i64: 1, 1, 2>}
// CHECK: %[[K:.*]] = wafer.concat {{.*}} {axis = 2 : i64} : tensor<2x4x1x4xf32>, tensor<2x4x1x4xf32>, tensor<2x4x1x4xf32> -> tensor<2x4x3x4xf32>
// CHECK: wafer.transpose %[[K]] {permutation = array<i64: 0, 3, 1, 2>} : tensor<2x4x3x4xf32> -> tensor<2x4x4x3xf32>
// CHECK: %[[F:.*]] = wafer.reshape %arg1 : tensor<6x4x3xf32> -> tensor<6x12xf32>
// CHECK: wafer.matmul %{{.*}}, %[[F]] {transpose_rhs} : tensor<2x4x12xf32>, tensor<6x12xf32> -> tensor<2x4x6xf32>
func.func @padded_strided(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>) -> tensor<2x6x4xf32> {
  %y = wafer.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 1, 1>, strides = array<i64: 2>} : tensor<2x4x8xf32>, tensor<6x4x3xf32> -> tensor<2x6x4xf32>
  return %y : tensor<2x6x4xf32>
}

// -----

// Two groups: a product per group on its slice of the patches and of the
// filter, joined along the channels.
// CHECK-LABEL: func @grouped
// CHECK: wafer.slice %{{.*}} {offsets = array<i64: 0, 0, 0>, strides = array<i64: 1, 1, 1>} : tensor<1x6x8xf32> -> tensor<1x6x4xf32>
// CHECK: wafer.slice %{{.*}} {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<4x4xf32> -> tensor<2x4xf32>
// CHECK: wafer.slice %arg2 {offsets = array<i64: 0>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<2xf32>
// CHECK: wafer.matmul {{.*}} : tensor<1x6x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<1x6x2xf32>
// CHECK: wafer.slice %{{.*}} {offsets = array<i64: 0, 0, 4>, strides = array<i64: 1, 1, 1>} : tensor<1x6x8xf32> -> tensor<1x6x4xf32>
// CHECK: wafer.slice %{{.*}} {offsets = array<i64: 2, 0>, strides = array<i64: 1, 1>} : tensor<4x4xf32> -> tensor<2x4xf32>
// CHECK: wafer.matmul
// CHECK: wafer.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : tensor<1x6x2xf32>, tensor<1x6x2xf32> -> tensor<1x6x4xf32>
func.func @grouped(%x: tensor<1x4x7xf32>, %w: tensor<4x2x2xf32>, %b: tensor<4xf32>) -> tensor<1x4x6xf32> {
  %y = wafer.conv %x, %w, %b {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : tensor<1x4x7xf32>, tensor<4x2x2xf32>, tensor<4xf32> -> tensor<1x4x6xf32>
  return %y : tensor<1x4x6xf32>
}
