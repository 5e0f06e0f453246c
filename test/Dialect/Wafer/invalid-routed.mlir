// RUN: wafer-opt %s --split-input-file --verify-diagnostics

wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
  // expected-error @+1 {{route of 'a' has 4 integers, not a multiple of 5 (x, y, length, lanes, direction per segment)}}
  wafer.flow "a" activation from <x = 0, y = 0, width = 1, height = 1> to <x = 1, y = 0, width = 1, height = 1> bytes(4) color(0) active[0, 0] route([0, 0, 1, 1])
}

// -----

wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
  // expected-error @+1 {{segment 0 of 'a' has direction 7, expected 0 (east) to 3 (north)}}
  wafer.flow "a" activation from <x = 0, y = 0, width = 1, height = 1> to <x = 1, y = 0, width = 1, height = 1> bytes(4) color(0) active[0, 0] route([0, 0, 1, 1, 7])
}

// -----

wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
  // expected-error @+1 {{flow 'a' has a route but color -1}}
  wafer.flow "a" activation from <x = 0, y = 0, width = 1, height = 1> to <x = 1, y = 0, width = 1, height = 1> bytes(4) color(-1) active[0, 0] route([0, 0, 1, 1, 0])
}

// -----

wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
  // expected-error @+1 {{segment 0 of 'a' has length 1 and 0 lanes}}
  wafer.flow "a" activation from <x = 0, y = 0, width = 1, height = 1> to <x = 1, y = 0, width = 1, height = 1> bytes(4) color(0) active[0, 0] route([0, 0, 1, 0, 0])
}

// -----

wafer.routing for @f attributes {color_limit = 18 : i64, deadlock_free = true, link_load_lower_bound = 1.0 : f64, max_colors_per_router = 1 : i64, max_link_load = 1.0 : f64, max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
  // expected-error @+1 {{'func.func' op cannot appear in a wafer.routing; only wafer.flow can}}
  func.func private @g()
}
