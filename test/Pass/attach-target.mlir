// RUN: wafer-opt %s --wafer-attach-target | FileCheck %s --check-prefix=WSE3
// RUN: wafer-opt %s --wafer-attach-target="target=wse2" | FileCheck %s --check-prefix=WSE2
// RUN: wafer-opt %s --wafer-attach-target="target=wse3:rows=16,cols=16" | FileCheck %s --check-prefix=SMALL
// RUN: not wafer-opt %s --wafer-attach-target="target=wse9" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not wafer-opt %s --wafer-attach-target="target=wse3:rowz=4" 2>&1 | FileCheck %s --check-prefix=KEY
// RUN: not wafer-opt %s --wafer-attach-target="target=wse3:sram_reserve_bytes=49152" 2>&1 | FileCheck %s --check-prefix=RESERVE
// RUN: not wafer-opt %s --wafer-attach-target="target=wse3:rows=99999999999" 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not wafer-opt %s --wafer-attach-target="target=wse3:weight_memory_bytes_per_second=0" 2>&1 | FileCheck %s --check-prefix=RATE

// WSE3: module attributes {wafer.target = #wafer.target<name = "wse3", rows = 1172, cols = 762, usable = <x = 4, y = 1, width = 755, height = 1170>, sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100, fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16, link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6, input_queues = 8,
// WSE2: module attributes {wafer.target = #wafer.target<name = "wse2", rows = 996, cols = 757, usable = <x = 4, y = 1, width = 750, height = 994>, {{.*}}fp16_flops_per_cycle = 8, {{.*}}input_queues = 24,
// SMALL: #wafer.target<name = "wse3", rows = 16, cols = 16, usable = <x = 0, y = 0, width = 16, height = 16>,
// UNKNOWN: error: unknown target 'wse9'; known targets: wse2, wse3
// KEY: error: unknown target key 'rowz'; known keys: rows, cols, usable_x,
// RESERVE: error: invalid target 'wse3:sram_reserve_bytes=49152': sram_reserve_bytes must be in [0, 49152), found 49152

// HUGE: error: invalid target 'wse3:rows=99999999999': rows must be at most 16384, found 99999999999
// RATE: error: invalid target 'wse3:weight_memory_bytes_per_second=0': weight_memory_bytes_per_second must be positive, found 0

// WSE3-LABEL: func @f
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
