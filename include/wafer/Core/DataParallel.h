//===- DataParallel.h - a step's batch over micro-batches and wafers -*- C++ -*-===//
//
// How a step's global batch is cut (data parallelism): into parts of equal
// rows, each one run of the plan (a micro-batch); the parts shared out over
// the wafers, every wafer with the same per-layer mapping; and the fixed
// tree in which the wafers' sums (gradients, the loss) are added, as the
// broadcast/reduce fabric (SwarmX) adds them. The compiler decides these
// once (wafer-compile), the plan records them, the emulator obeys them.
// MLIR-free: shared by compiler and emulator.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_DATAPARALLEL_H
#define WAFER_CORE_DATAPARALLEL_H

#include <cstdint>
#include <string>
#include <vector>

namespace wafer::core {

struct BatchSplit {
  int64_t batch = 1;    // Rows of the step's batch (the inputs' axis 0).
  int64_t partRows = 1; // Rows of one part: one run of the plan.
  /// Parts each wafer runs per step, in wafer order; wafer w runs the parts
  /// after those of wafers 0..w-1. Their sum is batch / partRows.
  std::vector<int64_t> waferParts = {1};

  int64_t parts() const { return batch / partRows; }
  int64_t wafers() const { return static_cast<int64_t>(waferParts.size()); }
  /// The most parts one wafer runs: the step's length in parts.
  int64_t mostParts() const;
  /// The first part wafer `wafer` runs.
  int64_t firstPart(int64_t wafer) const;
};

/// Cuts a batch of `batch` rows for `wafers` wafers, each running at least
/// `microBatches` parts: parts as large as they can be (the largest divisor
/// of `batch` not above batch / (wafers * microBatches)), shared out as
/// evenly as whole parts allow (the first wafers take one more when they do
/// not share evenly). Returns an error naming the numbers, or "".
std::string splitBatch(int64_t batch, int64_t wafers, int64_t microBatches,
                       BatchSplit &split);

/// Checks a split read from a plan: positive sizes, parts that divide the
/// batch, every wafer with at least one part. Returns an error or "".
std::string checkBatchSplit(const BatchSplit &split);

/// One addition of the gradient reduction: wafer `into`'s sums += wafer
/// `from`'s.
struct ReduceStep {
  int64_t into = 0;
  int64_t from = 0;
  bool operator==(const ReduceStep &other) const {
    return into == other.into && from == other.from;
  }
};

/// The reduction tree over `wafers` wafers, in order: at level l, wafer
/// w (w a multiple of 2^(l+1)) adds wafer w + 2^l's sums; the total ends in
/// wafer 0, beside the weight store, after ceil(log2(wafers)) levels.
std::vector<ReduceStep> reductionTree(int64_t wafers);

/// Checks a reduction read from a plan: every wafer but 0 adds into another
/// exactly once, after every addition into it, never into a wafer that has
/// already sent. Returns an error naming the step, or "".
std::string checkReduction(int64_t wafers,
                           const std::vector<ReduceStep> &steps);

/// Levels of the reduction tree (0 for one wafer).
int64_t treeLevels(int64_t wafers);

/// What a step costs beyond its parts, in seconds.
struct StepOverhead {
  /// One level of the broadcast/reduce tree (TargetDesc::fabricLevelNs).
  double fabricLevelSeconds = 0;
  /// Training's one bubble: the weight store updates the weights the next
  /// step streams first, and streams them, before that step can start
  /// (updates of later layers overlap the backward pass). 0 for inference.
  double bubbleSeconds = 0;
};

/// The weight store's bubble for a first layer streamed as `streamBytes`
/// at `bytesPerSecond`: its gradient completes only at the end of the
/// backward pass, and the next step cannot start before its update has
/// streamed back. The update runs ahead of the stream tile by tile, so the
/// bubble is the layer's stream (this assumes the store updates a tile at
/// least as fast as the link streams one: 4 (3 + 2 slots) bytes read and
/// written per parameter against 2 or 4 streamed, which its servers'
/// memories, not the link, carry).
double updateBubbleSeconds(int64_t streamBytes, int64_t bytesPerSecond);

/// A step's modeled time: the busiest wafer's parts one after another
/// (every wafer streams each layer's weights as they arrive, broadcast at
/// line rate, and sends its gradients up the tree at line rate as they are
/// made), plus the tree's fill and drain (2 levels' latency each when there
/// are several wafers) and the bubble.
double stepSeconds(const BatchSplit &split, double partSeconds,
                   const StepOverhead &overhead);

} // namespace wafer::core

#endif // WAFER_CORE_DATAPARALLEL_H
