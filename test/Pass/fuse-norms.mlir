// RUN: wafer-opt %s --wafer-fuse-kernels="families=norm" --split-input-file | FileCheck %s

// LayerNorm as PyTorch exports it below opset 17 (gpt-opset14).
// CHECK-LABEL: func @layer_norm_opset14
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x64xf32>, %[[G:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>)
// CHECK-NEXT: %[[Y:.*]] = wafer.layer_norm %[[X]], %[[G]], %[[B]] : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_opset14(%x: tensor<2x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %0 = wafer.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %1 = wafer.sub %x, %0 : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %2 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %3 = wafer.pow %1, %2 : tensor<2x16x64xf32>, tensor<f32> -> tensor<2x16x64xf32>
  %4 = wafer.reduce mean %3 {axes = array<i64: 2>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %5 = wafer.constant dense<9.99999974E-6> : tensor<f32>
  %6 = wafer.add %4, %5 : tensor<2x16x1xf32>, tensor<f32> -> tensor<2x16x1xf32>
  %7 = wafer.sqrt %6 : tensor<2x16x1xf32>
  %8 = wafer.div %1, %7 : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %9 = wafer.mul %8, %g : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  %10 = wafer.add %9, %b : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  return %10 : tensor<2x16x64xf32>
}

// -----

// Variance as c * c, no affine part: scale becomes ones.
// CHECK-LABEL: func @layer_norm_mul_square
// CHECK: %[[ONES:.*]] = wafer.constant dense<1.000000e+00> : tensor<64xf32>
// CHECK: wafer.layer_norm %arg0, %[[ONES]] : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
// CHECK-NOT: wafer.sqrt
func.func @layer_norm_mul_square(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %0 = wafer.reduce mean %x {axes = array<i64: -1>, keep_dims} : tensor<2x64xf32> -> tensor<2x1xf32>
  %1 = wafer.sub %x, %0 : tensor<2x64xf32>, tensor<2x1xf32> -> tensor<2x64xf32>
  %2 = wafer.mul %1, %1 : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
  %3 = wafer.reduce mean %2 {axes = array<i64: -1>, keep_dims} : tensor<2x64xf32> -> tensor<2x1xf32>
  %5 = wafer.constant dense<9.99999974E-6> : tensor<f32>
  %6 = wafer.add %5, %3 : tensor<f32>, tensor<2x1xf32> -> tensor<2x1xf32>
  %7 = wafer.sqrt %6 : tensor<2x1xf32>
  %8 = wafer.div %1, %7 : tensor<2x64xf32>, tensor<2x1xf32> -> tensor<2x64xf32>
  return %8 : tensor<2x64xf32>
}

// -----

// RMSNorm as the Llama export spells it.
// CHECK-LABEL: func @rms_norm
// CHECK-NEXT: %[[Y:.*]] = wafer.rms_norm %arg0, %arg1 : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %17 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %18 = wafer.pow %x, %17 : tensor<2x16x64xf32>, tensor<f32> -> tensor<2x16x64xf32>
  %19 = wafer.reduce mean %18 {axes = array<i64: 2>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %20 = wafer.constant dense<9.99999997E-7> : tensor<f32>
  %21 = wafer.add %19, %20 : tensor<2x16x1xf32>, tensor<f32> -> tensor<2x16x1xf32>
  %22 = wafer.sqrt %21 : tensor<2x16x1xf32>
  %23 = wafer.div %x, %22 : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %25 = wafer.mul %23, %w : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
  return %25 : tensor<2x16x64xf32>
}

// -----

// Not a LayerNorm: the mean is over another axis than the variance. What is
// left is an RMSNorm of the centred value, which is what gets fused.
// CHECK-LABEL: func @wrong_axes
// CHECK-NOT: wafer.layer_norm
// CHECK: %[[C:.*]] = wafer.sub %arg0
// CHECK: wafer.rms_norm %[[C]], %{{.*}} {epsilon = 9.99999974E-6 : f32}
func.func @wrong_axes(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = wafer.reduce mean %x {axes = array<i64: 0>, keep_dims} : tensor<4x64xf32> -> tensor<1x64xf32>
  %1 = wafer.sub %x, %0 : tensor<4x64xf32>, tensor<1x64xf32> -> tensor<4x64xf32>
  %2 = wafer.mul %1, %1 : tensor<4x64xf32>, tensor<4x64xf32> -> tensor<4x64xf32>
  %3 = wafer.reduce mean %2 {axes = array<i64: 1>, keep_dims} : tensor<4x64xf32> -> tensor<4x1xf32>
  %5 = wafer.constant dense<1.0e-5> : tensor<f32>
  %6 = wafer.add %3, %5 : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %7 = wafer.sqrt %6 : tensor<4x1xf32>
  %8 = wafer.div %1, %7 : tensor<4x64xf32>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %8 : tensor<4x64xf32>
}

// -----

// RMSNorm as Hugging Face's Llama writes it and PyTorch exports torch.rsqrt
// (opsets 14 and 17): x * (1 / sqrt(mean(x^2) + eps)), the weight first.
// CHECK-LABEL: func @rms_norm_hf_llama
// CHECK-NEXT: %[[Y:.*]] = wafer.rms_norm %arg0, %arg1 : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm_hf_llama(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %0 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %1 = wafer.pow %x, %0 : tensor<2x16x64xf32>, tensor<f32> -> tensor<2x16x64xf32>
  %2 = wafer.reduce mean %1 {axes = array<i64: -1>, keep_dims} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %3 = wafer.constant dense<9.99999997E-7> : tensor<f32>
  %4 = wafer.add %2, %3 : tensor<2x16x1xf32>, tensor<f32> -> tensor<2x16x1xf32>
  %5 = wafer.sqrt %4 : tensor<2x16x1xf32>
  %6 = wafer.constant dense<1.000000e+00> : tensor<f32>
  %7 = wafer.div %6, %5 : tensor<f32>, tensor<2x16x1xf32> -> tensor<2x16x1xf32>
  %8 = wafer.mul %x, %7 : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %9 = wafer.mul %w, %8 : tensor<64xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>
  return %9 : tensor<2x16x64xf32>
}

