// RUN: wafer-opt %s --split-input-file --wafer-append-loss --verify-diagnostics | FileCheck %s

// Logits [B, S, V] become the mean token cross-entropy against a new
// int64 `labels` input [B, S].
// CHECK-LABEL: func.func @logits
// CHECK-SAME: (%[[IDS:.*]]: tensor<2x4xf32>, %[[LABELS:.*]]: tensor<2x3xi64> {wafer.name = "labels"}) -> (tensor<f32> {wafer.name = "loss"})
// CHECK: %[[LP:.*]] = wafer.log_softmax %{{.*}} : tensor<2x3x5xf32>
// CHECK: %[[CLASSES:.*]] = wafer.iota {dimension = 2 : i64} : tensor<1x1x5xi64>
// CHECK: %[[LABEL:.*]] = wafer.reshape %[[LABELS]] : tensor<2x3xi64> -> tensor<2x3x1xi64>
// CHECK: %[[HOT:.*]] = wafer.compare eq, %[[LABEL]], %[[CLASSES]]
// CHECK: %[[PICK:.*]] = wafer.select %[[HOT]], %[[LP]]
// CHECK: %[[NLL:.*]] = wafer.reduce sum %[[PICK]] {axes = array<i64: 2>} : tensor<2x3x5xf32> -> tensor<2x3xf32>
// CHECK: %[[MEAN:.*]] = wafer.reduce mean %[[NLL]] {axes = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<f32>
// CHECK: %[[LOSS:.*]] = wafer.neg %[[MEAN]]
// CHECK: return %[[LOSS]] : tensor<f32>
func.func @logits(%x: tensor<2x4xf32>) -> tensor<2x3x5xf32> {
  %w = wafer.weight "w" at "m.bin"[0, 80] : tensor<4x5xf32>
  %r = wafer.reshape %x : tensor<2x4xf32> -> tensor<2x1x4xf32>
  %b = wafer.broadcast %r : tensor<2x1x4xf32> -> tensor<2x3x4xf32>
  %y = wafer.matmul %b, %w : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// expected-error @+1 {{--loss=cross-entropy needs the model's first output to be logits [..., classes]; found 'tensor<4xi64>'}}
func.func @not_logits(%x: tensor<4xi64>) -> tensor<4xi64> {
  return %x : tensor<4xi64>
}
