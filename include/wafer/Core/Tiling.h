//===- Tiling.h - how a layer's work is cut over its PEs --------*- C++ -*-===//
//
// The meaning of the tilings a plan records: which block of a product's
// output, which (batch, head) pairs, queries and keys of an attention each
// PE of a layer's region holds. The cost model chooses tilings
// (CostModel::summaTiling, CostModel::attentionTiling); the placer's SRAM
// estimates, the plan's checks and the emulator's execution all read them
// through these functions. MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_TILING_H
#define WAFER_CORE_TILING_H

#include <cstdint>
#include <utility>

#include "wafer/Core/LayerSpec.h"

namespace wafer::core {

/// Part `index` of `total` cut into `parts`, the first `total % parts`
/// parts one larger: [begin, end). Every block layout of the cost model and
/// of wafer-run cuts this way.
inline std::pair<int64_t, int64_t> partOf(int64_t total, int64_t parts,
                                          int64_t index) {
  int64_t base = total / parts, extra = total % parts;
  int64_t begin = index * base + (index < extra ? index : extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

/// How a matmul runs as SUMMA on an h x w rectangle: the output is cut
/// into gridRows x gridCols blocks, one per PE (the output's columns over
/// the rows when transposed), and the contraction into `panels` panels that
/// are broadcast one after another; every PE accumulates its block in place,
/// panel after panel.
struct SummaTiling {
  bool transposed = false;
  int64_t gridRows = 1, gridCols = 1, panels = 1;
};

/// Bytes a matmul layer's normalisation reduces each step along its
/// region's rows (columns): two partial sums in double per row of the left
/// operand, where its rows are split over more than one PE of a line.
struct SummaReductions {
  int64_t rowBytes = 0, columnBytes = 0;
  /// What a norm over `rows` rows reduces: two partial sums in double each.
  static int64_t bytesFor(int64_t rows) { return rows * 2 * 8; }
};

/// Bytes a matmul's SUMMA broadcasts each step over its region: the operand
/// whose panels travel along the rows, and the one down the columns. Zero
/// where no broadcast is needed: a region one PE wide (tall), or weights
/// laid along the rows whose stream already crosses every row.
struct SummaBroadcasts {
  int64_t rowBytes = 0, columnBytes = 0;
};

/// How an attention layer runs on an h x w rectangle. Its (batch, head)
/// pairs are cut into groups, its queries into `queryCols` column blocks
/// and its keys into `keyChunks` chunks; grid column j serves group
/// j / (queryCols x keyChunks), query column block (j / keyChunks) %
/// queryCols and chunk j % keyChunks, so a group's query block sits in
/// keyChunks columns side by side, each scoring it against its own keys.
/// A column block's query positions are cut into gridRows blocks down the
/// rows, and each chunk's key and value positions likewise: every PE of a
/// column passes its keys, then its values, down the column in panels. A
/// PE takes its chunk's keys `keyBlocks` blocks at a time (the blocks' keys
/// then values in `panels` panels each), so it holds the scores of one
/// block only: it keeps each query's running maximum, sum and unnormalised
/// output and rescales them as each block is folded in, in key order. With
/// several chunks these running results are combined along the grid row (a
/// row reduction to the chunks' first column, which keeps the output).
struct AttentionTiling {
  int64_t gridRows = 1, gridCols = 1, keyChunks = 1, panels = 1;
  int64_t keyBlocks = 1, queryCols = 1;
  int64_t groups() const { return gridCols / (keyChunks * queryCols); }
};

/// The (batch, head) pairs grid column `column` serves: [begin, end).
std::pair<int64_t, int64_t> attentionPairs(const LayerSpec &layer,
                                           const AttentionTiling &tiling,
                                           int64_t column);
/// The (batch, key/value head) pairs that column's pairs read.
int64_t attentionKvPairs(const LayerSpec &layer, const AttentionTiling &tiling,
                         int64_t column);
/// The most key/value pairs any column reads, bounded from above where its
/// query heads may straddle two key/value heads (in O(1)).
int64_t attentionKvMost(const LayerSpec &layer, const AttentionTiling &tiling);
/// The elements of the mask a PE holds for queries [q0, q1) of pairs
/// [p0, p1) against `keys` keys: one value per distinct index along each
/// dimension the mask varies along. 0 without a mask.
int64_t attentionMaskElements(const LayerSpec &layer, int64_t p0, int64_t p1,
                              int64_t queries, int64_t keys);
/// The query positions PE (row, column) of the grid holds: [begin, end).
std::pair<int64_t, int64_t> attentionQueries(const LayerSpec &layer,
                                             const AttentionTiling &tiling,
                                             int64_t row, int64_t column);
/// The key positions of that column's chunk: [begin, end).
std::pair<int64_t, int64_t> attentionKeys(const LayerSpec &layer,
                                          const AttentionTiling &tiling,
                                          int64_t column);

} // namespace wafer::core

#endif // WAFER_CORE_TILING_H
