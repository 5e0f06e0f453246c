//===- SplitBatch.cpp - one part of the step's batch per run ---------------===//
//
// Rewrites a function for one part of the batch the module's
// `wafer.data_parallel` cuts (see the pass description in Passes.td). A
// value "carries the batch" when its axis 0 runs over the batch's rows in
// order, so the part's rows are a contiguous block of it: the inputs, and
// whatever is computed from them without moving or mixing that axis.
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERSPLITBATCH
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

int64_t rankOf(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type ? type.getRank() : 0;
}

int64_t dimOf(Value v, int64_t axis) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && axis >= 0 && axis < type.getRank() ? type.getDimSize(axis)
                                                     : 1;
}

int64_t normalize(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// How a value each part reduced over its own rows combines across parts:
/// a mean, a sum, or a ratio of two sums (a mean over the rows a mask
/// keeps, such as cross-entropy with ignored labels), which is the parts'
/// ratios weighted by their denominators.
enum class Combine { none, mean, sum, ratio };

struct SplitBatchPass
    : public wafer::impl::WaferSplitBatchBase<SplitBatchPass> {
  void runOnOperation() final;

private:
  /// The axis of `op`'s results that carries the batch, for an op some of
  /// whose operands carry it, or failure (the error emitted) when the op
  /// would mix rows of different parts.
  FailureOr<int64_t> resultAxis(Operation *op);
  /// The error for an op that would mix parts.
  InFlightDiagnostic mixes(Operation *op, const Twine &why);
  /// An operand that does not carry the batch but spans the result's
  /// batch axis in full: it would have to be cut too.
  LogicalResult checkOther(Operation *op, Value operand, int64_t resultRank,
                           int64_t axis);
  /// Records how `op`, which reads a value each part reduced over its own
  /// rows, combines across parts; emits the error when it is not linear.
  LogicalResult combineLinear(Operation *op);

  /// Values that carry the batch, and on which axis; and the factor of that
  /// axis's extent after the batch's (the axis runs over outer x batch x
  /// inner; a reshape may merge the batch with neighbouring axes). A part
  /// takes batch / parts of the batch factor.
  llvm::DenseMap<Value, int64_t> batchAxis;
  llvm::DenseMap<Value, int64_t> batchInner;
  /// The inner factor a reshape's result takes (resultAxis sets it).
  int64_t reshapeInner = 1;
  llvm::DenseMap<Value, Combine> combined;   // Reduced over the batch.
  llvm::DenseMap<Value, Value> denominators; // A ratio's denominator.
  int64_t batch = 0;
  int64_t parts = 1;
};

/// The ONNX node an op comes from, as its location names it.
std::string nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string name = nodeName(part); !name.empty())
        return name;
  return "";
}

InFlightDiagnostic SplitBatchPass::mixes(Operation *op, const Twine &why) {
  std::string node = nodeName(op->getLoc());
  return op->emitError() << "cannot cut the batch of " << batch
                         << " rows into parts at '" << op->getName() << "'"
                         << (node.empty() ? "" : " (node '" + node + "')")
                         << ": " << why;
}

LogicalResult SplitBatchPass::checkOther(Operation *op, Value operand,
                                         int64_t resultRank, int64_t axis) {
  if (batchAxis.contains(operand))
    return success();
  int64_t aligned = axis - (resultRank - rankOf(operand));
  if (aligned < 0 || dimOf(operand, aligned) == 1)
    return success();
  return mixes(op, "an operand of type ")
         << operand.getType()
         << " does not come from the inputs but spans the batch's axis";
}

