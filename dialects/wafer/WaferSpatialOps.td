//===- WaferSpatialOps.td - wafer spatial-level ops --------*- tablegen -*-===//
//
// Where each layer runs on the PE grid, how much SRAM it takes per PE, when
// it computes, and (in weight-streaming mode) which weight tiles stream into
// which buffer slots when. The kernels stay in their function; a
// `wafer.placement` beside it refers to the function's layers by name.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_SPATIAL_OPS_TD
#define WAFER_SPATIAL_OPS_TD

include "WaferAttrs.td"
include "mlir/IR/SymbolInterfaces.td"

def Wafer_ExecutionMode : I32EnumAttr<"ExecutionMode", "execution mode", [
    I32EnumAttrCase<"pipelined", 0>,
    I32EnumAttrCase<"weight_streaming", 1>]> {
  let cppNamespace = "::wafer";
}

def Wafer_PlacementOp : Wafer_Op<"placement", [IsolatedFromAbove, NoTerminator,
                                               SingleBlock]> {
  let summary = "The placement and schedule of a function's layers";
  let description = [{
    Holds one `wafer.place` per layer of `function` (layers as formed by
    `wafer-annotate-layers`, named by their anchor's ONNX node), in program
    order. `mode` is `pipelined` (every layer resident on its own rectangle,
    the slowest setting the step time) or `weight_streaming` (layers in turn
    over the whole usable grid while their weights stream into two buffer
    slots of `slot_bytes` per PE; `passes` tiles of the batch).
    `predicted_cycles` is the modeled step time and `lower_bound_cycles` what
    no placement can beat (docs/placement.md).

    Example:

    ```mlir
    wafer.placement for @main mode(weight_streaming) attributes {lower_bound_cycles = 90 : i64,
        passes = 1 : i64, predicted_cycles = 98 : i64, slot_bytes = 1024 : i64} {
      wafer.place "fc" at <x = 0, y = 0, width = 4, height = 4> sram(2048)
          cycles[10, 40] {
        wafer.stream "fc.weight"[0, 4096] slot 0 arrive[0, 10] compute[10, 50]
      }
    }
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$function,
                       Wafer_ExecutionMode:$mode,
                       I64Attr:$predicted_cycles,
                       I64Attr:$lower_bound_cycles,
                       I64Attr:$slot_bytes,
                       I64Attr:$passes);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `for` $function `mode` `(` $mode `)` attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
}

def Wafer_PlaceOp : Wafer_Op<"place", [HasParent<"PlacementOp">,
                                       NoTerminator, SingleBlock]> {
  let summary = "One layer on a rectangle of PEs";
  let description = [{
    Layer `layer` runs on `region`, keeping `sram_bytes_per_pe` bytes on each
    of its PEs (resident weights, activations and buffer slots). It computes
    for `cycles` from `start_cycle` (always 0 in pipelined mode, where every
    layer runs all the time). In weight-streaming mode its body lists the
    weight tiles streamed for it, in order.

    Example:

    ```mlir
    wafer.place "h0.attn.qkv" at <x = 4, y = 1, width = 28, height = 450>
        sram(781) cycles[0, 36512] {
    }
    ```
  }];
  let arguments = (ins StrAttr:$layer, Wafer_RegionAttr:$region,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$sram_bytes_per_pe,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$start_cycle,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$cycles);
  let regions = (region SizedRegion<1>:$tiles);
  let assemblyFormat = [{
    $layer `at` $region `sram` `(` $sram_bytes_per_pe `)` `cycles` `[`
    $start_cycle `,` $cycles `]` attr-dict-with-keyword $tiles
  }];
}

def Wafer_StreamOp : Wafer_Op<"stream", [HasParent<"PlaceOp">]> {
  let summary = "One weight tile streamed into a buffer slot";
  let description = [{
    Bytes `[offset, offset + bytes)` of weight `weight` stream from off-wafer
    memory into buffer slot `slot` of every PE of the enclosing layer's
    region during cycles `[arrive_start, arrive_end)`; the layer computes on
    them during `[compute_start, release)`, after which the slot is free.

    Example:

    ```mlir
    wafer.stream "h0.mlp.fc.weight"[0, 17179869184] slot 1
        arrive[100, 125929] compute[125929, 130000]
    ```
  }];
  let arguments = (ins StrAttr:$weight,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$offset,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$bytes,
                       ConfinedAttr<I64Attr, [IntMinValue<0>, IntMaxValue<1>]>:$slot,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$arrive_start,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$arrive_end,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$compute_start,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$release);
  let assemblyFormat = [{
    $weight `[` $offset `,` $bytes `]` `slot` $slot `arrive` `[` $arrive_start
    `,` $arrive_end `]` `compute` `[` $compute_start `,` $release `]`
    attr-dict
  }];
  let hasVerifier = 1;
}

#endif // WAFER_SPATIAL_OPS_TD
