// RUN: wafer-opt %s --split-input-file --verify-diagnostics
// Every graph-level verifier error, with the numbers it reports.

func.func @weight_length(%x: tensor<4xf32>) {
  // expected-error @+1 {{'wafer.weight' op weight 'w' of type 'tensor<128x128xf32>' needs 65536 bytes, but its reference holds 100}}
  %w = wafer.weight "w" at "model.data"[0, 100] : tensor<128x128xf32>
  return
}

// -----

func.func @weight_negative_offset() {
  // expected-error @+1 {{attribute 'offset' failed to satisfy constraint}}
  %w = wafer.weight "w" at "model.data"[-4, 16] : tensor<4xf32>
  return
}

// -----

func.func @weight_no_file() {
  // expected-error @+1 {{weight 'w' needs a file name}}
  %w = wafer.weight "w" at ""[0, 16] : tensor<4xf32>
  return
}

// -----

func.func @weight_overflow() {
  // expected-error @+1 {{shape 4611686018427387904x4 overflows a 64-bit byte count}}
  %w = wafer.weight "w" at "a.bin"[0, 16] : tensor<4611686018427387904x4xf32>
  return
}

// -----

func.func @iota_dimension() {
  // expected-error @+1 {{dimension 2 is out of range for rank 1}}
  %i = wafer.iota {dimension = 2 : i64} : tensor<8xi64>
  return
}

// -----

func.func @binary_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{operand shapes 2x3, 4x3 do not broadcast}}
  %0 = wafer.add %a, %b : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @binary_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{result shape 3x3 differs from the broadcast shape 2x3}}
  %0 = wafer.mul %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @binary_element_type(%a: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+1 {{operand and result element types differ: expected 'f32', found 'f16'}}
  %0 = wafer.sub %a, %b : tensor<3xf32>, tensor<3xf16> -> tensor<3xf32>
  return
}

// -----

func.func @compare_types(%a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{operand element types differ: expected 'f32', found 'i64'}}
  %0 = wafer.compare eq, %a, %b : tensor<3xf32>, tensor<3xi64> -> tensor<3xi1>
  return
}

// -----

func.func @select_shape(%c: tensor<2xi1>, %a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{operand shapes 2, 3, 3 do not broadcast}}
  %0 = wafer.select %c, %a, %b : tensor<2xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @unary_type(%a: tensor<3xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = wafer.exp %a : tensor<3xi64>
  return
}

// -----

func.func @cast_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = wafer.cast %a : tensor<3xf32> to tensor<4xf16>
  return
}

// -----

func.func @matmul_rank(%a: tensor<8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{operands need rank >= 2, found lhs 8 and rhs 8x4}}
  %0 = wafer.matmul %a, %b : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x16x64xf32>, %b: tensor<32x256xf32>) {
  // expected-error @+1 {{contracting dimensions differ: lhs 2x16x64 has K = 64, rhs 32x256 has K = 32}}
  %0 = wafer.matmul %a, %b : tensor<2x16x64xf32>, tensor<32x256xf32> -> tensor<2x16x256xf32>
  return
}

// -----

func.func @matmul_transposed_k(%a: tensor<16x64xf32>, %b: tensor<64x256xf32>) {
  // expected-error @+1 {{contracting dimensions differ: lhs 16x64 has K = 64, rhs 64x256 has K = 256}}
  %0 = wafer.matmul %a, %b {transpose_rhs} : tensor<16x64xf32>, tensor<64x256xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x16x64xf32>, %b: tensor<3x64x8xf32>) {
  // expected-error @+1 {{batch dimensions 2 and 3 do not broadcast}}
  %0 = wafer.matmul %a, %b : tensor<2x16x64xf32>, tensor<3x64x8xf32> -> tensor<2x16x8xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<16x64xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{result shape 16x9 differs from the expected 16x8}}
  %0 = wafer.matmul %a, %b : tensor<16x64xf32>, tensor<64x8xf32> -> tensor<16x9xf32>
  return
}

// -----

