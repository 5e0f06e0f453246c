//===- ConvDecomposition.cpp - convolution as a product over im2col -------===//
//
// A convolution's output at one position is a dot product of the filter
// with the input's patch there. Laying the patches out as rows, [N, O, C K]
// (O the output positions, K the kernel taps), turns the convolution into
// one product with the filter reshaped to [M, C K]: a linear layer, which
// the layer analysis, placement, the cost model and the emulator already
// treat in full.
//
//===----------------------------------------------------------------------===//

#include "wafer/Dialect/Wafer/DecompositionPatterns.h"

#include "mlir/IR/PatternMatch.h"
#include "wafer/Dialect/Wafer/WaferOps.h"

using namespace mlir;
using namespace wafer;

namespace {

RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type element) {
  return RankedTensorType::get(shape, element);
}

/// `value` reshaped to `shape`; a constant, or a weight used only here, takes
/// the new shape itself (row-major order keeps its bytes), so that the
/// product still sees a weight.
Value reshapeTo(PatternRewriter &rewriter, Location loc, Value value,
                ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  RankedTensorType reshaped = tensorOf(shape, type.getElementType());
  if (type == reshaped)
    return value;
  if (auto constant = value.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
      return ConstantOp::create(rewriter, loc, dense.reshape(reshaped));
  if (auto weight = value.getDefiningOp<WeightOp>();
      weight && value.hasOneUse()) {
    // Its only user is the convolution being replaced.
    rewriter.modifyOpInPlace(weight, [&] { value.setType(reshaped); });
    return value;
  }
  return ReshapeOp::create(rewriter, loc, reshaped, value);
}

Value transposeBy(PatternRewriter &rewriter, Location loc, Value value,
                  ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return TransposeOp::create(rewriter, loc,
                             tensorOf(shape, type.getElementType()), value,
                             rewriter.getDenseI64ArrayAttr(perm));
}

Value sliceOf(PatternRewriter &rewriter, Location loc, Value value,
              ArrayRef<int64_t> offsets, ArrayRef<int64_t> strides,
              ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  return SliceOp::create(rewriter, loc, tensorOf(shape, type.getElementType()),
                         value, rewriter.getDenseI64ArrayAttr(offsets),
                         rewriter.getDenseI64ArrayAttr(strides));
}

/// `value` with `before` and `after` zeros along `axis`.
Value padWithZeros(PatternRewriter &rewriter, Location loc, Value value,
                   int64_t axis, int64_t before, int64_t after) {
  if (before == 0 && after == 0)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<Value> pieces;
  auto zeros = [&](int64_t extent) {
    SmallVector<int64_t> shape(type.getShape());
    shape[axis] = extent;
    RankedTensorType zerosType = tensorOf(shape, type.getElementType());
    return ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            zerosType, rewriter.getFloatAttr(type.getElementType(), 0.0)));
  };
  Value leading = before > 0 ? zeros(before) : Value();
  if (leading)
    pieces.push_back(leading);
  pieces.push_back(value);
  if (after > 0)
    pieces.push_back(after == before ? leading : zeros(after));
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] += before + after;
  return ConcatOp::create(rewriter, loc, tensorOf(shape, type.getElementType()),
                          pieces, static_cast<uint64_t>(axis));
}

