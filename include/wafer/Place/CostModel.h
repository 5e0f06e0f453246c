//===- CostModel.h - the one cost model of compiler and emulator -*- C++
//-*-===//
//
// Cycle estimates for a layer on a rectangle of PEs, for streaming weights
// into the wafer and for moving activations across it. The placer and the
// weight-stream scheduler use it to decide; the emulator applies the same
// model to the plan it runs. MLIR-free.
//
// Model (docs/placement.md, "Cost model"):
//   compute  = flops / (flop-per-cycle-per-PE x PEs used)
//   matmul   = max(compute, A bytes / (h x link), B bytes / (w x link))
//              + panels x step overhead (SUMMA on an h x w grid, min(h, w)
//              panels or more to fit SRAM,
//              or with A and B's roles swapped when that moves less per link)
//              + 2 x (line of PEs + step overhead) for a normalised A: its
//              rows' partial sums along the line and the statistics back
//   attention = max(compute on the grid's PEs, keys and values down the
//              busiest column / link) + 2 x key blocks x panels x step
//              overhead (+ key chunks + step overhead to combine the chunks)
//   + reshard = bytes a layer's kernels regroup across its PEs /
//              (min(h, w) x link), after the rest
//   stream   = bytes / (off-wafer bytes per cycle)
//   transfer = bytes / (boundary PEs x link bytes per cycle) + hops
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_PLACE_COSTMODEL_H
#define WAFER_PLACE_COSTMODEL_H

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wafer/Target/TargetDesc.h"

