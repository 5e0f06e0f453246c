// RUN: wafer-opt %s --split-input-file | wafer-opt --split-input-file | FileCheck %s
// Round-trips the target and region attributes.

// CHECK: module attributes {wafer.target = #wafer.target<name = "tiny", rows = 4, cols = 6, usable = <x = 1, y = 0, width = 4, height = 4>, sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100, fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16, link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6, input_queues = 8, edge_io_bytes_per_second = 150000000000, weight_memory_bytes_per_second = 150000000000, weight_memory_bytes = 12000000000000>}
module attributes {wafer.target = #wafer.target<name = "tiny", rows = 4, cols = 6,
    usable = #wafer.region<x = 1, y = 0, width = 4, height = 4>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
}

// -----

// CHECK-LABEL: func @region
// CHECK-SAME: region = #wafer.region<x = 4, y = 1, width = 750, height = 994>
func.func @region() attributes {region = #wafer.region<x = 4, y = 1, width = 750, height = 994>} {
  return
}
