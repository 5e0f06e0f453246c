// RUN: wafer-opt %s --split-input-file --wafer-verify-routes --verify-diagnostics

module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  // expected-error @+1 {{flow 'a->b' does not reach its destination (5, 0) 2x8}}
  wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 2 : i64} {
    wafer.flow "a->b" activation from <x = 0, y = 0, width = 2, height = 8> to <x = 5, y = 0, width = 2, height = 8> bytes(64) color(0) active[0, 0] route([1, 0, 2, 8, 0])
  }
}

// -----

module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  // expected-error @+1 {{flows 'h' and 'v' share color 3 at router (3, 3)}}
  wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 2 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 14 : i64} {
    wafer.flow "h" activation from <x = 0, y = 3, width = 1, height = 2> to <x = 7, y = 3, width = 1, height = 2> bytes(64) color(3) active[0, 0] route([0, 3, 7, 2, 0])
    wafer.flow "v" activation from <x = 3, y = 0, width = 2, height = 1> to <x = 3, y = 7, width = 2, height = 1> bytes(64) color(3) active[0, 0] route([3, 0, 7, 2, 2])
  }
}

// -----

module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  // expected-error @+1 {{flow 'h' has color 20, outside the 18 routable colors}}
  wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 7 : i64} {
    wafer.flow "h" activation from <x = 0, y = 3, width = 1, height = 2> to <x = 7, y = 3, width = 1, height = 2> bytes(64) color(20) active[0, 0] route([0, 3, 7, 2, 0])
  }
}

// -----

module attributes {wafer.target = #wafer.target<name = "t", rows = 8, cols = 8,
    usable = #wafer.region<x = 0, y = 0, width = 8, height = 8>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  // expected-error @+1 {{flow 'gone' from (0, 0) 2x2 to (5, 5) 2x2 has no route}}
  wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 0 : i64, max_link_load = 0.0 : f64, max_terminal_colors = 0 : i64, total_hops = 0 : i64} {
    wafer.flow "gone" activation from <x = 0, y = 0, width = 2, height = 2> to <x = 5, y = 5, width = 2, height = 2> bytes(64) color(-1) active[0, 0] route([])
  }
}
