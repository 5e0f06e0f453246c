// One GPT-2-style transformer block at the wafer graph level: layer norm,
// fused QKV projection, causal multi-head attention, output projection, MLP
// with tanh GELU, residuals. Weights are references into block.data and are
// never read by the compiler.
func.func @gpt_block(%x: tensor<1x64x128xf32>) -> tensor<1x64x128xf32> {
  %ln1_g = wafer.weight "h.0.ln_1.weight" at "block.data"[0, 512] : tensor<128xf32>
  %ln1_b = wafer.weight "h.0.ln_1.bias" at "block.data"[512, 512] : tensor<128xf32>
  %qkv_w = wafer.weight "h.0.attn.c_attn.weight" at "block.data"[1024, 196608] : tensor<128x384xf32>
  %qkv_b = wafer.weight "h.0.attn.c_attn.bias" at "block.data"[197632, 1536] : tensor<384xf32>
  %proj_w = wafer.weight "h.0.attn.c_proj.weight" at "block.data"[199168, 65536] : tensor<128x128xf32>
  %ln2_g = wafer.weight "h.0.ln_2.weight" at "block.data"[264704, 512] : tensor<128xf32>
  %ln2_b = wafer.weight "h.0.ln_2.bias" at "block.data"[265216, 512] : tensor<128xf32>
  %fc_w = wafer.weight "h.0.mlp.c_fc.weight" at "block.data"[265728, 262144] : tensor<128x512xf32>
  %fc2_w = wafer.weight "h.0.mlp.c_proj.weight" at "block.data"[527872, 262144] : tensor<512x128xf32>

  %h = wafer.layer_norm %x, %ln1_g, %ln1_b : tensor<1x64x128xf32>, tensor<128xf32>, tensor<128xf32> -> tensor<1x64x128xf32>
  %qkv = wafer.matmul %h, %qkv_w, %qkv_b : tensor<1x64x128xf32>, tensor<128x384xf32>, tensor<384xf32> -> tensor<1x64x384xf32>
  %q, %k, %v = wafer.split %qkv {axis = 2 : i64} : tensor<1x64x384xf32> -> tensor<1x64x128xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32>
  %att = wafer.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 0.17677669 : f32, causal} : tensor<1x64x128xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x64x128xf32>
  %proj = wafer.matmul %att, %proj_w : tensor<1x64x128xf32>, tensor<128x128xf32> -> tensor<1x64x128xf32>
  %r1 = wafer.add %x, %proj : tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x64x128xf32>

  %h2 = wafer.layer_norm %r1, %ln2_g, %ln2_b : tensor<1x64x128xf32>, tensor<128xf32>, tensor<128xf32> -> tensor<1x64x128xf32>
  %fc = wafer.matmul %h2, %fc_w : tensor<1x64x128xf32>, tensor<128x512xf32> -> tensor<1x64x512xf32>
  %act = wafer.gelu %fc {approximation = #wafer<gelu_approximation tanh>} : tensor<1x64x512xf32>
  %fc2 = wafer.matmul %act, %fc2_w : tensor<1x64x512xf32>, tensor<512x128xf32> -> tensor<1x64x128xf32>
  %r2 = wafer.add %r1, %fc2 : tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x64x128xf32>
  return %r2 : tensor<1x64x128xf32>
}
