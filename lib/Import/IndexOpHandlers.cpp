//===- IndexOpHandlers.cpp - ops that select, scatter and count -----------===//
//
// Every op here compares positions with an iota along one axis and selects
// or reduces what the comparison marks:
//
//   TopK            k rounds of: the extreme of what is left, the first
//                   position holding it, that position taken;
//   ScatterElements the updates placed by comparing their indices with the
//                   data's positions, summed over the updates' axis;
//   GatherElements  the data's elements picked likewise, summed over the
//                   data's axis;
//   OneHot          the on value where the iota equals the index;
//   CumSum          each position's sum over the positions up to it.
//
// Sums over one hit are exact, so TopK, ScatterElements, GatherElements and
// OneHot give what ONNX defines bit for bit; CumSum's sums are rounded once
// (the reduction adds in double). The intermediate tensors are one axis
// larger (a router's rows are as long as its experts, so this is small).
//
//===----------------------------------------------------------------------===//

#include "IndexOpHandlers.h"

#include <limits>

#include "wafer/Dialect/Wafer/WaferOps.h"

using namespace mlir;
using namespace wafer;
using namespace wafer::detail;

namespace {

/// `shape` with `extent` inserted before dimension `at`.
SmallVector<int64_t> insertDim(ArrayRef<int64_t> shape, int64_t at,
                               int64_t extent) {
  SmallVector<int64_t> out(shape);
  out.insert(out.begin() + at, extent);
  return out;
}

/// 0, 1, ..., extent - 1 along dimension `axis` of a rank-`rank` tensor
/// whose other dimensions are 1.
Value positions(NodeContext &ctx, int64_t rank, int64_t axis, int64_t extent,
                Type elementType) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = extent;
  return IotaOp::create(ctx.builder(), ctx.loc, tensorType(shape, elementType),
                        axis);
}

Value compare(NodeContext &ctx, CompareKind kind, Value lhs, Value rhs,
              ArrayRef<int64_t> shape) {
  return CompareOp::create(ctx.builder(), ctx.loc,
                           tensorType(shape, ctx.builder().getI1Type()), kind,
                           lhs, rhs);
}

Value select(NodeContext &ctx, Value condition, Value onTrue, Value onFalse,
             ArrayRef<int64_t> shape, Type elementType) {
  return SelectOp::create(ctx.builder(), ctx.loc,
                          tensorType(shape, elementType), condition, onTrue,
                          onFalse);
}

Value reduce(NodeContext &ctx, ReduceKind kind, Value input, int64_t axis,
             bool keepDims) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  if (keepDims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  return ReduceOp::create(ctx.builder(), ctx.loc,
                          tensorType(shape, type.getElementType()), kind, input,
                          SmallVector<int64_t>{axis}, keepDims);
}

/// Indices with negative entries counted from the end of an axis of
/// `extent` (as ONNX allows).
Value wrapNegative(NodeContext &ctx, Value indices, int64_t extent) {
  auto type = cast<RankedTensorType>(indices.getType());
  Type element = type.getElementType();
  Value negative = compare(ctx, CompareKind::lt, indices,
                           ctx.scalar(element, 0), type.getShape());
  Value wrapped = AddOp::create(ctx.builder(), ctx.loc, type, indices,
                                ctx.scalar(element, static_cast<double>(extent)));
  return select(ctx, negative, wrapped, indices, type.getShape(), element);
}

/// hit[.., i, p, ..]: whether entry i of `indices` (input `input`, along
/// `axis`) names position p of an axis of `extent` — one axis more than the
/// indices, inserted after `axis`. `wide` is set to its shape.
Value positionHits(NodeContext &ctx, int input, int64_t axis, int64_t extent,
                   SmallVector<int64_t> &wide) {
  RankedTensorType index = ctx.inputType(input);
  wide = insertDim(index.getShape(), axis + 1, extent);
  Value where = reshape(ctx, wrapNegative(ctx, ctx.value(input), extent),
                        insertDim(index.getShape(), axis + 1, 1));
  return compare(ctx, CompareKind::eq, where,
                 positions(ctx, index.getRank() + 1, axis + 1, extent,
                           index.getElementType()),
                 wide);
}

/// Indices must be integers for the ops that read them as positions.
bool checkIntegerIndices(NodeContext &ctx, int input, StringRef what) {
  if (isa<IntegerType>(ctx.inputType(input).getElementType()))
    return true;
  ctx.emitError() << what << " must be integers, found "
                  << ctx.inputType(input);
  return false;
}

} // namespace

