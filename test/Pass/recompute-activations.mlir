// RUN: wafer-opt %s --split-input-file --wafer-recompute-activations | FileCheck %s

// Two segments cut where only %r (the narrowest point) is live: the first
// segment's %h, read by the backward pass, is recomputed there from the
// checkpoint %x; %r, which crosses the cut, stays.
// CHECK-LABEL: func.func @two_segments
// CHECK: %[[H:.*]] = wafer.relu %arg0 : tensor<4x8xf32>
// CHECK: %[[R:.*]] = wafer.reduce sum %[[H]]
// CHECK: %[[E:.*]] = wafer.exp %[[R]]
// CHECK: %[[L:.*]] = wafer.reduce sum %[[E]]
// CHECK: %[[H2:.*]] = wafer.relu %arg0 {wafer.backward} : tensor<4x8xf32>
// CHECK: wafer.mul %{{.*}}, %[[H2]] {wafer.backward}
// CHECK: wafer.mul %{{.*}}, %[[E]] {wafer.backward}
func.func @two_segments(%x: tensor<4x8xf32>, %d: tensor<4x8xf32>, %g: tensor<4xf32>) -> (tensor<f32>, tensor<4x8xf32>, tensor<4xf32>) {
  %h = wafer.relu %x : tensor<4x8xf32>
  %r = wafer.reduce sum %h {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4xf32>
  %e = wafer.exp %r : tensor<4xf32>
  %l = wafer.reduce sum %e {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  %b1 = wafer.mul %d, %h {wafer.backward} : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %b2 = wafer.mul %g, %e {wafer.backward} : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %l, %b1, %b2 : tensor<f32>, tensor<4x8xf32>, tensor<4xf32>
}