func.func @matmul_bias(%a: tensor<16x64xf32>, %b: tensor<64x8xf32>, %c: tensor<7xf32>) {
  // expected-error @+1 {{bias shape 7 does not broadcast to the result shape 16x8}}
  %0 = wafer.matmul %a, %b, %c : tensor<16x64xf32>, tensor<64x8xf32>, tensor<7xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{scale shape 32 differs from the normalised dimensions 64}}
  %0 = wafer.layer_norm %x, %g : tensor<2x64xf32>, tensor<32xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = wafer.layer_norm %x, %g {axis = 2 : i64} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{epsilon must be non-negative, found -1}}
  %0 = wafer.layer_norm %x, %g {epsilon = -1.0 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @layer_norm_bias_type(%x: tensor<2x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf16>) {
  // expected-error @+1 {{bias element type 'f16' differs from the input's 'f32'}}
  %0 = wafer.layer_norm %x, %g, %b : tensor<2x64xf32>, tensor<64xf32>, tensor<64xf16> -> tensor<2x64xf32>
  return
}

// -----

func.func @layer_norm_result(%x: tensor<2x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{result shape 2x32 differs from the input shape 2x64}}
  %0 = wafer.layer_norm %x, %g : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x32xf32>
  return
}

// -----

func.func @rms_norm_epsilon(%x: tensor<2x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{epsilon must be non-negative, found -2}}
  %0 = wafer.rms_norm %x, %g {epsilon = -2.0 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @rms_norm_scale(%x: tensor<2x8x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+1 {{scale shape 8x64 differs from the normalised dimensions 64}}
  %0 = wafer.rms_norm %x, %g : tensor<2x8x64xf32>, tensor<8x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{axis -3 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = wafer.softmax %x {axis = -3 : i64} : tensor<2x64xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{axis 5 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = wafer.log_softmax %x {axis = 5 : i64} : tensor<2x64xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<2x4x8x16xf32>, %k: tensor<2x8x64xf32>) {
  // expected-error @+1 {{query must be [batch, sequence, features], found 2x4x8x16}}
  %0 = wafer.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 1.0 : f32} : tensor<2x4x8x16xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<2x8x60xf32>) {
  // expected-error @+1 {{query features 60 do not divide into 8 heads}}
  %0 = wafer.attention %q, %q, %q {num_heads = 8 : i64, num_kv_heads = 8 : i64, scale = 1.0 : f32} : tensor<2x8x60xf32>, tensor<2x8x60xf32>, tensor<2x8x60xf32> -> tensor<2x8x60xf32>
  return
}

// -----

func.func @attention_kv_heads(%q: tensor<2x8x64xf32>) {
  // expected-error @+1 {{num_heads 4 is not a multiple of num_kv_heads 3}}
  %0 = wafer.attention %q, %q, %q {num_heads = 4 : i64, num_kv_heads = 3 : i64, scale = 1.0 : f32} : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @attention_key_features(%q: tensor<2x8x64xf32>, %k: tensor<2x8x48xf32>) {
  // expected-error @+1 {{key features 48 differ from 2 kv heads x head size 16 = 32}}
  %0 = wafer.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.0 : f32} : tensor<2x8x64xf32>, tensor<2x8x48xf32>, tensor<2x8x48xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x8x64xf32>, %k: tensor<3x8x64xf32>) {
  // expected-error @+1 {{batch sizes differ: query 2, key 3, value 3}}
  %0 = wafer.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 1.0 : f32} : tensor<2x8x64xf32>, tensor<3x8x64xf32>, tensor<3x8x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @attention_value_sequence(%q: tensor<2x8x64xf32>, %v: tensor<2x9x64xf32>) {
  // expected-error @+1 {{key sequence 8 differs from value sequence 9}}
  %0 = wafer.attention %q, %q, %v {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 1.0 : f32} : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x9x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @attention_value_heads(%q: tensor<2x8x64xf32>, %v: tensor<2x8x30xf32>) {
  // expected-error @+1 {{value features 30 do not divide into 4 kv heads}}
  %0 = wafer.attention %q, %q, %v {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 1.0 : f32} : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x30xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @attention_result(%q: tensor<2x8x64xf32>) {
  // expected-error @+1 {{result shape 2x8x32 differs from the expected 2x8x64}}
  %0 = wafer.attention %q, %q, %q {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 1.0 : f32} : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32> -> tensor<2x8x32xf32>
  return
}

// -----

func.func @attention_mask(%q: tensor<2x8x64xf32>, %m: tensor<1x1x8x7xf32>) {
  // expected-error @+1 {{mask shape 1x1x8x7 does not broadcast to the scores 2x4x8x8}}
  %0 = wafer.attention %q, %q, %q, %m {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 1.0 : f32} : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<1x1x8x7xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{reduction axis 2 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = wafer.reduce sum %x {axes = array<i64: 2>} : tensor<2x64xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_twice(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{reduction axis -1 appears twice}}
  %0 = wafer.reduce sum %x {axes = array<i64: 1, -1>} : tensor<2x64xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_result(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{result shape 2 differs from the expected 2x1}}
  %0 = wafer.reduce max %x {axes = array<i64: 1>, keep_dims} : tensor<2x64xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_type(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{result element type 'f16' differs from the input's 'f32'}}
  %0 = wafer.reduce max %x {axes = array<i64: 1>} : tensor<2x64xf32> -> tensor<2xf16>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{input 2x64 has 128 elements, result 3x64 has 192}}
  %0 = wafer.reshape %x : tensor<2x64xf32> -> tensor<3x64xf32>
  return
}

// -----

func.func @reshape_type(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{element type changes from 'f32' to 'f16'}}
  %0 = wafer.reshape %x : tensor<2x64xf32> -> tensor<128xf16>
  return
}

// -----

func.func @reshape_dynamic(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{needs static shapes}}
  %0 = wafer.reshape %x : tensor<2x64xf32> -> tensor<?xf32>
  return
}

// -----

func.func @transpose_rank(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{permutation has 3 entries for an input of rank 2}}
  %0 = wafer.transpose %x {permutation = array<i64: 0, 1, 2>} : tensor<2x64xf32> -> tensor<64x2xf32>
  return
}

// -----

func.func @transpose_repeat(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{permutation entry 0 is out of range or repeated}}
  %0 = wafer.transpose %x {permutation = array<i64: 0, 0>} : tensor<2x64xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @transpose_result(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{result shape 2x64 differs from the expected 64x2}}
  %0 = wafer.transpose %x {permutation = array<i64: 1, 0>} : tensor<2x64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @broadcast_shape(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{input shape 2x64 does not broadcast to 3x64}}
  %0 = wafer.broadcast %x : tensor<2x64xf32> -> tensor<3x64xf32>
  return
}

// -----

func.func @slice_rank(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{input rank 2 needs as many offsets (found 1), strides (found 2) and result dimensions (found 2)}}
  %0 = wafer.slice %x {offsets = array<i64: 0>, strides = array<i64: 1, 1>} : tensor<8x64xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @slice_stride(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{stride of dimension 1 must be positive, found 0}}
  %0 = wafer.slice %x {offsets = array<i64: 0, 0>, strides = array<i64: 1, 0>} : tensor<8x64xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @slice_offset(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{offset 70 of dimension 1 is outside [0, 64]}}
  %0 = wafer.slice %x {offsets = array<i64: 0, 70>, strides = array<i64: 1, 1>} : tensor<8x64xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @slice_past_end(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{dimension 1 reads up to index 71 of an extent of 64}}
  %0 = wafer.slice %x {offsets = array<i64: 0, 40>, strides = array<i64: 1, 1>} : tensor<8x64xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @concat_extent(%a: tensor<8x16xf32>, %b: tensor<4x16xf32>) {
  // expected-error @+1 {{input 1 has extent 4 in dimension 0, expected 8}}
  %0 = wafer.concat %a, %b {axis = 1 : i64} : tensor<8x16xf32>, tensor<4x16xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @concat_sum(%a: tensor<8x16xf32>) {
  // expected-error @+1 {{inputs add up to 32 along axis 1, result has 30}}
  %0 = wafer.concat %a, %a {axis = 1 : i64} : tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x30xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<8x16xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = wafer.concat %a, %a {axis = 2 : i64} : tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<8x16xf32>, %b: tensor<8x16x1xf32>) {
  // expected-error @+1 {{input 1 has rank 3, expected 2}}
  %0 = wafer.concat %a, %b {axis = 1 : i64} : tensor<8x16xf32>, tensor<8x16x1xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @split_sum(%a: tensor<2x8x192xf32>) {
  // expected-error @+1 {{results add up to 128 along axis 2, input has 192}}
  %0:2 = wafer.split %a {axis = 2 : i64} : tensor<2x8x192xf32> -> tensor<2x8x64xf32>, tensor<2x8x64xf32>
  return
}

// -----

func.func @split_extent(%a: tensor<2x8x128xf32>) {
  // expected-error @+1 {{result 1 has extent 4 in dimension 1, expected 8}}
  %0:2 = wafer.split %a {axis = 2 : i64} : tensor<2x8x128xf32> -> tensor<2x8x64xf32>, tensor<2x4x64xf32>
  return
}

// -----

func.func @split_axis(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{axis 3 is out of range for rank 2}}
  %0:2 = wafer.split %a {axis = 3 : i64} : tensor<2x8xf32> -> tensor<2x4xf32>, tensor<2x4xf32>
  return
}

// -----

func.func @gather_result(%t: tensor<100x64xf32>, %ids: tensor<2x8xi64>) {
  // expected-error @+1 {{result shape 2x8x32 differs from the expected 2x8x64}}
  %0 = wafer.gather %t, %ids {axis = 0 : i64} : tensor<100x64xf32>, tensor<2x8xi64> -> tensor<2x8x32xf32>
  return
}

// -----

func.func @gather_axis(%t: tensor<100x64xf32>, %ids: tensor<2x8xi64>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = wafer.gather %t, %ids {axis = 2 : i64} : tensor<100x64xf32>, tensor<2x8xi64> -> tensor<2x8x32xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<2x3x4x5x6xf32>, %w: tensor<4x3x1x1x1xf32>) {
  // expected-error @+1 {{'wafer.conv' op input 2x3x4x5x6 must be [N, C, L] or [N, C, H, W] (rank 3 or 4)}}
  %0 = wafer.conv %x, %w {dilations = array<i64: 1, 1, 1>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 1, 1, 1>} : tensor<2x3x4x5x6xf32>, tensor<4x3x1x1x1xf32> -> tensor<2x4x4x5x6xf32>
  return
}

// -----

func.func @conv_attributes(%x: tensor<2x3x10xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'wafer.conv' op 1 spatial dimension(s) need as many strides (found 1) and dilations (found 1) and twice as many pads (found 1)}}
  %0 = wafer.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0>, strides = array<i64: 1>} : tensor<2x3x10xf32>, tensor<4x3x3xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<2x6x10xf32>, %w: tensor<4x2x3xf32>) {
  // expected-error @+1 {{'wafer.conv' op groups 4 must divide the 6 input and 4 output channels}}
  %0 = wafer.conv %x, %w {dilations = array<i64: 1>, groups = 4 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : tensor<2x6x10xf32>, tensor<4x2x3xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<2x6x10xf32>, %w: tensor<4x2x3xf32>) {
  // expected-error @+1 {{'wafer.conv' op filter 4x2x3 takes 2 channel(s) per group, the input gives 6}}
  %0 = wafer.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : tensor<2x6x10xf32>, tensor<4x2x3xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<2x3x10xf32>, %w: tensor<4x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'wafer.conv' op bias 3 must be [4]}}
  %0 = wafer.conv %x, %w, %b {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : tensor<2x3x10xf32>, tensor<4x3x3xf32>, tensor<3xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @conv_kernel_too_wide(%x: tensor<2x3x4xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'wafer.conv' op spatial dimension 0: the kernel spans 5, the padded input 4}}
  %0 = wafer.conv %x, %w {dilations = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : tensor<2x3x4xf32>, tensor<4x3x3xf32> -> tensor<2x4x1xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<2x3x10xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'wafer.conv' op spatial dimension 0 needs a positive stride and dilation and non-negative pads}}
  %0 = wafer.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 0>} : tensor<2x3x10xf32>, tensor<4x3x3xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<2x3x10xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'wafer.conv' op result shape 2x4x9 should be 2x4x4}}
  %0 = wafer.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 2>} : tensor<2x3x10xf32>, tensor<4x3x3xf32> -> tensor<2x4x9xf32>
  return
}

