//===- LayerSpec.h - what the cost model knows of a layer -------*- C++ -*-===//
//
// One layer as the cost model, the placer and the emulator see it: its
// FLOPs, weights, activations in and out, a product's or attention's
// dimensions and what else its PEs hold. The compiler fills it from the
// IR (toLayerSpecs); the plan records it (plan::Layer.spec); the emulator
// reads it back and checks it against the plan's kernels. MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_LAYERSPEC_H
#define WAFER_CORE_LAYERSPEC_H

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wafer::core {

/// What a layer is anchored on: a product with weights, an attention, an
/// embedding lookup, or anything else.
enum class LayerKind { embedding, linear, attention, other };
const char *layerKindName(LayerKind kind);

/// What the cost model needs to know of one layer, in program order.
struct LayerSpec {
  std::string name;
  LayerKind kind = LayerKind::other;
  double flops = 0; // One step (the whole batch).
  /// Weights the layer reads, by name, with their bytes.
  std::vector<std::pair<std::string, int64_t>> weights;
  int64_t constantBytes = 0; // Small constants the plan carries inline.
  int64_t inBytes = 0;       // Activations read from earlier layers or inputs.
  int64_t outBytes = 0;      // Activations later layers or outputs read.
  /// What flows in each step: (producing layer's index, or -1 for a graph
  /// input; bytes).
  std::vector<std::pair<int64_t, int64_t>> inputsFrom;
  bool halfPrecision = false; // fp16/bf16 math rate instead of fp32.
  /// For matmul layers: rows (tokens), columns and contraction size.
  int64_t m = 0, n = 0, k = 0;
  int64_t elementBytes = 4;
  /// The product's left operand is normalised in the layer, row by row
  /// (a layer_norm or rms_norm over its last axis makes it): the rows' k
  /// values are spread over a line of PEs, whose partial sums are reduced.
  bool normedLhs = false;
  /// When the product's right operand has batches (an activation, not a
  /// weight): the output rows per batch. A PE receives one B panel per
  /// batch its block's rows span.
  int64_t rhsBatchRows = 0;
  /// Vectors a product's layer holds as long as its output's columns (a
  /// bias) or its contraction (a norm's scale and bias): each PE holds the
  /// slice its block needs.
  int64_t columnVectors = 0, contractionVectors = 0;
  /// Bytes its kernels regroup across its PEs each step (transposes,
  /// reshapes that change the last dimension, gathers: movesBetweenPes),
  /// routed as its `reshard` flow.
  int64_t relayoutBytes = 0;
  /// The most tensors of a product's output shape its PEs hold at once
  /// (the product and an epilogue's result, or an unfused chain's).
  int64_t outputBlocks = 2;
  /// For attention layers: `batch` x `heads` independent problems of
  /// `queries` rows against `keys` keys (num_kv_heads key/value heads, the
  /// query heads grouped over them).
  struct Attention {
    int64_t batch = 0, queries = 0, keys = 0, heads = 0, kvHeads = 0;
    int64_t headDim = 0, valueDim = 0;
    /// Which of [batch, heads, queries, keys] its additive mask varies
    /// along (the others it broadcasts); none without a mask.
    bool masked = false;
    std::array<bool, 4> maskVaries = {false, false, false, false};
    /// Records a mask of `shape`, right-aligned against [batch, heads,
    /// queries, keys] (a mask of more dimensions is not one).
    void setMaskShape(const std::vector<int64_t> &shape) {
      masked = shape.size() <= 4;
      for (size_t d = 0; masked && d < shape.size(); ++d)
        maskVaries[4 - shape.size() + d] = shape[d] > 1;
    }
    bool valid() const {
      return batch > 0 && queries > 0 && keys > 0 && heads > 0 && kvHeads > 0 &&
             heads % kvHeads == 0 && headDim > 0 && valueDim > 0;
    }
  } attention;

  /// For layers without a product or attention, whose tensors wafer-run
  /// holds as whole rows over the region's PEs: each tensor the layer reads
  /// or makes; a vector or scalar is one row.
  struct RowTensor {
    int64_t rows = 0, rowBytes = 0;
    bool weight = false; // Streamed through the slots in weight streaming.
  };
  std::vector<RowTensor> rowTensors;

  int64_t weightBytes() const {
    int64_t total = 0;
    for (const auto &[name, bytes] : weights)
      total += bytes;
    return total;
  }
};

} // namespace wafer::core

#endif // WAFER_CORE_LAYERSPEC_H
