// RUN: wafer-opt %s --split-input-file --wafer-place="mode=pipelined" --verify-diagnostics

// The weights need more SRAM than a 2x2 grid has.
module attributes {wafer.target = #wafer.target<name = "tiny", rows = 2, cols = 2,
    usable = #wafer.region<x = 0, y = 0, width = 2, height = 2>,
    sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
    fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
    link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
    input_queues = 8, edge_io_bytes_per_second = 150000000000,
    weight_memory_bytes_per_second = 150000000000,
    weight_memory_bytes = 12000000000000>} {
  // expected-error @+1 {{cannot place @big on 'tiny': layer fc needs 1056 KiB resident, more than the 4 usable PEs hold (42 KiB each after the reserve); use weight streaming}}
  func.func @big(%x: tensor<8x512xf32>) -> tensor<8x512xf32> {
    %w = wafer.weight "fc.weight" at "model.bin"[0, 1048576] : tensor<512x512xf32>
    %y = wafer.matmul %x, %w : tensor<8x512xf32>, tensor<512x512xf32> -> tensor<8x512xf32> loc("fc")
    return %y : tensor<8x512xf32>
  }
}

// -----

// expected-error @+1 {{wafer-place needs the module's wafer.target; run --wafer-attach-target first}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