LogicalResult wafer::detail::importTopK(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  const HostTensor *kTensor = ctx.requireHost(1, "K");
  if (!kTensor)
    return failure();
  int64_t k = kTensor->getInt(0), extent = type.getDimSize(*axis);
  if (k == 0) {
    ctx.emitError() << "K = 0 gives empty results, which wafer does not "
                       "compute";
    return failure();
  }
  if (k < 0 || k > extent) {
    ctx.emitError() << "K = " << k << " is outside [0, " << extent
                    << "] for the axis of " << type;
    return failure();
  }
  if (!isa<FloatType>(type.getElementType())) {
    ctx.emitError() << "supports float inputs, found " << type;
    return failure();
  }
  bool largest = ctx.attrInt("largest", 1);
  OpBuilder &b = ctx.builder();
  Type i64 = b.getI64Type(), element = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  Value input = ctx.value(0);
  Value iota = positions(ctx, rank, *axis, extent, i64);
  Value beyond = ctx.scalar(i64, static_cast<double>(extent));
  Value exhausted = ctx.scalar(
      element, largest ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity());
  // Positions taken by earlier rounds; the first round has none.
  Value taken;
  SmallVector<Value> values, indices;
  for (int64_t round = 0; round < k; ++round) {
    Value left =
        taken ? select(ctx, taken, exhausted, input, shape, element) : input;
    Value extreme = reduce(ctx, largest ? ReduceKind::max : ReduceKind::min,
                           left, *axis, /*keepDims=*/true);
    Value hit = compare(ctx, CompareKind::eq, left, extreme, shape);
    if (taken)
      hit = AndOp::create(b, ctx.loc, tensorType(shape, b.getI1Type()), hit,
                          NotOp::create(b, ctx.loc,
                                        tensorType(shape, b.getI1Type()),
                                        taken));
    // The first position holding it (ONNX's order for ties).
    Value first = reduce(ctx, ReduceKind::min,
                         select(ctx, hit, iota, beyond, shape, i64), *axis,
                         /*keepDims=*/true);
    Value chosen = compare(ctx, CompareKind::eq, iota, first, shape);
    taken = taken ? OrOp::create(b, ctx.loc, tensorType(shape, b.getI1Type()),
                                 taken, chosen)
                        .getResult()
                  : chosen;
    values.push_back(extreme);
    indices.push_back(first);
  }
  SmallVector<int64_t> outShape(shape);
  outShape[*axis] = k;
  auto join = [&](ArrayRef<Value> parts, Type partElement) -> Value {
    if (parts.size() == 1)
      return parts.front();
    return ConcatOp::create(b, ctx.loc, tensorType(outShape, partElement),
                            parts, static_cast<uint64_t>(*axis));
  };
  ctx.setOutput(0, join(values, element));
  if (ctx.outputUsed(1))
    ctx.setOutput(1, join(indices, i64));
  return success();
}

LogicalResult wafer::detail::importScatterElements(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0), index = ctx.inputType(1),
                   updates = ctx.inputType(2);
  int64_t rank = data.getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", 0), rank);
  if (failed(axis) || !checkIntegerIndices(ctx, 1, "indices"))
    return failure();
  std::string reduction = "none";
  if (const onnx::AttributeProto *a = ctx.attr("reduction"))
    reduction = a->s();
  if (reduction != "none" && reduction != "add") {
    ctx.emitError() << "reduction '" << reduction
                    << "' is not supported (none, add)";
    return failure();
  }
  if (index.getShape() != updates.getShape() || index.getRank() != rank ||
      updates.getElementType() != data.getElementType()) {
    ctx.emitError() << "needs indices and updates of one shape and the "
                       "data's rank and element type, found "
                    << data << ", " << index << " and " << updates;
    return failure();
  }
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis && index.getDimSize(d) != data.getDimSize(d)) {
      ctx.emitError() << "supports indices as large as the data except "
                         "along the axis, found "
                      << index << " for " << data;
      return failure();
    }
  // Update u goes to position p of the axis.
  int64_t extent = data.getDimSize(*axis);
  Type element = data.getElementType();
  SmallVector<int64_t> wide;
  Value hit = positionHits(ctx, 1, *axis, extent, wide);
  Value spread = select(
      ctx, hit, reshape(ctx, ctx.value(2), insertDim(updates.getShape(), *axis + 1, 1)),
      ctx.scalar(element, 0), wide, element);
  Value placed = reduce(ctx, ReduceKind::sum, spread, *axis, false);
  Value result;
  if (reduction == "add") {
    result = AddOp::create(ctx.builder(), ctx.loc, data, ctx.value(0), placed);
  } else {
    Value counts = reduce(ctx, ReduceKind::max,
                          select(ctx, hit, ctx.scalar(element, 1),
                                 ctx.scalar(element, 0), wide, element),
                          *axis, false);
    Value written = compare(ctx, CompareKind::gt, counts,
                            ctx.scalar(element, 0), data.getShape());
    result = select(ctx, written, placed, ctx.value(0), data.getShape(),
                    element);
  }
  ctx.setOutput(0, result);
  return success();
}

