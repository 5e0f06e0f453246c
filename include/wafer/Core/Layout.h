//===- Layout.h - how each tensor of a layer lies on its PEs ----*- C++ -*-===//
//
// Every tensor a layer's kernels read or make is held on the layer's PEs in
// one layout: a product's SUMMA blocks (its left operand, right operand,
// output, a piece of the output split along its columns, a vector sliced
// like the output's columns or like the contraction), attention's blocks
// (queries, keys, values, mask, output), a copy at every PE (other
// vectors), or whole rows of its last dimension spread over the PEs.
//
// chooseLayouts is the one rule. The compiler applies it to a layer's ops
// to plan each PE's SRAM (LayerSpec) and records its answer in the plan
// (plan::Layer.held); wafer-run holds each tensor as the plan records and
// refuses a plan whose record is not what the rule gives for its kernels.
// MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_LAYOUT_H
#define WAFER_CORE_LAYOUT_H

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wafer::core {

struct LayerSpec;

enum class Layout {
  rows,                  // Whole rows of its last dimension over the PEs.
  everyPe,               // A vector or scalar: a copy at every PE.
  summaLhs,              // m x k: the product's left operand's blocks.
  summaRhs,              // k x n: its right operand's blocks.
  summaOutput,           // m x n: the output's blocks.
  summaColumnPiece,      // m x columns of the output from `firstColumn`.
  summaColumnSlice,      // A vector of n: the output columns' slice.
  summaContractionSlice, // A vector of k: the contraction's slice.
  attentionQuery,
  attentionKey,
  attentionValue,
  attentionMask,
  attentionOutput,
};
const char *layoutName(Layout layout);

/// One kernel of a layer as the rule sees it.
struct KernelInfo {
  std::string op;                         // The wafer op, e.g. "wafer.matmul".
  std::vector<int64_t> operands, results; // Tensor ids.
  bool transposeLhs = false;              // A matmul's transpose_lhs.
  std::optional<int64_t> axis;            // A norm's or split's axis.
};

/// A tensor of a layer and its layout.
struct HeldTensor {
  int64_t tensor = -1;
  Layout layout = Layout::rows;
  int64_t firstColumn = 0, columns = 0; // A summaColumnPiece's columns.
  bool operator==(const HeldTensor &other) const {
    return tensor == other.tensor && layout == other.layout &&
           firstColumn == other.firstColumn && columns == other.columns;
  }
};

struct LayerLayouts {
  /// Every tensor the kernels read or make (of at least one element), in
  /// the order the kernels first touch them.
  std::vector<HeldTensor> held;
  /// A row normalisation that makes a product's left operand in the layer:
  /// it runs on that operand's blocks (indices into the kernels; -1 none).
  int64_t normKernel = -1, normedProduct = -1;
};

/// The layer's product, if it has a SUMMA grid: its output's rows (m),
/// columns (n) and contraction (k); and whether it runs attention on an
/// attention tiling.
struct LayerGrid {
  int64_t m = 0, n = 0, k = 0;
  bool attention = false;
  bool summa() const { return m > 0 && n > 0 && k > 0; }
};

/// The layout of every tensor `kernels` read or make. `shapeOf` gives a
/// tensor's shape by id.
LayerLayouts chooseLayouts(
    const LayerGrid &grid, const std::vector<KernelInfo> &kernels,
    const std::function<const std::vector<int64_t> &(int64_t)> &shapeOf);

/// Records in `spec` what its layer holds beyond its product's or
/// attention's own, from the layouts `layouts` gives its tensors: a
/// product's column and contraction vectors, the tensors held as whole rows
/// or at every PE (`rowBytesOf`: a tensor's last dimension in bytes;
/// `isWeight`: whether it is a weight), and whether a norm runs on the
/// product's left operand.
void describeHeld(
    const LayerLayouts &layouts,
    const std::function<const std::vector<int64_t> &(int64_t)> &shapeOf,
    const std::function<int64_t(int64_t)> &elementBytesOf,
    const std::function<bool(int64_t)> &isWeight, LayerSpec &spec);

} // namespace wafer::core

#endif // WAFER_CORE_LAYOUT_H
