//===- WaferBase.td - wafer dialect definition -------------*- tablegen -*-===//
//
// The wafer dialect: one dialect, several levels, lowered in turn by the
// compiler's passes.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_BASE_TD
#define WAFER_BASE_TD

include "mlir/IR/OpBase.td"

def Wafer_Dialect : Dialect {
  let name = "wafer";
  let cppNamespace = "::wafer";
  let summary = "Transformers on wafer-scale dataflow machines";
  let description = [{
    The `wafer` dialect models a transformer from its ONNX graph down to an
    executable plan for a wafer-scale engine: a 2-D mesh of processing
    elements (PEs), each with its own SRAM, linked to its four neighbours and
    fed with weights from off-wafer memory.

    The dialect has three levels, each with its own ops; passes lower from one
    to the next:

    * **Graph level** (`WaferGraphOps.td`): value-semantics ops on ranked
      tensors, one per mathematical operation a transformer needs (matmul,
      elementwise, normalisations, attention, data movement). Weights are held
      *by reference* (`wafer.weight`): the IR records a weight's name, shape,
      element type and where its bytes live, never the bytes themselves, so a
      1T-parameter model's IR stays small.
    * **Spatial level**: layers placed on rectangles of PEs
      (`#wafer.region`) of a target (`#wafer.target`), with their SRAM budget
      and weight-stream schedule.
    * **Routed level**: flows between regions with routes and colors on the
      mesh.

    A module is compiled for one target, attached as the discardable module
    attribute `wafer.target`. Function arguments and results imported from a
    model carry the model's input and output names as `wafer.name`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let hasConstantMaterializer = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Name of the module attribute that holds the compilation target.
    static constexpr ::llvm::StringLiteral getTargetAttrName() {
      return ::llvm::StringLiteral("wafer.target");
    }
    /// Names of the attributes that record an op's layer and an anchor's
    /// layer cost (wafer-annotate-layers).
    static constexpr ::llvm::StringLiteral getLayerAttrName() {
      return ::llvm::StringLiteral("wafer.layer");
    }
    static constexpr ::llvm::StringLiteral getCostAttrName() {
      return ::llvm::StringLiteral("wafer.cost");
    }
    /// Name of the argument and result attribute that holds the model's
    /// name for a graph input or output.
    static constexpr ::llvm::StringLiteral getNameAttrName() {
      return ::llvm::StringLiteral("wafer.name");
    }
    /// Name of the result attribute that says which weight a returned
    /// gradient belongs to (wafer-autodiff).
    static constexpr ::llvm::StringLiteral getGradientOfAttrName() {
      return ::llvm::StringLiteral("wafer.gradient_of");
    }
    /// Name of the module attribute that makes a module a training step:
    /// `{optimizer = "adamw:lr=1e-4"}` (core::parseOptimizerSpec's words).
    static constexpr ::llvm::StringLiteral getTrainingAttrName() {
      return ::llvm::StringLiteral("wafer.training");
    }
    /// Reads a `wafer.training` value; returns an error phrase or "".
    static std::string readTraining(::mlir::Attribute value,
                                    ::wafer::core::OptimizerSpec &optimizer);
    /// Name of the module attribute that cuts the step's batch into parts
    /// over micro-batches and wafers: `{batch = 16, part_rows = 4,
    /// wafer_parts = array<i64: 2, 2>}` (core::BatchSplit).
    static constexpr ::llvm::StringLiteral getDataParallelAttrName() {
      return ::llvm::StringLiteral("wafer.data_parallel");
    }
    /// Reads a `wafer.data_parallel` value; returns an error phrase or "".
    static std::string readDataParallel(::mlir::Attribute value,
                                        ::wafer::core::BatchSplit &split);
    /// Builds a `wafer.data_parallel` value.
    static ::mlir::DictionaryAttr
    makeDataParallel(::mlir::MLIRContext *context,
                     const ::wafer::core::BatchSplit &split);
    /// Name of the result attribute that says how a result each part
    /// computes for its own rows combines across parts: "mean", "sum", or
    /// "ratio" (a ratio of two sums: the parts' ratios weighted by their
    /// denominators, the result `wafer.combine_weight` names)
    /// (wafer-split-batch). Results without it carry the batch on axis 0.
    static constexpr ::llvm::StringLiteral getCombineAttrName() {
      return ::llvm::StringLiteral("wafer.combine");
    }
    static constexpr ::llvm::StringLiteral getCombineWeightAttrName() {
      return ::llvm::StringLiteral("wafer.combine_weight");
    }
    /// Name of the unit attribute on the ops of the backward pass.
    static constexpr ::llvm::StringLiteral getBackwardAttrName() {
      return ::llvm::StringLiteral("wafer.backward");
    }

  private:
    void registerAttributes();
  public:
  }];
}

class Wafer_Op<string mnemonic, list<Trait> traits = []>
    : Op<Wafer_Dialect, mnemonic, traits>;

#endif // WAFER_BASE_TD