struct DecomposeConv : public OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    Location loc = conv.getLoc();
    auto inType = cast<RankedTensorType>(conv.getInput().getType());
    auto filterType = cast<RankedTensorType>(conv.getFilter().getType());
    auto outType = cast<RankedTensorType>(conv.getType());
    Type element = inType.getElementType();
    int64_t spatial = inType.getRank() - 2;
    int64_t n = inType.getDimSize(0), channels = inType.getDimSize(1);
    int64_t filters = filterType.getDimSize(0);
    int64_t groups = conv.getGroups();
    ArrayRef<int64_t> strides = conv.getStrides(),
                      dilations = conv.getDilations(), pads = conv.getPads();
    SmallVector<int64_t> kernel(filterType.getShape().drop_front(2)),
        outSpatial(outType.getShape().drop_front(2));
    int64_t taps = 1, positions = 1;
    for (int64_t d = 0; d < spatial; ++d) {
      taps *= kernel[d];
      positions *= outSpatial[d];
    }

    // The patches as rows: [N, O, C K], channel-major like the filter.
    Value patches;
    bool tiles = llvm::all_of(llvm::seq<int64_t>(0, spatial), [&](int64_t d) {
      return strides[d] == kernel[d] && dilations[d] == 1 && pads[d] == 0 &&
             pads[d + spatial] == 0;
    });
    if (tiles) {
      // The patches tile the input: drop the remainder the last patch does
      // not reach, split every spatial dimension into (O, K), and bring the
      // Os forward.
      Value input = conv.getInput();
      SmallVector<int64_t> covered(inType.getShape());
      for (int64_t d = 0; d < spatial; ++d)
        covered[d + 2] = outSpatial[d] * kernel[d];
      if (ArrayRef<int64_t>(covered) != inType.getShape())
        input = sliceOf(rewriter, loc, input,
                        SmallVector<int64_t>(covered.size(), 0),
                        SmallVector<int64_t>(covered.size(), 1), covered);
      SmallVector<int64_t> split = {n, channels};
      SmallVector<int64_t> perm = {0};
      for (int64_t d = 0; d < spatial; ++d) {
        split.append({outSpatial[d], kernel[d]});
        perm.push_back(2 + 2 * d);
      }
      perm.push_back(1);
      for (int64_t d = 0; d < spatial; ++d)
        perm.push_back(3 + 2 * d);
      patches = transposeBy(rewriter, loc,
                            reshapeTo(rewriter, loc, input, split), perm);
    } else {
      // One strided slice of the padded input per kernel tap, [N, C, O]
      // each, stacked as [N, C, K, O].
      Value padded = conv.getInput();
      for (int64_t d = 0; d < spatial; ++d)
        padded = padWithZeros(rewriter, loc, padded, 2 + d, pads[d],
                              pads[d + spatial]);
      SmallVector<Value> slices;
      SmallVector<int64_t> tap(spatial, 0);
      for (int64_t t = 0; t < taps; ++t) {
        SmallVector<int64_t> offsets = {0, 0}, steps = {1, 1};
        SmallVector<int64_t> shape = {n, channels};
        for (int64_t d = 0; d < spatial; ++d) {
          offsets.push_back(tap[d] * dilations[d]);
          steps.push_back(strides[d]);
          shape.push_back(outSpatial[d]);
        }
        Value slice = sliceOf(rewriter, loc, padded, offsets, steps, shape);
        slices.push_back(
            reshapeTo(rewriter, loc, slice, {n, channels, 1, positions}));
        // The next tap, the last spatial dimension fastest (the filter's
        // order).
        for (int64_t d = spatial - 1; d >= 0; --d) {
          if (++tap[d] < kernel[d])
            break;
          tap[d] = 0;
        }
      }
      Value stacked =
          slices.size() == 1
              ? slices.front()
              : ConcatOp::create(rewriter, loc,
                                 tensorOf({n, channels, taps, positions},
                                          element),
                                 slices, static_cast<uint64_t>(2))
                    .getResult();
      patches = transposeBy(rewriter, loc, stacked, {0, 3, 1, 2});
    }
    int64_t depth = channels / groups * taps;
    patches = reshapeTo(rewriter, loc, patches, {n, positions, channels * taps});

    // The product with the filter as [M, C K], by group.
    Value filter = reshapeTo(rewriter, loc, conv.getFilter(),
                             {filters, depth});
    int64_t perGroup = filters / groups;
    SmallVector<Value> products;
    for (int64_t g = 0; g < groups; ++g) {
      Value lhs = patches, rhs = filter, bias = conv.getBias();
      if (groups > 1) {
        lhs = sliceOf(rewriter, loc, patches, {0, 0, g * depth}, {1, 1, 1},
                      {n, positions, depth});
        rhs = sliceOf(rewriter, loc, filter, {g * perGroup, 0}, {1, 1},
                      {perGroup, depth});
        if (bias)
          bias = sliceOf(rewriter, loc, bias, {g * perGroup}, {1}, {perGroup});
      }
      products.push_back(MatmulOp::create(
          rewriter, loc, tensorOf({n, positions, perGroup}, element), lhs, rhs,
          bias, /*transpose_lhs=*/UnitAttr(),
          /*transpose_rhs=*/rewriter.getUnitAttr()));
    }
    Value product =
        groups == 1
            ? products.front()
            : ConcatOp::create(rewriter, loc,
                               tensorOf({n, positions, filters}, element),
                               products, static_cast<uint64_t>(2))
                  .getResult();

    // Back to channels first: [N, M, O...].
    Value channelsFirst = transposeBy(rewriter, loc, product, {0, 2, 1});
    rewriter.replaceOp(conv, reshapeTo(rewriter, loc, channelsFirst,
                                       outType.getShape()));
    return success();
  }
};

} // namespace

void wafer::populateConvDecompositionPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeConv>(patterns.getContext());
}