// -----

// The inverse square root as Rsqrt, the factor first, the variance as x * x.
// CHECK-LABEL: func @rms_norm_rsqrt
// CHECK-NEXT: %[[Y:.*]] = wafer.rms_norm %arg0, %arg1 {{.*}}: tensor<4x32xf32>, tensor<32xf32> -> tensor<4x32xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm_rsqrt(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
  %0 = wafer.mul %x, %x : tensor<4x32xf32>, tensor<4x32xf32> -> tensor<4x32xf32>
  %1 = wafer.reduce mean %0 {axes = array<i64: 1>, keep_dims} : tensor<4x32xf32> -> tensor<4x1xf32>
  %2 = wafer.constant dense<1.0e-5> : tensor<f32>
  %3 = wafer.add %2, %1 : tensor<f32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %4 = wafer.rsqrt %3 : tensor<4x1xf32>
  %5 = wafer.mul %4, %x : tensor<4x1xf32>, tensor<4x32xf32> -> tensor<4x32xf32>
  %6 = wafer.mul %5, %w : tensor<4x32xf32>, tensor<32xf32> -> tensor<4x32xf32>
  return %6 : tensor<4x32xf32>
}

// -----

// The inverse square root as Reciprocal(Sqrt), the weight as [1, 1, D].
// CHECK-LABEL: func @rms_norm_reciprocal
// CHECK: %[[W:.*]] = wafer.reshape %arg1 : tensor<1x1x32xf32> -> tensor<32xf32>
// CHECK-NEXT: %[[Y:.*]] = wafer.rms_norm %arg0, %[[W]]
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm_reciprocal(%x: tensor<2x4x32xf32>, %w: tensor<1x1x32xf32>) -> tensor<2x4x32xf32> {
  %0 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %1 = wafer.pow %x, %0 : tensor<2x4x32xf32>, tensor<f32> -> tensor<2x4x32xf32>
  %2 = wafer.reduce mean %1 {axes = array<i64: 2>, keep_dims} : tensor<2x4x32xf32> -> tensor<2x4x1xf32>
  %3 = wafer.constant dense<1.0e-6> : tensor<f32>
  %4 = wafer.add %2, %3 : tensor<2x4x1xf32>, tensor<f32> -> tensor<2x4x1xf32>
  %5 = wafer.sqrt %4 : tensor<2x4x1xf32>
  %6 = wafer.reciprocal %5 : tensor<2x4x1xf32>
  %7 = wafer.mul %6, %x : tensor<2x4x1xf32>, tensor<2x4x32xf32> -> tensor<2x4x32xf32>
  %8 = wafer.mul %7, %w : tensor<2x4x32xf32>, tensor<1x1x32xf32> -> tensor<2x4x32xf32>
  return %8 : tensor<2x4x32xf32>
}

