//===- PeExecution.h - a plan's layers on their PEs -------------*- C++ -*-===//
//
// How wafer-run executes a plan that checkPlan has accepted (so its routes,
// broadcasts, reductions and tilings are there): every tensor a layer holds
// is cut into shards in the SRAM of the layer's PEs, each PE's bytes counted
// against its budget; a tensor enters a layer only over the plan's flow for
// it; a matrix product runs as SUMMA on the layer's PE grid, each PE
// accumulating its own output block from panels that reach it over the
// plan's row and column broadcasts or, streamed weights, from the stream
// tiles that hold them; a norm before it runs on its left operand's blocks,
// their rows' partial sums reduced along the grid; attention runs on the
// layer's attention tiling, each PE scoring its own queries against the key
// panels and accumulating its output from the value panels that come down
// its column, key chunks combined along the grid's rows. What the plan gets
// wrong at a PE (an overfull PE, a flow from the wrong layer or too short)
// is a named error at that PE; what checkPlan sees in the plan as a whole
// (routes, tilings, stream tiles) it leaves to checkPlan.
//
// The PEs' block math is chains of fused multiply-adds, one per output
// element over the contraction in order. With `perPeMath` each PE's chains
// run from its own received panel buffers, one call per PE and panel;
// without, one call computes the same chains for many PEs at once (the
// layer's whole product), which gives the same bits far faster.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_LIB_RUNTIME_PEEXECUTION_H
#define WAFER_LIB_RUNTIME_PEEXECUTION_H

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "PlanView.h"
#include "wafer/Core/CostModel.h"
#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {

/// The bytes each PE of one layer's region holds. A hold that takes a PE
/// past its budget fails with the PE and what it was holding.
///
/// Every shard layout gives its larger shards to the lower-numbered PEs
/// (row-major in the region, or in the SUMMA grid), so no PE ever holds more
/// than the region's first. Without `everyPe` only that PE is tracked: a
/// layer's SRAM check then costs the same on 4 PEs or 400,000. With it,
/// every PE is (`--per-pe-math`, and the tests that check the claim).
class PeMemory {
public:
  PeMemory(std::string layer, Rect region, int64_t capacity,
           bool everyPe = true);
  bool tracksEveryPe() const { return used.size() > 1 || region.area() == 1; }

  /// Adds `bytes` at the PE `index` (row-major within the region).
  absl::Status hold(int64_t index, int64_t bytes, const std::string &what);
  void release(int64_t index, int64_t bytes);
  /// Adds (releases) `bytes` at every PE of the region at once.
  absl::Status holdEverywhere(int64_t bytes, const std::string &what);
  void releaseEverywhere(int64_t bytes);

  const Rect &getRegion() const { return region; }
  int64_t peakBytes() const { return peak; }
  /// The PE that reached the peak, as "(x, y)" on the wafer.
  std::string peakPe() const { return pe(peakIndex); }
  std::string pe(int64_t index) const;

private:
  std::string layer;
  Rect region;
  int64_t capacity;
  int64_t everywhere = 0; // Held at every PE.
  int64_t mostAtOne = 0;  // The largest entry of `used`.
  std::vector<int64_t> used;
  int64_t peak = 0, peakIndex = 0;
};

/// Runs the plan's kernels on their layers' PEs (see the file comment).
class PeExecutor {
public:
  PeExecutor(const PlanView &view, bool perPeMath);

  /// Forgets what the PEs hold: call before each run.
  void reset();
  /// Runs kernel `index` of the plan, which checkPlan has accepted;
  /// constants (layer -1) run on the host.
  absl::Status run(int64_t index, const std::vector<const Array *> &operands,
                   std::vector<Array> &results);
  const PeStats &getStats() const { return stats; }

private:
  /// The layer's memory, made at its first kernel.
  PeMemory &memoryOf(int64_t layer);
  /// Brings `tensor` into `layer` if it is not there yet: over its flow,
  /// from the stream, or resident (weights of a pipelined layer).
  absl::Status bringIn(int64_t layer, int64_t tensor, int64_t kernel);
  /// Holds `tensor`'s shards in `layer` in the layout the plan records for
  /// it there: a product's or attention's blocks, a copy at every PE, or
  /// rows over the region's PEs.
  absl::Status holdShards(int64_t layer, int64_t tensor, const char *what);
  void releaseShards(int64_t layer, int64_t tensor);
  absl::Status matmul(int64_t layer, const plan::Kernel &kernel,
                      const std::vector<const Array *> &operands,
                      std::vector<Array> &results);
  /// The layer's row normalisation on its product's left-operand blocks.
  absl::Status norm(int64_t layer, const plan::Kernel &kernel,
                    const std::vector<const Array *> &operands,
                    std::vector<Array> &results);
  absl::Status attention(int64_t layer, const plan::Kernel &kernel,
                         const std::vector<const Array *> &operands,
                         std::vector<Array> &results);
  void endLayer(int64_t layer);
  std::string layerName(int64_t layer) const;
  std::string tensorName(int64_t tensor) const;

  const PlanView &view;
  const plan::Plan &plan;
  bool perPeMath;
  int64_t capacity;
  bool weightStreaming;
  std::vector<int64_t> producer;   // Layer making each tensor; -1 none.
  std::vector<bool> isInput;       // Graph inputs, by tensor id.
  std::vector<int64_t> lastKernel; // Last kernel of each layer.
  std::map<std::pair<int64_t, int64_t>, int64_t> lastUse; // (tensor, layer)
  std::map<std::pair<int64_t, int64_t>, bool> leaves;     // Read outside layer.
  std::map<std::pair<int64_t, int64_t>, const plan::Flow *> flowInto;
  std::vector<std::unique_ptr<PeMemory>> memory;
  /// Each held tensor's bytes per PE: (layer, tensor) -> (PE index, bytes).
  std::map<std::pair<int64_t, int64_t>,
           std::vector<std::pair<int64_t, int64_t>>>
      shards;
  std::map<std::pair<int64_t, int64_t>, int64_t> heldEverywhere;
  PeStats stats;
};

} // namespace wafer::runtime

#endif // WAFER_LIB_RUNTIME_PEEXECUTION_H
