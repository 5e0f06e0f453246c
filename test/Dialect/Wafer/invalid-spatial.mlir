// RUN: wafer-opt %s --split-input-file --verify-diagnostics
// Spatial-level op verifier errors.

wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
  // expected-error @+1 {{'func.func' op cannot appear in a wafer.placement; only wafer.place can}}
  func.func private @g()
}

// -----

// expected-error @+1 {{passes must be at least 1, found 0}}
wafer.placement for @f mode(pipelined) attributes {lower_bound_cycles = 1 : i64, passes = 0 : i64, predicted_cycles = 1 : i64, slot_bytes = 0 : i64} {
}

// -----

wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 8 : i64} {
  wafer.place "fc" at <x = 0, y = 0, width = 1, height = 1> sram(16) cycles[0, 1] {
    // expected-error @+1 {{tile of 'w' arrives during [10, 5), which ends before it starts}}
    wafer.stream "w"[0, 8] slot 0 arrive[10, 5] compute[10, 30]
  }
}

// -----

wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 8 : i64} {
  wafer.place "fc" at <x = 0, y = 0, width = 1, height = 1> sram(16) cycles[0, 1] {
    // expected-error @+1 {{tile of 'w' releases its slot at cycle 20, before its compute starts at 30}}
    wafer.stream "w"[0, 8] slot 1 arrive[0, 10] compute[30, 20]
  }
}

// -----

wafer.placement for @f mode(weight_streaming) attributes {lower_bound_cycles = 1 : i64, passes = 1 : i64, predicted_cycles = 1 : i64, slot_bytes = 8 : i64} {
  wafer.place "fc" at <x = 0, y = 0, width = 1, height = 1> sram(16) cycles[0, 1] {
    // expected-error @+1 {{attribute 'slot' failed to satisfy constraint}}
    wafer.stream "w"[0, 8] slot 2 arrive[0, 10] compute[10, 20]
  }
}

// -----

// expected-error @+1 {{'wafer.place' op expects parent op 'wafer.placement'}}
wafer.place "fc" at <x = 0, y = 0, width = 1, height = 1> sram(16) cycles[0, 1] {
}

// -----

// expected-error @+1 {{'wafer.layer' must be a string, found 3}}
func.func @bad_layer_attr() attributes {wafer.layer = 3} {
  return
}

// -----

// expected-error @+1 {{'wafer.name' must be a string, found 1}}
func.func @bad_name(%x: tensor<4xf32> {wafer.name = 1}) {
  return
}
