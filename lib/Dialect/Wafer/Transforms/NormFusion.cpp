//===- NormFusion.cpp - LayerNorm and RMSNorm spelled out, fused ----------===//
//
// Exporters below opset 17 (and every RMSNorm) spell normalisations as
//   mean = reduce mean(x); c = x - mean; var = reduce mean(c^2 or c*c)
//   y = c / sqrt(var + eps) [* gamma] [+ beta]
// and RMSNorm as y = x / sqrt(mean(x^2) + eps) [* gamma]. The pattern roots
// at the division and absorbs the scale and shift that follow.
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

struct FuseNormalization : public OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(div.getType());
    if (!isa<FloatType>(type.getElementType()) ||
        div.getLhs().getType() != type)
      return failure();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!sqrt)
      return failure();
    auto add = sqrt.getInput().getDefiningOp<AddOp>();
    if (!add)
      return failure();
    Value variance = add.getLhs(), epsilon = add.getRhs();
    if (!splatValue(epsilon))
      std::swap(variance, epsilon);
    std::optional<double> eps = splatValue(epsilon);
    auto varianceReduce = variance.getDefiningOp<ReduceOp>();
    std::optional<int64_t> axis = trailingMeanAxis(varianceReduce);
    if (!eps || !axis || !isSquareOf(varianceReduce.getInput(), div.getLhs()))
      return failure();

    // LayerNorm when the numerator is x minus its mean over the same axes.
    Value input = div.getLhs();
    bool layerNorm = false;
    if (auto sub = div.getLhs().getDefiningOp<SubOp>()) {
      auto mean = sub.getRhs().getDefiningOp<ReduceOp>();
      if (trailingMeanAxis(mean) == axis && mean.getInput() == sub.getLhs() &&
          sub.getLhs().getType() == type) {
        input = sub.getLhs();
        layerNorm = true;
      }
    }

    ArrayRef<int64_t> features = type.getShape().drop_front(*axis);
    Operation *root = div;
    auto [scaleOp, scale] =
        featureOperand<MulOp>(rewriter, div.getResult(), features);
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
          rewriter, div.getLoc(),
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
  patterns.add<FuseNormalization>(patterns.getContext());
}
