//===- WaferAttrs.td - wafer attributes and enums ----------*- tablegen -*-===//

#ifndef WAFER_ATTRS_TD
#define WAFER_ATTRS_TD

include "WaferBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Wafer_CompareKind : I32EnumAttr<"CompareKind", "comparison predicate", [
    I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"ne", 1>,
    I32EnumAttrCase<"lt", 2>, I32EnumAttrCase<"le", 3>,
    I32EnumAttrCase<"gt", 4>, I32EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::wafer";
}

def Wafer_ReduceKind : I32EnumAttr<"ReduceKind", "reduction combiner", [
    I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"mean", 1>,
    I32EnumAttrCase<"max", 2>, I32EnumAttrCase<"min", 3>,
    I32EnumAttrCase<"prod", 4>]> {
  let cppNamespace = "::wafer";
}

def Wafer_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "GELU formula", [
    I32EnumAttrCase<"erf", 0>, I32EnumAttrCase<"tanh", 1>]> {
  let cppNamespace = "::wafer";
  let genSpecializedAttr = 0;
}
def Wafer_GeluApproximationAttr
    : EnumAttr<Wafer_Dialect, Wafer_GeluApproximation, "gelu_approximation">;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class Wafer_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Wafer_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Wafer_RegionAttr : Wafer_Attr<"Region", "region"> {
  let summary = "A rectangle of processing elements";
  let description = [{
    A rectangle of PEs on the fabric: `x` and `y` are the column and row of
    its north-west corner (the fabric's origin is its north-west PE, x grows
    east and y grows south, as in the Cerebras SDK), `width` counts columns
    and `height` counts rows. Placement assigns one region to every layer.

    Example:

    ```mlir
    #wafer.region<x = 4, y = 1, width = 750, height = 994>
    ```
  }];
  let parameters = (ins "int64_t":$x, "int64_t":$y, "int64_t":$width,
                        "int64_t":$height);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of PEs in the rectangle.
    int64_t getArea() const { return getWidth() * getHeight(); }
    /// Whether `other` lies entirely inside this rectangle.
    bool contains(RegionAttr other) const;
    /// Whether this rectangle and `other` share at least one PE.
    bool overlaps(RegionAttr other) const;
  }];
}

def Wafer_TargetAttr : Wafer_Attr<"Target", "target"> {
  let summary = "A wafer-scale target machine, described as data";
  let description = [{
    Every number the compiler and the emulator's cost model know about the
    machine. `rows` and `cols` give the full fabric; `usable` is the rectangle
    a program may use (the rest is taken by the host I/O halo). Rates are per
    PE per cycle unless named otherwise; bandwidths are bytes per second.

    The presets `wse2` and `wse3` hold the values of
    `docs/targets.md`, with their sources; `wafer-opt` and `wafer-compile`
    accept a preset name with overrides, e.g. `wse3:rows=16,cols=16`.

    Example:

    ```mlir
    module attributes {wafer.target = #wafer.target<name = "tiny",
        rows = 4, cols = 4,
        usable = #wafer.region<x = 0, y = 0, width = 4, height = 4>,
        sram_bytes = 49152, sram_reserve_bytes = 6144, clock_mhz = 1100,
        fp32_flops_per_cycle = 2, fp16_flops_per_cycle = 16,
        link_bytes_per_cycle = 4, colors = 24, reserved_colors = 6,
        input_queues = 8, edge_io_bytes_per_second = 150000000000,
        weight_memory_bytes_per_second = 150000000000,
        weight_memory_bytes = 12000000000000>} {}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"preset or user name of the target">:$name,
    "int64_t":$rows,
    "int64_t":$cols,
    "RegionAttr":$usable,
    "int64_t":$sram_bytes,
    "int64_t":$sram_reserve_bytes,
    "int64_t":$clock_mhz,
    "int64_t":$fp32_flops_per_cycle,
    "int64_t":$fp16_flops_per_cycle,
    "int64_t":$link_bytes_per_cycle,
    "int64_t":$colors,
    "int64_t":$reserved_colors,
    "int64_t":$input_queues,
    "int64_t":$edge_io_bytes_per_second,
    "int64_t":$weight_memory_bytes_per_second,
    "int64_t":$weight_memory_bytes,
    DefaultValuedParameter<"int64_t", "2000",
        "latency of one level of the broadcast/reduce tree between wafers, ns">:$fabric_level_ns
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The MLIR-free description the cost model and the emulator share.
    ::wafer::TargetDesc toDesc() const;
    /// Builds the attribute from a description (which must be valid).
    static TargetAttr get(::mlir::MLIRContext *context,
                          const ::wafer::TargetDesc &desc);
  }];
}

#endif // WAFER_ATTRS_TD