FailureOr<int64_t> SplitBatchPass::resultAxis(Operation *op) {
  auto axisOf = [&](Value v) -> int64_t {
    auto it = batchAxis.find(v);
    return it == batchAxis.end() ? -1 : it->second;
  };
  int64_t resultRank = op->getNumResults() ? rankOf(op->getResult(0)) : 0;
  // Operands aligned on their trailing axes (NumPy broadcasting): every
  // batch carrier must put the batch on the same result axis.
  auto aligned = [&](ValueRange operands) -> FailureOr<int64_t> {
    int64_t axis = -1;
    for (Value operand : operands) {
      if (axisOf(operand) < 0)
        continue;
      int64_t here = axisOf(operand) + (resultRank - rankOf(operand));
      if (axis >= 0 && here != axis)
        return mixes(op, "its operands carry the batch on different axes");
      axis = here;
    }
    Value first;
    for (Value operand : operands)
      if (axisOf(operand) >= 0) {
        if (first && batchInner.lookup(first) != batchInner.lookup(operand))
          return mixes(op, "its operands carry the batch in different "
                           "layouts");
        first = operand;
      }
    for (Value operand : operands)
      if (failed(checkOther(op, operand, resultRank, axis)))
        return failure();
    return axis;
  };
  auto notOnAxis = [&](int64_t normalized, int64_t axis,
                       const Twine &what) -> FailureOr<int64_t> {
    if (normalized == axis)
      return mixes(op, what);
    return axis;
  };
  return llvm::TypeSwitch<Operation *, FailureOr<int64_t>>(op)
      .Case<NegOp, AbsOp, ExpOp, LogOp, SqrtOp, RsqrtOp, ReciprocalOp, TanhOp,
            SigmoidOp, ErfOp, SinOp, CosOp, ReluOp, SiluOp, NotOp, GeluOp,
            AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, AndOp, OrOp,
            CompareOp, SelectOp, CastOp>(
          [&](Operation *) { return aligned(op->getOperands()); })
      .Case([&](MatmulOp matmul) -> FailureOr<int64_t> {
        Value lhs = matmul.getLhs(), rhs = matmul.getRhs();
        int64_t axis = -1;
        if (int64_t a = axisOf(lhs); a >= 0) {
          int64_t rank = rankOf(lhs);
          if (a == rank - (matmul.getTransposeLhs() ? 2 : 1))
            return mixes(op, "the product contracts over the batch's axis");
          axis = a == rank - (matmul.getTransposeLhs() ? 1 : 2)
                     ? resultRank - 2
                     : a + (resultRank - rank);
        }
        if (int64_t a = axisOf(rhs); a >= 0) {
          int64_t rank = rankOf(rhs);
          if (a >= rank - 2)
            return mixes(op, "the right operand carries the batch on a "
                             "matrix axis");
          int64_t here = a + (resultRank - rank);
          if (axis >= 0 && here != axis)
            return mixes(op, "its operands carry the batch on different "
                             "axes");
          axis = here;
        }
        if (Value bias = matmul.getBias()) {
          if (int64_t a = axisOf(bias);
              a >= 0 && a + (resultRank - rankOf(bias)) != axis)
            return mixes(op, "the bias carries the batch on another axis");
          if (failed(checkOther(op, bias, resultRank, axis)))
            return failure();
        }
        if (axis < resultRank - 2)
          for (Value operand : {lhs, rhs})
            if (failed(checkOther(op, operand, resultRank, axis)))
              return failure();
        return axis;
      })
      .Case<LayerNormOp, RmsNormOp>([&](Operation *) -> FailureOr<int64_t> {
        for (Value operand : op->getOperands().drop_front())
          if (axisOf(operand) >= 0)
            return mixes(op, "its scale or bias carries the batch");
        int64_t axis = axisOf(op->getOperand(0));
        int64_t from = normalize(
            cast<IntegerAttr>(op->getAttr("axis")).getInt(), resultRank);
        if (axis >= from)
          return mixes(op, "it normalises over the batch's axis");
        return axis;
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](Operation *) {
        return notOnAxis(
            normalize(cast<IntegerAttr>(op->getAttr("axis")).getInt(),
                      resultRank),
            axisOf(op->getOperand(0)), "it normalises over the batch's axis");
      })
      .Case([&](AttentionOp attention) -> FailureOr<int64_t> {
        for (Value operand : {attention.getQuery(), attention.getKey(),
                              attention.getValue()})
          if (axisOf(operand) != 0)
            return mixes(op, "a query, key or value does not carry the "
                             "batch on its axis 0");
        if (Value mask = attention.getMask()) {
          int64_t a = axisOf(mask);
          if (a >= 0 && a + (4 - rankOf(mask)) != 0)
            return mixes(op, "the mask carries the batch on another axis");
          if (failed(checkOther(op, mask, 4, 0)))
            return failure();
        }
        return int64_t{0};
      })
      .Case([&](ReduceOp reduce) -> FailureOr<int64_t> {
        // Reductions over the batch's axis are the caller's.
        int64_t axis = axisOf(reduce.getInput());
        if (reduce.getKeepDims())
          return axis;
        int64_t removed = llvm::count_if(reduce.getAxes(), [&](int64_t a) {
          return normalize(a, rankOf(reduce.getInput())) < axis;
        });
        return axis - removed;
      })
      .Case([&](ReshapeOp reshape) -> FailureOr<int64_t> {
        // Elements of consecutive rows of the batch lie `stride` apart; the
        // result's axis that holds the whole batch factor at that stride
        // carries it.
        int64_t axis = axisOf(reshape.getInput());
        auto inType = cast<RankedTensorType>(reshape.getInput().getType());
        auto outType = cast<RankedTensorType>(reshape.getType());
        int64_t stride = batchInner.lookup(reshape.getInput());
        for (int64_t d = axis + 1; d < inType.getRank(); ++d)
          stride *= inType.getDimSize(d);
        int64_t after = 1;
        for (int64_t r = outType.getRank() - 1; r >= 0; --r) {
          if (stride % after == 0 &&
              outType.getDimSize(r) % ((stride / after) * batch) == 0) {
            reshapeInner = stride / after;
            return r;
          }
          after *= outType.getDimSize(r);
        }
        return mixes(op, "the result ")
               << reshape.getType()
               << " has no axis that keeps the batch's rows apart";
      })
      .Case([&](TransposeOp transpose) -> FailureOr<int64_t> {
        int64_t axis = axisOf(transpose.getInput());
        for (auto [r, from] : llvm::enumerate(transpose.getPermutation()))
          if (from == axis)
            return static_cast<int64_t>(r);
        return mixes(op, "its permutation drops the batch's axis");
      })
      .Case([&](BroadcastOp broadcast) -> FailureOr<int64_t> {
        int64_t axis = axisOf(broadcast.getInput()) +
                       (resultRank - rankOf(broadcast.getInput()));
        if (dimOf(broadcast.getInput(), axisOf(broadcast.getInput())) !=
            dimOf(broadcast.getResult(), axis))
          return mixes(op, "it stretches the batch's axis");
        return axis;
      })
      .Case([&](SliceOp slice) -> FailureOr<int64_t> {
        int64_t axis = axisOf(slice.getInput());
        if (slice.getOffsets()[axis] != 0 || slice.getStrides()[axis] != 1 ||
            dimOf(slice.getInput(), axis) != dimOf(slice.getResult(), axis))
          return mixes(op, "it slices the batch's axis");
        return axis;
      })
      .Case([&](ConcatOp concat) -> FailureOr<int64_t> {
        FailureOr<int64_t> axis = aligned(op->getOperands());
        if (failed(axis))
          return failure();
        for (Value operand : op->getOperands())
          if (axisOf(operand) < 0)
            return mixes(op, "an operand does not carry the batch");
        return notOnAxis(normalize(concat.getAxis(), resultRank), *axis,
                         "it concatenates along the batch's axis");
      })
      .Case([&](SplitOp split) {
        return notOnAxis(normalize(split.getAxis(), rankOf(split.getInput())),
                         axisOf(split.getInput()),
                         "it splits the batch's axis");
      })
      .Case([&](GatherOp gather) -> FailureOr<int64_t> {
        int64_t data = axisOf(gather.getData());
        int64_t indices = axisOf(gather.getIndices());
        int64_t axis = gather.getAxis();
        if (data >= 0 && indices >= 0)
          return mixes(op, "both the table and the indices carry the batch");
        if (indices >= 0)
          return axis + indices;
        if (data == axis)
          return mixes(op, "it gathers along the batch's axis");
        return data < axis ? data : data + rankOf(gather.getIndices()) - 1;
      })
      .Default([&](Operation *) -> FailureOr<int64_t> {
        return mixes(op, "no rule says how it treats the batch's axis");
      });
}

