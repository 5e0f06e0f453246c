//===- RecomputeActivations.cpp - activation checkpointing ----------------===//
//
// Cuts the forward pass where the fewest bytes are live, keeps only what
// crosses the cuts, and recomputes each segment's other values just before
// the backward ops that read them (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>

namespace wafer {
#define GEN_PASS_DEF_WAFERRECOMPUTEACTIVATIONS
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

bool isBackward(Operation *op) {
  return op->hasAttr(WaferDialect::getBackwardAttrName());
}

/// Parameters are not activations: they stay wherever they are used.
bool isParameter(Operation *op) {
  return isa<WeightOp, ConstantOp, IotaOp>(op);
}

struct RecomputeActivationsPass
    : public wafer::impl::WaferRecomputeActivationsBase<
          RecomputeActivationsPass> {
  void runOnOperation() final {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &body = func.getBody().front();
    SmallVector<Operation *> forward;
    for (Operation &op : body.without_terminator())
      if (!isBackward(&op) && !isParameter(&op))
        forward.push_back(&op);
    if (forward.size() < 3)
      return;
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [index, op] : llvm::enumerate(forward))
      position[op] = static_cast<int64_t>(index);

    // Bytes live between forward ops i and i+1 (forward readers only).
    std::vector<int64_t> liveAfter(forward.size() + 1, 0);
    for (auto [index, op] : llvm::enumerate(forward))
      for (Value result : op->getResults()) {
        int64_t last = static_cast<int64_t>(index);
        for (Operation *user : result.getUsers())
          if (auto it = position.find(user); it != position.end())
            last = std::max(last, it->second);
        liveAfter[index] += valueBytes(result);
        liveAfter[last] -= valueBytes(result);
      }
    int64_t running = 0;
    std::vector<int64_t> live(forward.size(), 0);
    for (size_t i = 0; i + 1 < forward.size(); ++i) {
      running += liveAfter[i];
      live[i] = running;
    }
    // Cuts at the narrow points: local minima of the live bytes no wider
    // than the median local minimum (in a transformer, the residual stream
    // between blocks and sub-blocks; narrower points inside the loss or
    // the masks cut too, harmlessly).
    size_t gaps = forward.size() - 1;
    auto isMinimum = [&](size_t i) {
      return (i == 0 || live[i] <= live[i - 1]) &&
             (i + 1 == gaps || live[i] <= live[i + 1]);
    };
    std::vector<int64_t> minima;
    for (size_t i = 0; i < gaps; ++i)
      if (isMinimum(i))
        minima.push_back(live[i]);
    if (minima.empty())
      return;
    std::nth_element(minima.begin(), minima.begin() + minima.size() / 2,
                     minima.end());
    int64_t narrow = minima[minima.size() / 2];
    std::vector<size_t> candidates;
    for (size_t i = 0; i < gaps; ++i)
      if (isMinimum(i) && live[i] <= narrow)
        candidates.push_back(i);
    // Keep every k-th narrow point: fewer checkpoints, longer segments to
    // recompute. k minimises what the backward pass holds at once, taken as
    // the checkpoints plus the largest segment's results.
    std::vector<int64_t> madeBefore(forward.size() + 1, 0);
    for (auto [index, op] : llvm::enumerate(forward)) {
      int64_t bytes = 0;
      for (Value result : op->getResults())
        bytes += valueBytes(result);
      madeBefore[index + 1] = madeBefore[index] + bytes;
    }
    auto cutsFor = [&](size_t stride) {
      std::vector<size_t> cuts;
      for (size_t j = stride - 1; j < candidates.size(); j += stride)
        cuts.push_back(candidates[j]);
      return cuts;
    };
    auto heldFor = [&](const std::vector<size_t> &cuts) {
      int64_t kept = 0, largest = 0;
      size_t start = 0;
      for (size_t cut : cuts) {
        kept += live[cut];
        largest = std::max(largest, madeBefore[cut + 1] - madeBefore[start]);
        start = cut + 1;
      }
      return kept +
             std::max(largest, madeBefore[forward.size()] - madeBefore[start]);
    };
    std::vector<size_t> cuts = cutsFor(1);
    for (size_t stride = 2; stride <= 8 && stride <= candidates.size();
         ++stride)
      if (std::vector<size_t> wider = cutsFor(stride);
          heldFor(wider) < heldFor(cuts))
        cuts = std::move(wider);
    std::vector<int64_t> segment(forward.size(), 0);
    int64_t segments = 0;
    size_t nextCut = 0;
    for (size_t i = 0; i < forward.size(); ++i) {
      segment[i] = segments;
      if (nextCut < cuts.size() && cuts[nextCut] == i) {
        ++segments;
        ++nextCut;
      }
    }
    if (segments == 0)
      return;
    auto segmentOf = [&](Operation *op) { return segment[position[op]]; };

    // A value is recomputed when no forward reader is in a later segment:
    // what crosses a cut is a checkpoint and stays.
    auto recomputable = [&](Value value) {
      Operation *def = value.getDefiningOp();
      if (!def || !position.count(def))
        return false;
      for (Operation *user : value.getUsers())
        if (position.count(user) && segmentOf(user) != segmentOf(def))
          return false;
      return true;
    };

    // For each segment, from the last: the backward ops that read its
    // recomputable values, the first of them, and the forward ops those
    // values need.
    MLIRContext *context = &getContext();
    auto backward = UnitAttr::get(context);
    for (int64_t s = segments; s >= 0; --s) {
      Operation *first = nullptr;
      llvm::SetVector<Operation *> needed;
      SmallVector<Value> worklist;
      for (Operation &op : body.without_terminator()) {
        if (!isBackward(&op))
          continue;
        for (Value operand : op.getOperands())
          if (Operation *def = operand.getDefiningOp();
              def && position.count(def) && segmentOf(def) == s &&
              recomputable(operand)) {
            if (!first || op.isBeforeInBlock(first))
              first = &op;
            worklist.push_back(operand);
          }
      }
      if (!first)
        continue;
      while (!worklist.empty()) {
        Operation *def = worklist.pop_back_val().getDefiningOp();
        if (!needed.insert(def))
          continue;
        for (Value operand : def->getOperands())
          if (recomputable(operand))
            worklist.push_back(operand);
      }
      SmallVector<Operation *> ordered(needed.begin(), needed.end());
      llvm::sort(ordered, [&](Operation *a, Operation *b) {
        return position[a] < position[b];
      });
      OpBuilder builder(first);
      IRMapping mapping;
      for (Operation *op : ordered) {
        Operation *clone = builder.clone(*op, mapping);
        clone->setAttr(WaferDialect::getBackwardAttrName(), backward);
        if (auto name = dyn_cast<NameLoc>(op->getLoc()))
          clone->setLoc(NameLoc::get(
              StringAttr::get(context, name.getName().str() + ".recompute"),
              name.getChildLoc()));
      }
      // Backward readers take the clones.
      for (Operation *op : ordered)
        for (Value result : op->getResults())
          result.replaceUsesWithIf(mapping.lookup(result), [&](OpOperand &use) {
            return isBackward(use.getOwner());
          });
    }
  }
};

} // namespace
