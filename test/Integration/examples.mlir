// The bundled example stays valid IR (the README's main command runs it).
// RUN: wafer-opt %wafer_src_root/examples/gpt-block.mlir --wafer-attach-target | FileCheck %s
// CHECK: module attributes {wafer.target = #wafer.target<name = "wse3"
// CHECK-LABEL: func @gpt_block
// CHECK: wafer.layer_norm
// CHECK: wafer.attention {{.*}} {causal, num_heads = 4 : i64
// CHECK: wafer.layer_norm
// CHECK: wafer.gelu
