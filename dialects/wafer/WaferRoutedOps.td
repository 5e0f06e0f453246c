//===- WaferRoutedOps.td - wafer routed-level ops ----------*- tablegen -*-===//
//
// Flows between layers (and the wafer's edges) with their routes and
// colors. Routes are lane bundles: each segment is five integers
// (x, y, length, lanes, direction: 0 east, 1 west, 2 south, 3 north), so a
// full-wafer plan stays small however many PEs a flow spans.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_ROUTED_OPS_TD
#define WAFER_ROUTED_OPS_TD

include "WaferAttrs.td"

def Wafer_FlowKind : I32EnumAttr<"FlowKind", "what a flow carries", [
    I32EnumAttrCase<"activation", 0>, I32EnumAttrCase<"input", 1>,
    I32EnumAttrCase<"output", 2>, I32EnumAttrCase<"weights", 3>,
    I32EnumAttrCase<"row_broadcast", 4>,
    I32EnumAttrCase<"column_broadcast", 5>,
    I32EnumAttrCase<"row_reduction", 6>,
    I32EnumAttrCase<"column_reduction", 7>,
    I32EnumAttrCase<"reshard", 8>]> {
  let cppNamespace = "::wafer";
}

def Wafer_RoutingOp : Wafer_Op<"routing", [IsolatedFromAbove, NoTerminator,
                                           SingleBlock]> {
  let summary = "The flows of a placed function, routed and colored";
  let description = [{
    One `wafer.flow` per value that crosses from one layer's region to
    another's (or in from, or out to, the wafer's edge), per layer's
    weight stream in weight-streaming mode, per matmul layer's SUMMA
    panel broadcasts along its region's rows and columns (an attention
    layer's key and value broadcast down its columns), and per row
    normalisation before a product, the reduction of its partial sums, and
    per layer whose kernels regroup data across its PEs, its reshard. The
    attributes summarise the
    routing: the most colors any router carries at once against the
    routable `color_limit`, the most colors any PE terminates, the busiest
    link's bytes per step against the cut `link_load_lower_bound`, the total
    hops, and whether the channel dependencies are acyclic.

    Example:

    ```mlir
    wafer.routing for @main attributes {color_limit = 18 : i64,
        deadlock_free = true, link_load_lower_bound = 64.0 : f64,
        max_colors_per_router = 1 : i64, max_link_load = 128.0 : f64,
        max_terminal_colors = 1 : i64, total_hops = 1 : i64} {
      wafer.flow "fc1->fc2" activation from <x = 0, y = 0, width = 4, height = 8>
          to <x = 4, y = 0, width = 4, height = 8> bytes(1024) color(0)
          active[0, 0] route([3, 0, 1, 8, 0])
    }
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$function,
                       I64Attr:$max_colors_per_router, I64Attr:$color_limit,
                       I64Attr:$max_terminal_colors, F64Attr:$max_link_load,
                       F64Attr:$link_load_lower_bound, I64Attr:$total_hops,
                       BoolAttr:$deadlock_free);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "`for` $function attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Wafer_FlowOp : Wafer_Op<"flow", [HasParent<"RoutingOp">]> {
  let summary = "One flow with its route and color";
  let description = [{
    `bytes` per step move from `source` to `destination` on color `color`
    (-1 when the regions overlap and nothing leaves the PEs), along the lane
    bundle `route`, during cycles `[active_start, active_end)` (equal
    bounds: all the time, as in pipelined mode). A `row_broadcast` or
    `column_broadcast` has its layer's region as source and destination and
    carries the operand whose panels travel along the rows (columns); a
    `row_reduction` (`column_reduction`) likewise carries a normalisation's
    per-row partial sums back along the rows (up the columns) to the
    region's first column (row), whose broadcast returns the statistics. A
    `reshard` carries what the layer's kernels regroup across its PEs (a
    transpose, a reshape that changes the last dimension, a gather) along
    every row and then down every column of its region. Flows with the same
    `multicast` id carry one value from one source to several layers: their
    routes may share a color, which a router sends on to several outputs.

    Example:

    ```mlir
    wafer.flow "h0.mlp.fc.weight" weights from <x = 4, y = 1, width = 1, height = 1170>
        to <x = 4, y = 1, width = 755, height = 1170> bytes(17179869184) color(0)
        active[0, 125829] route([4, 1, 754, 1170, 0])
    ```
  }];
  let arguments = (ins StrAttr:$name, Wafer_FlowKind:$kind,
                       Wafer_RegionAttr:$source, Wafer_RegionAttr:$destination,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$bytes,
                       ConfinedAttr<I64Attr, [IntMinValue<-1>]>:$color,
                       I64Attr:$active_start, I64Attr:$active_end,
                       DenseI64ArrayAttr:$route,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<0>]>>:$multicast);
  let assemblyFormat = [{
    $name $kind `from` $source `to` $destination `bytes` `(` $bytes `)`
    `color` `(` $color `)` `active` `[` $active_start `,` $active_end `]`
    `route` `(` $route `)` attr-dict
  }];
  let hasVerifier = 1;
}

#endif // WAFER_ROUTED_OPS_TD
