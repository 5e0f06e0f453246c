// RUN: wafer-opt %s --wafer-place="mode=pipelined" | FileCheck %s --check-prefix=PIPE
// RUN: wafer-opt %s --wafer-place="mode=weight-streaming" | FileCheck %s --check-prefix=WS
// RUN: wafer-opt %s --wafer-place | FileCheck %s --check-prefix=PIPE
// Deterministic: the same input gives byte-identical output.
// RUN: wafer-opt %s --wafer-place > %t.1 && wafer-opt %s --wafer-place > %t.2 && diff %t.1 %t.2
// RUN: wafer-opt %s --wafer-place="mode=weight-streaming" > %t.3 && wafer-opt %s --wafer-place="mode=weight-streaming" > %t.4 && diff %t.3 %t.4

module attributes {wafer.target = #wafer.target<name = "wse3", rows = 16, cols = 16,
    usable = #wafer.region<x = 0, y = 0, width = 16, height = 16>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  func.func @mlp(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
    %w1 = wafer.weight "fc1.weight" at "model.bin"[0, 131072] : tensor<128x256xf32>
    %w2 = wafer.weight "fc2.weight" at "model.bin"[131072, 131072] : tensor<256x128xf32>
    %h = wafer.matmul %x, %w1 : tensor<64x128xf32>, tensor<128x256xf32> -> tensor<64x256xf32> loc("fc1")
    %g = wafer.gelu %h : tensor<64x256xf32> loc("act")
    %y = wafer.matmul %g, %w2 : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32> loc("fc2")
    return %y : tensor<64x128xf32>
  }
}

// PIPE: wafer.placement for @mlp mode(pipelined) attributes {lower_bound_cycles = [[LB:[0-9]+]] : i64, passes = 1 : i64, predicted_cycles = [[P:[0-9]+]] : i64, slot_bytes = 0 : i64} {
// PIPE-NEXT: wafer.place "fc1" at <x = 0, y = 0, width = [[W1:[0-9]+]], height = 16> sram([[S1:[0-9]+]]) cycles[0, [[C1:[0-9]+]]] {
// PIPE: wafer.place "fc2" at <x = [[W1]], y = 0, width = {{[0-9]+}}, height = 16> sram({{[0-9]+}}) cycles[0, {{[0-9]+}}] {

// WS: wafer.placement for @mlp mode(weight_streaming) attributes {lower_bound_cycles = {{[0-9]+}} : i64, passes = 1 : i64, predicted_cycles = {{[0-9]+}} : i64, slot_bytes = {{[0-9]+}} : i64} {
// WS-NEXT: wafer.place "fc1" at <x = 0, y = 0, width = {{[0-9]+}}, height = {{[0-9]+}}> sram({{[0-9]+}}) cycles[{{[0-9]+}}, {{[0-9]+}}] {
// WS-NEXT: wafer.stream "fc1.weight"[0, {{[0-9]+}}] slot 0 arrive[0, {{[0-9]+}}] compute[{{[0-9]+}}, {{[0-9]+}}]
// WS: wafer.place "fc2"
// WS-NEXT: wafer.stream "fc2.weight"[0, {{[0-9]+}}] slot 1