namespace wafer::place {

/// Part `index` of `total` cut into `parts`, the first `total % parts`
/// parts one larger: [begin, end). Every block layout of the cost model and
/// of wafer-run cuts this way.
inline std::pair<int64_t, int64_t> partOf(int64_t total, int64_t parts,
                                          int64_t index) {
  int64_t base = total / parts, extra = total % parts;
  int64_t begin = index * base + (index < extra ? index : extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

/// What the placer needs to know of one layer, in program order.
struct LayerSpec {
  std::string name;
  std::string kind; // embedding, linear, attention, other
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

  int64_t weightBytes() const;
};

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

class CostModel {
public:
  explicit CostModel(const TargetDesc &target) : target(target) {}

  /// Cycles of overhead per SUMMA step (task activation and switch), an
  /// assumption to calibrate (wse-facts.md: "tens of cycles").
  static constexpr double kStepOverheadCycles = 20;

  double flopsPerCycle(const LayerSpec &layer) const;
  /// PEs a layer can keep busy: a matmul has at most m x n outputs.
  int64_t usefulPEs(const LayerSpec &layer, int64_t pes) const;
  /// Cycles for one step of `layer` on an h x w rectangle.
  double layerCycles(const LayerSpec &layer, int64_t h, int64_t w) const;
  /// Whether a matmul on h x w lays its output out transposed: the output
  /// columns (n) over the h rows and the tokens (m) over the w columns,
  /// when that takes fewer cycles (B's panels travel along the longer side;
  /// a norm's rows are split over the shorter). The plan's kernels use the
  /// same choice.
  bool transposedSumma(const LayerSpec &layer, int64_t h, int64_t w) const;
  /// The SUMMA tiling of a matmul layer on h x w (the plan records it and
  /// wafer-run executes it). One panel per step of the model's overhead
  /// term: min(h, w), or more when the panels a PE receives at once would
  /// fill more than a quarter of its SRAM; at most the contraction size.
  SummaTiling summaTiling(const LayerSpec &layer, int64_t h, int64_t w) const;
  /// The broadcasts of a matmul on h x w laid out as `transposed` says;
  /// `weightsStreamed` when its weights arrive as a stream across the rows.
  static SummaBroadcasts summaBroadcasts(const LayerSpec &layer, int64_t h,
                                         int64_t w, bool transposed,
                                         bool weightsStreamed);
  /// The attention tiling of an attention layer on h x w (the plan records
  /// it and wafer-run executes it): as many pair groups as columns allow;
  /// the columns left over cut the queries (the fewest column blocks, in
  /// powers of two, that bring the fullest PE within three quarters of its
  /// SRAM) and then the keys into chunks; as few key blocks as keep a PE's
  /// scores within an eighth of its SRAM, and about min(h, w) panels per
  /// chunk, more when a panel would fill more than an eighth.
  AttentionTiling attentionTiling(const LayerSpec &layer, int64_t h,
                                  int64_t w) const;
  /// The (batch, head) pairs grid column `column` serves: [begin, end).
  static std::pair<int64_t, int64_t>
  attentionPairs(const LayerSpec &layer, const AttentionTiling &tiling,
                 int64_t column);
  /// The (batch, key/value head) pairs that column's pairs read.
  static int64_t attentionKvPairs(const LayerSpec &layer,
                                  const AttentionTiling &tiling,
                                  int64_t column);
  /// The most key/value pairs any column reads, bounded from above where
  /// its query heads may straddle two key/value heads (in O(1)).
  static int64_t attentionKvMost(const LayerSpec &layer,
                                 const AttentionTiling &tiling);
  /// The elements of the mask a PE holds for queries [q0, q1) of pairs
  /// [p0, p1) against `keys` keys: one value per distinct index along each
  /// dimension the mask varies along. 0 without a mask.
  static int64_t attentionMaskElements(const LayerSpec &layer, int64_t p0,
                                       int64_t p1, int64_t queries,
                                       int64_t keys);
  /// The query positions PE (row, column) of the grid holds: [begin, end).
  static std::pair<int64_t, int64_t>
  attentionQueries(const LayerSpec &layer, const AttentionTiling &tiling,
                   int64_t row, int64_t column);
  /// The key positions of that column's chunk: [begin, end).
  static std::pair<int64_t, int64_t>
  attentionKeys(const LayerSpec &layer, const AttentionTiling &tiling,
                int64_t column);
  /// Bytes of keys and values an attention layer broadcasts down its
  /// columns each step, over all of them. Zero on a single row of PEs.
  static int64_t attentionBroadcastBytes(const LayerSpec &layer,
                                         const AttentionTiling &tiling);
  /// The most of them down one column, bounded from above where a
  /// key/value head's query heads may straddle two columns (in O(1): the
  /// placer asks for every shape it tries).
  static int64_t attentionColumnBytes(const LayerSpec &layer,
                                      const AttentionTiling &tiling);
  /// Bytes the key chunks' partial results move along the rows to be
  /// combined each step, as they cross each link of the chain from a
  /// group's last chunk column to its first: for every query of every pair,
  /// a running maximum, sum and unnormalised output (4-byte values). Zero
  /// with one chunk.
  static int64_t attentionCombineBytes(const LayerSpec &layer,
                                       const AttentionTiling &tiling);
  /// The bytes the fullest PE of an attention layer holds at once, as
  /// wafer-run lays it out: its blocks of the queries, keys, values, mask
  /// and output, one key block's scores, the widest panel it receives and
  /// its running results. An upper bound in O(1). The placer plans at
  /// least this per PE.
  static int64_t attentionPeakBytes(const LayerSpec &layer,
                                    const AttentionTiling &tiling);
  /// The bytes the first PE of a layer held as whole rows holds on `pes`
  /// PEs: one more row of each tensor than the rest where they do not
  /// divide evenly, every tensor at once (its weights only when they stay
  /// resident). The placer plans at least this.
  static int64_t rowsPeakBytes(const LayerSpec &layer, int64_t pes,
                               bool weightsResident);
  /// The bytes the fullest PE of any layer on h x w holds at once: its whole
  /// rows' share beside its product's blocks or its attention tiling's. The
  /// placer plans at least this per PE.
  int64_t fullestPeBytes(const LayerSpec &layer, int64_t h, int64_t w,
                         bool weightsResident) const;
  /// The reductions of a matmul layer on h x w laid out as `transposed`
  /// says: its left operand's rows are split along the rows of the grid
  /// (down its columns when transposed).
  static SummaReductions summaReductions(const LayerSpec &layer, int64_t h,
                                         int64_t w, bool transposed);
  /// The bytes the fullest PE of a matmul layer on h x w holds at once,
  /// as wafer-run lays the product out: its blocks of A (and of the norm's
  /// input that makes it), of B (when the weights stay resident), of the
  /// output-shaped results alive at once (at least two: the product and an
  /// epilogue's result, or a split's pieces), its slices of the layer's
  /// vectors, and the first panels it receives. The placer plans at least
  /// this per PE.
  int64_t summaPeakBytes(const LayerSpec &layer, int64_t h, int64_t w,
                         bool weightsResident) const;
  /// Pure compute cycles (no communication) on `pes` PEs.
  double computeCycles(const LayerSpec &layer, int64_t pes) const;
  /// Cycles to stream `bytes` of weights from off-wafer memory.
  double streamCycles(int64_t bytes) const;
  /// Cycles to move `bytes` across a boundary of `lanes` PEs over `hops`.
  double transferCycles(int64_t bytes, int64_t lanes, int64_t hops) const;
  double secondsFromCycles(double cycles) const {
    return cycles / target.clockHz();
  }

  const TargetDesc &getTarget() const { return target; }

private:
  /// A layer's cycles on h x w without its reshard.
  double kernelCycles(const LayerSpec &layer, int64_t h, int64_t w) const;
  /// A matmul's cycles on h x w laid out as `transposed` says.
  double summaCycles(const LayerSpec &layer, int64_t h, int64_t w,
                     bool transposed) const;
  SummaTiling summaTiling(const LayerSpec &layer, int64_t h, int64_t w,
                          bool transposed) const;

  TargetDesc target;
};

} // namespace wafer::place

#endif // WAFER_PLACE_COSTMODEL_H
