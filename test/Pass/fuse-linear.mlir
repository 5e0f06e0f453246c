// RUN: wafer-opt %s --wafer-fuse-kernels="families=linear" --split-input-file | FileCheck %s

// CHECK-LABEL: func @linear
// CHECK-NEXT: %[[Y:.*]] = wafer.matmul %arg0, %arg1, %arg2 : tensor<2x16x64xf32>, tensor<64x192xf32>, tensor<192xf32> -> tensor<2x16x192xf32>
// CHECK-NEXT: return %[[Y]]
func.func @linear(%x: tensor<2x16x64xf32>, %w: tensor<64x192xf32>, %b: tensor<192xf32>) -> tensor<2x16x192xf32> {
  %0 = wafer.matmul %x, %w : tensor<2x16x64xf32>, tensor<64x192xf32> -> tensor<2x16x192xf32>
  %1 = wafer.add %b, %0 : tensor<192xf32>, tensor<2x16x192xf32> -> tensor<2x16x192xf32>
  return %1 : tensor<2x16x192xf32>
}

// -----

// A bias of shape 1x1xN is reshaped to N.
// CHECK-LABEL: func @linear_bias_rank3
// CHECK: %[[B:.*]] = wafer.reshape %arg2 : tensor<1x1x8xf32> -> tensor<8xf32>
// CHECK: wafer.matmul %arg0, %arg1, %[[B]] {transpose_rhs}
func.func @linear_bias_rank3(%x: tensor<2x4x16xf32>, %w: tensor<8x16xf32>, %b: tensor<1x1x8xf32>) -> tensor<2x4x8xf32> {
  %0 = wafer.matmul %x, %w {transpose_rhs} : tensor<2x4x16xf32>, tensor<8x16xf32> -> tensor<2x4x8xf32>
  %1 = wafer.add %0, %b : tensor<2x4x8xf32>, tensor<1x1x8xf32> -> tensor<2x4x8xf32>
  return %1 : tensor<2x4x8xf32>
}

// -----

// A residual (full-shape) addition is not a bias.
// CHECK-LABEL: func @residual
// CHECK: wafer.matmul %arg0, %arg1 :
// CHECK: wafer.add
func.func @residual(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
  %0 = wafer.matmul %x, %w : tensor<4x16xf32>, tensor<16x16xf32> -> tensor<4x16xf32>
  %1 = wafer.add %0, %x : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}
