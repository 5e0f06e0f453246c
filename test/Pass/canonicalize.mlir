// RUN: wafer-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func @transpose_into_matmul
// CHECK-SAME: (%[[A:.*]]: tensor<2x4x16x8xf32>, %[[B:.*]]: tensor<2x4x16x8xf32>)
// CHECK-NOT: wafer.transpose
// CHECK: wafer.matmul %[[A]], %[[B]] {transpose_rhs} : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x16x16xf32>
func.func @transpose_into_matmul(%a: tensor<2x4x16x8xf32>, %b: tensor<2x4x16x8xf32>) -> tensor<2x4x16x16xf32> {
  %t = wafer.transpose %b {permutation = array<i64: 0, 1, 3, 2>} : tensor<2x4x16x8xf32> -> tensor<2x4x8x16xf32>
  %0 = wafer.matmul %a, %t : tensor<2x4x16x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x16x16xf32>
  return %0 : tensor<2x4x16x16xf32>
}

// -----

// A head split fused with the K transpose ([0, 2, 3, 1]) keeps the head split.
// CHECK-LABEL: func @head_split_key
// CHECK: %[[K:.*]] = wafer.transpose %arg1 {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
// CHECK: wafer.matmul %arg0, %[[K]] {transpose_rhs}
func.func @head_split_key(%q: tensor<2x4x16x8xf32>, %k: tensor<2x16x4x8xf32>) -> tensor<2x4x16x16xf32> {
  %t = wafer.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : tensor<2x16x4x8xf32> -> tensor<2x4x8x16xf32>
  %0 = wafer.matmul %q, %t : tensor<2x4x16x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x16x16xf32>
  return %0 : tensor<2x4x16x16xf32>
}

// -----

// CHECK-LABEL: func @transpose_chains
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = wafer.transpose %[[X]] {permutation = array<i64: 2, 0, 1>}
// CHECK-NEXT: return %[[X]], %[[T]]
func.func @transpose_chains(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %0 = wafer.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = wafer.transpose %0 {permutation = array<i64: 1, 0, 2>} : tensor<3x2x4xf32> -> tensor<2x3x4xf32>
  %2 = wafer.transpose %0 {permutation = array<i64: 2, 1, 0>} : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  return %1, %2 : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func @reshape_chains
// CHECK-NEXT: %[[R:.*]] = wafer.reshape %arg0 : tensor<2x8xf32> -> tensor<16xf32>
// CHECK-NEXT: return %arg0, %[[R]]
func.func @reshape_chains(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<16xf32>) {
  %0 = wafer.reshape %x : tensor<2x8xf32> -> tensor<4x4xf32>
  %1 = wafer.reshape %0 : tensor<4x4xf32> -> tensor<2x8xf32>
  %2 = wafer.reshape %0 : tensor<4x4xf32> -> tensor<16xf32>
  return %1, %2 : tensor<2x8xf32>, tensor<16xf32>
}

// -----

// CHECK-LABEL: func @broadcast_splat
// CHECK-NEXT: %[[C:.*]] = wafer.constant dense<1.000000e+00> : tensor<8x16xf32>
// CHECK-NEXT: return %[[C]]
func.func @broadcast_splat() -> tensor<8x16xf32> {
  %c = wafer.constant dense<1.0> : tensor<1x16xf32>
  %0 = wafer.broadcast %c : tensor<1x16xf32> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

// CHECK-LABEL: func @identity_cast
// CHECK-NEXT: return %arg0
func.func @identity_cast(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = wafer.cast %x : tensor<4xf32> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Casts of constants fold.
// CHECK-LABEL: func @cast_constants
// CHECK-DAG: %[[A:.*]] = wafer.constant dense<[1.000000e+00, -2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-DAG: %[[B:.*]] = wafer.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-DAG: %[[C:.*]] = wafer.constant dense<-2> : tensor<8xi64>
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @cast_constants() -> (tensor<3xf32>, tensor<3xi1>, tensor<8xi64>) {
  %i = wafer.constant dense<[1, -2, 3]> : tensor<3xi64>
  %0 = wafer.cast %i : tensor<3xi64> to tensor<3xf32>
  %f = wafer.constant dense<[0.5, 0.0, -7.0]> : tensor<3xf32>
  %1 = wafer.cast %f : tensor<3xf32> to tensor<3xi1>
  %s = wafer.constant dense<-2.7> : tensor<8xf32>
  %2 = wafer.cast %s : tensor<8xf32> to tensor<8xi64>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xi1>, tensor<8xi64>
}
