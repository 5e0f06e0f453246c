// RUN: wafer-opt %s --wafer-fuse-kernels="families=norm" --split-input-file | FileCheck %s

// LayerNorm as PyTorch exports it below opset 17 (gpt-opset14).
// CHECK-LABEL: func @layer_norm_opset14
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x64xf32>, %[[G:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>)
// CHECK-NEXT: %[[Y:.*]] = wafer.layer_norm %[[X]], %[[G]], %[[B]] : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_opset14(%x: tensor<2x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %0 = wafer.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %1 = wafer.sub %x, %0 : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %2 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %3 = wafer.pow %1, %2 : tensor<2x16x64xf32>, tensor<f32> -> tensor<2x16x64xf32>
  %4 = wafer.reduce mean %3 {axes = array<i64: 2>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %5 = wafer.constant dense<9.99999974E-6> : tensor<f32>
  %6 = wafer.add %4, %5 : tensor<2x16x1xf32>, tensor<f32> -> tensor<2x16x1xf32>
  %7 = wafer.sqrt %6 : tensor<2x16x1xf32>
  %8 = wafer.div %1, %7 : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %9 = wafer.mul %8, %g : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  %10 = wafer.add %9, %b : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  return %10 : tensor<2x16x64xf32>
}

// -----

// Variance as c * c, no affine part: scale becomes ones.
// CHECK-LABEL: func @layer_norm_mul_square
// CHECK: %[[ONES:.*]] = wafer.constant dense<1.000000e+00> : tensor<64xf32>
// CHECK: wafer.layer_norm %arg0, %[[ONES]] : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
// CHECK-NOT: wafer.sqrt
func.func @layer_norm_mul_square(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %0 = wafer.reduce mean %x {axes = array<i64: -1>, keep_dims} : tensor<2x64xf32> -> tensor<2x1xf32>
  %1 = wafer.sub %x, %0 : tensor<2x64xf32>, tensor<2x1xf32> -> tensor<2x64xf32>
  %2 = wafer.mul %1, %1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  %3 = wafer.reduce mean %2 {axes = array<i64: -1>, keep_dims} : tensor<2x64xf32> -> tensor<2x1xf32>
  %5 = wafer.constant dense<9.99999974E-6> : tensor<f32>
  %6 = wafer.add %5, %3 : tensor<f32>, tensor<2x1xf32> -> tensor<2x1xf32>
  %7 = wafer.sqrt %6 : tensor<2x1xf32>
  %8 = wafer.div %1, %7 : tensor<2x64xf32>, tensor<2x1xf32> -> tensor<2x64xf32>
  return %8 : tensor<2x64xf32>
}

// -----

// RMSNorm as the Llama export spells it.
// CHECK-LABEL: func @rms_norm
// CHECK-NEXT: %[[Y:.*]] = wafer.rms_norm %arg0, %arg1 : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %17 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %18 = wafer.pow %x, %17 : tensor<2x16x64xf32>, tensor<f32> -> tensor<2x16x64xf32>
  %19 = wafer.reduce mean %18 {axes = array<i64: 2>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %20 = wafer.constant dense<9.99999997E-7> : tensor<f32>
  %21 = wafer.add %19, %20 : tensor<2x16x1xf32>, tensor<f32> -> tensor<2x16x1xf32>
  %22 = wafer.sqrt %21 : tensor<2x16x1xf32>
  %23 = wafer.div %x, %22 : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %25 = wafer.mul %23, %w : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  return %25 : tensor<2x16x64xf32>
}

// -----

// Not a LayerNorm: the mean is over another axis than the variance. What is
// left is an RMSNorm of the centred value, which is what gets fused.
// CHECK-LABEL: func @wrong_axes
// CHECK-NOT: wafer.layer_norm
// CHECK: %[[C:.*]] = wafer.sub %arg0
// CHECK: wafer.rms_norm %[[C]], %{{.*}} {epsilon = 9.99999974E-6 : f32}
func.func @wrong_axes(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = wafer.reduce mean %x {axes = array<i64: 0>, keep_dims} : tensor<4x64xf32> -> tensor<1x64xf32>
  %1 = wafer.sub %x, %0 : tensor<4x64xf32>, tensor<1x64xf32> -> tensor<4x64xf32>
  %2 = wafer.mul %1, %1 : tensor<4x64xf32>, tensor<4x64xf32> -> tensor<4x64xf32>
  %3 = wafer.reduce mean %2 {axes = array<i64: 1>, keep_dims} : tensor<4x64xf32> -> tensor<4x1xf32>
  %5 = wafer.constant dense<1.0e-5> : tensor<f32>
  %6 = wafer.add %3, %5 : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %7 = wafer.sqrt %6 : tensor<4x1xf32>
  %8 = wafer.div %1, %7 : tensor<4x64xf32>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %8 : tensor<4x64xf32>
}
