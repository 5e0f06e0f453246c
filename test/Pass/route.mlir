// RUN: wafer-opt %s --wafer-route --wafer-verify-routes | FileCheck %s
// RUN: wafer-opt %s --wafer-route > %t.1 && wafer-opt %s --wafer-route > %t.2 && diff %t.1 %t.2

module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    %z = wafer.matmul %y, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc2")
    return %z : tensor<8x64xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 2, height = 8> sram(4096) cycles[0, 1] {
    }
    wafer.place "fc2" at <x = 5, y = 4, width = 3, height = 4> sram(4096) cycles[0, 1] {
    }
  }
}

// The input starts on the west edge, inside fc: no route. fc to fc2 shares
// rows 4-7: one eastward bundle of 4 lanes. fc2 touches the east edge. Each
// matmul's SUMMA broadcasts its panels over its own region: the 64x64
// weights (16 KiB) cross fewer links along the rows (the product is laid out
// transposed), the 8x64 activations along the columns.
// CHECK: wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = {{.*}}, max_colors_per_router = 3 : i64, max_link_load = 4.096000e+03 : f64, max_terminal_colors = 3 : i64, total_hops = 17 : i64} {
// CHECK-NEXT: wafer.flow "input->fc" input from <x = 0, y = 0, width = 1, height = 8> to <x = 0, y = 0, width = 2, height = 8> bytes(2048) color(-1) active[0, 0] route([])
// CHECK-NEXT: wafer.flow "fc->fc2" activation from <x = 0, y = 0, width = 2, height = 8> to <x = 5, y = 4, width = 3, height = 4> bytes(2048) color(1) active[0, 0] route([1, 4, 4, 4, 0])
// CHECK-NEXT: wafer.flow "fc2->output" output from <x = 5, y = 4, width = 3, height = 4> to <x = 7, y = 0, width = 1, height = 8> bytes(2048) color(-1) active[0, 0] route([])
// CHECK-NEXT: wafer.flow "fc.rows" row_broadcast from <x = 0, y = 0, width = 2, height = 8> to <x = 0, y = 0, width = 2, height = 8> bytes(16384) color(0) active[0, 0] route([0, 0, 1, 8, 0])
// CHECK-NEXT: wafer.flow "fc.columns" column_broadcast from <x = 0, y = 0, width = 2, height = 8> to <x = 0, y = 0, width = 2, height = 8> bytes(2048) color(2) active[0, 0] route([0, 0, 7, 2, 2])
// CHECK-NEXT: wafer.flow "fc2.rows" row_broadcast from <x = 5, y = 4, width = 3, height = 4> to <x = 5, y = 4, width = 3, height = 4> bytes(16384) color(0) active[0, 0] route([5, 4, 2, 4, 0])
// CHECK-NEXT: wafer.flow "fc2.columns" column_broadcast from <x = 5, y = 4, width = 3, height = 4> to <x = 5, y = 4, width = 3, height = 4> bytes(2048) color(2) active[0, 0] route([5, 4, 3, 3, 2])
