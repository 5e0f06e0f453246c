// RUN: wafer-opt %s --split-input-file --wafer-route --wafer-verify-routes | FileCheck %s

// Flows inside a layer besides its SUMMA broadcasts. A normalisation that
// makes a product's left operand runs on the operand's SUMMA blocks: its
// rows are split over a line of the grid, and their partial sums come back
// along it to the line's first PE (two doubles per row: 8 rows x 16 bytes).
// The layout puts that line along the region's shorter side: on a wide
// region the product is laid out transposed, and the rows' partial sums go
// up the columns.
// CHECK-LABEL: wafer.routing for @f
// CHECK: wafer.flow "fc.columns" column_broadcast
// CHECK: wafer.flow "fc.column-sums" column_reduction from <x = 0, y = 0, width = 4, height = 2> to <x = 0, y = 0, width = 4, height = 2> bytes(128) color({{[0-9]+}}) active[0, 0] route([0, 1, 1, 4, 3])
// CHECK-NOT: row_reduction
module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  func.func @f(%x: tensor<8x64xf32>, %g: tensor<64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %n = wafer.layer_norm %x, %g : tensor<8x64xf32>, tensor<64xf32> -> tensor<8x64xf32> loc("ln")
    %y = wafer.matmul %n, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    return %y : tensor<8x64xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 4, height = 2> sram(4096) cycles[0, 1] {
    }
  }
}

// -----

// On a tall region it is not, and the partial sums run back along the
// rows (rms_norm likewise).
// CHECK-LABEL: wafer.routing for @f
// CHECK: wafer.flow "fc.rows" row_broadcast
// CHECK: wafer.flow "fc.row-sums" row_reduction from <x = 0, y = 0, width = 2, height = 4> to <x = 0, y = 0, width = 2, height = 4> bytes(128) color({{[0-9]+}}) active[0, 0] route([1, 0, 1, 4, 1])
// CHECK-NOT: column_reduction
module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  func.func @f(%x: tensor<8x64xf32>, %g: tensor<64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %n = wafer.rms_norm %x, %g : tensor<8x64xf32>, tensor<64xf32> -> tensor<8x64xf32> loc("ln")
    %y = wafer.matmul %n, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    return %y : tensor<8x64xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 2, height = 4> sram(4096) cycles[0, 1] {
    }
  }
}

// -----

// An attention layer's keys and values go down its columns: 2 x 4 (batch,
// head) pairs over 4 columns read one key/value head each, 8 keys of 16 +
// 16 floats: 4 x 1 KiB.
// CHECK-LABEL: wafer.routing for @f
// CHECK: wafer.flow "attn.columns" column_broadcast from <x = 0, y = 0, width = 4, height = 4> to <x = 0, y = 0, width = 4, height = 4> bytes(4096) color({{[0-9]+}}) active[0, 0] route([0, 0, 3, 4, 2])
// CHECK-NOT: row_broadcast
module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  func.func @f(%q: tensor<2x8x64xf32>, %k: tensor<2x8x32xf32>, %v: tensor<2x8x32xf32>) -> tensor<2x8x64xf32> {
    %o = wafer.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32, causal} : tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32> -> tensor<2x8x64xf32> loc("attn")
    return %o : tensor<2x8x64xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "attn" at <x = 0, y = 0, width = 4, height = 4> sram(4096) cycles[0, 1] {
    }
  }
}

// -----

// A layer whose kernels regroup data across its PEs (here a transpose after
// the product, 8x64 floats) routes it as its reshard: along every row, then
// down every column of its region.
// CHECK-LABEL: wafer.routing for @f
// CHECK: wafer.flow "fc.reshard" reshard from <x = 0, y = 0, width = 4, height = 2> to <x = 0, y = 0, width = 4, height = 2> bytes(2048) color({{[0-9]+}}) active[0, 0] route([0, 0, 3, 2, 0, 0, 0, 1, 4, 2])
module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  func.func @f(%x: tensor<8x64xf32>) -> tensor<64x8xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    %t = wafer.transpose %y {permutation = array<i64: 1, 0>} : tensor<8x64xf32> -> tensor<64x8xf32> loc("fc.t")
    return %t : tensor<64x8xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 4, height = 2> sram(4096) cycles[0, 1] {
    }
  }
}

// -----

// A reshape that keeps the last dimension keeps every row where it is: no
// reshard.
// CHECK-LABEL: wafer.routing for @f
// CHECK-NOT: reshard
module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  func.func @f(%x: tensor<8x64xf32>) -> tensor<2x4x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    %r = wafer.reshape %y : tensor<8x64xf32> -> tensor<2x4x64xf32> loc("fc.r")
    return %r : tensor<2x4x64xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 4, height = 2> sram(4096) cycles[0, 1] {
    }
  }
}
