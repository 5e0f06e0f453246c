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

#ifndef WAFER_CORE_COSTMODEL_H
#define WAFER_CORE_COSTMODEL_H

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wafer/Core/LayerSpec.h"
#include "wafer/Core/Tiling.h"
#include "wafer/Target/TargetDesc.h"

namespace wafer::core {

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
  /// The bytes the fullest PE of an attention layer holds at once in the
  /// attention layouts (core::chooseLayouts): its blocks of the queries, keys, values, mask
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
  /// The bytes the fullest PE of a matmul layer on h x w holds at once in
  /// the SUMMA layouts (core::chooseLayouts): its blocks of A (and of the norm's
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

} // namespace wafer::core

#endif // WAFER_CORE_COSTMODEL_H
