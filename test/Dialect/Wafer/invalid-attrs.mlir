// RUN: wafer-opt %s --split-input-file --verify-diagnostics
// Target and region attribute errors.

// expected-error @+1 {{region must have positive extent, found 0x4}}
func.func @empty_region() attributes {r = #wafer.region<x = 0, y = 0, width = 0, height = 4>} {
  return
}

// -----

// expected-error @+1 {{region corner must be non-negative, found (-1, 0)}}
func.func @negative_region() attributes {r = #wafer.region<x = -1, y = 0, width = 2, height = 4>} {
  return
}

// -----

// expected-error @+1 {{invalid target 'bad': usable rectangle at (0, 0) of 8x4 does not fit the 6x4 fabric}}
module attributes {wafer.target = #wafer.target<name = "bad", rows = 4, cols = 6,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 4>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
}

// -----

// expected-error @+1 {{invalid target 'bad': reserved_colors must be in [0, 24), found 30}}
module attributes {wafer.target = #wafer.target<name = "bad", rows = 4, cols = 6,
    usable = #wafer.region<x = 0, y = 0, width = 4, height = 4>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 30,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
}

// -----

// expected-error @+1 {{'wafer.target' must be a #wafer.target, found "wse3"}}
module attributes {wafer.target = "wse3"} {
}

// -----

// expected-error @+1 {{'wafer.target' belongs on a builtin.module, found on 'func.func'}}
func.func @target_on_func() attributes {wafer.target = #wafer.target<name = "t", rows = 4, cols = 4,
    usable = #wafer.region<x = 0, y = 0, width = 4, height = 4>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  return
}

// -----

// expected-error @+1 {{unknown wafer dialect attribute 'wafer.colour'}}
module attributes {wafer.colour = 3} {
}
