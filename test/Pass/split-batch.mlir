// RUN: wafer-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(wafer-split-batch))' --verify-diagnostics | FileCheck %s

// A batch of 4 rows in parts of 2: every value computed from the input
// along its rows takes 2; the mean over the batch combines as a mean.
// CHECK-LABEL: func.func @mean_loss
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>) -> (tensor<f32> {wafer.combine = "mean"})
// CHECK: wafer.matmul %[[X]], %{{.*}} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
// CHECK: wafer.reduce mean %{{.*}} {axes = array<i64: 0, 1>} : tensor<2x8xf32> -> tensor<f32>
module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 1, 1>}} {
  func.func @mean_loss(%x: tensor<4x8xf32>) -> tensor<f32> {
    %w = wafer.weight "w" at "m.bin"[0, 256] : tensor<8x8xf32>
    %y = wafer.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %l = wafer.reduce mean %y {axes = array<i64: 0, 1>} : tensor<4x8xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// Sequence-first attention layouts: the batch moves to axis 1, merges with
// the sequence (as its minor factor) for a row-wise product, and comes
// back to axis 0 for the result, which keeps its rows.
// CHECK-LABEL: func.func @sequence_first
// CHECK-SAME: (%{{.*}}: tensor<1x3x8xf32>) -> tensor<1x3x8xf32>
// CHECK: wafer.transpose %{{.*}} : tensor<1x3x8xf32> -> tensor<3x1x8xf32>
// CHECK: wafer.reshape %{{.*}} : tensor<3x1x8xf32> -> tensor<3x8xf32>
// CHECK: wafer.matmul %{{.*}} : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
// CHECK: wafer.reshape %{{.*}} : tensor<3x8xf32> -> tensor<3x1x8xf32>
// CHECK: wafer.transpose %{{.*}} : tensor<3x1x8xf32> -> tensor<1x3x8xf32>
module attributes {wafer.data_parallel = {batch = 2 : i64, part_rows = 1 : i64, wafer_parts = array<i64: 2>}} {
  func.func @sequence_first(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 256] : tensor<8x8xf32>
    %t = wafer.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<2x3x8xf32> -> tensor<3x2x8xf32>
    %r = wafer.reshape %t : tensor<3x2x8xf32> -> tensor<6x8xf32>
    %y = wafer.matmul %r, %w : tensor<6x8xf32>, tensor<8x8xf32> -> tensor<6x8xf32>
    %b = wafer.reshape %y : tensor<6x8xf32> -> tensor<3x2x8xf32>
    %o = wafer.transpose %b {permutation = array<i64: 1, 0, 2>} : tensor<3x2x8xf32> -> tensor<2x3x8xf32>
    return %o : tensor<2x3x8xf32>
  }
}

// -----

// Cross-entropy over the labels a mask keeps: a ratio of two sums over
// the batch. Its denominator leaves as another result, summed across
// parts, by which the parts' ratios are weighted.
// CHECK-LABEL: func.func @ratio_loss
// CHECK-SAME: -> (tensor<f32> {wafer.combine = "ratio", wafer.combine_weight = 1 : i64}, tensor<f32> {wafer.combine = "sum", wafer.name = "ratio_denominator_0"})
// CHECK: %[[NUM:.*]] = wafer.reduce sum %{{.*}} : tensor<2xf32> -> tensor<f32>
// CHECK: %[[DEN:.*]] = wafer.reduce sum %{{.*}} : tensor<2xf32> -> tensor<f32>
// CHECK: %[[LOSS:.*]] = wafer.div %[[NUM]], %[[DEN]]
// CHECK: return %[[LOSS]], %[[DEN]] : tensor<f32>, tensor<f32>
module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  func.func @ratio_loss(%x: tensor<4xf32>, %keep: tensor<4xf32>) -> tensor<f32> {
    %m = wafer.mul %x, %keep : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    %n = wafer.reduce sum %m {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
    %d = wafer.reduce sum %keep {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
    %l = wafer.div %n, %d : tensor<f32>, tensor<f32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  func.func @softmax_over_batch(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    // expected-error @+1 {{cannot cut the batch of 4 rows into parts at 'wafer.softmax': it normalises over the batch's axis}}
    %s = wafer.softmax %x {axis = 0 : i64} : tensor<4x8xf32>
    return %s : tensor<4x8xf32>
  }
}

// -----

module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  func.func @max_over_batch(%x: tensor<4x8xf32>) -> tensor<8xf32> {
    // expected-error @+1 {{it reduces over the batch's axis with max; only mean and sum combine across parts}}
    %m = wafer.reduce max %x {axes = array<i64: 0>} : tensor<4x8xf32> -> tensor<8xf32>
    return %m : tensor<8xf32>
  }
}

// -----

module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  func.func @not_linear(%x: tensor<4xf32>) -> tensor<f32> {
    %m = wafer.reduce mean %x {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
    // expected-error @+1 {{at 'wafer.exp': it is not linear in a value each part reduced over its own rows}}
    %e = wafer.exp %m : tensor<f32>
    return %e : tensor<f32>
  }
}

// -----

module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  func.func @slice_of_batch(%x: tensor<4x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{at 'wafer.slice': it slices the batch's axis}}
    %s = wafer.slice %x {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<2x8xf32>
    return %s : tensor<2x8xf32>
  }
}

// -----

module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  func.func @constant_as_large_as_the_batch(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
    %c = wafer.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
    // expected-error @+1 {{an operand of type 'tensor<4x2xf32>' does not come from the inputs but spans the batch's axis}}
    %y = wafer.add %x, %c : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
    return %y : tensor<4x2xf32>
  }
}

// -----

module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  // expected-error @+1 {{input 0 has shape 'tensor<3x8xf32>'; every input of a batch cut into parts has the batch of 4 rows on axis 0}}
  func.func @wrong_rows(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
    return %x : tensor<3x8xf32>
  }
}

// -----

module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 2 : i64, wafer_parts = array<i64: 2>}} {
  func.func @product_over_batch(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<8x8xf32> {
    // expected-error @+1 {{at 'wafer.matmul': the product contracts over the batch's axis}}
    %p = wafer.matmul %x, %y {transpose_lhs} : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<8x8xf32>
    return %p : tensor<8x8xf32>
  }
}

// -----

// expected-error @+1 {{'wafer.data_parallel': a batch of 4 rows does not cut into parts of 3 rows}}
module attributes {wafer.data_parallel = {batch = 4 : i64, part_rows = 3 : i64, wafer_parts = array<i64: 1>}} {
}
