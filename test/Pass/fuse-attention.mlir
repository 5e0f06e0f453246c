// RUN: wafer-opt %s --canonicalize --wafer-fuse-kernels="families=attention" --canonicalize --split-input-file | FileCheck %s

// GPT-2 (gpt-opset14): fused QKV split into heads, K transposed with
// [0, 2, 3, 1], scale on the scores, a constant causal mask by select.
// CHECK-LABEL: func @gpt_causal
// CHECK-SAME: (%[[Q:.*]]: tensor<2x16x64xf32>, %[[K:.*]]: tensor<2x16x64xf32>, %[[V:.*]]: tensor<2x16x64xf32>)
// CHECK-NEXT: %[[O:.*]] = wafer.attention %[[Q]], %[[K]], %[[V]] {causal, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32} : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>
// CHECK-NEXT: return %[[O]]
func.func @gpt_causal(%q: tensor<2x16x64xf32>, %k: tensor<2x16x64xf32>, %v: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  %35 = wafer.reshape %q : tensor<2x16x64xf32> -> tensor<2x16x4x16xf32>
  %36 = wafer.transpose %35 {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x16x4x16xf32> -> tensor<2x4x16x16xf32>
  %37 = wafer.reshape %k : tensor<2x16x64xf32> -> tensor<2x16x4x16xf32>
  %38 = wafer.reshape %v : tensor<2x16x64xf32> -> tensor<2x16x4x16xf32>
  %39 = wafer.transpose %38 {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x16x4x16xf32> -> tensor<2x4x16x16xf32>
  %40 = wafer.transpose %37 {permutation = array<i64: 0, 2, 3, 1>} : tensor<2x16x4x16xf32> -> tensor<2x4x16x16xf32>
  %41 = wafer.matmul %36, %40 : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32> -> tensor<2x4x16x16xf32>
  %42 = wafer.constant dense<2.500000e-01> : tensor<f32>
  %43 = wafer.mul %41, %42 : tensor<2x4x16x16xf32>, tensor<f32> -> tensor<2x4x16x16xf32>
  %44 = wafer.constant dense<0xFF800000> : tensor<f32>
  %45 = wafer.constant dense<"0xFEFFFCFFF8FFF0FFE0FFC0FF80FF00FF00FE00FC00F800F000E000C000800000"> : tensor<16x16xi1>
  %46 = wafer.select %45, %44, %43 : tensor<16x16xi1>, tensor<f32>, tensor<2x4x16x16xf32> -> tensor<2x4x16x16xf32>
  %47 = wafer.softmax %46 : tensor<2x4x16x16xf32>
  %48 = wafer.matmul %47, %39 : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32> -> tensor<2x4x16x16xf32>
  %49 = wafer.transpose %48 {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x4x16x16xf32> -> tensor<2x16x4x16xf32>
  %50 = wafer.reshape %49 : tensor<2x16x4x16xf32> -> tensor<2x16x64xf32>
  return %50 : tensor<2x16x64xf32>
}

// -----

// Llama: division by sqrt(d), an additive causal mask of -inf above the
// diagonal, K transposed with [0, 1, 3, 2] after rotary embedding.
// CHECK-LABEL: func @llama_additive_causal
// CHECK: wafer.attention {{.*}} {causal, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 5.000000e-01 : f32} : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x4x8xf32>
// CHECK-NOT: wafer.softmax
func.func @llama_additive_causal(%qh: tensor<1x2x4x4xf32>, %kh: tensor<1x2x4x4xf32>, %vh: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %51 = wafer.transpose %kh {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %52 = wafer.matmul %qh, %51 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %53 = wafer.constant dense<2.000000e+00> : tensor<f32>
  %54 = wafer.div %52, %53 : tensor<1x2x4x4xf32>, tensor<f32> -> tensor<1x2x4x4xf32>
  %55 = wafer.constant dense<[[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]]]> : tensor<1x1x4x4xf32>
  %56 = wafer.add %54, %55 : tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32> -> tensor<1x2x4x4xf32>
  %57 = wafer.softmax %56 : tensor<1x2x4x4xf32>
  %58 = wafer.matmul %57, %vh : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %58 : tensor<1x2x4x4xf32>
}

// -----

// PyTorch's MultiheadAttention (bert): heads as [B*H, S, D], scale applied
// to Q before the product, no mask.
// CHECK-LABEL: func @bert_mha
// CHECK: wafer.attention {{.*}} {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32} : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>
// CHECK-NOT: wafer.softmax
// CHECK-NOT: wafer.div
func.func @bert_mha(%q: tensor<16x2x64xf32>, %k: tensor<16x2x64xf32>, %v: tensor<16x2x64xf32>) -> tensor<8x16x16xf32> {
  %16 = wafer.reshape %q : tensor<16x2x64xf32> -> tensor<16x8x16xf32>
  %17 = wafer.transpose %16 {permutation = array<i64: 1, 0, 2>} : tensor<16x8x16xf32> -> tensor<8x16x16xf32>
  %18 = wafer.reshape %k : tensor<16x2x64xf32> -> tensor<16x8x16xf32>
  %19 = wafer.reshape %v : tensor<16x2x64xf32> -> tensor<16x8x16xf32>
  %20 = wafer.transpose %19 {permutation = array<i64: 1, 0, 2>} : tensor<16x8x16xf32> -> tensor<8x16x16xf32>
  %21 = wafer.constant dense<4.000000e+00> : tensor<f32>
  %22 = wafer.div %17, %21 : tensor<8x16x16xf32>, tensor<f32> -> tensor<8x16x16xf32>
  %23 = wafer.transpose %18 {permutation = array<i64: 1, 2, 0>} : tensor<16x8x16xf32> -> tensor<8x16x16xf32>
  %24 = wafer.matmul %22, %23 : tensor<8x16x16xf32>, tensor<8x16x16xf32> -> tensor<8x16x16xf32>
  %25 = wafer.softmax %24 : tensor<8x16x16xf32>
  %26 = wafer.matmul %25, %20 : tensor<8x16x16xf32>, tensor<8x16x16xf32> -> tensor<8x16x16xf32>
  return %26 : tensor<8x16x16xf32>
}

// -----

// A causal mask made on the wafer, as the Trilu importer builds it
// (Trilu(ones, k = 1) selecting -65504): recognised by structure.
// CHECK-LABEL: func @trilu_causal
// CHECK: wafer.attention {{.*}} {causal, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 1.000000e+00 : f32} : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x4x8xf32>
// CHECK-NOT: wafer.iota
func.func @trilu_causal(%qh: tensor<1x2x4x4xf32>, %kh: tensor<1x2x4x4xf32>, %vh: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %row = wafer.iota {dimension = 0 : i64} : tensor<4x1xi64>
  %col = wafer.iota {dimension = 1 : i64} : tensor<1x4xi64>
  %diff = wafer.sub %col, %row : tensor<1x4xi64>, tensor<4x1xi64> -> tensor<4x4xi64>
  %one = wafer.constant dense<1> : tensor<i64>
  %keep = wafer.compare ge, %diff, %one : tensor<4x4xi64>, tensor<i64> -> tensor<4x4xi1>
  %true = wafer.constant dense<true> : tensor<4x4xi1>
  %false = wafer.constant dense<false> : tensor<i1>
  %future = wafer.select %keep, %true, %false : tensor<4x4xi1>, tensor<4x4xi1>, tensor<i1> -> tensor<4x4xi1>
  %neg = wafer.constant dense<-6.550400e+04> : tensor<f32>
  %s = wafer.matmul %qh, %kh {transpose_rhs} : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %m = wafer.select %future, %neg, %s : tensor<4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %p = wafer.softmax %m : tensor<1x2x4x4xf32>
  %o = wafer.matmul %p, %vh : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %o : tensor<1x2x4x4xf32>
}

// -----

// Trilu with k = 0 also hides the diagonal: not causal, it stays a mask.
// CHECK-LABEL: func @trilu_diagonal
// CHECK: wafer.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 1.000000e+00 : f32}
func.func @trilu_diagonal(%qh: tensor<1x2x4x4xf32>, %kh: tensor<1x2x4x4xf32>, %vh: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %row = wafer.iota {dimension = 0 : i64} : tensor<4x1xi64>
  %col = wafer.iota {dimension = 1 : i64} : tensor<1x4xi64>
  %diff = wafer.sub %col, %row : tensor<1x4xi64>, tensor<4x1xi64> -> tensor<4x4xi64>
  %zero = wafer.constant dense<0> : tensor<i64>
  %future = wafer.compare ge, %diff, %zero : tensor<4x4xi64>, tensor<i64> -> tensor<4x4xi1>
  %neg = wafer.constant dense<-6.550400e+04> : tensor<f32>
  %s = wafer.matmul %qh, %kh {transpose_rhs} : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %m = wafer.select %future, %neg, %s : tensor<4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %p = wafer.softmax %m : tensor<1x2x4x4xf32>
  %o = wafer.matmul %p, %vh : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %o : tensor<1x2x4x4xf32>
}

// -----

// A padding mask (not causal) stays an additive mask operand.
// CHECK-LABEL: func @padding_mask
// CHECK: wafer.attention %{{.*}}, %{{.*}}, %{{.*}}, %arg3 {num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 1.000000e+00 : f32}
func.func @padding_mask(%qh: tensor<1x2x4x4xf32>, %kh: tensor<1x2x4x4xf32>, %vh: tensor<1x2x4x4xf32>, %mask: tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32> {
  %s = wafer.matmul %qh, %kh {transpose_rhs} : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %m = wafer.add %s, %mask : tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32> -> tensor<1x2x4x4xf32>
  %p = wafer.softmax %m : tensor<1x2x4x4xf32>
  %o = wafer.matmul %p, %vh : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %o : tensor<1x2x4x4xf32>
}

// -----

// Softmax over the wrong axis is not attention.
// CHECK-LABEL: func @wrong_axis
// CHECK-NOT: wafer.attention
func.func @wrong_axis(%qh: tensor<1x2x4x4xf32>, %kh: tensor<1x2x4x4xf32>, %vh: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %s = wafer.matmul %qh, %kh {transpose_rhs} : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %p = wafer.softmax %s {axis = 2 : i64} : tensor<1x2x4x4xf32>
  %o = wafer.matmul %p, %vh : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %o : tensor<1x2x4x4xf32>
}

// -----

// Grouped-query attention as Hugging Face writes it (repeat_kv): 4 query
// heads, 2 key/value heads, each repeated by a reshape, a broadcast and a
// reshape; the attention reads the 2 heads (num_kv_heads = 2), not copies.
// CHECK-LABEL: func @grouped_query_repeat_kv
// CHECK: wafer.attention {{.*}} {causal, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 5.000000e-01 : f32} : tensor<1x4x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x4x16xf32>
// CHECK-NOT: wafer.broadcast
// CHECK-NOT: wafer.softmax
func.func @grouped_query_repeat_kv(%qh: tensor<1x4x4x4xf32>, %kh: tensor<1x2x4x4xf32>, %vh: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %k0 = wafer.reshape %kh : tensor<1x2x4x4xf32> -> tensor<1x2x1x4x4xf32>
  %k1 = wafer.broadcast %k0 : tensor<1x2x1x4x4xf32> -> tensor<1x2x2x4x4xf32>
  %k = wafer.reshape %k1 : tensor<1x2x2x4x4xf32> -> tensor<1x4x4x4xf32>
  %v0 = wafer.reshape %vh : tensor<1x2x4x4xf32> -> tensor<1x2x1x4x4xf32>
  %v1 = wafer.broadcast %v0 : tensor<1x2x1x4x4xf32> -> tensor<1x2x2x4x4xf32>
  %v = wafer.reshape %v1 : tensor<1x2x2x4x4xf32> -> tensor<1x4x4x4xf32>
  %kt = wafer.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %s = wafer.matmul %qh, %kt : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c = wafer.constant dense<2.000000e+00> : tensor<f32>
  %t = wafer.div %s, %c : tensor<1x4x4x4xf32>, tensor<f32> -> tensor<1x4x4x4xf32>
  %m = wafer.constant dense<[[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]]]> : tensor<1x1x4x4xf32>
  %a = wafer.add %t, %m : tensor<1x4x4x4xf32>, tensor<1x1x4x4xf32> -> tensor<1x4x4x4xf32>
  %p = wafer.softmax %a : tensor<1x4x4x4xf32>
  %y = wafer.matmul %p, %v : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// A broadcast that does not repeat whole heads (here along the sequence)
// is not grouped-query attention: the keys keep their 4 heads.
// CHECK-LABEL: func @broadcast_not_repeat_kv
// CHECK: wafer.broadcast
// CHECK: wafer.attention {{.*}} {num_heads = 4 : i64, num_kv_heads = 4 : i64
func.func @broadcast_not_repeat_kv(%qh: tensor<1x4x4x4xf32>, %kh: tensor<1x4x1x4xf32>, %vh: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %k = wafer.broadcast %kh : tensor<1x4x1x4xf32> -> tensor<1x4x4x4xf32>
  %kt = wafer.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %s = wafer.matmul %qh, %kt : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %p = wafer.softmax %s : tensor<1x4x4x4xf32>
  %y = wafer.matmul %p, %vh : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}
