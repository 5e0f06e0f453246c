// RUN: wafer-opt %s --split-input-file --wafer-autodiff --verify-diagnostics | FileCheck %s

// A product's weight gradient is a product of its own (x^T g), its bias's
// the gradient summed over the batch; the loss's seed is 1.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: -> (tensor<f32>, tensor<3x2xf32> {wafer.gradient_of = "w"}, tensor<2xf32> {wafer.gradient_of = "b"})
// CHECK: %[[SEED:.*]] = wafer.constant {wafer.backward} dense<1.000000e+00> : tensor<f32>
// CHECK: %[[G:.*]] = wafer.broadcast {{.*}} {wafer.backward} : tensor<1x1xf32> -> tensor<4x2xf32>
// CHECK: %[[GW:.*]] = wafer.matmul %arg0, %[[G]] {transpose_lhs, wafer.backward} : tensor<4x3xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// CHECK: %[[SUM:.*]] = wafer.reduce sum %[[G]] {axes = array<i64: 0>, keep_dims, wafer.backward}
// CHECK: %[[GB:.*]] = wafer.reshape %[[SUM]] {wafer.backward} : tensor<1x2xf32> -> tensor<2xf32>
// CHECK: return %{{.*}}, %[[GW]], %[[GB]]
func.func @linear(%x: tensor<4x3xf32>) -> tensor<f32> {
  %w = wafer.weight "w" at "m.bin"[0, 24] : tensor<3x2xf32>
  %b = wafer.weight "b" at "m.bin"[24, 8] : tensor<2xf32>
  %y = wafer.matmul %x, %w, %b : tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32> -> tensor<4x2xf32> loc("fc")
  %l = wafer.reduce sum %y {axes = array<i64: 0, 1>} : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A weight read twice takes the sum of both gradients; a frozen one none.
// CHECK-LABEL: func.func @shared
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32> {wafer.gradient_of = "w"})
// CHECK: %[[A:.*]] = wafer.mul
// CHECK: %[[B:.*]] = wafer.mul
// CHECK: %[[SUM:.*]] = wafer.add %{{.*}}, %{{.*}} {wafer.backward}
// CHECK: return %{{.*}}, %[[SUM]]
func.func @shared(%x: tensor<4xf32>) -> tensor<f32> {
  %w = wafer.weight "w" at "m.bin"[0, 16] : tensor<4xf32>
  %y = wafer.mul %w, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %l = wafer.reduce mean %y {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// An op on the path from a weight to the loss without a rule is named.
func.func @no_rule(%x: tensor<4xf32>) -> tensor<f32> {
  %w = wafer.weight "w" at "m.bin"[0, 16] : tensor<4xf32>
  %y = wafer.mul %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  // expected-error @+1 {{no gradient rule for a max reduction}}
  %l = wafer.reduce max %y {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{training needs the model's first output to be a scalar float loss; found 'tensor<4xf32>'}}
func.func @not_scalar(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = wafer.weight "w" at "m.bin"[0, 16] : tensor<4xf32>
  %y = wafer.mul %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @abs(%x: tensor<4xf32>) -> tensor<f32> {
  %w = wafer.weight "w" at "m.bin"[0, 16] : tensor<4xf32>
  %y = wafer.mul %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  // expected-error @+1 {{no backward rule for 'wafer.abs': the loss depends on a trained weight through it}}
  %z = wafer.abs %y : tensor<4xf32>
  %l = wafer.reduce sum %z {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