LogicalResult wafer::detail::importGatherElements(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0), index = ctx.inputType(1);
  int64_t rank = data.getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", 0), rank);
  if (failed(axis) || !checkIntegerIndices(ctx, 1, "indices"))
    return failure();
  if (index.getRank() != rank) {
    ctx.emitError() << "needs indices of the data's rank, found " << index
                    << " for " << data;
    return failure();
  }
  // The data cut to the indices' extent on every other axis.
  Value source = ctx.value(0);
  SmallVector<int64_t> cut(data.getShape());
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis) {
      if (index.getDimSize(d) > data.getDimSize(d)) {
        ctx.emitError() << "indices " << index << " are larger than the data "
                        << data << " along axis " << d;
        return failure();
      }
      cut[d] = index.getDimSize(d);
    }
  Type element = data.getElementType();
  if (ArrayRef<int64_t>(cut) != data.getShape())
    source = SliceOp::create(ctx.builder(), ctx.loc, tensorType(cut, element),
                             source,
                             ctx.builder().getDenseI64ArrayAttr(
                                 SmallVector<int64_t>(rank, 0)),
                             ctx.builder().getDenseI64ArrayAttr(
                                 SmallVector<int64_t>(rank, 1)));
  // Output i reads position p of the axis.
  int64_t extent = data.getDimSize(*axis);
  SmallVector<int64_t> wide;
  Value hit = positionHits(ctx, 1, *axis, extent, wide);
  Value picked = select(ctx, hit, reshape(ctx, source, insertDim(cut, *axis, 1)),
                        ctx.scalar(element, 0), wide, element);
  ctx.setOutput(0, reduce(ctx, ReduceKind::sum, picked, *axis + 1, false));
  return success();
}

LogicalResult wafer::detail::importOneHot(NodeContext &ctx) {
  RankedTensorType index = ctx.inputType(0), values = ctx.inputType(2);
  const HostTensor *depthTensor = ctx.requireHost(1, "depth");
  if (!depthTensor)
    return failure();
  int64_t depth = static_cast<int64_t>(depthTensor->getReal(0));
  if (depth <= 0 || values.getNumElements() != 2) {
    ctx.emitError() << "needs a positive depth and two values [off, on], "
                       "found depth "
                    << depth << " and " << values;
    return failure();
  }
  int64_t rank = index.getRank() + 1;
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  Type element = values.getElementType();
  // Off and on as scalars, read from the values wherever they come from.
  OpBuilder &b = ctx.builder();
  Value flat = reshape(ctx, ctx.value(2), {2});
  auto pick = [&](int64_t i) {
    Value one = SliceOp::create(b, ctx.loc, tensorType({1}, element), flat,
                                b.getDenseI64ArrayAttr({i}),
                                b.getDenseI64ArrayAttr({1}));
    return reshape(ctx, one, {});
  };
  Value off = pick(0), on = pick(1);
  SmallVector<int64_t> shape = insertDim(index.getShape(), *axis, depth);
  Value where = reshape(ctx, wrapNegative(ctx, ctx.value(0), depth),
                        insertDim(index.getShape(), *axis, 1));
  Value hit = compare(ctx, CompareKind::eq, where,
                      positions(ctx, rank, *axis, depth,
                                index.getElementType()),
                      shape);
  ctx.setOutput(0, select(ctx, hit, on, off, shape, element));
  return success();
}

LogicalResult wafer::detail::importCumSum(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  const HostTensor *axisTensor = ctx.requireHost(1, "axis");
  if (!axisTensor)
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(ctx, axisTensor->getInt(0), rank);
  if (failed(axis))
    return failure();
  bool exclusive = ctx.attrInt("exclusive", 0), reverse = ctx.attrInt("reverse", 0);
  // sum[.., q, ..] adds x[.., p, ..] for p up to q (from q, reversed; not q
  // itself, exclusive): x spread along a new axis after the summed one.
  int64_t extent = type.getDimSize(*axis);
  Type element = type.getElementType(), i64 = ctx.builder().getI64Type();
  SmallVector<int64_t> wide = insertDim(type.getShape(), *axis + 1, extent);
  Value from = positions(ctx, rank + 1, *axis, extent, i64);
  Value to = positions(ctx, rank + 1, *axis + 1, extent, i64);
  CompareKind kind = reverse ? (exclusive ? CompareKind::gt : CompareKind::ge)
                             : (exclusive ? CompareKind::lt : CompareKind::le);
  SmallVector<int64_t> grid(rank + 1, 1);
  grid[*axis] = grid[*axis + 1] = extent;
  Value counted = compare(ctx, kind, from, to, grid);
  Value spread =
      select(ctx, counted,
             reshape(ctx, ctx.value(0), insertDim(type.getShape(), *axis + 1, 1)),
             ctx.scalar(element, 0), wide, element);
  ctx.setOutput(0, reduce(ctx, ReduceKind::sum, spread, *axis, false));
  return success();
}
