// RUN: wafer-opt %s --split-input-file | wafer-opt --split-input-file | FileCheck %s
// RUN: wafer-opt %s --split-input-file --verify-diagnostics --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty

// CHECK: wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 6.400000e+01 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.280000e+02 : f64, max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
// CHECK-NEXT: wafer.flow "fc1->fc2" activation from <x = 0, y = 0, width = 4, height = 8> to <x = 4, y = 0, width = 4, height = 8> bytes(1024) color(0) active[0, 0] route([3, 0, 1, 8, 0])
// CHECK-NEXT: wafer.flow "w" weights from <x = 0, y = 0, width = 1, height = 8> to <x = 0, y = 0, width = 8, height = 8> bytes(4096) color(1) active[10, 20] route([0, 0, 7, 8, 0])
// CHECK-NEXT: wafer.flow "local" input from <x = 0, y = 0, width = 1, height = 8> to <x = 0, y = 0, width = 4, height = 8> bytes(64) color(-1) active[0, 0] route([])
// NONE-NOT: error
wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true,
    link_load_lower_bound = 64.0 : f64, max_colors_per_router = 1 : i64,
    max_link_load = 128.0 : f64, max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
  wafer.flow "fc1->fc2" activation from <x = 0, y = 0, width = 4, height = 8>
      to <x = 4, y = 0, width = 4, height = 8> bytes(1024) color(0)
      active[0, 0] route([3, 0, 1, 8, 0])
  wafer.flow "w" weights from <x = 0, y = 0, width = 1, height = 8>
      to <x = 0, y = 0, width = 8, height = 8> bytes(4096) color(1)
      active[10, 20] route([0, 0, 7, 8, 0])
  wafer.flow "local" input from <x = 0, y = 0, width = 1, height = 8>
      to <x = 0, y = 0, width = 4, height = 8> bytes(64) color(-1)
      active[0, 0] route([])
}

// -----

// The flows inside one layer's region: SUMMA broadcasts and a norm's
// reduction back along the rows.
// CHECK-LABEL: wafer.routing for @g
// CHECK-NEXT: wafer.flow "fc.rows" row_broadcast from <x = 0, y = 0, width = 4, height = 2> to <x = 0, y = 0, width = 4, height = 2> bytes(2048) color(2) active[0, 0] route([0, 0, 3, 2, 0])
// CHECK-NEXT: wafer.flow "fc.row-sums" row_reduction from <x = 0, y = 0, width = 4, height = 2> to <x = 0, y = 0, width = 4, height = 2> bytes(128) color(3) active[0, 0] route([3, 0, 3, 2, 1])
// CHECK-NEXT: wafer.flow "qkv.column-sums" column_reduction from <x = 4, y = 0, width = 2, height = 4> to <x = 4, y = 0, width = 2, height = 4> bytes(128) color(3) active[0, 0] route([4, 3, 3, 2, 3])
wafer.routing for @g attributes {color_limit = 18 : i64, deadlock_free = true,
    link_load_lower_bound = 64.0 : f64, max_colors_per_router = 2 : i64,
    max_link_load = 1024.0 : f64, max_terminal_colors = 2 : i64, total_hops = 3 : i64} {
  wafer.flow "fc.rows" row_broadcast from <x = 0, y = 0, width = 4, height = 2>
      to <x = 0, y = 0, width = 4, height = 2> bytes(2048) color(2)
      active[0, 0] route([0, 0, 3, 2, 0])
  wafer.flow "fc.row-sums" row_reduction from <x = 0, y = 0, width = 4, height = 2>
      to <x = 0, y = 0, width = 4, height = 2> bytes(128) color(3)
      active[0, 0] route([3, 0, 3, 2, 1])
  wafer.flow "qkv.column-sums" column_reduction from <x = 4, y = 0, width = 2, height = 4>
      to <x = 4, y = 0, width = 2, height = 4> bytes(128) color(3)
      active[0, 0] route([4, 3, 3, 2, 3])
}