// -----

// The inverse square root as Pow(v + eps, -0.5), in a LayerNorm.
// CHECK-LABEL: func @layer_norm_pow_half
// CHECK-NEXT: %[[Y:.*]] = wafer.layer_norm %arg0, %arg1, %arg2 : tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<8x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_pow_half(%x: tensor<8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  %0 = wafer.reduce mean %x {axes = array<i64: 1>, keep_dims} : tensor<8x64xf32> -> tensor<8x1xf32>
  %1 = wafer.sub %x, %0 : tensor<8x64xf32>, tensor<8x1xf32> -> tensor<8x64xf32>
  %2 = wafer.mul %1, %1 : tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>
  %3 = wafer.reduce mean %2 {axes = array<i64: 1>, keep_dims} : tensor<8x64xf32> -> tensor<8x1xf32>
  %4 = wafer.constant dense<9.99999974E-6> : tensor<f32>
  %5 = wafer.add %3, %4 : tensor<8x1xf32>, tensor<f32> -> tensor<8x1xf32>
  %6 = wafer.constant dense<-5.000000e-01> : tensor<f32>
  %7 = wafer.pow %5, %6 : tensor<8x1xf32>, tensor<f32> -> tensor<8x1xf32>
  %8 = wafer.mul %1, %7 : tensor<8x64xf32>, tensor<8x1xf32> -> tensor<8x64xf32>
  %9 = wafer.mul %g, %8 : tensor<64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>
  %10 = wafer.add %b, %9 : tensor<64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>
  return %10 : tensor<8x64xf32>
}

// -----

// Not a norm: the square root is of another value than the mean square of
// the numerator; nothing fuses.
// CHECK-LABEL: func @not_a_norm
// CHECK-NOT: wafer.rms_norm
// CHECK: wafer.rsqrt
func.func @not_a_norm(%x: tensor<4x32xf32>, %y: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %0 = wafer.mul %y, %y : tensor<4x32xf32>, tensor<4x32xf32> -> tensor<4x32xf32>
  %1 = wafer.reduce mean %0 {axes = array<i64: 1>, keep_dims} : tensor<4x32xf32> -> tensor<4x1xf32>
  %2 = wafer.constant dense<1.0e-5> : tensor<f32>
  %3 = wafer.add %1, %2 : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %4 = wafer.rsqrt %3 : tensor<4x1xf32>
  %5 = wafer.mul %x, %4 : tensor<4x32xf32>, tensor<4x1xf32> -> tensor<4x32xf32>
  return %5 : tensor<4x32xf32>
}

// -----

// Hugging Face's RMSNorm of a half-precision model: the statistics in fp32
// between casts, the weight applied in fp16. One rms_norm on the fp16 x.
// CHECK-LABEL: func @rms_norm_fp16_with_casts
// CHECK-NEXT: %[[Y:.*]] = wafer.rms_norm %arg0, %arg1 {{.*}}: tensor<2x8x32xf16>, tensor<32xf16> -> tensor<2x8x32xf16>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm_fp16_with_casts(%x: tensor<2x8x32xf16>, %w: tensor<32xf16>) -> tensor<2x8x32xf16> {
  %0 = wafer.cast %x : tensor<2x8x32xf16> to tensor<2x8x32xf32>
  %1 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %2 = wafer.pow %0, %1 : tensor<2x8x32xf32>, tensor<f32> -> tensor<2x8x32xf32>
  %3 = wafer.reduce mean %2 {axes = array<i64: -1>, keep_dims} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
  %4 = wafer.constant dense<1.0e-6> : tensor<f32>
  %5 = wafer.add %3, %4 : tensor<2x8x1xf32>, tensor<f32> -> tensor<2x8x1xf32>
  %6 = wafer.rsqrt %5 : tensor<2x8x1xf32>
  %7 = wafer.mul %0, %6 : tensor<2x8x32xf32>, tensor<2x8x1xf32> -> tensor<2x8x32xf32>
  %8 = wafer.cast %7 : tensor<2x8x32xf32> to tensor<2x8x32xf16>
  %9 = wafer.mul %w, %8 : tensor<32xf16>, tensor<2x8x32xf16> -> tensor<2x8x32xf16>
  return %9 : tensor<2x8x32xf16>
}
