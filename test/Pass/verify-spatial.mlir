// RUN: wafer-opt %s --split-input-file --wafer-verify-spatial --verify-diagnostics

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
    // expected-error @+1 {{layer fc needs 61 KiB per PE, target has 42 KiB after reserve}}
    wafer.place "fc" at <x = 0, y = 0, width = 4, height = 8> sram(62464) cycles[0, 1] {
    }
    wafer.place "fc2" at <x = 4, y = 0, width = 4, height = 8> sram(1024) cycles[0, 1] {
    }
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
  func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    %z = wafer.matmul %y, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc2")
    return %z : tensor<8x64xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 5, height = 8> sram(1024) cycles[0, 1] {
    }
    // expected-error @+1 {{layer 'fc2' overlaps layer 'fc'}}
    wafer.place "fc2" at <x = 4, y = 0, width = 4, height = 8> sram(1024) cycles[0, 1] {
    }
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
  func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    %z = wafer.matmul %y, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc2")
    return %z : tensor<8x64xf32>
  }
  // expected-error @+1 {{does not place layer 'fc2'}}
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 4, height = 8> sram(1024) cycles[0, 1] {
    }
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
  func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    return %y : tensor<8x64xf32>
  }
  wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
    // expected-error @+1 {{layer 'fc' at (6, 0) of 4x8 leaves the usable rectangle at (0, 0) of 8x8}}
    wafer.place "fc" at <x = 6, y = 0, width = 4, height = 8> sram(1024) cycles[0, 1] {
    }
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
  func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    %v = wafer.weight "v" at "m.bin"[16384, 16384] : tensor<64x64xf32>
    %z = wafer.matmul %y, %v : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc2")
    return %z : tensor<8x64xf32>
  }
  wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 1024 : i64} {
    wafer.place "fc" at <x = 0, y = 0, width = 8, height = 8> sram(2048) cycles[10, 20] {
      wafer.stream "w"[0, 16384] slot 0 arrive[0, 10] compute[10, 30]
    }
    wafer.place "fc2" at <x = 0, y = 0, width = 8, height = 8> sram(2048) cycles[30, 20] {
      // expected-error @+1 {{tile of 'v' arrives in slot 0 at cycle 10, while the tile of 'w' holds it until cycle 30}}
      wafer.stream "v"[0, 16384] slot 0 arrive[10, 20] compute[30, 50]
    }
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
  func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
    %w = wafer.weight "w" at "m.bin"[0, 16384] : tensor<64x64xf32>
    %y = wafer.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32> loc("fc")
    return %y : tensor<8x64xf32>
  }
  wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 1024 : i64} {
    // expected-error @+1 {{layer 'fc' streams 8192 of the 16384 bytes of weight 'w'}}
    wafer.place "fc" at <x = 0, y = 0, width = 8, height = 8> sram(2048) cycles[10, 20] {
      wafer.stream "w"[0, 8192] slot 0 arrive[0, 10] compute[10, 30]
    }
  }
}

// -----

wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 1024 : i64} {
  wafer.place "fc" at <x = 0, y = 0, width = 8, height = 8> sram(2048) cycles[10, 20] {
    // expected-error @+1 {{tile of 'w' is used at cycle 5, before it arrives at cycle 10}}
    wafer.stream "w"[0, 8192] slot 0 arrive[0, 10] compute[5, 30]
  }
}
