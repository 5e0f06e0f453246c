//===- LayerAnalysis.h - kernels grouped into layers, with costs -*- C++ -*-===//
//
// A layer is the unit of placement and of weight streaming: one anchor
// kernel (a matmul, an attention, an embedding lookup) with the cheap ops
// that feed only it or consume its result (norms before a projection, the
// bias, activation and residual after it). Every op of a function belongs to
// exactly one layer.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_ANALYSIS_LAYERANALYSIS_H
#define WAFER_ANALYSIS_LAYERANALYSIS_H

#include <cstdint>
#include <string>
#include <vector>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "wafer/Core/CostModel.h"
#include "wafer/Core/Layout.h"

namespace wafer {

using core::LayerKind;

/// A weight a layer needs, by its ONNX initializer name.
struct LayerWeight {
  std::string name;
  int64_t bytes = 0;
};

struct Layer {
  std::string name; // The anchor's ONNX node name.
  LayerKind kind = LayerKind::other;
  mlir::Operation *anchor = nullptr;
  std::vector<mlir::Operation *> ops; // In program order.
  double flops = 0;
  int64_t weightBytes = 0;            // Weights by reference (wafer.weight).
  std::vector<LayerWeight> weights;
  int64_t constantBytes = 0;          // Inline constants (small).
  int64_t inputBytes = 0;  // Activations read from other layers or inputs.
  int64_t outputBytes = 0; // Activations other layers or results read.
  /// The activations read, as (producing layer or -1 for a graph input,
  /// bytes): what flows into this layer each step.
  std::vector<std::pair<int64_t, int64_t>> inputsFrom;
};

class LayerAnalysis {
public:
  explicit LayerAnalysis(mlir::func::FuncOp func);

  llvm::ArrayRef<Layer> getLayers() const { return layers; }
  /// The index of the layer that holds `op`, or -1 for ops outside layers
  /// (weights, constants, the return).
  int64_t getLayerIndex(mlir::Operation *op) const {
    return layerOf.lookup(op) - 1;
  }
  double getTotalFlops() const;
  int64_t getTotalWeightBytes() const;

  /// The most bytes of layers' results held on the wafer at once while
  /// layers run one after another in program order: a result stays from
  /// the layer that makes it to the last layer that reads it (a training
  /// step keeps its forward activations for the backward layers).
  /// `after` is the layer after which the most are held.
  struct Held {
    int64_t bytes = 0;
    int64_t after = -1;
  };
  Held getMostHeld() const { return mostHeld; }

private:
  Held mostHeld;
  std::vector<Layer> layers;
  llvm::DenseMap<mlir::Operation *, int64_t> layerOf; // Index + 1.
};

/// Bytes of a statically shaped tensor value (a bool takes one), else 0.
int64_t valueBytes(mlir::Value value);

/// FLOPs of one op (sem::flops: multiply-adds count 2), for the cost model.
double estimateFlops(mlir::Operation *op);

/// A layer's tensors with their layouts: core::chooseLayouts applied to its
/// ops, whose tensor ids index `values`.
struct LayerLayout {
  std::vector<mlir::Value> values;
  core::LayerLayouts layouts;
};

/// The layers as the MLIR-free placer sees them; with `layouts`, how each
/// layer holds its tensors too (what the plan records).
std::vector<core::LayerSpec>
toLayerSpecs(const LayerAnalysis &analysis,
             std::vector<LayerLayout> *layouts = nullptr);

} // namespace wafer

#endif // WAFER_ANALYSIS_LAYERANALYSIS_H
