// RUN: wafer-opt %s | wafer-opt | FileCheck %s
// Round-trips the spatial-level ops.

// CHECK: wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 90 : i64, passes = 2 : i64, predicted_cycles = 98 : i64, slot_bytes = 1024 : i64} {
// CHECK-NEXT: wafer.place "fc" at <x = 0, y = 0, width = 4, height = 4> sram(2048) cycles[10, 40] {
// CHECK-NEXT: wafer.stream "fc.weight"[0, 4096] slot 0 arrive[0, 10] compute[10, 30]
// CHECK-NEXT: wafer.stream "fc.weight"[4096, 4096] slot 1 arrive[10, 20] compute[30, 50]
// CHECK: wafer.place "attn" at <x = 0, y = 0, width = 2, height = 2> sram(16) cycles[50, 5] {
// CHECK-NEXT: }
// CHECK: wafer.placement for @g mode(pipelined)
wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 90 : i64,
    passes = 2 : i64, predicted_cycles = 98 : i64, slot_bytes = 1024 : i64} {
  wafer.place "fc" at <x = 0, y = 0, width = 4, height = 4> sram(2048) cycles[10, 40] {
    wafer.stream "fc.weight"[0, 4096] slot 0 arrive[0, 10] compute[10, 30]
    wafer.stream "fc.weight"[4096, 4096] slot 1 arrive[10, 20] compute[30, 50]
  }
  wafer.place "attn" at <x = 0, y = 0, width = 2, height = 2> sram(16) cycles[50, 5] {
  }
}
wafer.placement for @g mode(pipelined) attributes {lower_bound_cycles = 1 : i64,
    passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
}
