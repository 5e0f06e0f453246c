// RUN: wafer-opt %s --wafer-fuse-kernels="families=activation" --split-input-file | FileCheck %s

// GELU, erf form, as nn.GELU() exports (bert, gpt).
// CHECK-LABEL: func @gelu_erf
// CHECK-NEXT: %[[Y:.*]] = wafer.gelu %arg0 : tensor<2x16x256xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_erf(%x: tensor<2x16x256xf32>) -> tensor<2x16x256xf32> {
  %39 = wafer.constant dense<1.41421354> : tensor<f32>
  %40 = wafer.div %x, %39 : tensor<2x16x256xf32>, tensor<f32> -> tensor<2x16x256xf32>
  %41 = wafer.erf %40 : tensor<2x16x256xf32>
  %42 = wafer.constant dense<1.000000e+00> : tensor<f32>
  %43 = wafer.add %41, %42 : tensor<2x16x256xf32>, tensor<f32> -> tensor<2x16x256xf32>
  %44 = wafer.mul %x, %43 : tensor<2x16x256xf32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %45 = wafer.constant dense<5.000000e-01> : tensor<f32>
  %46 = wafer.mul %44, %45 : tensor<2x16x256xf32>, tensor<f32> -> tensor<2x16x256xf32>
  return %46 : tensor<2x16x256xf32>
}

// -----

// GELU, erf form with the half applied to x first and 1/sqrt(2) multiplied.
// CHECK-LABEL: func @gelu_erf_half_first
// CHECK-NEXT: %[[Y:.*]] = wafer.gelu %arg0 : tensor<8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_erf_half_first(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = wafer.constant dense<0.707106769> : tensor<f32>
  %u = wafer.mul %c, %x : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %e = wafer.erf %u : tensor<8xf32>
  %one = wafer.constant dense<1.000000e+00> : tensor<f32>
  %t = wafer.add %one, %e : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %half = wafer.constant dense<5.000000e-01> : tensor<f32>
  %hx = wafer.mul %half, %x : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
  %y = wafer.mul %hx, %t : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// GELU, tanh form, as nn.GELU(approximate="tanh") exports (gpt-opset14).
// CHECK-LABEL: func @gelu_tanh
// CHECK-NEXT: %[[Y:.*]] = wafer.gelu %arg0 {approximation = #wafer<gelu_approximation tanh>} : tensor<2x16x256xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_tanh(%x: tensor<2x16x256xf32>) -> tensor<2x16x256xf32> {
  %70 = wafer.mul %x, %x : tensor<2x16x256xf32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %71 = wafer.mul %x, %70 : tensor<2x16x256xf32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %72 = wafer.constant dense<4.471500e-02> : tensor<f32>
  %73 = wafer.mul %72, %71 : tensor<f32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %74 = wafer.add %x, %73 : tensor<2x16x256xf32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %75 = wafer.constant dense<0.797884583> : tensor<f32>
  %76 = wafer.mul %75, %74 : tensor<f32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %77 = wafer.tanh %76 : tensor<2x16x256xf32>
  %78 = wafer.constant dense<1.000000e+00> : tensor<f32>
  %79 = wafer.add %78, %77 : tensor<f32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %80 = wafer.mul %x, %79 : tensor<2x16x256xf32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %81 = wafer.constant dense<5.000000e-01> : tensor<f32>
  %82 = wafer.mul %81, %80 : tensor<f32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  return %82 : tensor<2x16x256xf32>
}

// -----

// GELU, tanh form with pow(x, 3) (HuggingFace's NewGELU).
// CHECK-LABEL: func @gelu_tanh_pow
// CHECK: wafer.gelu %arg0 {approximation = #wafer<gelu_approximation tanh>}
// CHECK-NOT: wafer.tanh
func.func @gelu_tanh_pow(%x: tensor<8xf32>) -> tensor<8xf32> {
  %three = wafer.constant dense<3.0> : tensor<f32>
  %cube = wafer.pow %x, %three : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %c = wafer.constant dense<4.471500e-02> : tensor<f32>
  %t1 = wafer.mul %cube, %c : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %in = wafer.add %t1, %x : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %k = wafer.constant dense<0.797884583> : tensor<f32>
  %u = wafer.mul %in, %k : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %th = wafer.tanh %u : tensor<8xf32>
  %one = wafer.constant dense<1.000000e+00> : tensor<f32>
  %t = wafer.add %th, %one : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %half = wafer.constant dense<5.000000e-01> : tensor<f32>
  %h = wafer.mul %t, %half : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %y = wafer.mul %h, %x : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// SiLU gating as the Llama export spells it.
// CHECK-LABEL: func @silu
// CHECK-NEXT: %[[S:.*]] = wafer.silu %arg0 : tensor<2x16x256xf32>
// CHECK-NEXT: %[[Y:.*]] = wafer.mul %[[S]], %arg1
// CHECK-NEXT: return %[[Y]]
func.func @silu(%g: tensor<2x16x256xf32>, %u: tensor<2x16x256xf32>) -> tensor<2x16x256xf32> {
  %73 = wafer.sigmoid %g : tensor<2x16x256xf32>
  %74 = wafer.mul %g, %73 : tensor<2x16x256xf32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  %76 = wafer.mul %74, %u : tensor<2x16x256xf32>, tensor<2x16x256xf32> -> tensor<2x16x256xf32>
  return %76 : tensor<2x16x256xf32>
}

// -----

// Not GELU: the constant is 0.6, not 0.5.
// CHECK-LABEL: func @not_gelu
// CHECK-NOT: wafer.gelu
func.func @not_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = wafer.constant dense<1.41421354> : tensor<f32>
  %u = wafer.div %x, %c : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %e = wafer.erf %u : tensor<8xf32>
  %one = wafer.constant dense<1.000000e+00> : tensor<f32>
  %t = wafer.add %e, %one : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %m = wafer.mul %x, %t : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %h = wafer.constant dense<6.000000e-01> : tensor<f32>
  %y = wafer.mul %m, %h : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}
