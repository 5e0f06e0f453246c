//===- NormFusion.cpp - LayerNorm and RMSNorm spelled out, fused ----------===//
//
// Exporters below opset 17 (and every RMSNorm) spell normalisations as
//   mean = reduce mean(x); c = x - mean; var = reduce mean(c^2 or c*c)
//   y = c / sqrt(var + eps) [* gamma] [+ beta]
// and RMSNorm as y = x / sqrt(mean(x^2) + eps) [* gamma]. The division may
// also be a product with the inverse square root, as torch.rsqrt exports
// it (Hugging Face's Llama, T5, Mistral): x * rsqrt(v + eps),
// x * reciprocal(sqrt(v + eps)), x * (1 / sqrt(v + eps)) or
// x * pow(v + eps, -0.5), either operand first; and the statistics of a
// half-precision x may be taken in fp32 between casts. The pattern roots at
// the division or product and absorbs the scale (on either side) and shift
// that follow.
//
//===----------------------------------------------------------------------===//

#include "MatchUtils.h"
#include "wafer/Dialect/Wafer/FusionPatterns.h"

using namespace mlir;
using namespace wafer;
using namespace wafer::match;

namespace {

/// Whether `reduce` is a mean over the trailing dimensions from `axis`
/// (keeping them), and returns that axis.
std::optional<int64_t> trailingMeanAxis(ReduceOp reduce) {
  if (!reduce || reduce.getKind() != ReduceKind::mean || !reduce.getKeepDims())
    return std::nullopt;
  int64_t rank = shapeOf(reduce.getInput()).size();
  SmallVector<int64_t> axes;
  for (int64_t a : reduce.getAxes())
    axes.push_back(a < 0 ? a + rank : a);
  llvm::sort(axes);
  if (axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// Whether `value` is `base` squared: pow(base, 2) or base * base.
bool isSquareOf(Value value, Value base) {
  if (auto pow = value.getDefiningOp<PowOp>())
    return pow.getLhs() == base && isSplat(pow.getRhs(), 2.0);
  if (auto mul = value.getDefiningOp<MulOp>())
    return mul.getLhs() == base && mul.getRhs() == base;
  return false;
}

/// If `value`'s only user multiplies (or adds, for `add`) it by a tensor that
/// varies only along the normalised `features`, returns that op and the
/// tensor reshaped to `features`.
template <typename OpTy>
std::pair<Operation *, Value> featureOperand(PatternRewriter &rewriter,
                                             Value value,
                                             ArrayRef<int64_t> features) {
  auto user = soleUser<OpTy>(value);
  if (!user || user.getType() != value.getType())
    return {nullptr, nullptr};
  Value operand = otherOperand(user, value);
  auto type = cast<RankedTensorType>(operand.getType());
  // Leading unit dimensions, then exactly the features.
  ArrayRef<int64_t> shape = type.getShape();
  while (shape.size() > features.size() && shape.front() == 1)
    shape = shape.drop_front();
  if (shape != features)
    return {nullptr, nullptr};
  Value reshaped = operand;
  if (type.getShape() != features)
    reshaped = ReshapeOp::create(
        rewriter, user.getLoc(),
        RankedTensorType::get(features, type.getElementType()), operand);
  return {user, reshaped};
}

/// If `value` is 1 / sqrt(s) in one of its spellings, returns s.
Value inverseSqrtOf(Value value) {
  if (auto rsqrt = value.getDefiningOp<RsqrtOp>())
    return rsqrt.getInput();
  if (auto pow = value.getDefiningOp<PowOp>())
    return isSplat(pow.getRhs(), -0.5) ? pow.getLhs() : nullptr;
  Value root;
  if (auto reciprocal = value.getDefiningOp<ReciprocalOp>())
    root = reciprocal.getInput();
  else if (auto div = value.getDefiningOp<DivOp>(); div && isSplat(div.getLhs(), 1.0))
    root = div.getRhs();
  if (auto sqrt = root ? root.getDefiningOp<SqrtOp>() : nullptr)
    return sqrt.getInput();
  return nullptr;
}

/// If `op` divides a value by sqrt(s) or multiplies it by 1 / sqrt(s),
/// returns that value (the numerator) and s.
std::optional<std::pair<Value, Value>> normalisedBySqrt(Operation *op) {
  if (auto div = dyn_cast<DivOp>(op)) {
    if (auto sqrt = div.getRhs().getDefiningOp<SqrtOp>())
      return std::make_pair(div.getLhs(), sqrt.getInput());
    return std::nullopt;
  }
  auto mul = dyn_cast<MulOp>(op);
  if (!mul)
    return std::nullopt;
  for (auto [numerator, factor] : {std::make_pair(mul.getLhs(), mul.getRhs()),
                                   std::make_pair(mul.getRhs(), mul.getLhs())})
    if (Value radicand = inverseSqrtOf(factor))
      return std::make_pair(numerator, radicand);
  return std::nullopt;
}

template <typename RootOp>
struct FuseNormalization : public OpRewritePattern<RootOp> {
  using OpRewritePattern<RootOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(RootOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!isa<FloatType>(type.getElementType()))
      return failure();
    std::optional<std::pair<Value, Value>> parts = normalisedBySqrt(op);
    if (!parts || parts->first.getType() != type)
      return failure();
    auto [numerator, radicand] = *parts;
    auto add = radicand.getDefiningOp<AddOp>();
    if (!add)
      return failure();
    Value variance = add.getLhs(), epsilon = add.getRhs();
    if (!splatValue(epsilon))
      std::swap(variance, epsilon);
    std::optional<double> eps = splatValue(epsilon);
    auto varianceReduce = variance.getDefiningOp<ReduceOp>();
    std::optional<int64_t> axis = trailingMeanAxis(varianceReduce);
    if (!eps || !axis || !isSquareOf(varianceReduce.getInput(), numerator))
      return failure();

    // Hugging Face normalises a half-precision x in fp32: cast(x) is
    // normalised and cast back to x's type before the weight. The fused op
    // takes x and gives x's type (its statistics are kept in fp32 anyway).
    Operation *end = op;
    if (auto widen = numerator.getDefiningOp<CastOp>()) {
      auto back = soleUser<CastOp>(op.getResult());
      if (back && back.getType() == widen.getInput().getType()) {
        numerator = widen.getInput();
        type = cast<RankedTensorType>(back.getType());
        end = back;
      }
    }

    // LayerNorm when the numerator is x minus its mean over the same axes.
    Value input = numerator;
    bool layerNorm = false;
    if (auto sub = numerator.getDefiningOp<SubOp>()) {
      auto mean = sub.getRhs().getDefiningOp<ReduceOp>();
      if (trailingMeanAxis(mean) == axis && mean.getInput() == sub.getLhs() &&
          sub.getLhs().getType() == type) {
        input = sub.getLhs();
        layerNorm = true;
      }
    }

    ArrayRef<int64_t> features = type.getShape().drop_front(*axis);
    Operation *root = end;
    auto [scaleOp, scale] =
        featureOperand<MulOp>(rewriter, end->getResult(0), features);
    Value bias;
    if (scaleOp) {
      root = scaleOp;
      if (layerNorm) {
        auto [biasOp, shift] =
            featureOperand<AddOp>(rewriter, scaleOp->getResult(0), features);
        if (biasOp) {
          root = biasOp;
          bias = shift;
        }
      }
    } else {
      scale = ConstantOp::create(
          rewriter, op.getLoc(),
          DenseElementsAttr::get(
              RankedTensorType::get(features, type.getElementType()),
              rewriter.getFloatAttr(type.getElementType(), 1.0)));
    }

    int64_t rank = type.getRank();
    APFloat epsilonValue(static_cast<float>(*eps));
    Value fused;
    if (layerNorm)
      fused = LayerNormOp::create(rewriter, root->getLoc(), type, input, scale,
                                  bias, *axis - rank, epsilonValue);
    else
      fused = RmsNormOp::create(rewriter, root->getLoc(), type, input, scale,
                                *axis - rank, epsilonValue);
    rewriter.replaceOp(root, fused);
    return success();
  }
};

} // namespace

void wafer::populateNormFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseNormalization<DivOp>, FuseNormalization<MulOp>>(
      patterns.getContext());
}