LogicalResult SplitBatchPass::combineLinear(Operation *op) {
  auto kindOf = [&](Value v) { return combined.lookup(v); };
  Value result = op->getResult(0);
  bool carries = llvm::any_of(op->getOperands(),
                              [&](Value v) { return batchAxis.contains(v); });
  auto follow = [&](Value from) {
    combined[result] = kindOf(from);
    if (Value d = denominators.lookup(from))
      denominators[result] = d;
    return success();
  };
  if (!carries) {
    if (isa<NegOp, ReshapeOp, CastOp>(op))
      return follow(op->getOperand(0));
    // A sum over the batch divided by another: a ratio of sums.
    if (isa<DivOp>(op) && kindOf(op->getOperand(0)) == Combine::sum &&
        kindOf(op->getOperand(1)) == Combine::sum &&
        rankOf(op->getOperand(1)) == 0) {
      combined[result] = Combine::ratio;
      denominators[result] = op->getOperand(1);
      return success();
    }
    // Scaled by what does not depend on the batch.
    if (isa<MulOp>(op) && llvm::count_if(op->getOperands(), [&](Value v) {
                            return combined.contains(v);
                          }) == 1)
      return follow(combined.contains(op->getOperand(0)) ? op->getOperand(0)
                                                         : op->getOperand(1));
    if (isa<DivOp>(op) && combined.contains(op->getOperand(0)) &&
        !combined.contains(op->getOperand(1)))
      return follow(op->getOperand(0));
    // Added to another of its kind (and denominator).
    if (isa<AddOp, SubOp>(op) &&
        kindOf(op->getOperand(0)) == kindOf(op->getOperand(1)) &&
        denominators.lookup(op->getOperand(0)) ==
            denominators.lookup(op->getOperand(1)))
      return follow(op->getOperand(0));
  }
  return mixes(op, "it is not linear in a value each part reduced over its "
                   "own rows, so the parts' results would not combine into "
                   "the batch's");
}

void SplitBatchPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal())
    return;
  auto module = func->getParentOfType<ModuleOp>();
  Attribute config =
      module ? module->getAttr(WaferDialect::getDataParallelAttrName())
             : Attribute();
  if (!config)
    return;
  core::BatchSplit split;
  if (std::string error = WaferDialect::readDataParallel(config, split);
      !error.empty()) {
    module.emitError() << "'" << WaferDialect::getDataParallelAttrName()
                       << "': " << error;
    return signalPassFailure();
  }
  batch = split.batch;
  parts = split.parts();
  Block &body = func.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    if (rankOf(arg) == 0 || dimOf(arg, 0) != batch) {
      emitError(arg.getLoc())
          << "input " << arg.getArgNumber() << " has shape " << arg.getType()
          << "; every input of a batch cut into parts has the batch of "
          << batch << " rows on axis 0";
      return signalPassFailure();
    }
    batchAxis[arg] = 0;
    batchInner[arg] = 1;
  }

  for (Operation &op : body) {
    if (isa<func::ReturnOp>(op))
      break;
    bool carries = llvm::any_of(
        op.getOperands(), [&](Value v) { return batchAxis.contains(v); });
    // A value each part reduced over its own rows: only ops linear in it
    // may follow, so that combining the parts' results is combining theirs.
    Combine reducedKind = Combine::none;
    for (Value operand : op.getOperands())
      if (auto it = combined.find(operand); it != combined.end())
        reducedKind = it->second;
    if (reducedKind != Combine::none) {
      if (failed(combineLinear(&op)))
        return signalPassFailure();
      continue;
    }
    if (!carries)
      continue;
    if (auto reduce = dyn_cast<ReduceOp>(op)) {
      bool overBatch = llvm::any_of(reduce.getAxes(), [&](int64_t axis) {
        return normalize(axis, rankOf(reduce.getInput())) ==
               batchAxis.lookup(reduce.getInput());
      });
      if (overBatch) {
        if (reduce.getKind() != ReduceKind::mean &&
            reduce.getKind() != ReduceKind::sum) {
          mixes(&op, "it reduces over the batch's axis with ")
              << stringifyReduceKind(reduce.getKind())
              << "; only mean and sum combine across parts";
          return signalPassFailure();
        }
        combined[reduce.getResult()] = reduce.getKind() == ReduceKind::mean
                                           ? Combine::mean
                                           : Combine::sum;
        // The reduction's input still changes shape below.
        continue;
      }
    }
    FailureOr<int64_t> axis = resultAxis(&op);
    if (failed(axis))
      return signalPassFailure();
    int64_t inner = 1;
    if (isa<ReshapeOp>(op))
      inner = reshapeInner;
    else
      for (Value operand : op.getOperands())
        if (batchAxis.contains(operand)) {
          inner = batchInner.lookup(operand);
          break;
        }
    for (Value result : op.getResults()) {
      batchAxis[result] = *axis;
      batchInner[result] = inner;
    }
  }

  // Every value that carries the batch takes the part's rows.
  for (auto [value, axis] : batchAxis) {
    auto tensor = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> shape(tensor.getShape());
    shape[axis] /= parts;
    value.setType(tensor.clone(shape));
  }

  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Builder b(&getContext());
  auto combineName = [](Combine kind) {
    return kind == Combine::mean ? "mean" : kind == Combine::sum ? "sum"
                                                                 : "ratio";
  };
  SmallVector<Value> results(ret.getOperands());
  SmallVector<std::pair<unsigned, Value>> ratios;
  for (auto [index, value] : llvm::enumerate(results)) {
    if (Combine kind = combined.lookup(value); kind != Combine::none) {
      func.setResultAttr(index, WaferDialect::getCombineAttrName(),
                         b.getStringAttr(combineName(kind)));
      if (kind == Combine::ratio)
        ratios.push_back({static_cast<unsigned>(index),
                          denominators.lookup(value)});
    } else if (batchAxis.lookup(value) != 0 ||
               (batchAxis.contains(value) &&
                dimOf(value, 0) * parts != batch * batchInner.lookup(value)) ||
               (!batchAxis.contains(value) && parts > 1)) {
      ret.emitError() << "result " << index
                      << " neither carries the batch on its axis 0 nor is a "
                         "mean or sum over it: the parts' results would not "
                         "combine";
      return signalPassFailure();
    }
  }
  // Each ratio's denominator leaves too, so that the parts' ratios can be
  // weighted by it (its own results combine as a sum).
  for (auto [index, denominator] : ratios) {
    unsigned position = results.size();
    results.push_back(denominator);
    ret->insertOperands(ret.getNumOperands(), denominator);
    (void)func.insertResult(
        position, denominator.getType(),
        b.getDictionaryAttr(
            {b.getNamedAttr(WaferDialect::getCombineAttrName(),
                            b.getStringAttr("sum")),
             b.getNamedAttr(WaferDialect::getNameAttrName(),
                            b.getStringAttr("ratio_denominator_" +
                                            std::to_string(index)))}));
    func.setResultAttr(index, WaferDialect::getCombineWeightAttrName(),
                       b.getI64IntegerAttr(position));
  }
  func.setType(FunctionType::get(&getContext(), body.getArgumentTypes(),
                                 ret.getOperandTypes()));
}

} // namespace
